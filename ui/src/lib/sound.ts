// The party's sounds and the mention chime, made with the Web Audio API (no files): a cue is a short list of notes; mute and volume kept in localStorage.

/** The moments that make a sound. */
export type Cue = 'join' | 'tick' | 'last' | 'reveal' | 'podium' | 'mention';

/** One note of a cue: when it starts (s after the cue), how long it rings, its pitch and loudness. */
export interface Note {
  at: number;
  length: number;
  freq: number;
  /** 0 to 1, before the volume setting. */
  gain: number;
  wave: OscillatorType;
}

export interface SoundSettings {
  muted: boolean;
  /** 0 to 1. */
  volume: number;
}

export const DEFAULT_SOUND: SoundSettings = { muted: false, volume: 0.6 };
const STORAGE_KEY = 'hubbub.sound.v1';

/** The settings kept in `storage`, or the defaults (for anything missing or broken). */
export function loadSoundSettings(storage: Storage | null): SoundSettings {
  try {
    const raw = storage?.getItem(STORAGE_KEY);
    if (!raw) return { ...DEFAULT_SOUND };
    const parsed = JSON.parse(raw) as Partial<SoundSettings>;
    const volume = typeof parsed.volume === 'number' && Number.isFinite(parsed.volume) ? Math.min(1, Math.max(0, parsed.volume)) : DEFAULT_SOUND.volume;
    return { muted: parsed.muted === true, volume };
  } catch {
    return { ...DEFAULT_SOUND };
  }
}

export function saveSoundSettings(storage: Storage | null, settings: SoundSettings): void {
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(settings));
  } catch {
    // Not kept across a reload; it still applies now.
  }
}

// Pitches (Hz) of the notes used.
const C5 = 523.25;
const E5 = 659.25;
const G5 = 783.99;
const A5 = 880;
const C6 = 1046.5;
const E6 = 1318.5;
const G4 = 392;

/** The notes of a cue. */
export function cueNotes(cue: Cue): Note[] {
  switch (cue) {
    case 'join':
      // A bright two-note "pop".
      return [
        { at: 0, length: 0.09, freq: G5, gain: 0.5, wave: 'triangle' },
        { at: 0.08, length: 0.16, freq: C6, gain: 0.5, wave: 'triangle' },
      ];
    case 'tick':
      return [{ at: 0, length: 0.07, freq: A5, gain: 0.45, wave: 'square' }];
    case 'last':
      // The final second: lower and longer.
      return [{ at: 0, length: 0.35, freq: G4, gain: 0.55, wave: 'square' }];
    case 'reveal':
      // A rising arpeggio.
      return [C5, E5, G5, C6].map((freq, i) => ({ at: i * 0.07, length: 0.3, freq, gain: 0.4, wave: 'triangle' as const }));
    case 'mention':
      // Someone asked for you: a soft two-note chime.
      return [
        { at: 0, length: 0.18, freq: E5, gain: 0.45, wave: 'sine' },
        { at: 0.12, length: 0.3, freq: A5, gain: 0.4, wave: 'sine' },
      ];
    case 'podium':
      // A short fanfare.
      return [
        { at: 0, length: 0.14, freq: G5, gain: 0.45, wave: 'sawtooth' },
        { at: 0.15, length: 0.14, freq: G5, gain: 0.45, wave: 'sawtooth' },
        { at: 0.3, length: 0.14, freq: G5, gain: 0.45, wave: 'sawtooth' },
        { at: 0.45, length: 0.7, freq: C6, gain: 0.5, wave: 'sawtooth' },
        { at: 0.45, length: 0.7, freq: E6, gain: 0.3, wave: 'triangle' },
      ];
  }
}

type AudioContextCtor = new () => AudioContext;

/**
 * Plays cues. The audio context is made on the first cue after a user gesture (browsers keep it
 * silent before one); without Web Audio, or while muted, a cue does nothing.
 */
export class Sounds {
  private ctx: AudioContext | null = null;
  private settings: SoundSettings;
  private readonly listeners = new Set<(s: SoundSettings) => void>();
  private readonly storage: Storage | null;
  /** The last time each cue was played (ms), so a burst of joins is one sound. */
  private readonly lastPlayed = new Map<Cue, number>();

  constructor(storage: Storage | null = typeof localStorage !== 'undefined' ? localStorage : null) {
    this.storage = storage;
    this.settings = loadSoundSettings(storage);
  }

  subscribe(run: (s: SoundSettings) => void): () => void {
    this.listeners.add(run);
    run(this.settings);
    return () => {
      this.listeners.delete(run);
    };
  }

  get current(): SoundSettings {
    return this.settings;
  }

  set(patch: Partial<SoundSettings>): void {
    this.settings = { ...this.settings, ...patch };
    saveSoundSettings(this.storage, this.settings);
    for (const run of this.listeners) run(this.settings);
    // A click on mute or the slider is a gesture: wake the audio up for later cues.
    if (!this.settings.muted) void this.context()?.resume().catch(() => {});
  }

  /** Lets the audio start (call from a click or key press). */
  unlock(): void {
    if (this.settings.muted) return;
    void this.context()?.resume().catch(() => {});
  }

  play(cue: Cue, now = Date.now()): void {
    if (this.settings.muted || this.settings.volume <= 0) return;
    const last = this.lastPlayed.get(cue) ?? 0;
    if (now - last < 120) return;
    this.lastPlayed.set(cue, now);
    const ctx = this.context();
    if (!ctx) return;
    if (ctx.state !== 'running') {
      // Allowed once the page has had a gesture; this cue is skipped rather than played late.
      void ctx.resume().catch(() => {});
      return;
    }
    const start = ctx.currentTime + 0.01;
    const volume = this.settings.volume * 0.5;
    for (const n of cueNotes(cue)) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = n.wave;
      osc.frequency.value = n.freq;
      const t0 = start + n.at;
      gain.gain.setValueAtTime(0.0001, t0);
      gain.gain.exponentialRampToValueAtTime(Math.max(0.0002, n.gain * volume), t0 + 0.015);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + n.length);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0);
      osc.stop(t0 + n.length + 0.02);
    }
  }

  private context(): AudioContext | null {
    if (this.ctx) return this.ctx;
    if (typeof window === 'undefined') return null;
    const w = window as unknown as { AudioContext?: AudioContextCtor; webkitAudioContext?: AudioContextCtor };
    const Ctor = w.AudioContext ?? w.webkitAudioContext;
    if (!Ctor) return null;
    try {
      this.ctx = new Ctor();
    } catch {
      return null;
    }
    return this.ctx;
  }
}
