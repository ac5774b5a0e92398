import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ANSWER_WAIT_MS, HubSocket, PROBE_WAIT_MS, type ConnectionState } from './socket';

/** A WebSocket that never touches the network: the test opens it, feeds it frames and reads what was sent. */
class FakeWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static all: FakeWebSocket[] = [];
  readyState = FakeWebSocket.CONNECTING;
  sent: string[] = [];
  onmessage: ((ev: { data: string }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;

  constructor(readonly url: string) {
    FakeWebSocket.all.push(this);
  }

  send(data: string): void {
    this.sent.push(data);
  }

  close(): void {
    this.readyState = FakeWebSocket.CLOSED;
  }

  open(heartbeatMs = 15_000): void {
    this.readyState = FakeWebSocket.OPEN;
    this.receive({ type: 'connection_established', heartbeat_ms: heartbeatMs });
  }

  receive(frame: object): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  types(): string[] {
    return this.sent.map((s) => (JSON.parse(s) as { type: string }).type);
  }
}

let win: EventTarget;
let online = true;

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.all = [];
  online = true;
  win = new EventTarget();
  vi.stubGlobal('WebSocket', FakeWebSocket);
  vi.stubGlobal('window', win);
  vi.stubGlobal('document', Object.assign(new EventTarget(), { visibilityState: 'visible' }));
  vi.stubGlobal('navigator', {
    get onLine() {
      return online;
    },
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

async function connected(): Promise<{ socket: HubSocket; states: ConnectionState[]; ws: FakeWebSocket }> {
  const states: ConnectionState[] = [];
  const socket = new HubSocket({
    fetchToken: async () => 'token',
    onFrame: () => {},
    onState: (s) => states.push(s),
    url: (t) => `ws://hub/ws?token=${t}`,
  });
  socket.start();
  await vi.advanceTimersByTimeAsync(0);
  const ws = FakeWebSocket.all.at(-1)!;
  ws.open();
  expect(socket.connection.status).toBe('online');
  return { socket, states, ws };
}

describe('HubSocket liveness', () => {
  it('drops a socket that answers neither a command nor the probe after it, within 3 s of the send', async () => {
    const { socket, ws } = await connected();
    expect(socket.send({ type: 'party_ready', ref: 'cmd:1', code: 'ABCD', ready: true })).toBe(true);
    await vi.advanceTimersByTimeAsync(ANSWER_WAIT_MS);
    // Nothing came back: a ping goes out.
    expect(ws.types()).toEqual(['party_ready', 'ping']);
    expect(socket.connection.status).toBe('online');
    await vi.advanceTimersByTimeAsync(PROBE_WAIT_MS);
    expect(socket.connection.status).toBe('reconnecting');
    expect(ANSWER_WAIT_MS + PROBE_WAIT_MS).toBeLessThan(3000);
    socket.stop();
  });

  it('keeps a socket that answers', async () => {
    const { socket, ws } = await connected();
    socket.send({ type: 'party_ready', ref: 'cmd:1', code: 'ABCD', ready: true });
    await vi.advanceTimersByTimeAsync(ANSWER_WAIT_MS / 2);
    ws.receive({ type: 'ack', ref: 'cmd:1' });
    await vi.advanceTimersByTimeAsync(ANSWER_WAIT_MS + PROBE_WAIT_MS);
    expect(ws.types()).toEqual(['party_ready']);
    expect(socket.connection.status).toBe('online');

    // Slow to answer the command, but the probe gets a pong: still online.
    socket.send({ type: 'party_ready', ref: 'cmd:2', code: 'ABCD', ready: false });
    await vi.advanceTimersByTimeAsync(ANSWER_WAIT_MS);
    expect(ws.types().at(-1)).toBe('ping');
    ws.receive({ type: 'pong', server_time: 0 });
    await vi.advanceTimersByTimeAsync(PROBE_WAIT_MS * 2);
    expect(socket.connection.status).toBe('online');
    socket.stop();
  });

  it('does not probe after frames that expect no answer', async () => {
    const { socket, ws } = await connected();
    socket.send({ type: 'typing', channel: 'room:lobby', typing: true });
    await vi.advanceTimersByTimeAsync(ANSWER_WAIT_MS + PROBE_WAIT_MS);
    expect(ws.types()).toEqual(['typing']);
    expect(socket.connection.status).toBe('online');
    socket.stop();
  });

  it("drops the socket at the browser's offline event and reconnects at its online event", async () => {
    const { socket } = await connected();
    online = false;
    win.dispatchEvent(new Event('offline'));
    expect(socket.connection.status).toBe('reconnecting');
    if (socket.connection.status === 'reconnecting') expect(socket.connection.reason).toMatch(/offline/);
    const before = FakeWebSocket.all.length;
    online = true;
    win.dispatchEvent(new Event('online'));
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeWebSocket.all.length).toBe(before + 1);
    FakeWebSocket.all.at(-1)!.open();
    expect(socket.connection.status).toBe('online');
    socket.stop();
  });

  it('declares a silent socket dead within two heartbeats', async () => {
    const { socket, ws } = await connected();
    // The hub said 15 s; the first beat pings, the next finds no answer.
    await vi.advanceTimersByTimeAsync(15_000);
    expect(ws.types()).toEqual(['ping']);
    expect(socket.connection.status).toBe('online');
    await vi.advanceTimersByTimeAsync(15_000);
    expect(socket.connection.status).toBe('reconnecting');
    socket.stop();
  });

  it('beats faster while asked to (a party), and back to the hub\'s beat after', async () => {
    const { socket, ws } = await connected();
    socket.setFastHeartbeat(1500);
    await vi.advanceTimersByTimeAsync(1500);
    expect(ws.types()).toEqual(['ping']);
    ws.receive({ type: 'pong', server_time: 0 });
    await vi.advanceTimersByTimeAsync(1500);
    expect(ws.types()).toEqual(['ping', 'ping']);
    expect(socket.connection.status).toBe('online');
    // Unanswered: dead at the next beat, 3 s after the stall at most.
    await vi.advanceTimersByTimeAsync(1500);
    expect(socket.connection.status).toBe('reconnecting');
    socket.stop();

    const b = await connected();
    b.socket.setFastHeartbeat(1500);
    b.socket.setFastHeartbeat(null);
    await vi.advanceTimersByTimeAsync(14_000);
    expect(b.ws.types()).toEqual([]);
    b.socket.stop();
  });

  it('starts out waiting when the browser is already offline', async () => {
    online = false;
    const socket = new HubSocket({ fetchToken: async () => 'token', onFrame: () => {}, onState: () => {}, url: () => 'ws://hub/ws' });
    socket.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(socket.connection.status).toBe('reconnecting');
    expect(FakeWebSocket.all.length).toBe(0);
    socket.stop();
  });
});
