// The protocol inspector's pure parts: a template for every client frame type, the live frame log with its filters and pause, and checking a typed frame.

import type { ClientFrame } from './protocol';

type FrameType = ClientFrame['type'];

/** One example of every client frame; a type missing here fails type-checking (and inspector.test.ts). */
const TEMPLATES: { [K in FrameType]: Extract<ClientFrame, { type: K }> } = {
  ping: { type: 'ping', ref: 'i1' },
  subscribe: { type: 'subscribe', ref: 'i1', channel: 'room:lobby' },
  unsubscribe: { type: 'unsubscribe', ref: 'i1', channel: 'room:lobby' },
  send_message: { type: 'send_message', ref: 'i1', channel: 'room:lobby', client_message_id: '', body: 'Hello from the inspector' },
  set_status: { type: 'set_status', ref: 'i1', status: 'online', text: '' },
  set_activity: { type: 'set_activity', ref: 'i1', idle: false },
  ping_user: { type: 'ping_user', ref: 'i1', user_id: 0 },
  edit_message: { type: 'edit_message', ref: 'i1', channel: 'room:lobby', message_id: 0, body: 'Edited' },
  delete_message: { type: 'delete_message', ref: 'i1', channel: 'room:lobby', message_id: 0 },
  react: { type: 'react', ref: 'i1', channel: 'room:lobby', message_id: 0, emoji: '👍' },
  mark_read: { type: 'mark_read', ref: 'i1', channel: 'room:lobby', offset: 0 },
  typing: { type: 'typing', channel: 'room:lobby', typing: true },
  mark_notifications_read: { type: 'mark_notifications_read', ref: 'i1' },
  party_join: { type: 'party_join', ref: 'i1', code: 'ABCD', audience: false },
  party_leave: { type: 'party_leave', ref: 'i1', code: 'ABCD' },
  party_ready: { type: 'party_ready', ref: 'i1', code: 'ABCD', ready: true },
  party_start: { type: 'party_start', ref: 'i1', code: 'ABCD' },
  party_answer: { type: 'party_answer', ref: 'i1', code: 'ABCD', round: 0, answer: { kind: 'choice', index: 0 } },
  party_control: { type: 'party_control', ref: 'i1', code: 'ABCD', action: 'pause' },
};

/** Every client frame type, in the protocol's order. */
export const CLIENT_FRAME_TYPES = Object.keys(TEMPLATES) as FrameType[];

export interface TemplateContext {
  /** The channel on screen, used where a frame names one. */
  channel?: string;
  /** A fresh id for `client_message_id` and `ref`. */
  newId?: () => string;
}

/** A copy of a type's template, filled in from the context, as the object to send. */
export function template(type: FrameType, ctx: TemplateContext = {}): ClientFrame {
  const frame: Record<string, unknown> = structuredClone(TEMPLATES[type]);
  if (ctx.channel && typeof frame.channel === 'string') frame.channel = ctx.channel;
  if (ctx.newId) {
    if ('ref' in frame) frame.ref = `inspector:${ctx.newId()}`;
    if ('client_message_id' in frame) frame.client_message_id = ctx.newId();
  }
  return frame as ClientFrame;
}

/** The template as the editor shows it. */
export function templateText(type: FrameType, ctx: TemplateContext = {}): string {
  return JSON.stringify(template(type, ctx), null, 2);
}

/** What the editor holds, checked: a JSON object with a string `type` (unknown types may be sent, to see the hub refuse them). */
export type Checked = { ok: true; frame: Record<string, unknown>; text: string; known: boolean } | { ok: false; error: string };

export function checkFrame(text: string): Checked {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `Not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'A frame is a JSON object.' };
  const type = (value as Record<string, unknown>).type;
  if (typeof type !== 'string' || type === '') return { ok: false, error: 'A frame needs a string "type".' };
  const frame = value as Record<string, unknown>;
  return { ok: true, frame, text: JSON.stringify(frame), known: (CLIENT_FRAME_TYPES as string[]).includes(type) };
}

/** One frame in the log. */
export interface LoggedFrame {
  seq: number;
  /** This browser's clock (ms). */
  at: number;
  dir: 'in' | 'out';
  type: string;
  /** The channel it is about, if any (`party:CODE` for party frames). */
  channel: string | null;
  /** UTF-8 bytes on the wire. */
  bytes: number;
  text: string;
}

/** The channel a frame is about: its `channel`, a room update's room, or a party's code. */
export function frameChannel(frame: Record<string, unknown>): string | null {
  if (typeof frame.channel === 'string') return frame.channel;
  const room = frame.room as { channel?: unknown } | undefined;
  if (room && typeof room.channel === 'string') return room.channel;
  const party = frame.party as { code?: unknown } | undefined;
  const code = typeof frame.code === 'string' ? frame.code : party && typeof party.code === 'string' ? party.code : null;
  return code ? `party:${code}` : null;
}

const encoder = new TextEncoder();

export interface LogFilter {
  /** Only this channel ('' for all; '-' for frames without one). */
  channel: string;
  /** Only this type ('' for all). */
  type: string;
  dir: 'in' | 'out' | '';
}

export const NO_FILTER: LogFilter = { channel: '', type: '', dir: '' };

export function matches(entry: LoggedFrame, f: LogFilter): boolean {
  if (f.dir && entry.dir !== f.dir) return false;
  if (f.type && entry.type !== f.type) return false;
  if (f.channel === '-') return entry.channel === null;
  return !f.channel || entry.channel === f.channel;
}

/** The frames seen, oldest first, at most `max`; while paused new ones wait and show on resume. */
export class FrameLog {
  private entries: LoggedFrame[] = [];
  private held: LoggedFrame[] = [];
  private seq = 0;
  paused = false;

  constructor(private readonly max = 2000) {}

  /** Records a frame's text as sent or received; returns the entry. */
  record(dir: 'in' | 'out', text: string, at: number = Date.now()): LoggedFrame {
    let parsed: Record<string, unknown> = {};
    try {
      const value: unknown = JSON.parse(text);
      if (value && typeof value === 'object' && !Array.isArray(value)) parsed = value as Record<string, unknown>;
    } catch {
      // Logged as `?`: the inspector shows what was on the wire, even if it is not JSON.
    }
    const entry: LoggedFrame = {
      seq: ++this.seq,
      at,
      dir,
      type: typeof parsed.type === 'string' ? parsed.type : '?',
      channel: frameChannel(parsed),
      bytes: encoder.encode(text).length,
      text,
    };
    const into = this.paused ? this.held : this.entries;
    into.push(entry);
    if (into.length > this.max) into.splice(0, into.length - this.max);
    return entry;
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    if (!paused && this.held.length > 0) {
      this.entries.push(...this.held);
      this.held = [];
      if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
    }
  }

  clear(): void {
    this.entries = [];
    this.held = [];
  }

  /** Frames that came while paused. */
  get waiting(): number {
    return this.held.length;
  }

  list(filter: LogFilter = NO_FILTER): LoggedFrame[] {
    return this.entries.filter((e) => matches(e, filter));
  }

  /** The channels and types seen, sorted, for the filter menus. */
  facets(): { channels: string[]; types: string[] } {
    const channels = new Set<string>();
    const types = new Set<string>();
    for (const e of this.entries) {
      if (e.channel) channels.add(e.channel);
      types.add(e.type);
    }
    return { channels: [...channels].sort(), types: [...types].sort() };
  }
}
