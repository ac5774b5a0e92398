// What survives a reload: per channel the epoch, the last applied offset, read state and the newest messages; the selected channel; the `since` list for the socket URL.

import type { ChatMessage } from './protocol';

/** One channel's state as stored. */
export interface StoredChannel {
  epoch: string;
  /** The last event offset applied to `messages`. */
  offset: number;
  lastRead: number;
  unread: number;
  /** Older messages exist beyond the stored ones. */
  hasMore: boolean;
  /** The newest messages, in offset order, as they were at `offset`. */
  messages: ChatMessage[];
  /** When the channel was last active or viewed (ms), to choose what to keep. */
  usedAt: number;
}

export interface StoredState {
  selected: string | null;
  channels: Record<string, StoredChannel>;
}

/** Most channels stored (and so named in `since`; the socket URL stays short). */
export const MAX_STORED_CHANNELS = 60;
/** Messages stored per channel. */
export const MAX_STORED_MESSAGES = 50;
const VERSION = 1;

function defaultStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function isChannel(value: unknown): value is StoredChannel {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c.epoch === 'string' &&
    typeof c.offset === 'number' &&
    typeof c.lastRead === 'number' &&
    typeof c.unread === 'number' &&
    typeof c.hasMore === 'boolean' &&
    Array.isArray(c.messages) &&
    typeof c.usedAt === 'number'
  );
}

/** Whether a stored message has the fields the client relies on. */
function isMessage(value: unknown, channel: string): value is ChatMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    m.channel === channel &&
    typeof m.id === 'number' &&
    typeof m.offset === 'number' &&
    typeof m.sender_id === 'number' &&
    typeof m.sender_name === 'string' &&
    typeof m.body === 'string' &&
    typeof m.created_at === 'number' &&
    typeof m.client_message_id === 'string'
  );
}

/** `room:lobby@EPOCH:OFFSET,dm:4@EPOCH:OFFSET`, the selected channel first, at most `max` entries. */
export function sinceParam(
  channels: Readonly<Record<string, Pick<StoredChannel, 'epoch' | 'offset' | 'usedAt'>>>,
  first: string | null,
  max = MAX_STORED_CHANNELS,
): string {
  const names = Object.keys(channels)
    .filter((name) => /^[a-z]+:[^,@\s]+$/.test(name) && /^[A-Za-z0-9_-]+$/.test(channels[name].epoch))
    .sort((a, b) => (a === first ? -1 : b === first ? 1 : channels[b].usedAt - channels[a].usedAt))
    .slice(0, max);
  return names.map((name) => `${name}@${channels[name].epoch}:${Math.max(0, Math.floor(channels[name].offset))}`).join(',');
}

/** localStorage under one key per user; every failure (quota, privacy mode) degrades to "nothing stored". */
export class ResumeStore {
  private readonly storage: Storage | null;

  constructor(
    private readonly key: string,
    storage: Storage | null = defaultStorage(),
  ) {
    this.storage = storage;
  }

  load(): StoredState {
    const empty: StoredState = { selected: null, channels: {} };
    if (!this.storage) return empty;
    try {
      const raw = this.storage.getItem(this.key);
      if (!raw) return empty;
      const parsed = JSON.parse(raw) as { v?: unknown; selected?: unknown; channels?: unknown };
      if (parsed.v !== VERSION) return empty;
      const channels: Record<string, StoredChannel> = {};
      if (parsed.channels && typeof parsed.channels === 'object') {
        for (const [name, value] of Object.entries(parsed.channels as Record<string, unknown>)) {
          if (!isChannel(value)) continue;
          channels[name] = { ...value, messages: value.messages.filter((m) => isMessage(m, name)) };
        }
      }
      return { selected: typeof parsed.selected === 'string' ? parsed.selected : null, channels };
    } catch {
      return empty;
    }
  }

  /** Writes the state, dropping the least recently used channels when storage is full. */
  save(state: StoredState): void {
    if (!this.storage) return;
    let names = Object.keys(state.channels)
      .sort((a, b) => state.channels[b].usedAt - state.channels[a].usedAt)
      .slice(0, MAX_STORED_CHANNELS);
    for (let attempt = 0; attempt < 4; attempt++) {
      const channels: Record<string, StoredChannel> = {};
      for (const name of names) channels[name] = state.channels[name];
      try {
        this.storage.setItem(this.key, JSON.stringify({ v: VERSION, selected: state.selected, channels }));
        return;
      } catch {
        if (names.length === 0) break;
        names = names.slice(0, Math.floor(names.length / 2));
      }
    }
    try {
      this.storage.removeItem(this.key);
    } catch {
      // Nothing more to do: the next load starts fresh.
    }
  }
}
