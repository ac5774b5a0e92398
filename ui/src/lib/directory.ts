// The rooms and direct conversations the user can see: loaded over REST, kept current by `room_update` and `dm_update`.

import type { DmsResponse, DmThread, Room, RoomsResponse } from './protocol';

/** The room every user is in. */
export const LOBBY = 'room:lobby';

export function isChatChannel(channel: string): boolean {
  return channel.startsWith('room:') || channel.startsWith('dm:');
}

export function isDm(channel: string): boolean {
  return channel.startsWith('dm:');
}

/** Whether a conversation can be read (and so is subscribed). */
export function dmReadable(thread: DmThread): boolean {
  return thread.state === 'pending' || thread.state === 'accepted';
}

export interface DirectoryView {
  /** Lobby first, then by name. */
  rooms: readonly Room[];
  /** Newest first. */
  dms: readonly DmThread[];
  loaded: boolean;
  error: string | null;
}

export class Directory {
  private readonly rooms = new Map<string, Room>();
  private readonly dms = new Map<number, DmThread>();
  loaded = false;
  error: string | null = null;
  private loads = 0;

  /** Replaces both lists with a fresh answer; a slower, older answer is dropped. */
  async refresh(
    fetch: () => Promise<[RoomsResponse, DmsResponse]>,
    describe: (err: unknown) => { message: string },
  ): Promise<void> {
    const load = ++this.loads;
    try {
      const [rooms, dms] = await fetch();
      if (load !== this.loads) return;
      this.setRooms(rooms.rooms);
      this.setDms(dms.threads);
      this.loaded = true;
      this.error = null;
    } catch (err) {
      if (load === this.loads) this.error = describe(err).message;
    }
  }

  /** A full list from `GET /api/rooms`: rooms missing from it are gone for this user. */
  setRooms(list: readonly Room[]): void {
    this.rooms.clear();
    for (const r of list) this.rooms.set(r.channel, r);
  }

  setDms(list: readonly DmThread[]): void {
    this.dms.clear();
    for (const t of list) this.dms.set(t.id, t);
  }

  upsertRoom(room: Room): void {
    this.rooms.set(room.channel, room);
  }

  upsertDm(thread: DmThread): void {
    this.dms.set(thread.id, thread);
  }

  room(channel: string): Room | undefined {
    return this.rooms.get(channel);
  }

  dm(channel: string): DmThread | undefined {
    const id = Number(channel.slice(3));
    return isDm(channel) && Number.isInteger(id) ? this.dms.get(id) : undefined;
  }

  /** The conversation with a user, if there is one. */
  dmWith(userId: number): DmThread | undefined {
    return [...this.dms.values()].find((t) => t.other.id === userId);
  }

  /** A room we are no longer in (we left, or the hub said `unsubscribed`). */
  markLeft(channel: string): void {
    const r = this.rooms.get(channel);
    if (r && r.member) this.rooms.set(channel, { ...r, member: false, unread: 0 });
  }

  view(): DirectoryView {
    const rooms = [...this.rooms.values()].sort((a, b) =>
      a.channel === LOBBY ? -1 : b.channel === LOBBY ? 1 : a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }),
    );
    const dms = [...this.dms.values()].sort((a, b) => b.id - a.id);
    return { rooms, dms, loaded: this.loaded, error: this.error };
  }
}

/** A channel's name for people: the room's name, the other person in a conversation. */
export function channelTitle(channel: string, dir: DirectoryView): string {
  if (channel === LOBBY) return dir.rooms.find((r) => r.channel === LOBBY)?.name ?? 'Lobby';
  if (isDm(channel)) {
    const t = dir.dms.find((d) => d.channel === channel);
    return t ? t.other.display_name : 'Direct message';
  }
  return dir.rooms.find((r) => r.channel === channel)?.name ?? channel.slice(channel.indexOf(':') + 1);
}
