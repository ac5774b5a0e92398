// The staff console's rules and words: who may act on whom, the mute, ban and slow-mode choices, audit lines.

import type { AuditEntry, Role } from './protocol';

/** Mute lengths offered, in minutes (the hub takes 1 to 10080). */
export const MUTE_PRESETS: readonly { minutes: number; label: string }[] = [
  { minutes: 5, label: '5 minutes' },
  { minutes: 15, label: '15 minutes' },
  { minutes: 60, label: '1 hour' },
  { minutes: 24 * 60, label: '1 day' },
  { minutes: 7 * 24 * 60, label: '1 week' },
];

/** How long a ban also refuses the user's address, in minutes (0: not at all). */
export const ADDRESS_BAN_CHOICES: readonly { minutes: number; label: string }[] = [
  { minutes: 0, label: 'Not their address' },
  { minutes: 60, label: 'Their address for 1 hour' },
  { minutes: 24 * 60, label: 'Their address for 1 day' },
  { minutes: 7 * 24 * 60, label: 'Their address for 1 week' },
];

/** Slow-mode choices, in seconds (the hub takes 0 to 3600). */
export const SLOW_MODE_CHOICES: readonly { seconds: number; label: string }[] = [
  { seconds: 0, label: 'Off' },
  { seconds: 5, label: '5 s' },
  { seconds: 10, label: '10 s' },
  { seconds: 30, label: '30 s' },
  { seconds: 60, label: '1 min' },
  { seconds: 300, label: '5 min' },
  { seconds: 3600, label: '1 hour' },
];

/** The slow-mode choices, with the room's current value added when it is not one of them. */
export function slowModeChoices(current: number): { seconds: number; label: string }[] {
  const list = [...SLOW_MODE_CHOICES];
  if (!list.some((c) => c.seconds === current)) {
    list.push({ seconds: current, label: `${current} s` });
    list.sort((a, b) => a.seconds - b.seconds);
  }
  return list;
}

/** Longest announcement or notice the hub takes. */
export const MAX_ANNOUNCEMENT = 500;

/**
 * Whether a staff member may kick, ban, mute, rename or clear a user: never themselves, and a
 * moderator never another host or moderator (the hub refuses these too; the console hides them).
 */
export function canActOn(me: { id: number; role: Role }, target: { id: number; role: Role }): boolean {
  if (me.id === target.id) return false;
  if (me.role === 'host') return true;
  if (me.role === 'moderator') return target.role === 'guest';
  return false;
}

/** Only hosts change roles, and never their own. */
export function canSetRole(me: { id: number; role: Role }, target: { id: number }): boolean {
  return me.role === 'host' && me.id !== target.id;
}

/** "2 h 5 min", "45 s": a span for people. */
export function formatSpan(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.round(h / 24)} days`;
}

const ACTION_WORDS: Readonly<Record<string, string>> = {
  kick: 'kicked',
  ban: 'banned',
  unban: 'lifted the ban on',
  mute: 'muted',
  unmute: 'unmuted',
  delete_message: 'deleted a message of',
  clear_messages: 'cleared the messages of',
  slow_mode: 'set slow mode',
  lock: 'changed the lock',
  rename: 'renamed',
  set_role: 'changed the role of',
  settings: 'changed the settings',
  announce: 'announced',
  clear_announcement: 'cleared an announcement',
  broadcast: 'sent a notice',
  end_sessions: 'ended the guest sessions',
  set_pin: 'changed the PIN',
  claim_host: 'became a host',
};

/** "Hana muted Bob in room:games (10 min, spam)": one audit entry as a sentence. */
export function auditLine(e: AuditEntry): string {
  const who = e.actor?.display_name ?? 'An admin token';
  const did = ACTION_WORDS[e.action] ?? e.action.replace(/_/g, ' ');
  const whom = e.target ? ` ${e.target.display_name}` : '';
  const where = e.channel ? ` in ${e.channel}` : '';
  const detail = e.detail.trim() ? ` (${e.detail.trim()})` : '';
  return `${who} ${did}${whom}${where}${detail}`;
}
