import { describe, expect, it } from 'vitest';
import { composerState, isStaff, minutesLeft, refusalText, removalFor, roleBadge, sanctionText } from './moderation';
import { CloseCode, type Room } from './protocol';

const room = (extra: Partial<Pick<Room, 'locked' | 'slow_mode_secs'>> = {}) => ({ locked: false, slow_mode_secs: 0, ...extra });
const base = { role: 'guest' as const, room: room(), mutedUntil: null, roomMutedUntil: null, now: 1_000_000, lastSentAt: null };

describe('roles', () => {
  it('badges hosts and moderators only', () => {
    expect(roleBadge('host')).toBe('Host');
    expect(roleBadge('moderator')).toBe('Mod');
    expect(roleBadge('guest')).toBeNull();
    expect(roleBadge(undefined)).toBeNull();
    expect(isStaff('moderator')).toBe(true);
    expect(isStaff('guest')).toBe(false);
  });
});

describe('refusalText', () => {
  it('says how long a mute or slow mode lasts, rounding up', () => {
    expect(refusalText('muted', 'x', 4 * 60_000 + 1)).toBe('You are muted for 5 more minutes.');
    expect(refusalText('muted', 'x', 30_000)).toBe('You are muted for 1 more minute.');
    expect(refusalText('slow_mode', 'x', 2_100)).toBe('Slow mode: you can send again in 3 s.');
    expect(refusalText('room_locked', 'x')).toBe('This room is locked.');
    expect(refusalText('banned', 'x')).toBe('You are banned from this hub.');
  });

  it('keeps the hub’s words for other codes', () => {
    expect(refusalText('message_too_long', 'Too long.')).toBe('Too long.');
  });

  it('never says zero minutes', () => {
    expect(minutesLeft(0)).toBe(1);
    expect(refusalText('muted', 'x', 0)).toBe('You are muted.');
  });
});

describe('sanctionText', () => {
  const by = { id: 1, display_name: 'Hana' };
  it('names who, where, how long and why', () => {
    const text = sanctionText(
      { type: 'moderated', sanction: 'muted', by, channel: 'room:games', until: 1_000_000 + 10 * 60_000, reason: 'spam' },
      { now: 1_000_000 },
    );
    expect(text).toBe('Hana muted you in #games for 10 minutes. Reason: spam');
    expect(sanctionText({ type: 'moderated', sanction: 'unmuted' }, { now: 0 })).toBe('A host unmuted you.');
    expect(sanctionText({ type: 'moderated', sanction: 'role_changed', by }, { now: 0, role: 'moderator' })).toBe('Hana made you a moderator.');
  });
});

describe('removalFor', () => {
  it('maps the three removal codes and nothing else', () => {
    expect(removalFor(CloseCode.KICKED, 'flooding', 5)).toEqual({ kind: 'kicked', reason: 'flooding', at: 5 });
    expect(removalFor(CloseCode.BANNED, '')).toEqual({ kind: 'banned', reason: '' });
    expect(removalFor(CloseCode.SESSION_ENDED, '')).toEqual({ kind: 'session_ended', reason: '' });
    for (const code of [1000, 1001, 1006, CloseCode.TOO_SLOW, CloseCode.UNAUTHENTICATED, CloseCode.FORBIDDEN]) {
      expect(removalFor(code, '')).toBeNull();
    }
  });
});

describe('composerState', () => {
  it('is open with nothing to say by default', () => {
    expect(composerState(base)).toEqual({ disabled: false, note: null, kind: null });
  });

  it('locks guests out of a locked room, but not staff', () => {
    expect(composerState({ ...base, room: room({ locked: true }) })).toMatchObject({ disabled: true, kind: 'locked' });
    expect(composerState({ ...base, role: 'moderator', room: room({ locked: true }) }).disabled).toBe(false);
  });

  it('shows the longer of the hub-wide and room mutes while one runs', () => {
    const s = composerState({ ...base, mutedUntil: base.now + 60_000, roomMutedUntil: base.now + 3 * 60_000 });
    expect(s).toEqual({ disabled: false, note: 'You are muted for 3 more minutes.', kind: 'muted' });
    expect(composerState({ ...base, mutedUntil: base.now - 1 }).kind).toBeNull();
  });

  it('counts slow mode down from the last send, for guests only', () => {
    const slow = { ...base, room: room({ slow_mode_secs: 30 }) };
    expect(composerState(slow).note).toBe('Slow mode: one message every 30 seconds.');
    expect(composerState({ ...slow, lastSentAt: base.now - 20_000 }).note).toBe('Slow mode: you can send again in 10 s.');
    expect(composerState({ ...slow, lastSentAt: base.now - 31_000 }).note).toBe('Slow mode: one message every 30 seconds.');
    expect(composerState({ ...slow, role: 'host' }).kind).toBeNull();
  });
});
