import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryStorage } from '../test/memory-storage';
import { CommandError, type Ack } from './commands';
import {
  PartyStore,
  applyPartyFrame,
  correctAnswerText,
  describeAnswer,
  ordinal,
  ownClock,
  partyErrorMessage,
  readyCount,
  startBlocker,
  timeLeft,
  type PartyCommand,
  type PartyState,
  type PartyTransport,
} from './party';
import type { PartyPlayer, PartySnapshot, PhaseClock, QuestionView, RevealView, ServerFrame } from './protocol';

const CODE = 'ABCD';

function player(id: number, extra: Partial<PartyPlayer> = {}): PartyPlayer {
  return { user_id: id, display_name: `P${id}`, ready: false, score: 0, streak: 0, state: 'connected', answered: false, time_factor_pct: 100, ...extra };
}

function clock(phase: PhaseClock['phase'], round = 0, extra: Partial<PhaseClock> = {}): PhaseClock {
  return { phase, round, rounds: 3, server_time: 0, paused: false, ...extra };
}

function snapshot(extra: Partial<PartySnapshot> = {}): PartySnapshot {
  return {
    code: CODE,
    join_url: `http://hub/party/${CODE}`,
    chat_channel: `room:_party-${CODE}`,
    title: 'Quiz',
    settings: { game: 'quiz', max_players: 8, audience_allowed: true, locked: false, untimed: false, late_join: false, late_score: 'zero' },
    host_id: 1,
    host_name: 'Host',
    host_connected: true,
    clock: clock('lobby'),
    players: [player(2), player(3)],
    audience_count: 0,
    min_players: 1,
    answered: 0,
    eligible: 0,
    leaderboard: [],
    heartbeat_ms: 1500,
    ...extra,
  };
}

const question: QuestionView = { kind: 'choice', prompt: 'Closest planet to the Sun?', choices: ['Venus', 'Mercury', 'Mars'], time_limit_ms: 20_000 };
const reveal = (extra: Partial<RevealView> = {}): RevealView => ({
  correct_choices: [1],
  distribution: [0, 2, 0],
  number_answers: [],
  scores: [
    { user_id: 2, correct: true, points: 900, streak_bonus: 0 },
    { user_id: 3, correct: false, points: 0, streak_bonus: 0 },
  ],
  ...extra,
});

describe('pure helpers', () => {
  it('counts the clock down from when it arrived, and holds it while paused', () => {
    expect(timeLeft(clock('lobby'), 0, 5_000)).toBeNull();
    expect(timeLeft(clock('question', 0, { remaining_ms: 10_000 }), 1_000, 4_000)).toBe(7_000);
    expect(timeLeft(clock('question', 0, { remaining_ms: 10_000 }), 1_000, 60_000)).toBe(0);
    expect(timeLeft(clock('question', 0, { remaining_ms: 10_000, paused: true }), 1_000, 60_000)).toBe(10_000);
    // A clock that seems to come from the future is not counted up.
    expect(timeLeft(clock('question', 0, { remaining_ms: 10_000 }), 5_000, 4_000)).toBe(10_000);
  });

  it('counts ready players who are still here', () => {
    expect(readyCount([player(1, { ready: true }), player(2, { ready: true, state: 'away' }), player(3), player(4, { ready: true, state: 'reconnecting' })])).toBe(2);
  });

  it('says why the host cannot start yet', () => {
    expect(startBlocker(snapshot({ players: [] }))).toBe('Waiting for players to join (1 needed).');
    expect(startBlocker(snapshot({ min_players: 2, players: [player(2, { ready: true }), player(3)] }))).toBe('1 of 2 needed players are ready.');
    expect(startBlocker(snapshot({ players: [player(2)] }))).toBe('0 of 1 needed player is ready.');
    expect(startBlocker(snapshot({ players: [player(2, { ready: true })] }))).toBeNull();
    expect(startBlocker(snapshot({ clock: clock('question') }))).toBe('The game is already running.');
  });

  it('words party errors, with the hub message as the fallback', () => {
    expect(partyErrorMessage('party_full', 'full')).toBe('This party is full.');
    expect(partyErrorMessage('invalid_answer', 'index 9')).toBe('That answer does not fit this question. (index 9)');
    expect(partyErrorMessage('internal', 'disk on fire')).toBe('disk on fire');
    expect(partyErrorMessage('internal', '')).toBe('Something went wrong.');
  });

  it('writes ordinals, teens included', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112].map(ordinal)).toEqual([
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '23rd',
      '101st',
      '111th',
      '112th',
    ]);
  });

  it('puts answers in words', () => {
    expect(describeAnswer(question, { kind: 'choice', index: 1 })).toBe('Mercury');
    expect(describeAnswer(question, { kind: 'choices', indices: [2, 0] })).toBe('Venus, Mars');
    expect(describeAnswer(undefined, { kind: 'choice', index: 4 })).toBe('#5');
    expect(describeAnswer(undefined, { kind: 'number', value: 1969 })).toBe('1969');
    expect(correctAnswerText(question, reveal())).toBe('Mercury');
    expect(correctAnswerText(question, reveal({ correct_choices: [], correct_number: 88 }))).toBe('88');
  });
});

describe('ownClock', () => {
  it('gives a player with extended time their share past the base deadline', () => {
    const c = clock('question', 0, { remaining_ms: 5_000 });
    expect(ownClock(c, question, 100)).toBe(c);
    expect(ownClock(c, question, undefined)).toBe(c);
    expect(ownClock(c, question, 150).remaining_ms).toBe(5_000 + 10_000);
    expect(ownClock(c, question, 200).remaining_ms).toBe(5_000 + 20_000);
    // Outside a question, or untimed, nothing changes.
    expect(ownClock(clock('reveal', 0, { remaining_ms: 3_000 }), question, 200).remaining_ms).toBe(3_000);
    expect(ownClock(clock('question'), question, 200).remaining_ms).toBeUndefined();
  });
});

describe('applyPartyFrame', () => {
  it('ignores frames about other parties and other frame types', () => {
    const p = snapshot();
    expect(applyPartyFrame(p, { type: 'player_ready', code: 'ZZZZ', user_id: 2, ready: true })).toBeNull();
    expect(applyPartyFrame(p, { type: 'pong', server_time: 1 })).toBeNull();
  });

  it('opens a new question: answered flags and counts start over, eligible = connected players', () => {
    const p = snapshot({
      clock: clock('reveal', 0),
      players: [player(2, { answered: true }), player(3, { answered: true, state: 'reconnecting' })],
      answered: 2,
      eligible: 2,
      question,
      reveal: reveal(),
    });
    const next = applyPartyFrame(p, { type: 'phase_transition', code: CODE, clock: clock('question', 1), question, leaderboard: [] });
    expect(next?.clock.round).toBe(1);
    expect(next?.players.map((x) => x.answered)).toEqual([false, false]);
    expect(next?.answered).toBe(0);
    expect(next?.eligible).toBe(1);
    expect(next?.reveal).toBeUndefined();
    expect(next?.question).toBe(question);
  });

  it('keeps the open question and the answers given when the same question is paused or extended', () => {
    const p = snapshot({ clock: clock('question', 1), question, players: [player(2, { answered: true }), player(3)], answered: 1, eligible: 2 });
    const next = applyPartyFrame(p, { type: 'phase_transition', code: CODE, clock: clock('question', 1, { paused: true }), leaderboard: [] });
    expect(next?.question).toBe(question);
    expect(next?.answered).toBe(1);
    expect(next?.players[0].answered).toBe(true);
  });

  it('shows the reveal with scores from the leaderboard', () => {
    const p = snapshot({ clock: clock('question', 0), question });
    const leaderboard = [
      { rank: 1, user_id: 2, display_name: 'P2', score: 900 },
      { rank: 2, user_id: 3, display_name: 'P3', score: 0 },
    ];
    const next = applyPartyFrame(p, { type: 'phase_transition', code: CODE, clock: clock('reveal', 0), reveal: reveal(), leaderboard });
    expect(next?.question).toBe(question);
    expect(next?.reveal?.correct_choices).toEqual([1]);
    expect(next?.leaderboard).toBe(leaderboard);
    expect(next?.players.map((x) => x.score)).toEqual([900, 0]);
  });

  it('back in the lobby (play again): same players, fresh scores', () => {
    const p = snapshot({
      clock: clock('podium', 2),
      players: [player(2, { score: 900, streak: 2, answered: true })],
      leaderboard: [{ rank: 1, user_id: 2, display_name: 'P2', score: 900 }],
    });
    const next = applyPartyFrame(p, { type: 'phase_transition', code: CODE, clock: clock('lobby'), leaderboard: [] });
    expect(next?.leaderboard).toEqual([]);
    expect(next?.players).toEqual([player(2)]);
  });

  it('seats, replaces, readies and removes players', () => {
    let p = snapshot({ players: [player(2)] });
    p = applyPartyFrame(p, { type: 'player_joined', code: CODE, player: player(3), audience_count: 1 })!;
    p = applyPartyFrame(p, { type: 'player_joined', code: CODE, player: player(3, { display_name: 'Renamed' }), audience_count: 1 })!;
    expect(p.players.map((x) => x.display_name)).toEqual(['P2', 'Renamed']);
    expect(p.audience_count).toBe(1);
    p = applyPartyFrame(p, { type: 'player_ready', code: CODE, user_id: 3, ready: true })!;
    p = applyPartyFrame(p, { type: 'player_connection', code: CODE, user_id: 2, state: 'reconnecting' })!;
    expect(p.players.map((x) => [x.ready, x.state])).toEqual([
      [false, 'reconnecting'],
      [true, 'connected'],
    ]);
    p = applyPartyFrame(p, { type: 'player_left', code: CODE, user_id: 2, reason: 'kicked', audience_count: 0 })!;
    expect(p.players.map((x) => x.user_id)).toEqual([3]);
  });

  it('counts answers of the open round only, marking who answered', () => {
    const p = snapshot({ clock: clock('question', 1) });
    const stale = applyPartyFrame(p, { type: 'progress_update', code: CODE, round: 0, answered: 5, eligible: 5 });
    expect(stale).toBe(p);
    const next = applyPartyFrame(p, { type: 'progress_update', code: CODE, round: 1, answered: 1, eligible: 2, answered_by: 3 });
    expect([next?.answered, next?.eligible]).toEqual([1, 2]);
    expect(next?.players.map((x) => x.answered)).toEqual([false, true]);
  });

  it('marks everyone a coalesced progress update counts', () => {
    const p = snapshot({ clock: clock('question', 0), players: [player(2), player(3), player(4)] });
    const next = applyPartyFrame(p, { type: 'progress_update', code: CODE, round: 0, answered: 2, eligible: 3, answered_by: 3, answered_ids: [2, 3] })!;
    expect(next.players.map((x) => x.answered)).toEqual([true, true, false]);
    expect(next.answered).toBe(2);
  });

  it('gives the same state when a frame comes twice', () => {
    const frames: ServerFrame[] = [
      { type: 'player_joined', code: CODE, player: player(4), audience_count: 2 },
      { type: 'player_ready', code: CODE, user_id: 4, ready: true },
      { type: 'session_started', code: CODE, rounds: 5, server_time: 0 },
      { type: 'session_completed', code: CODE, results: [{ rank: 1, user_id: 4, display_name: 'P4', score: 50 }] },
    ];
    for (const frame of frames) {
      const once = applyPartyFrame(snapshot(), frame);
      expect(applyPartyFrame(once!, frame)).toEqual(once);
    }
    expect(applyPartyFrame(snapshot(), frames[2])?.clock.rounds).toBe(5);
    expect(applyPartyFrame(snapshot({ players: [player(4)] }), frames[3])?.players[0].score).toBe(50);
  });
});

// ---- the store, over a fake transport ----

class FakeTransport implements PartyTransport {
  online = true;
  sent: PartyCommand[] = [];
  private listeners = new Set<(frame: ServerFrame) => void>();
  /** How the next commands are answered (by type); default: ack. */
  answers = new Map<string, () => Promise<Ack>>();

  heartbeat: number | null = null;

  constructor(private readonly me: number) {}

  setHeartbeat(ms: number | null): void {
    this.heartbeat = ms;
  }

  meId(): number {
    return this.me;
  }

  isOnline(): boolean {
    return this.online;
  }

  command(frame: PartyCommand): Promise<Ack> {
    this.sent.push(frame);
    const answer = this.answers.get(frame.type);
    return answer ? answer() : Promise.resolve({ type: 'ack', ref: 'cmd:1', duplicate: false } as Ack);
  }

  onFrame(run: (frame: ServerFrame) => void): () => void {
    this.listeners.add(run);
    return () => this.listeners.delete(run);
  }

  push(frame: ServerFrame): void {
    for (const run of this.listeners) run(frame);
  }
}

const refuse = (code: ConstructorParameters<typeof CommandError>[0]) => () => Promise.reject(new CommandError(code, `refused: ${code}`));

async function settled(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

function store(me = 2, storage: Storage | null = new MemoryStorage()) {
  const transport = new FakeTransport(me);
  let now = 1_000;
  const s = new PartyStore({ code: CODE, transport, storage, now: () => now });
  const states: PartyState[] = [];
  s.subscribe((st) => states.push(st));
  return { s, transport, states, setNow: (t: number) => (now = t) };
}

describe('PartyStore', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('joins when started online, and takes the seat the snapshot gives', async () => {
    const { s, transport } = store();
    s.start();
    expect(transport.sent).toEqual([{ type: 'party_join', code: CODE }]);
    await settled();
    expect(s.current.status).toBe('joined');
    transport.push({ type: 'session_update', party: snapshot({ you: { role: 'player', is_host: false } }) });
    await settled();
    expect(s.current).toMatchObject({ role: 'player', isHost: false, clockAt: 1_000 });
    expect(s.current.me?.user_id).toBe(2);
    s.stop();
  });

  it('waits for the connection when offline, then joins (as a watcher when asked)', async () => {
    const transport = new FakeTransport(2);
    transport.online = false;
    const s = new PartyStore({ code: CODE, transport, storage: null, audience: true });
    s.start();
    expect(transport.sent).toEqual([]);
    transport.push({ type: 'connection_established' } as ServerFrame);
    expect(transport.sent).toEqual([{ type: 'party_join', code: CODE, audience: true }]);
    s.stop();
  });

  it('joins once with a remote token, and as anyone would when the link is spent', async () => {
    const transport = new FakeTransport(2);
    const s = new PartyStore({ code: CODE, transport, storage: null, remote: 'tok' });
    s.start();
    await settled();
    expect(transport.sent).toEqual([{ type: 'party_join', code: CODE, remote: 'tok' }]);
    expect(s.current.status).toBe('joined');
    // A reconnect joins again, without the token (it works once).
    transport.push({ type: 'connection_established' } as ServerFrame);
    expect(transport.sent[1]).toEqual({ type: 'party_join', code: CODE });
    s.stop();

    const spent = new FakeTransport(2);
    let calls = 0;
    spent.answers.set('party_join', () =>
      calls++ === 0 ? Promise.reject(new CommandError('invalid_party', 'this remote link has expired or was already used')) : Promise.resolve({ type: 'ack', ref: 'cmd:2' } as Ack),
    );
    const t = new PartyStore({ code: CODE, transport: spent, storage: null, remote: 'old' });
    t.start();
    await settled();
    await settled();
    expect(spent.sent).toEqual([
      { type: 'party_join', code: CODE, remote: 'old' },
      { type: 'party_join', code: CODE },
    ]);
    expect(t.current.status).toBe('joined');
    expect(t.current.remoteError).toMatch(/expired/);
    t.dismissRemoteError();
    await settled();
    expect(t.current.remoteError).toBeNull();
    t.stop();
  });

  it("checks the connection at the party's beat while in it, and no longer after", async () => {
    const { s, transport } = store();
    s.start();
    await settled();
    expect(transport.heartbeat).toBeNull();
    transport.push({ type: 'session_update', party: snapshot({ heartbeat_ms: 1500, you: { role: 'player', is_host: false } }) });
    await settled();
    expect(transport.heartbeat).toBe(1500);
    await s.leave();
    expect(transport.heartbeat).toBeNull();
    transport.push({ type: 'session_update', party: snapshot({ heartbeat_ms: 1500 }) });
    s.stop();
    expect(transport.heartbeat).toBeNull();
  });

  it('reports a refusal in words, and a kick as kicked', async () => {
    const a = store();
    a.transport.answers.set('party_join', refuse('party_full'));
    a.s.start();
    await settled();
    expect(a.s.current.status).toBe('refused');
    expect(a.s.current.error).toEqual({ code: 'party_full', message: 'This party is full.' });

    const b = store();
    b.transport.answers.set('party_join', refuse('kicked'));
    b.s.start();
    await settled();
    expect(b.s.current.status).toBe('kicked');

    const c = store();
    c.transport.answers.set('party_join', refuse('unavailable'));
    c.s.start();
    await settled();
    expect(c.s.current.status).toBe('joining');
  });

  it('takes the first answer of a round only and locks it in on the ack', async () => {
    const { s, transport } = store();
    s.start();
    transport.push({ type: 'session_update', party: snapshot({ clock: clock('question', 0), question, you: { role: 'player', is_host: false } }) });
    expect(s.submitAnswer({ kind: 'choice', index: 1 })).toBe(true);
    expect(s.submitAnswer({ kind: 'choice', index: 2 })).toBe(false);
    await settled();
    expect(s.current.answer).toMatchObject({ round: 0, answer: { kind: 'choice', index: 1 }, state: 'locked' });
    expect(transport.sent.filter((f) => f.type === 'party_answer')).toHaveLength(1);
  });

  it('refuses answers outside a question or from watchers', () => {
    const { s, transport } = store();
    s.start();
    transport.push({ type: 'session_update', party: snapshot({ you: { role: 'player', is_host: false } }) });
    expect(s.submitAnswer({ kind: 'choice', index: 0 })).toBe(false);
    transport.push({ type: 'session_update', party: snapshot({ clock: clock('question'), you: { role: 'audience', is_host: false } }) });
    expect(s.submitAnswer({ kind: 'choice', index: 0 })).toBe(false);
  });

  it('says "too late" when the question closed before the answer got there', async () => {
    const { s, transport } = store();
    transport.answers.set('party_answer', refuse('wrong_phase'));
    s.start();
    transport.push({ type: 'session_update', party: snapshot({ clock: clock('question', 0), question, you: { role: 'player', is_host: false } }) });
    s.submitAnswer({ kind: 'choice', index: 0 });
    await settled();
    expect(s.current.answer).toMatchObject({ state: 'refused', error: 'Too late: this question is closed.' });
  });

  it('records each revealed round once and keeps the results across a reload', async () => {
    const storage = new MemoryStorage();
    const { s, transport } = store(2, storage);
    s.start();
    transport.push({ type: 'session_update', party: snapshot({ clock: clock('question', 0), question, you: { role: 'player', is_host: false } }) });
    const toReveal: ServerFrame = { type: 'phase_transition', code: CODE, clock: clock('reveal', 0), reveal: reveal(), leaderboard: [] };
    transport.push(toReveal);
    transport.push(toReveal);
    await settled();
    expect(s.current.results).toEqual([{ round: 0, correct: true, points: 900, streakBonus: 0 }]);
    s.stop();

    const again = new PartyStore({ code: CODE, transport: new FakeTransport(2), storage });
    expect(again.current.results).toEqual([{ round: 0, correct: true, points: 900, streakBonus: 0 }]);
  });

  it('shows the host nudge until dismissed or 15 s old', async () => {
    vi.useFakeTimers();
    const { s, transport } = store();
    s.start();
    transport.push({ type: 'host_ping', code: CODE, from_user_id: 1, from_name: 'Host', phase: 'lobby' });
    await vi.advanceTimersByTimeAsync(0);
    expect(s.current.nudge).toEqual({ id: 1, from: 'Host' });
    await vi.advanceTimersByTimeAsync(15_000);
    expect(s.current.nudge).toBeNull();
    transport.push({ type: 'host_ping', code: CODE, from_user_id: 1, from_name: 'Host', phase: 'lobby' });
    s.dismissNudge();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.current.nudge).toBeNull();
  });

  it('learns it was kicked from player_left about itself', async () => {
    const { s, transport } = store();
    s.start();
    await settled(); // the join's ack comes before anything the hub does later
    transport.push({ type: 'session_update', party: snapshot({ you: { role: 'player', is_host: false } }) });
    transport.push({ type: 'player_left', code: CODE, user_id: 2, reason: 'kicked', audience_count: 0 });
    await settled();
    expect(s.current).toMatchObject({ status: 'kicked', role: null });
    expect(s.current.party?.players.map((p) => p.user_id)).toEqual([3]);
    // No rejoin after a kick, even when the connection comes back.
    const joins = transport.sent.length;
    transport.push({ type: 'connection_established' } as ServerFrame);
    expect(transport.sent).toHaveLength(joins);
  });

  it('shows ready at once and puts it back when the hub refuses', async () => {
    const { s, transport } = store();
    s.start();
    transport.push({ type: 'session_update', party: snapshot({ you: { role: 'player', is_host: false } }) });
    transport.answers.set('party_ready', refuse('wrong_phase'));
    await expect(s.setReady(true)).rejects.toThrow('That is not possible at this point of the game.');
    await settled();
    expect(s.current.me?.ready).toBe(false);
  });
});
