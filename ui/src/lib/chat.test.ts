import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStorage } from '../test/memory-storage';
import { ChatBook, type ChatEvent } from './chat';
import type { ChatMessage, MessagesResponse, ServerFrame } from './protocol';
import { ResumeStore } from './resume';

const CH = 'room:lobby';
const ME = 1;
type Subscribed = Extract<ServerFrame, { type: 'subscribed' }>;

function wire(offset: number, sender = 2, channel = CH): ChatMessage {
  return {
    id: 100 + offset,
    channel,
    offset,
    sender_id: sender,
    sender_name: sender === ME ? 'Me' : `U${sender}`,
    client_message_id: `c${offset}`,
    body: `message ${offset}`,
    created_at: offset * 1_000,
  };
}

const message = (offset: number, sender = 2): ChatEvent => ({ type: 'message', ...wire(offset, sender) });

function subscribed(extra: Partial<Subscribed> = {}): Subscribed {
  return { type: 'subscribed', channel: CH, epoch: 'E1', last_offset: 0, last_read: 0, unread: 0, messages: [], ...extra };
}

function setup(opts: { storage?: MemoryStorage; claim?: (m: ChatMessage) => string | null; fetchOlder?: (channel: string, before: number) => Promise<MessagesResponse> } = {}) {
  const storage = opts.storage ?? new MemoryStorage();
  const marks: [string, number][] = [];
  const onChange = vi.fn();
  const book = new ChatBook({
    meId: () => ME,
    claim: opts.claim ?? (() => null),
    sendMarkRead: (channel, offset) => {
      marks.push([channel, offset]);
      return true;
    },
    fetchOlder: opts.fetchOlder ?? (() => Promise.reject(new Error('no history'))),
    onChange,
    store: new ResumeStore('resume', storage),
  });
  return { book, marks, onChange, storage };
}

const bodies = (book: ChatBook, channel = CH) => book.messages(channel).map((m) => m.body);
const offsets = (book: ChatBook, channel = CH) => book.messages(channel).map((m) => m.offset);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ChatBook', () => {
  it('takes a snapshot, then live messages, each once', () => {
    const { book } = setup();
    book.subscribed(subscribed({ messages: [wire(1), wire(2)], last_offset: 2 }));
    book.event(message(3));
    book.event(message(3));
    book.event(message(5));
    book.event(message(4));
    expect(offsets(book)).toEqual([1, 2, 3, 4, 5]);
    expect(book.view()[CH]).toMatchObject({ lastOffset: 5, live: true });
  });

  it('replays a recovered catch-up on top of what it holds', () => {
    const storage = new MemoryStorage();
    const first = setup({ storage });
    first.book.subscribed(subscribed({ messages: [wire(1), wire(2)], last_offset: 2 }));
    first.book.stop();

    const { book } = setup({ storage });
    expect(offsets(book)).toEqual([1, 2]);
    expect(book.since()).toBe('room:lobby@E1:2');
    book.connectionStarted([CH]);
    book.subscribed(
      subscribed({
        recovered: true,
        last_offset: 5,
        messages: undefined,
        events: [
          message(2), // already held
          message(3),
          { type: 'message_edited', channel: CH, offset: 4, message_id: 101, body: 'edited one', edited_at: 9 },
          { type: 'message_deleted', channel: CH, offset: 5, message_id: 102, deleted_at: 10, deleted_by: 7 },
        ],
      }),
    );
    expect(bodies(book)).toEqual(['edited one', '', 'message 3']);
    expect(book.messages(CH)[1].deletedAt).toBe(10);
    expect(book.messages(CH)[1].deletedBy).toBe(7);
  });

  it('replaces the history when the epoch changed', () => {
    const storage = new MemoryStorage();
    const first = setup({ storage });
    first.book.subscribed(subscribed({ messages: [wire(1), wire(2)], last_offset: 2 }));
    first.book.stop();
    const { book } = setup({ storage });
    book.subscribed(subscribed({ epoch: 'E2', recovered: true, events: [message(1)], messages: [wire(7)], last_offset: 7 }));
    expect(offsets(book)).toEqual([7]);
    expect(book.position(CH)).toEqual({ epoch: 'E2', offset: 7 });
  });

  it('counts unread messages from others while the channel is not being read', () => {
    const { book } = setup();
    book.subscribed(subscribed());
    book.select('room:other');
    book.event(message(1));
    book.event(message(2, ME));
    book.event(message(3));
    book.event(message(3));
    expect(book.view()[CH].unread).toBe(2);
    book.event({ type: 'message_deleted', channel: CH, offset: 4, message_id: 103, deleted_at: 1 });
    expect(book.view()[CH].unread).toBe(1);
  });

  it('marks the channel read, debounced, while its newest message is in view', () => {
    const { book, marks } = setup();
    book.select(CH);
    book.subscribed(subscribed({ unread: 2, messages: [wire(1), wire(2)], last_offset: 2 }));
    book.event(message(3));
    expect(marks).toEqual([]);
    vi.advanceTimersByTime(400);
    expect(marks).toEqual([[CH, 3]]);
    expect(book.view()[CH].unread).toBe(0);
    // Scrolled up: a new message is not read yet.
    book.setAtBottom(false);
    book.event(message(4));
    vi.advanceTimersByTime(1_000);
    expect(marks).toHaveLength(1);
    expect(book.view()[CH].unread).toBe(1);
    book.setAtBottom(true);
    vi.advanceTimersByTime(400);
    expect(marks).toEqual([
      [CH, 3],
      [CH, 4],
    ]);
  });

  it('does not mark read while the page is hidden or search results cover the room', () => {
    const { book, marks } = setup();
    book.select(CH);
    book.setPageVisible(false);
    book.subscribed(subscribed({ messages: [wire(1)], last_offset: 1 }));
    vi.advanceTimersByTime(1_000);
    book.setPageVisible(true);
    book.setRoomShown(false);
    vi.advanceTimersByTime(1_000);
    expect(marks).toEqual([]);
    book.setRoomShown(true);
    vi.advanceTimersByTime(400);
    expect(marks).toEqual([[CH, 1]]);
  });

  it('recounts unread from the messages held when our read mark moves elsewhere (another tab)', () => {
    const { book } = setup();
    book.select('room:other');
    book.subscribed(subscribed({ messages: [wire(1), wire(2), wire(3, ME), wire(4)], last_offset: 4, unread: 3 }));
    book.readReceipt(CH, ME, 2);
    expect(book.view()[CH]).toMatchObject({ lastRead: 2, unread: 1 });
    book.readReceipt(CH, 7, 3);
    book.readReceipt(CH, 7, 1);
    expect(book.view()[CH].readMarks).toEqual({ 7: 3 });
  });

  it('keeps the key of our own message when its frame confirms it', () => {
    const { book } = setup({ claim: (m) => (m.client_message_id === 'c2' ? 'l:c2' : null) });
    book.subscribed(subscribed());
    book.event(message(2, ME));
    expect(book.messages(CH)[0].key).toBe('l:c2');
  });

  it('applies reactions idempotently', () => {
    const { book } = setup();
    book.subscribed(subscribed({ messages: [wire(1)], last_offset: 1 }));
    const react: ChatEvent = { type: 'reaction', channel: CH, offset: 2, message_id: 101, emoji: '🎉', user_id: 5, added: true };
    book.event(react);
    book.event(react);
    expect(book.messages(CH)[0].reactions).toEqual([{ emoji: '🎉', userIds: [5] }]);
  });

  it('loads older pages in front, and drops a page fetched for a history that was replaced', async () => {
    let finish: (res: MessagesResponse) => void = () => {};
    const fetchOlder = vi.fn(() => new Promise<MessagesResponse>((resolve) => (finish = resolve)));
    const { book } = setup({ fetchOlder });
    const page = Array.from({ length: 50 }, (_, i) => wire(51 + i));
    book.subscribed(subscribed({ messages: page, last_offset: 100 }));
    expect(book.view()[CH].hasMore).toBe(true);
    const load = book.loadOlder(CH);
    expect(fetchOlder).toHaveBeenCalledWith(CH, 51);
    finish({ messages: [wire(49), wire(50)], more: true } as MessagesResponse);
    await load;
    expect(offsets(book).slice(0, 3)).toEqual([49, 50, 51]);

    const again = book.loadOlder(CH);
    book.subscribed(subscribed({ epoch: 'E9', messages: [wire(1)], last_offset: 1 }));
    finish({ messages: [wire(47), wire(48)], more: false } as MessagesResponse);
    await again;
    expect(offsets(book)).toEqual([1]);
  });

  it('forgets channels the new connection no longer reads', () => {
    const { book } = setup();
    book.subscribed(subscribed({ messages: [wire(1)], last_offset: 1 }));
    book.subscribed(subscribed({ channel: 'dm:4', messages: [wire(1, 2, 'dm:4')], last_offset: 1 }));
    book.connectionStarted(['dm:4', 'presence']);
    expect(book.channels()).toEqual(['dm:4']);
    expect(book.view()['dm:4'].live).toBe(false);
  });
});
