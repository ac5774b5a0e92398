import { describe, expect, it } from 'vitest';
import {
  MAX_JOIN_URL,
  MAX_STATUS_TEXT,
  joinUrlProblem,
  notificationDetail,
  notificationLine,
  notificationTitle,
  safeHttpUrl,
  statusTextProblem,
  timeAgo,
} from './notify';
import type { Notification } from './protocol';

function note(extra: Partial<Notification>): Notification {
  return { id: 1, kind: 'ping', text: '', created_at: 0, read: false, ...extra };
}

describe('links', () => {
  it('lets only absolute http(s) links through', () => {
    expect(safeHttpUrl('http://192.168.1.5:7470/party/ABCD')).toBe('http://192.168.1.5:7470/party/ABCD');
    expect(safeHttpUrl('https://example.test')).toBe('https://example.test/');
    expect(safeHttpUrl('javascript:alert(1)')).toBeNull();
    expect(safeHttpUrl('/party/ABCD')).toBeNull();
    expect(safeHttpUrl('')).toBeNull();
    expect(safeHttpUrl(undefined)).toBeNull();
  });

  it('explains what is wrong with a typed invite link', () => {
    expect(joinUrlProblem('  ')).toBeNull();
    expect(joinUrlProblem('http://hub.local/x')).toBeNull();
    expect(joinUrlProblem('ftp://hub.local/x')).toBe('The invite link must start with http:// or https://.');
    expect(joinUrlProblem(`http://h/${'x'.repeat(MAX_JOIN_URL)}`)).toBe(`Keep the link to ${MAX_JOIN_URL} characters or fewer.`);
  });

  it('counts a status line in characters, not UTF-16 units, and wants one plain line', () => {
    expect(statusTextProblem('🍕'.repeat(MAX_STATUS_TEXT))).toBeNull();
    expect(statusTextProblem('🍕'.repeat(MAX_STATUS_TEXT + 1))).toBe(`Keep it to ${MAX_STATUS_TEXT} characters or fewer.`);
    expect(statusTextProblem('two\nlines')).toBe('Use plain text on one line.');
  });
});

describe('notification words', () => {
  it('titles each kind, with "Someone" when nobody is named', () => {
    expect(notificationTitle(note({ kind: 'ping', from_username: 'Ann' }))).toBe('Ann pinged you');
    expect(notificationTitle(note({ kind: 'mention', from_username: '  ' }))).toBe('Someone mentioned you');
    expect(notificationTitle(note({ kind: 'host_ping' }))).toBe('The host pinged you');
    expect(notificationTitle(note({ kind: 'host_ping', from_username: 'Ann' }))).toBe('Ann (host) pinged you');
    expect(notificationTitle(note({ kind: 'room_invite', from_username: 'Ben' }))).toBe('Ben invited you to a room');
    const invite = note({ kind: 'room_invite', from_username: 'Ben', text: 'Ben invited you to Kitchen' });
    expect(notificationLine(invite)).toBe('Ben invited you to Kitchen');
  });

  it('adds the hub text only when it says more than the title', () => {
    expect(notificationDetail(note({ kind: 'mention', from_username: 'Ann', text: 'hey @Ben' }))).toBe('hey @Ben');
    expect(notificationDetail(note({ kind: 'ping', from_username: 'Ann', text: 'Ann pinged you!' }))).toBeNull();
    expect(notificationDetail(note({ kind: 'party_invite', from_username: 'Ann', text: 'ann invites you to join' }))).toBeNull();
    expect(notificationDetail(note({ kind: 'ping', from_username: 'Ann', text: 'bring snacks' }))).toBe('bring snacks');
    expect(notificationLine(note({ kind: 'mention', from_username: 'Ann', text: 'hey @Ben' }))).toBe('Ann mentioned you: hey @Ben');
    expect(notificationLine(note({ kind: 'ping', from_username: 'Ann', text: '' }))).toBe('Ann pinged you');
  });
});

describe('timeAgo', () => {
  const now = 1_700_000_000_000;

  it('says "just now" for under 45 s, then minutes, hours and days', () => {
    expect(timeAgo(now - 44_000, now)).toBe('just now');
    const minutes = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
    expect(timeAgo(now - 5 * 60_000, now)).toBe(minutes.format(-5, 'minute'));
    expect(timeAgo(now - 3 * 3_600_000, now)).toBe(minutes.format(-3, 'hour'));
    expect(timeAgo(now - 2 * 86_400_000, now)).toBe(minutes.format(-2, 'day'));
  });
});
