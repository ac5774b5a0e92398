// The state the views get from HubClient: one immutable snapshot per change, plus the client's options.

import type { DisplayMessage } from './channel-log';
import type { ChannelView } from './chat';
import type { DirectoryView } from './directory';
import type { HubStateView } from './hub-state';
import type { ErrorCode, HubInfo, Notification, OnlineUser, PresenceStatus, UserInfo } from './protocol';
import type { ConnectionState } from './socket';

/** Everything the views need, replaced (never mutated) on every change. */
export interface HubSnapshot {
  connection: ConnectionState;
  me: UserInfo;
  hub: HubInfo | null;
  /** The room or conversation on screen. */
  selected: string;
  /** Per channel: confirmed history in offset order, then this user's pending and failed messages. */
  channels: Readonly<Record<string, readonly DisplayMessage[]>>;
  /** Per channel: unread count, read marks, typing, history paging. */
  chat: Readonly<Record<string, ChannelView>>;
  /** Unread messages per room or conversation (live counts, else the last REST answer). */
  unreadByChannel: Readonly<Record<string, number>>;
  /** Sum of `unreadByChannel`. */
  unreadTotal: number;
  /** Rooms and direct conversations. */
  directory: DirectoryView;
  /**
   * Who is online, sorted by name: live from the socket, else the last known list. A large hub lists
   * only the first `presence_list_max` by name, so someone missing here may still be online (see
   * `onlineTotal`, and `onlineState` in presence.ts).
   */
  online: readonly OnlineUser[];
  /** How many are online on the hub, listed in `online` or not. */
  onlineTotal: number;
  /** True when `online` is not live and the connection is in trouble: show it as "last known". */
  onlineStale: boolean;
  /** When a stale `online` list was last known to be right (ms). */
  onlineAsOf: number | null;
  /** Live room presence (who is in each room or conversation), per channel; absent while unknown. Capped like `online`. */
  rooms: Readonly<Record<string, readonly OnlineUser[]>>;
  /** Per channel in `rooms`: how many members are in it, listed or not. */
  roomTotals: Readonly<Record<string, number>>;
  /** This user's chosen status and status line (what this tab last asked for, until the hub confirms). */
  myStatus: { status: PresenceStatus; text: string };
  /** Whether this tab counts as idle (hidden or no input for a while). */
  idle: boolean;
  /** Unread inbox entries. */
  unread: number;
  inbox: {
    items: readonly Notification[];
    loaded: boolean;
    loading: boolean;
    error: string | null;
  };
  /** Messages waiting for the hub's ack. */
  outboxSize: number;
  /** Roles, staff, permissions, announcements and mutes (hub_state and moderated frames). */
  moderation: HubStateView;
  /** The last moderation refusal of a send, per channel, until a later send there is stored. */
  refusals: Readonly<Record<string, SendRefusal>>;
  /** When this user's last message in each channel was stored (hub ms). */
  lastSent: Readonly<Record<string, number>>;
  /** The hub's clock minus this browser's (ms). */
  serverOffsetMs: number;
}

/** A send refused for moderation (muted, slow mode, a locked room), in words for people. */
export interface SendRefusal {
  code: ErrorCode;
  text: string;
  /** This browser's clock when it came. */
  at: number;
  retryAfterMs: number | null;
}

/** Something to tell the user in a toast: a host's notice, or what a host did to them. */
export interface HubNotice {
  kind: 'notice' | 'moderation';
  text: string;
  /** Who, when known. */
  by: string | null;
}

export interface HubClientOptions {
  me: UserInfo;
  hub?: HubInfo | null;
  /** Storage for the outbox and the resume state; defaults to localStorage. */
  storage?: Storage | null;
  /** Report this tab idle while hidden or untouched (default true in a browser). */
  trackActivity?: boolean;
}
