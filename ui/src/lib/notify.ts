// Words for notifications and statuses, link checks and relative times: shared by toasts, the inbox and the online list.

import type { Notification, PresenceStatus } from './protocol';

/** Longest status line the hub accepts, in characters. */
export const MAX_STATUS_TEXT = 80;
/** Longest invite link the hub accepts, in characters. */
export const MAX_JOIN_URL = 512;

export const STATUS_LABEL: Readonly<Record<PresenceStatus, string>> = {
  online: 'Online',
  away: 'Away',
  busy: 'Busy',
};

/** The link if it is an absolute http(s) URL (so never `javascript:`), else null. */
export function safeHttpUrl(raw: string | undefined | null): string | null {
  if (!raw) return null;
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** Why an invite link typed by the user would be refused, or null when it is fine (empty is fine). */
export function joinUrlProblem(raw: string): string | null {
  const t = raw.trim();
  if (t === '') return null;
  if (t.length > MAX_JOIN_URL) return `Keep the link to ${MAX_JOIN_URL} characters or fewer.`;
  if (!safeHttpUrl(t)) return 'The invite link must start with http:// or https://.';
  return null;
}

/** Why a status line would be refused, or null when it is fine. */
export function statusTextProblem(raw: string): string | null {
  const t = raw.trim();
  if ([...t].length > MAX_STATUS_TEXT) return `Keep it to ${MAX_STATUS_TEXT} characters or fewer.`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(t)) return 'Use plain text on one line.';
  return null;
}

function who(n: Notification): string {
  return n.from_username?.trim() || 'Someone';
}

/** The headline of a notification, e.g. "Ann pinged you". */
export function notificationTitle(n: Notification): string {
  switch (n.kind) {
    case 'mention':
      return `${who(n)} mentioned you`;
    case 'ping':
      return `${who(n)} pinged you`;
    case 'dm_request':
      return `${who(n)} wants to chat with you`;
    case 'dm_message':
      return `New message from ${who(n)}`;
    case 'party_invite':
      return `${who(n)} invited you to a party`;
    case 'host_ping':
      return n.from_username ? `${who(n)} (host) pinged you` : 'The host pinged you';
    case 'announcement':
      return 'Announcement';
    case 'room_invite':
      // The hub's text names the room ("Ann invited you to Kitchen").
      return n.text?.trim() || `${who(n)} invited you to a room`;
    default:
      return n.text || 'Notification';
  }
}

/** Kinds whose `text` is content (the message itself), not a summary of the event. */
const CONTENT_KINDS: ReadonlySet<string> = new Set(['mention', 'dm_message', 'announcement']);

/** The hub's text when it adds something to the headline (a message, an announcement), else null. */
export function notificationDetail(n: Notification): string | null {
  const text = n.text?.trim();
  if (!text) return null;
  if (CONTENT_KINDS.has(n.kind)) return text;
  // For pings and invites the hub's text restates the event ("Ann invites you to join"): skip that.
  const norm = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
  const t = norm(text);
  if (t === norm(notificationTitle(n))) return null;
  if (n.from_username && t.includes(norm(n.from_username))) return null;
  return text;
}

/** "Ann mentioned you: hey @Ben": the headline and the detail on one line. */
export function notificationLine(n: Notification): string {
  const detail = notificationDetail(n);
  return detail ? `${notificationTitle(n)}: ${detail}` : notificationTitle(n);
}

const relative = typeof Intl !== 'undefined' && 'RelativeTimeFormat' in Intl ? new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }) : null;

/** "just now", "5 minutes ago", "yesterday"… */
export function timeAgo(at: number, now: number = Date.now()): string {
  const seconds = Math.round((at - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return 'just now';
  if (!relative) return new Date(at).toLocaleString();
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86_400), 'day');
}
