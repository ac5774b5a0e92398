import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../test/memory-storage';
import { HubStateBook, bannersFor, staffRole } from './hub-state';
import type { Announcement, HubState } from './protocol';

const ann = (id: number, channel?: string): Announcement => ({ id, text: `a${id}`, channel, created_at: id * 1000 });

function state(extra: Partial<HubState> = {}): HubState {
  return {
    role: 'guest',
    staff: [
      { user_id: 1, display_name: 'Hana', role: 'host' },
      { user_id: 2, display_name: 'Mo', role: 'moderator' },
    ],
    permissions: { create_rooms: 'everyone', host_parties: 'everyone', import_packs: 'staff' },
    announcements: [],
    room_mutes: [],
    ...extra,
  };
}

describe('HubStateBook', () => {
  it('is a guest with nothing known before the first hub_state', () => {
    const v = new HubStateBook(null).view();
    expect(v).toMatchObject({ role: 'guest', known: false, staff: [], permissions: null, mutedUntil: null });
  });

  it('takes each hub_state whole', () => {
    const book = new HubStateBook(null);
    book.apply(state({ role: 'moderator', muted_until: 99 }));
    book.apply(state({ role: 'host' }));
    expect(book.view()).toMatchObject({ role: 'host', known: true, mutedUntil: null });
  });

  it('looks staff up by id', () => {
    const { staff } = state();
    expect(staffRole(staff, 1)).toBe('host');
    expect(staffRole(staff, 2)).toBe('moderator');
    expect(staffRole(staff, 3)).toBeNull();
  });

  it('keeps room mutes from moderated frames until unmuted', () => {
    const book = new HubStateBook(null);
    book.apply(state());
    book.moderated({ type: 'moderated', sanction: 'muted', channel: 'room:a', until: 500 });
    book.moderated({ type: 'moderated', sanction: 'muted', channel: 'room:b', until: 900 });
    book.moderated({ type: 'moderated', sanction: 'unmuted', channel: 'room:b' });
    expect(book.view().roomMutes).toEqual({ 'room:a': 500 });
    book.moderated({ type: 'moderated', sanction: 'unmuted', channel: 'room:a' });
    expect(book.view().roomMutes).toEqual({});
  });

  it('takes room mutes from hub_state too, so they are known after a reload', () => {
    const book = new HubStateBook(null);
    book.apply(state({ room_mutes: [{ channel: 'room:a', until: 500 }] }));
    expect(book.view().roomMutes).toEqual({ 'room:a': 500 });
    book.apply(state());
    expect(book.view().roomMutes).toEqual({});
  });

  it('shows a hub-wide mute at once, before the next hub_state', () => {
    const book = new HubStateBook(null);
    book.apply(state());
    book.moderated({ type: 'moderated', sanction: 'muted', until: 700 });
    expect(book.view().mutedUntil).toBe(700);
    book.moderated({ type: 'moderated', sanction: 'unmuted' });
    expect(book.view().mutedUntil).toBeNull();
  });

  it('banners: hub-wide and this room’s, newest first, minus the dismissed ones (kept for the tab)', () => {
    const storage = new MemoryStorage();
    const book = new HubStateBook(storage);
    book.apply(state({ announcements: [ann(1), ann(3, 'room:a'), ann(2, 'room:b'), ann(4)] }));
    expect(bannersFor(book.view(), 'room:a').map((a) => a.id)).toEqual([4, 3, 1]);
    expect(bannersFor(book.view(), 'room:lobby').map((a) => a.id)).toEqual([4, 1]);
    book.dismiss(4);
    expect(bannersFor(book.view(), 'room:a').map((a) => a.id)).toEqual([3, 1]);
    const again = new HubStateBook(storage);
    again.apply(state({ announcements: [ann(1), ann(4)] }));
    expect(bannersFor(again.view(), null).map((a) => a.id)).toEqual([1]);
  });
});
