import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStorage } from '../test/memory-storage';
import type { DisplayMessage } from './channel-log';
import type { ChatMessage, ClientFrame } from './protocol';
import { ChatSender, MAX_BODY, bodyProblem } from './sender';

const CH = 'room:lobby';
const ME = { id: 1, display_name: 'Ann' };

type SendFrame = Extract<ClientFrame, { type: 'send_message' }>;

function setup(opts: { storage?: Storage; subscribed?: Set<string>; confirmed?: Set<string> } = {}) {
  const sent: SendFrame[] = [];
  const acked: DisplayMessage[] = [];
  const subscribed = opts.subscribed ?? new Set([CH]);
  const confirmed = opts.confirmed ?? new Set<string>();
  const onChange = vi.fn();
  const sender = new ChatSender({
    storageKey: 'outbox',
    storage: opts.storage ?? new MemoryStorage(),
    me: () => ME,
    send: (frame) => {
      sent.push(frame as SendFrame);
      return true;
    },
    isSubscribed: (channel) => subscribed.has(channel),
    findConfirmed: (_channel, cmid) => (confirmed.has(cmid) ? ({ clientMessageId: cmid } as DisplayMessage) : undefined),
    onAcked: (m) => acked.push(m),
    onChange,
  });
  return { sender, sent, acked, subscribed, confirmed, onChange };
}

function okId(result: ReturnType<ChatSender['send']>): string {
  if (!result.ok) throw new Error(result.message);
  return result.clientMessageId;
}

function wire(cmid: string, senderId = ME.id): ChatMessage {
  return { id: 50, channel: CH, offset: 9, sender_id: senderId, sender_name: 'Ann', client_message_id: cmid, body: 'hi', created_at: 1 };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('bodyProblem', () => {
  it('wants some text, at most MAX_BODY characters', () => {
    expect(bodyProblem('   ')).toBe('Type a message first.');
    expect(bodyProblem('😀'.repeat(MAX_BODY))).toBeNull();
    expect(bodyProblem('x'.repeat(MAX_BODY + 1))).toBe(`Keep it to ${MAX_BODY} characters or fewer.`);
  });
});

describe('ChatSender', () => {
  it('sends at once to a subscribed channel and shows the message pending', () => {
    const { sender, sent } = setup();
    const id = okId(sender.send(CH, 'hello'));
    expect(sent).toEqual([{ type: 'send_message', ref: `send:${id}`, channel: CH, client_message_id: id, body: 'hello' }]);
    expect(sender.tails().get(CH)).toMatchObject([{ key: `l:${id}`, status: 'pending', offset: null, body: 'hello', senderName: 'Ann' }]);
    expect(sender.size).toBe(1);
  });

  it('refuses an empty body without queueing it', () => {
    const { sender, sent } = setup();
    expect(sender.send(CH, '  ')).toEqual({ ok: false, message: 'Type a message first.' });
    expect([sent.length, sender.size]).toEqual([0, 0]);
  });

  it('waits for the subscription, then sends once however often it is flushed', () => {
    const { sender, sent, subscribed } = setup({ subscribed: new Set() });
    const id = okId(sender.send(CH, 'later'));
    expect(sent).toHaveLength(0);
    subscribed.add(CH);
    sender.flush(CH);
    sender.flush(CH);
    expect(sent.map((f) => f.client_message_id)).toEqual([id]);
  });

  it('sends again with the same id on a new connection until the hub answers', () => {
    const { sender, sent } = setup();
    const id = okId(sender.send(CH, 'hello'));
    sender.connectionReset();
    sender.flush(CH);
    expect(sent.map((f) => f.client_message_id)).toEqual([id, id]);
  });

  it('does not send again what the snapshot shows stored (its ack was lost)', () => {
    const { sender, sent, confirmed, subscribed } = setup({ subscribed: new Set() });
    const id = okId(sender.send(CH, 'hello'));
    confirmed.add(id);
    subscribed.add(CH);
    sender.flush(CH);
    expect(sent).toHaveLength(0);
    expect(sender.size).toBe(0);
  });

  it('turns an ack into a confirmed message at its offset', () => {
    const { sender, acked } = setup();
    const id = okId(sender.send(CH, 'hello'));
    expect(sender.acked(`send:${id}`, 12, 340)).toBe(true);
    expect(acked).toMatchObject([{ key: `l:${id}`, offset: 12, id: 340, status: 'sent', body: 'hello' }]);
    expect(sender.size).toBe(0);
    // The message frame got there first: the ack only clears the outbox.
    expect(sender.acked(`send:${id}`, 12, 340)).toBe(true);
    expect(acked).toHaveLength(1);
    expect(sender.acked('cmd:xyz', 1, 1)).toBe(false);
  });

  it('claims its own message from a message frame, keeping the key it was shown under', () => {
    const { sender } = setup();
    const id = okId(sender.send(CH, 'hello'));
    expect(sender.claim(wire(id, 2))).toBeNull();
    expect(sender.claim(wire(id))).toBe(`l:${id}`);
    expect(sender.claim(wire(id))).toBeNull();
    expect(sender.tails().size).toBe(0);
  });

  it('retries a rate-limited send with the same id after a pause', () => {
    const { sender, sent } = setup();
    const id = okId(sender.send(CH, 'hello'));
    expect(sender.refused(`send:${id}`, 'rate_limited', 'Slow down.')).toBe(true);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(3_000);
    expect(sent.map((f) => f.client_message_id)).toEqual([id, id]);
  });

  it('shows a refused message as not sent until dismissed', () => {
    const { sender, sent } = setup();
    const id = okId(sender.send(CH, 'x'));
    sender.refused(`send:${id}`, 'message_too_long', 'Too long.');
    expect(sender.size).toBe(0);
    expect(sender.tails().get(CH)).toMatchObject([{ status: 'failed', error: { code: 'message_too_long', message: 'Too long.' } }]);
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(1);
    sender.dismiss(id);
    expect(sender.tails().size).toBe(0);
    expect(sender.refused('cmd:1', 'internal', 'x')).toBe(false);
  });

  it('tells which channel a send’s ref is about while it is queued', () => {
    const { sender } = setup();
    const id = okId(sender.send('room:games', 'x'));
    expect(sender.channelOf(`send:${id}`)).toBe('room:games');
    expect(sender.channelOf('cmd:1')).toBeNull();
    expect(sender.channelOf(undefined)).toBeNull();
    sender.refused(`send:${id}`, 'muted', 'You are muted.');
    expect(sender.channelOf(`send:${id}`)).toBeNull();
  });

  it('keeps unsent messages across a reload', () => {
    const storage = new MemoryStorage();
    const first = setup({ storage, subscribed: new Set() });
    okId(first.sender.send(CH, 'one'));
    okId(first.sender.send('dm:4', 'two'));
    const second = setup({ storage });
    expect([...second.sender.tails().keys()].sort()).toEqual(['dm:4', CH]);
    second.sender.flush(CH);
    expect(second.sent.map((f) => f.body)).toEqual(['one']);
  });
});

describe('ChatSender with files', () => {
  const photo = { id: 7, channel: CH, name: 'a.png', size: 3, content_type: 'image/png', inline: true, thumbnail: true };

  it('sends uploaded files by id, with or without text, and shows them while pending and after a reload', () => {
    const storage = new MemoryStorage();
    const { sender, sent, subscribed } = setup({ storage });
    const cmid = okId(sender.send(CH, '', [photo]));
    expect(sent[0]).toMatchObject({ type: 'send_message', client_message_id: cmid, body: '', attachments: [7] });
    expect(sender.tails().get(CH)?.[0].attachments).toEqual([photo]);
    expect(sender.send(CH, '  ', []).ok).toBe(false);

    // A page reloaded before the ack resends the same files.
    subscribed.clear();
    const again = setup({ storage });
    again.sender.flush(CH);
    expect(again.sent[0]).toMatchObject({ client_message_id: cmid, attachments: [7] });
  });
});
