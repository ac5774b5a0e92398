import { describe, expect, it } from 'vitest';
import { Inbox } from './inbox';
import type { Notification } from './protocol';

function note(id: number, extra: Partial<Notification> = {}): Notification {
  return { id, kind: 'ping', text: '', created_at: id * 1_000, read: false, ...extra };
}

const ids = (inbox: Inbox) => inbox.items.map((n) => n.id);

describe('Inbox', () => {
  it('lists entries newest first, once each, with the hub’s unread count', () => {
    const inbox = new Inbox();
    expect(inbox.add(note(1), 1)).toBe(true);
    expect(inbox.add(note(3), 2)).toBe(true);
    expect(inbox.add(note(2, { created_at: 3_000 }), 3)).toBe(true);
    expect(inbox.add(note(3), 3)).toBe(false);
    expect(ids(inbox)).toEqual([3, 2, 1]);
    expect(inbox.unread).toBe(3);
  });

  it('never turns a read entry unread again', () => {
    const inbox = new Inbox();
    inbox.add(note(1), 1);
    inbox.markRead([1], 0);
    inbox.add(note(1, { read: false }), 0);
    expect(inbox.items[0].read).toBe(true);
  });

  it('marks listed entries, or all, read', () => {
    const inbox = new Inbox();
    for (const id of [1, 2, 3]) inbox.add(note(id), id);
    inbox.markRead([2], 2);
    expect(inbox.items.map((n) => n.read)).toEqual([false, true, false]);
    expect(inbox.unread).toBe(2);
    inbox.markRead(undefined, undefined);
    expect(inbox.items.every((n) => n.read)).toBe(true);
    expect(inbox.unread).toBe(2);
  });

  it('merges a REST answer: local read flags win, entries newer than the answer stay', () => {
    const inbox = new Inbox();
    inbox.add(note(2), 1);
    inbox.markRead([2], 0);
    const token = inbox.beginLoad();
    expect(inbox.loading).toBe(true);
    inbox.add(note(9), 1); // arrived live while the request ran
    inbox.loadedFrom(token, { notifications: [note(2), note(1)], unread_count: 7 });
    expect(ids(inbox)).toEqual([9, 2, 1]);
    expect(inbox.items.find((n) => n.id === 2)?.read).toBe(true);
    // The answer raced a live change, so its count is older than ours.
    expect(inbox.unread).toBe(1);
    expect([inbox.loaded, inbox.loading]).toEqual([true, false]);
  });

  it('takes the REST count when nothing changed meanwhile, and forgets entries the hub dropped', () => {
    const inbox = new Inbox();
    inbox.add(note(1), 1);
    inbox.add(note(5), 2);
    const token = inbox.beginLoad();
    inbox.loadedFrom(token, { notifications: [note(5)], unread_count: 4 });
    expect(ids(inbox)).toEqual([5]);
    expect(inbox.unread).toBe(4);
  });

  it('keeps the 200 newest entries', () => {
    const inbox = new Inbox();
    for (let id = 1; id <= 205; id++) inbox.add(note(id), id);
    expect(inbox.items).toHaveLength(200);
    expect(inbox.has(5)).toBe(false);
    expect(inbox.has(6)).toBe(true);
  });

  it('records a failed load', () => {
    const inbox = new Inbox();
    inbox.beginLoad();
    inbox.failed('The hub cannot be reached.');
    expect([inbox.loading, inbox.error]).toEqual([false, 'The hub cannot be reached.']);
    inbox.beginLoad();
    expect(inbox.error).toBeNull();
  });
});
