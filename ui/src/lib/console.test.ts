import { describe, expect, it } from 'vitest';
import { auditLine, canActOn, canSetRole, formatSpan, slowModeChoices } from './console';

describe('who may act on whom', () => {
  const host = { id: 1, role: 'host' as const };
  const mod = { id: 2, role: 'moderator' as const };
  const guest = { id: 3, role: 'guest' as const };

  it('hosts act on anyone but themselves', () => {
    expect(canActOn(host, guest)).toBe(true);
    expect(canActOn(host, mod)).toBe(true);
    expect(canActOn(host, { id: 9, role: 'host' })).toBe(true);
    expect(canActOn(host, host)).toBe(false);
  });

  it('moderators act on guests only', () => {
    expect(canActOn(mod, guest)).toBe(true);
    expect(canActOn(mod, host)).toBe(false);
    expect(canActOn(mod, { id: 8, role: 'moderator' })).toBe(false);
    expect(canActOn(guest, { id: 4, role: 'guest' })).toBe(false);
  });

  it('only hosts change roles, not their own', () => {
    expect(canSetRole(host, guest)).toBe(true);
    expect(canSetRole(host, host)).toBe(false);
    expect(canSetRole(mod, guest)).toBe(false);
  });
});

describe('console words', () => {
  it('formats spans', () => {
    expect(formatSpan(45_000)).toBe('45 s');
    expect(formatSpan(10 * 60_000)).toBe('10 min');
    expect(formatSpan(125 * 60_000)).toBe('2 h 5 min');
    expect(formatSpan(3 * 86_400_000)).toBe('3 days');
  });

  it('adds an unusual slow-mode value to the choices, in order', () => {
    const secs = slowModeChoices(45).map((c) => c.seconds);
    expect(secs).toContain(45);
    expect(secs).toEqual([...secs].sort((a, b) => a - b));
    expect(slowModeChoices(30).filter((c) => c.seconds === 30)).toHaveLength(1);
  });

  it('turns audit entries into sentences', () => {
    const by = { id: 1, display_name: 'Hana' };
    const bob = { id: 2, display_name: 'Bob' };
    expect(auditLine({ id: 1, at: 0, actor: by, action: 'mute', target: bob, channel: 'room:games', detail: '10 min' })).toBe(
      'Hana muted Bob in room:games (10 min)',
    );
    expect(auditLine({ id: 2, at: 0, action: 'end_sessions', detail: '' })).toBe('An admin token ended the guest sessions');
    expect(auditLine({ id: 3, at: 0, actor: by, action: 'new_thing', detail: 'x' })).toBe('Hana new thing (x)');
  });
});
