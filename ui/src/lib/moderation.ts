// Roles and moderation in words and decisions: badges, refusal texts, sanctions, how a removed socket ends, what the composer allows.

import { CloseCode, type ErrorCode, type Role, type Room, type ServerFrame } from './protocol';

/** Hosts and moderators. */
export function isStaff(role: Role | null | undefined): boolean {
  return role === 'host' || role === 'moderator';
}

/** The badge shown next to a staff member's name; null for guests. */
export function roleBadge(role: Role | null | undefined): 'Host' | 'Mod' | null {
  if (role === 'host') return 'Host';
  if (role === 'moderator') return 'Mod';
  return null;
}

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

/** Whole minutes left, at least 1. */
export function minutesLeft(ms: number): number {
  return Math.max(1, Math.ceil(ms / 60_000));
}

/** Whole seconds left, at least 1. */
export function secondsLeft(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

export function mutedText(remainingMs: number | undefined): string {
  if (remainingMs === undefined || remainingMs <= 0) return 'You are muted.';
  const n = minutesLeft(remainingMs);
  return `You are muted for ${n} more minute${n === 1 ? '' : 's'}.`;
}

export function slowModeText(remainingMs: number | undefined): string {
  if (remainingMs === undefined || remainingMs <= 0) return 'Slow mode: wait a moment before sending again.';
  return `Slow mode: you can send again in ${secondsLeft(remainingMs)} s.`;
}

export const LOCKED_TEXT = 'This room is locked.';
export const BANNED_TEXT = 'You are banned from this hub.';

/** Error codes that are about moderation rather than the message itself. */
const MODERATION_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['muted', 'slow_mode', 'room_locked', 'banned']);

export function isModerationCode(code: ErrorCode): boolean {
  return MODERATION_CODES.has(code);
}

/** What to tell the user about a refusal: our own words for the moderation codes, else the hub's message. */
export function refusalText(code: ErrorCode, message: string, retryAfterMs?: number): string {
  switch (code) {
    case 'muted':
      return mutedText(retryAfterMs);
    case 'slow_mode':
      return slowModeText(retryAfterMs);
    case 'room_locked':
      return LOCKED_TEXT;
    case 'banned':
      return BANNED_TEXT;
    default:
      return message;
  }
}

/** "Bob" or "A host" for who did something. */
function actor(by: { display_name: string } | undefined): string {
  return by?.display_name?.trim() || 'A host';
}

/** Where something applies: "" hub-wide, " in #name" for a room. */
function where(channel: string | undefined, roomName: (channel: string) => string): string {
  return channel ? ` in #${roomName(channel)}` : '';
}

const ROLE_WORD: Readonly<Record<Role, string>> = { host: 'a host', moderator: 'a moderator', guest: 'a guest' };

/** The toast for a `moderated` frame sent to this user. */
export function sanctionText(
  frame: Extract<ServerFrame, { type: 'moderated' }>,
  opts: { now: number; role?: Role; roomName?: (channel: string) => string } = { now: Date.now() },
): string {
  const roomName = opts.roomName ?? ((c: string) => c.replace(/^room:/, ''));
  const reason = frame.reason?.trim() ? ` Reason: ${frame.reason.trim()}` : '';
  const by = actor(frame.by);
  switch (frame.sanction) {
    case 'muted': {
      const left = frame.until !== undefined ? ` for ${plural(minutesLeft(frame.until - opts.now), 'minute')}` : '';
      return `${by} muted you${where(frame.channel, roomName)}${left}.${reason}`;
    }
    case 'unmuted':
      return `${by} unmuted you${where(frame.channel, roomName)}.`;
    case 'renamed':
      return `${by} changed your display name.${reason}`;
    case 'role_changed':
      return opts.role ? `${by} made you ${ROLE_WORD[opts.role]}.` : `${by} changed your role.`;
  }
}

/** Why the hub removed this browser's socket for good, from its close code. */
export type Removal =
  | { kind: 'kicked'; reason: string; at: number }
  | { kind: 'banned'; reason: string }
  | { kind: 'session_ended'; reason: string };

/** The removal a close code means, or null for the codes after which the client reconnects. */
export function removalFor(code: number, reason: string, now: number = Date.now()): Removal | null {
  switch (code) {
    case CloseCode.KICKED:
      return { kind: 'kicked', reason, at: now };
    case CloseCode.BANNED:
      return { kind: 'banned', reason };
    case CloseCode.SESSION_ENDED:
      return { kind: 'session_ended', reason };
    default:
      return null;
  }
}

/** How long a kicked user waits before they may come back. */
export const KICK_COOLDOWN_MS = 60_000;

/** What the composer of a room allows now, and what it says about it. */
export interface ComposerState {
  /** Nothing can be sent (a locked room for a guest). */
  disabled: boolean;
  /** A standing note near the input: locked, muted, slow mode; null when there is nothing to say. */
  note: string | null;
  kind: 'locked' | 'muted' | 'slow' | null;
}

export interface ComposerInput {
  role: Role;
  room: Pick<Room, 'locked' | 'slow_mode_secs'> | undefined;
  /** The hub-wide mute's end (server ms), if any. */
  mutedUntil: number | null;
  /** This room's mute's end (server ms), if any. */
  roomMutedUntil: number | null;
  /** The hub's clock now (ms). */
  now: number;
  /** When this user last sent in this room (server ms), for the slow-mode countdown. */
  lastSentAt: number | null;
}

/** Staff are never held back by a lock or slow mode (the hub exempts them). */
export function composerState(input: ComposerInput): ComposerState {
  const staff = isStaff(input.role);
  if (input.room?.locked && !staff) return { disabled: true, note: LOCKED_TEXT, kind: 'locked' };
  const until = Math.max(input.mutedUntil ?? 0, input.roomMutedUntil ?? 0);
  if (until > input.now) return { disabled: false, note: mutedText(until - input.now), kind: 'muted' };
  const slow = input.room?.slow_mode_secs ?? 0;
  if (slow > 0 && !staff) {
    const wait = input.lastSentAt === null ? 0 : input.lastSentAt + slow * 1000 - input.now;
    const note = wait > 0 ? slowModeText(wait) : `Slow mode: one message every ${plural(slow, 'second')}.`;
    return { disabled: false, note, kind: 'slow' };
  }
  return { disabled: false, note: null, kind: null };
}
