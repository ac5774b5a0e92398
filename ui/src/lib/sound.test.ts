import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../test/memory-storage';
import { DEFAULT_SOUND, Sounds, cueNotes, loadSoundSettings, saveSoundSettings, type Cue } from './sound';

describe('sound settings', () => {
  it('keeps mute and volume across a reload', () => {
    const storage = new MemoryStorage();
    const a = new Sounds(storage);
    expect(a.current).toEqual(DEFAULT_SOUND);
    a.set({ muted: true });
    a.set({ volume: 0.25 });
    const b = new Sounds(storage);
    expect(b.current).toEqual({ muted: true, volume: 0.25 });
  });

  it('tells subscribers of a change', () => {
    const sounds = new Sounds(new MemoryStorage());
    const seen: boolean[] = [];
    const off = sounds.subscribe((s) => seen.push(s.muted));
    sounds.set({ muted: true });
    off();
    sounds.set({ muted: false });
    expect(seen).toEqual([false, true]);
  });

  it('falls back to the defaults for broken or out-of-range values', () => {
    const storage = new MemoryStorage();
    storage.setItem('hubbub.sound.v1', '{not json');
    expect(loadSoundSettings(storage)).toEqual(DEFAULT_SOUND);
    saveSoundSettings(storage, { muted: false, volume: 7 });
    expect(loadSoundSettings(storage).volume).toBe(1);
    storage.setItem('hubbub.sound.v1', JSON.stringify({ muted: 'yes', volume: 'loud' }));
    expect(loadSoundSettings(storage)).toEqual(DEFAULT_SOUND);
    expect(loadSoundSettings(null)).toEqual(DEFAULT_SOUND);
  });

  it('plays nothing where there is no Web Audio', () => {
    const sounds = new Sounds(new MemoryStorage());
    expect(() => sounds.play('join')).not.toThrow();
  });
});

describe('cues', () => {
  it('gives every cue audible, short notes', () => {
    for (const cue of ['join', 'tick', 'last', 'reveal', 'podium'] as Cue[]) {
      const notes = cueNotes(cue);
      expect(notes.length).toBeGreaterThan(0);
      for (const n of notes) {
        expect(n.freq).toBeGreaterThan(100);
        expect(n.freq).toBeLessThan(5000);
        expect(n.gain).toBeGreaterThan(0);
        expect(n.gain).toBeLessThanOrEqual(1);
        expect(n.at + n.length).toBeLessThan(2);
      }
    }
  });

  it('makes the last second sound different from the ticks before it', () => {
    const [tick] = cueNotes('tick');
    const [last] = cueNotes('last');
    expect(last.freq).not.toBe(tick.freq);
    expect(last.length).toBeGreaterThan(tick.length);
  });
});
