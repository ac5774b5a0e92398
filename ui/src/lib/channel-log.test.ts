import { describe, expect, it } from 'vitest';
import { ChannelLog, LOG_LIMIT, fromChatMessage, toChatMessage, withReaction, type DisplayMessage } from './channel-log';
import type { ChatMessage } from './protocol';

const CH = 'room:lobby';

function wire(offset: number, extra: Partial<ChatMessage> = {}): ChatMessage {
  return {
    id: 100 + offset,
    channel: CH,
    offset,
    sender_id: 1 + (offset % 2),
    sender_name: offset % 2 ? 'Ben' : 'Ann',
    client_message_id: `c${offset}`,
    body: `message ${offset}`,
    created_at: 1_700_000_000_000 + offset * 1_000,
    ...extra,
  };
}

const msg = (offset: number, extra: Partial<ChatMessage> = {}): DisplayMessage => fromChatMessage(wire(offset, extra));
const offsets = (log: ChannelLog) => log.messages.map((m) => m.offset);

describe('fromChatMessage and toChatMessage', () => {
  it('turn a wire message into a confirmed display message and back', () => {
    const m = wire(7, { edited_at: 5, deleted_at: 6, deleted_by: 9, reactions: [{ emoji: '👍', user_ids: [1, 2] }] });
    const shown = fromChatMessage(m);
    expect(shown).toEqual({
      key: 'o:room:lobby:7',
      channel: CH,
      offset: 7,
      id: 107,
      clientMessageId: 'c7',
      senderId: 2,
      senderName: 'Ben',
      body: 'message 7',
      createdAt: m.created_at,
      editedAt: 5,
      deletedAt: 6,
      deletedBy: 9,
      reactions: [{ emoji: '👍', userIds: [1, 2] }],
      status: 'sent',
    });
    expect(toChatMessage(shown)).toEqual(m);
  });

  it('leave out absent edits, deletes and empty reaction lists', () => {
    const shown = fromChatMessage({ ...wire(2), reactions: [] }, 'l:abc');
    expect(shown.key).toBe('l:abc');
    expect('editedAt' in shown || 'deletedAt' in shown || 'deletedBy' in shown || 'reactions' in shown).toBe(false);
  });

  it('store only confirmed messages', () => {
    expect(toChatMessage({ ...msg(3), status: 'pending' })).toBeNull();
    expect(toChatMessage({ ...msg(3), offset: null })).toBeNull();
    expect(toChatMessage({ ...msg(3), id: null })).toBeNull();
  });
});

describe('withReaction', () => {
  it('adds and removes one user, idempotently, without touching the input', () => {
    const before = [{ emoji: '👍', userIds: [1] }];
    const added = withReaction(before, '👍', 2, true);
    expect(added).toEqual([{ emoji: '👍', userIds: [1, 2] }]);
    expect(withReaction(added, '👍', 2, true)).toEqual(added);
    expect(before).toEqual([{ emoji: '👍', userIds: [1] }]);
    expect(withReaction(added, '🎉', 3, true)).toEqual([
      { emoji: '👍', userIds: [1, 2] },
      { emoji: '🎉', userIds: [3] },
    ]);
    expect(withReaction(added, '👍', 1, false)).toEqual([{ emoji: '👍', userIds: [2] }]);
  });

  it('gives undefined once the last reaction is gone', () => {
    expect(withReaction([{ emoji: '👍', userIds: [1] }], '👍', 1, false)).toBeUndefined();
    expect(withReaction(undefined, '👍', 1, false)).toBeUndefined();
  });
});

describe('ChannelLog', () => {
  it('keeps messages in offset order whatever order they arrive in, once each', () => {
    const log = new ChannelLog();
    expect(log.upsert(msg(3))).toBe(true);
    expect(log.upsert(msg(1))).toBe(true);
    expect(log.upsert(msg(2))).toBe(true);
    expect(log.upsert(msg(5))).toBe(true);
    expect(log.upsert(msg(2))).toBe(false);
    expect(offsets(log)).toEqual([1, 2, 3, 5]);
    expect(log.lastOffset).toBe(5);
    expect(log.oldestOffset).toBe(1);
    expect(log.hasOffset(4)).toBe(false);
    expect(log.hasOffset(5)).toBe(true);
  });

  it('ignores pending messages (no offset)', () => {
    const log = new ChannelLog();
    expect(log.upsert({ ...msg(1), offset: null })).toBe(false);
    expect(log.messages).toEqual([]);
    expect(log.lastOffset).toBe(0);
    expect(log.oldestOffset).toBeNull();
  });

  it('replaces a known offset only when asked, keeping the key on screen', () => {
    const log = new ChannelLog();
    log.upsert({ ...msg(1), key: 'l:local' });
    expect(log.upsert(msg(1, { body: 'from the hub' }), true)).toBe(true);
    expect(log.messages[0]).toMatchObject({ key: 'l:local', body: 'from the hub' });
  });

  it('finds messages by id and by sender and client id', () => {
    const log = new ChannelLog();
    log.upsert(msg(1));
    log.upsert(msg(2));
    expect(log.findById(102)?.offset).toBe(2);
    expect(log.findById(999)).toBeUndefined();
    expect(log.findByClientId(2, 'c1')?.offset).toBe(1);
    expect(log.findByClientId(1, 'c1')).toBeUndefined();
  });

  it('updates a message by id, and says whether anything changed', () => {
    const log = new ChannelLog();
    log.upsert(msg(1));
    const before = log.messages;
    expect(log.update(101, (m) => ({ ...m, body: 'edited', editedAt: 9 }))).toBe(true);
    expect(log.messages[0]).toMatchObject({ body: 'edited', editedAt: 9 });
    expect(before[0].body).toBe('message 1');
    expect(log.update(101, (m) => m)).toBe(false);
    expect(log.update(555, (m) => ({ ...m, body: 'x' }))).toBe(false);
  });

  it('replaces the whole history, sorted and deduplicated, keeping known keys', () => {
    const log = new ChannelLog();
    log.upsert({ ...msg(2), key: 'shown-2' });
    const generation = log.generation;
    log.replaceAll('E2', [msg(3), msg(2), msg(3), { ...msg(4), offset: null }]);
    expect(log.epoch).toBe('E2');
    expect(log.generation).toBe(generation + 1);
    expect(offsets(log)).toEqual([2, 3]);
    expect(log.messages[0].key).toBe('shown-2');
    expect(log.messages[1].key).toBe('o:room:lobby:3');
  });

  it('puts an older page in front, skipping what it holds', () => {
    const log = new ChannelLog();
    log.upsert(msg(5));
    log.upsert(msg(6));
    log.prepend([msg(3), msg(4), msg(5, { body: 'stale copy' })]);
    expect(offsets(log)).toEqual([3, 4, 5, 6]);
    expect(log.messages[2].body).toBe('message 5');
  });

  it('forgets everything on reset', () => {
    const log = new ChannelLog();
    log.upsert(msg(1));
    log.reset('E9');
    expect(log.messages).toEqual([]);
    expect(log.hasOffset(1)).toBe(false);
    expect(log.epoch).toBe('E9');
    expect(log.upsert(msg(1))).toBe(true);
  });

  it('drops the oldest messages beyond the limit and remembers it did', () => {
    const log = new ChannelLog();
    for (let i = 1; i <= LOG_LIMIT + 2; i++) log.upsert(msg(i));
    expect(log.messages).toHaveLength(LOG_LIMIT);
    expect(log.trimmed).toBe(true);
    expect(log.oldestOffset).toBe(3);
    expect(log.hasOffset(2)).toBe(false);
    // A dropped message can come back (loaded again as an older page).
    log.prepend([msg(2)]);
    expect(log.oldestOffset).toBe(2);
  });
});
