// Client side of one party session: applies the hub's party frames to a PartySnapshot, keeps the local countdown, this player's answer and round results, and sends party commands; a Svelte-compatible store, no Svelte import.

import { CommandError, describeError, type Ack } from './commands';
import type { HubClient } from './hub';
import type {
  Answer,
  ClientFrame,
  ErrorCode,
  HostAction,
  PartyPlayer,
  PartyRole,
  PartySnapshot,
  PhaseClock,
  QuestionView,
  RevealView,
  ServerFrame,
  Standing,
} from './protocol';

export type PartyCommand = Extract<
  ClientFrame,
  { type: 'party_join' | 'party_leave' | 'party_ready' | 'party_start' | 'party_answer' | 'party_control' }
>;

/** What the store needs from the hub connection (HubClient in the app, a fake in tests). */
export interface PartyTransport {
  meId(): number;
  isOnline(): boolean;
  /** Sends a command with a fresh `ref`; resolves with its `ack`, rejects with a CommandError. */
  command(frame: PartyCommand): Promise<Ack>;
  /** Calls `run` with every frame from the hub; returns the unsubscriber. */
  onFrame(run: (frame: ServerFrame) => void): () => void;
  /** Checks the connection this often while in the party (null: as usual). */
  setHeartbeat?(ms: number | null): void;
}

/** The transport over a HubClient's socket. */
export function hubTransport(client: HubClient): PartyTransport {
  return {
    meId: () => client.current.me.id,
    isOnline: () => client.isOnline,
    command: (frame) => client.runCommand(frame),
    onFrame: (run) => client.onServerFrame(run),
    setHeartbeat: (ms) => client.setFastHeartbeat(ms),
  };
}

/**
 * Where this browser stands with the party: `joining` until the hub has answered `party_join`
 * (also after every reconnect), `refused` (see `error`), `kicked`, or `left` (this user left).
 */
export type JoinStatus = 'joining' | 'joined' | 'refused' | 'kicked' | 'left';

/** This player's answer to one question: being sent, taken by the hub, or refused. */
export interface MyAnswer {
  round: number;
  answer: Answer;
  state: 'sending' | 'locked' | 'refused';
  error: string | null;
}

/** What this player got for one question. */
export interface RoundResult {
  round: number;
  correct: boolean;
  points: number;
  streakBonus: number;
}

export interface PartyState {
  code: string;
  status: JoinStatus;
  error: { code: ErrorCode; message: string } | null;
  /** The party as last known (null until the first snapshot). */
  party: PartySnapshot | null;
  meId: number;
  /** How this user takes part (null until the hub has said). */
  role: PartyRole | null;
  /** Whether this user holds host rights. */
  isHost: boolean;
  /** This browser's time (ms) when `party.clock.remaining_ms` was measured. */
  clockAt: number;
  /** This player's answer to the open (or just closed) question. */
  answer: MyAnswer | null;
  /** This player's results in the current game, by round. */
  results: readonly RoundResult[];
  /** The host's latest nudge, until answered, readied, dismissed or 15 s old. */
  nudge: { id: number; from: string } | null;
  /** This user's seat, if seated. */
  me: PartyPlayer | null;
  /** This user's place in the standings, if listed. */
  standing: Standing | null;
  /** Why a remote link did not make this device the host (it joined as usual instead). */
  remoteError: string | null;
}

export interface PartyStoreOptions {
  code: string;
  transport: PartyTransport;
  /** Watch instead of taking a seat. */
  audience?: boolean;
  /** The token of a remote link: the first join makes this device the host's remote. */
  remote?: string;
  now?: () => number;
  /** Keeps round results across reloads; defaults to localStorage. */
  storage?: Storage | null;
}

const NUDGE_MS = 15_000;

// ---- pure helpers ----

/** Milliseconds left in the phase now, counted from when the clock arrived; null for untimed phases. */
export function timeLeft(clock: PhaseClock, clockAt: number, now: number): number | null {
  if (clock.remaining_ms === undefined || clock.remaining_ms === null) return null;
  if (clock.paused) return clock.remaining_ms;
  return Math.max(0, clock.remaining_ms - Math.max(0, now - clockAt));
}

/**
 * The clock as one player lives it: with extended time (`time_factor_pct` over 100) a question
 * stays open longer for them, `time_limit_ms × (pct − 100) / 100` past the base deadline.
 */
export function ownClock(clock: PhaseClock, question: QuestionView | undefined, pct: number | undefined): PhaseClock {
  if (clock.phase !== 'question' || !question || !pct || pct <= 100) return clock;
  if (clock.remaining_ms === undefined || clock.remaining_ms === null) return clock;
  return { ...clock, remaining_ms: clock.remaining_ms + Math.round((question.time_limit_ms * (pct - 100)) / 100) };
}

/** Players ready to play (and not gone). */
export function readyCount(players: readonly PartyPlayer[]): number {
  return players.filter((p) => p.ready && p.state !== 'away').length;
}

/** Why the host cannot start yet, or null when they can. */
export function startBlocker(party: PartySnapshot): string | null {
  if (party.clock.phase !== 'lobby') return 'The game is already running.';
  const ready = readyCount(party.players);
  const need = Math.max(1, party.min_players);
  if (party.players.length === 0) return `Waiting for players to join (${need} needed).`;
  if (ready < need) return `${ready} of ${need} needed player${need === 1 ? ' is' : 's are'} ready.`;
  return null;
}

/** Words for the party errors people can run into. */
export function partyErrorMessage(code: ErrorCode, fallback: string): string {
  switch (code) {
    case 'no_such_party':
      return 'There is no party with this code. Check the code and try again.';
    case 'kicked':
      return 'You were removed from this party.';
    case 'party_full':
      return 'This party is full.';
    case 'not_host':
      return 'Only the host can do that.';
    case 'not_in_party':
      return 'You are not in this party (any more). Join it again to take part.';
    case 'not_a_player':
      return 'Only seated players can do that; you are watching.';
    case 'wrong_phase':
      return 'That is not possible at this point of the game.';
    case 'not_enough_ready':
      return 'Not enough players are ready yet.';
    case 'invalid_answer':
      return `That answer does not fit this question.${fallback ? ` (${fallback})` : ''}`;
    default:
      return fallback || 'Something went wrong.';
  }
}

/** 1st, 2nd, 3rd, 4th… */
export function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

/** An answer in words, e.g. "Mercury", "2, 13" or "1969". */
export function describeAnswer(question: QuestionView | undefined, answer: Answer): string {
  const choice = (i: number): string => question?.choices[i] ?? `#${i + 1}`;
  switch (answer.kind) {
    case 'choice':
      return choice(answer.index);
    case 'choices':
      return [...answer.indices].sort((a, b) => a - b).map(choice).join(', ');
    case 'number':
      return String(answer.value);
  }
}

/** The right answer of a revealed question in words. */
export function correctAnswerText(question: QuestionView | undefined, reveal: RevealView): string {
  if (reveal.correct_number !== undefined && reveal.correct_number !== null) return String(reveal.correct_number);
  return reveal.correct_choices.map((i) => question?.choices[i] ?? `#${i + 1}`).join(', ');
}

/** The players with everyone in `ids` (and `one`) marked as having answered. */
function markAnswered(players: PartyPlayer[], ids: readonly number[] | undefined, one: number | undefined): PartyPlayer[] {
  const who = new Set(ids ?? []);
  if (one !== undefined && one !== null) who.add(one);
  if (who.size === 0) return players;
  return players.map((pl) => (who.has(pl.user_id) && !pl.answered ? { ...pl, answered: true } : pl));
}

function withScores(players: PartyPlayer[], standings: readonly Standing[]): PartyPlayer[] {
  if (standings.length === 0) return players;
  return players.map((p) => {
    const s = standings.find((x) => x.user_id === p.user_id);
    return s && s.score !== p.score ? { ...p, score: s.score } : p;
  });
}

/**
 * Applies one party frame to a snapshot; returns the new snapshot, or null when the frame is not
 * about this party. Every change is idempotent (a repeated frame leaves the same state).
 */
export function applyPartyFrame(p: PartySnapshot, frame: ServerFrame): PartySnapshot | null {
  switch (frame.type) {
    case 'session_update':
      if (frame.party.code !== p.code) return null;
      return { ...frame.party, you: undefined };
    case 'phase_transition': {
      if (frame.code !== p.code) return null;
      const phase = frame.clock.phase;
      const next: PartySnapshot = { ...p, clock: frame.clock };
      if (phase === 'question') {
        next.question = frame.question ?? (p.clock.phase === 'question' ? p.question : undefined);
        next.reveal = undefined;
        if (p.clock.phase !== 'question' || p.clock.round !== frame.clock.round) {
          next.players = p.players.map((x) => (x.answered ? { ...x, answered: false } : x));
          next.answered = 0;
          next.eligible = p.players.filter((x) => x.state === 'connected').length;
        }
      } else if (phase === 'reveal') {
        if (frame.question) next.question = frame.question;
        next.reveal = frame.reveal ?? p.reveal;
      } else {
        next.question = undefined;
        next.reveal = undefined;
      }
      if (frame.leaderboard.length > 0) {
        next.leaderboard = frame.leaderboard;
        next.players = withScores(next.players, frame.leaderboard);
      } else if (phase === 'lobby') {
        // Play again: same players, fresh scores.
        next.leaderboard = [];
        next.players = next.players.map((x) => ({ ...x, score: 0, streak: 0, answered: false }));
      }
      return next;
    }
    case 'player_joined': {
      if (frame.code !== p.code) return null;
      const player = frame.player;
      const players = player
        ? p.players.some((x) => x.user_id === player.user_id)
          ? p.players.map((x) => (x.user_id === player.user_id ? player : x))
          : [...p.players, player]
        : p.players;
      return { ...p, players, audience_count: frame.audience_count };
    }
    case 'player_left':
      if (frame.code !== p.code) return null;
      return {
        ...p,
        players: p.players.filter((x) => x.user_id !== frame.user_id),
        audience_count: frame.audience_count,
      };
    case 'player_ready':
      if (frame.code !== p.code) return null;
      return { ...p, players: p.players.map((x) => (x.user_id === frame.user_id ? { ...x, ready: frame.ready } : x)) };
    case 'player_connection':
      if (frame.code !== p.code) return null;
      return { ...p, players: p.players.map((x) => (x.user_id === frame.user_id ? { ...x, state: frame.state } : x)) };
    case 'progress_update':
      if (frame.code !== p.code) return null;
      if (frame.round !== p.clock.round) return p;
      return {
        ...p,
        answered: frame.answered,
        eligible: frame.eligible,
        // The host's roster marks who has answered as answers come in (several at once in a rush).
        players: markAnswered(p.players, frame.answered_ids, frame.answered_by),
      };
    case 'session_started':
      if (frame.code !== p.code) return null;
      return { ...p, clock: { ...p.clock, rounds: frame.rounds } };
    case 'session_completed':
      if (frame.code !== p.code) return null;
      return { ...p, leaderboard: frame.results, players: withScores(p.players, frame.results) };
    default:
      return null;
  }
}

// ---- the store ----

/**
 * One party as seen from this browser. `start()` joins it (and again after every reconnect: the hub
 * puts a seated player back in their seat); `subscribe` follows the Svelte store contract.
 */
export class PartyStore {
  readonly code: string;
  private readonly transport: PartyTransport;
  private readonly now: () => number;
  private readonly storage: Storage | null;
  private readonly storageKey: string;
  private audience: boolean;
  private remote: string | null;
  private remoteError: string | null = null;
  private status: JoinStatus = 'joining';
  private error: PartyState['error'] = null;
  private party: PartySnapshot | null = null;
  private role: PartyRole | null = null;
  private isHost = false;
  private clockAt = 0;
  private answer: MyAnswer | null = null;
  private results: RoundResult[] = [];
  private nudge: PartyState['nudge'] = null;
  private nudgeTimer: ReturnType<typeof setTimeout> | undefined;
  private unlisten: (() => void) | null = null;
  private readonly listeners = new Set<(state: PartyState) => void>();
  private state: PartyState;
  private emitQueued = false;
  private stopped = false;

  constructor(opts: PartyStoreOptions) {
    this.code = opts.code;
    this.transport = opts.transport;
    this.audience = opts.audience ?? false;
    this.remote = opts.remote ?? null;
    this.now = opts.now ?? (() => Date.now());
    this.storage = opts.storage !== undefined ? opts.storage : typeof localStorage !== 'undefined' ? localStorage : null;
    this.storageKey = `hubbub.party.v1.${this.transport.meId()}.${this.code}`;
    this.results = this.loadResults();
    this.state = this.build();
  }

  subscribe(run: (state: PartyState) => void): () => void {
    this.listeners.add(run);
    run(this.state);
    return () => {
      this.listeners.delete(run);
    };
  }

  get current(): PartyState {
    return this.state;
  }

  /** Listens to the hub and joins now if connected (else on `connection_established`). */
  start(): void {
    if (this.unlisten) return;
    this.stopped = false;
    this.unlisten = this.transport.onFrame((frame) => this.onFrame(frame));
    if (this.transport.isOnline()) void this.join();
  }

  /** Stops listening (the seat stays; `leave()` gives it up). */
  stop(): void {
    this.stopped = true;
    this.transport.setHeartbeat?.(null);
    this.unlisten?.();
    this.unlisten = null;
    clearTimeout(this.nudgeTimer);
  }

  // ---- commands ----

  /** Takes a seat (or watches, with `audience`); also used to come back after a refusal. */
  async join(audience = this.audience): Promise<void> {
    this.audience = audience;
    if (this.status !== 'joined') this.status = 'joining';
    this.error = null;
    this.changed();
    const remote = this.remote;
    try {
      await this.transport.command({
        type: 'party_join',
        code: this.code,
        ...(audience ? { audience: true } : {}),
        ...(remote ? { remote } : {}),
      });
      if (this.stopped) return;
      this.remote = null;
      this.status = 'joined';
    } catch (err) {
      if (this.stopped) return;
      const { code, message } = describeError(err);
      // Not connected: the next connection_established joins again.
      if (code === 'unavailable') return;
      if (remote && code !== 'kicked') {
        // A used or expired remote link: join as anyone would, and say why this is not the remote.
        this.remote = null;
        this.remoteError = message || 'This remote link has expired or was already used.';
        return this.join(audience);
      }
      this.status = code === 'kicked' ? 'kicked' : 'refused';
      this.error = { code, message: partyErrorMessage(code, message) };
    }
    this.changed();
  }

  /** Gives up the seat (or stops watching). */
  async leave(): Promise<void> {
    await this.run({ type: 'party_leave', code: this.code });
    this.status = 'left';
    this.transport.setHeartbeat?.(null);
    this.changed();
  }

  /** Ready or not, in the lobby; shown at once, put back if the hub refuses. */
  async setReady(ready: boolean): Promise<void> {
    const me = this.transport.meId();
    const before = this.party;
    this.patchPlayer(me, { ready });
    this.clearNudge();
    try {
      await this.run({ type: 'party_ready', code: this.code, ready });
    } catch (err) {
      if (before && this.party) this.patchPlayer(me, { ready: before.players.find((p) => p.user_id === me)?.ready ?? false });
      throw err;
    }
  }

  /** Host: starts the game. */
  async startGame(): Promise<void> {
    await this.run({ type: 'party_start', code: this.code });
  }

  /** Host: kick, lock, skip, extend, pause, resume, transfer host, ping, play again. */
  async control(action: HostAction): Promise<void> {
    await this.run({ type: 'party_control', code: this.code, ...action });
  }

  /**
   * Answers the open question. The first answer of a round sticks: a double tap or a later call
   * changes nothing (returns false). Sent again after a reconnect if the hub did not get it.
   */
  submitAnswer(answer: Answer): boolean {
    const p = this.party;
    if (!p || p.clock.phase !== 'question' || this.role !== 'player') return false;
    const round = p.clock.round;
    if (this.answer && this.answer.round === round && this.answer.state !== 'refused') return false;
    this.answer = { round, answer, state: 'sending', error: null };
    this.clearNudge();
    this.changed();
    void this.sendAnswer(this.answer);
    return true;
  }

  dismissRemoteError(): void {
    this.remoteError = null;
    this.changed();
  }

  dismissNudge(): void {
    this.clearNudge();
  }

  private async sendAnswer(mine: MyAnswer): Promise<void> {
    try {
      await this.transport.command({ type: 'party_answer', code: this.code, round: mine.round, answer: mine.answer });
      if (this.answer === mine) this.answer = { ...mine, state: 'locked' };
    } catch (err) {
      const { code, message } = describeError(err);
      // Not sent or no answer: kept and sent again once back (the hub takes it at most once).
      if (code === 'unavailable' || this.answer !== mine) return;
      this.answer = {
        ...mine,
        state: 'refused',
        error: code === 'wrong_phase' ? 'Too late: this question is closed.' : partyErrorMessage(code, message),
      };
    }
    this.changed();
  }

  private async run(frame: PartyCommand): Promise<void> {
    try {
      await this.transport.command(frame);
    } catch (err) {
      const { code, message } = describeError(err);
      if (code === 'kicked') {
        this.status = 'kicked';
        this.changed();
      }
      throw new CommandError(code, partyErrorMessage(code, message));
    }
  }

  // ---- frames ----

  private onFrame(frame: ServerFrame): void {
    if (frame.type === 'connection_established') {
      if (this.status !== 'kicked' && this.status !== 'left') void this.join();
      return;
    }
    if (frame.type === 'host_ping') {
      if (frame.code === this.code) this.gotNudge(frame.from_name);
      return;
    }
    if (frame.type === 'session_update') {
      if (frame.party.code !== this.code) return;
      this.gotSnapshot(frame.party);
      return;
    }
    if (frame.type === 'player_left' && frame.code === this.code && frame.user_id === this.transport.meId()) {
      if (frame.reason === 'kicked') {
        this.status = 'kicked';
        this.error = { code: 'kicked', message: partyErrorMessage('kicked', '') };
      } else if (frame.reason === 'left') {
        this.status = 'left';
      }
      this.role = null;
    }
    const p = this.party;
    if (!p) return;
    const next = applyPartyFrame(p, frame);
    if (!next) return;
    if (frame.type === 'phase_transition') {
      this.clockAt = this.now();
      this.enteredPhase(p, next);
    }
    if (frame.type === 'session_started') this.setResults([]);
    if (frame.type === 'player_joined' && frame.player?.user_id === this.transport.meId()) this.role = 'player';
    this.party = next;
    this.changed();
  }

  private gotSnapshot(snapshot: PartySnapshot): void {
    const before = this.party;
    const you = snapshot.you;
    const party: PartySnapshot = { ...snapshot, you: undefined };
    this.party = party;
    // The hub notices a silent phone within a few of its party beats; the phone checks as often.
    if (snapshot.heartbeat_ms > 0) this.transport.setHeartbeat?.(snapshot.heartbeat_ms);
    this.clockAt = this.now();
    const me = this.transport.meId();
    if (you) {
      this.status = 'joined';
      this.error = null;
      this.role = you.role;
      this.isHost = you.is_host;
      this.syncAnswer(party, you.answer);
    } else {
      if (!before || before.host_id !== party.host_id) this.isHost = party.host_id === me;
      if (this.role === 'player' && !party.players.some((x) => x.user_id === me)) this.role = null;
      if (party.players.some((x) => x.user_id === me)) this.role = 'player';
    }
    if (before) this.enteredPhase(before, party);
    else if (party.clock.phase === 'lobby') this.setResults([]); // what was kept is from an earlier game
    else this.recordReveal(party);
    this.changed();
  }

  /** After a (re)join: the hub's word on this player's answer wins; an unsent one goes out again. */
  private syncAnswer(party: PartySnapshot, given: Answer | undefined): void {
    const round = party.clock.round;
    const open = party.clock.phase === 'question' || party.clock.phase === 'reveal';
    if (!open) {
      this.answer = null;
    } else if (given) {
      this.answer = { round, answer: given, state: 'locked', error: null };
    } else if (this.answer && this.answer.round === round && party.clock.phase === 'question' && this.answer.state === 'sending') {
      void this.sendAnswer(this.answer);
    } else if (this.answer && this.answer.round !== round) {
      this.answer = null;
    }
  }

  private enteredPhase(before: PartySnapshot, after: PartySnapshot): void {
    const phase = after.clock.phase;
    if (phase === 'question' && this.answer && this.answer.round !== after.clock.round) this.answer = null;
    if (phase === 'lobby' || phase === 'countdown') this.answer = null;
    if (phase === 'lobby' && before.clock.phase !== 'lobby') this.setResults([]);
    if (phase === 'countdown' && after.clock.round === 0 && before.clock.phase === 'lobby') this.setResults([]);
    if (before.host_id !== after.host_id) this.isHost = after.host_id === this.transport.meId();
    this.recordReveal(after);
  }

  private recordReveal(party: PartySnapshot): void {
    if (party.clock.phase !== 'reveal' || !party.reveal) return;
    const round = party.clock.round;
    if (this.results.some((r) => r.round === round)) return;
    const mine = party.reveal.scores.find((s) => s.user_id === this.transport.meId());
    if (!mine) return;
    this.setResults(
      [...this.results, { round, correct: mine.correct, points: mine.points, streakBonus: mine.streak_bonus }].sort(
        (a, b) => a.round - b.round,
      ),
    );
  }

  private patchPlayer(userId: number, patch: Partial<PartyPlayer>): void {
    const p = this.party;
    if (!p) return;
    this.party = { ...p, players: p.players.map((x) => (x.user_id === userId ? { ...x, ...patch } : x)) };
    this.changed();
  }

  private gotNudge(from: string): void {
    clearTimeout(this.nudgeTimer);
    this.nudge = { id: (this.nudge?.id ?? 0) + 1, from };
    this.nudgeTimer = setTimeout(() => this.clearNudge(), NUDGE_MS);
    this.changed();
  }

  private clearNudge(): void {
    clearTimeout(this.nudgeTimer);
    if (!this.nudge) return;
    this.nudge = null;
    this.changed();
  }

  // ---- round results (kept across reloads) ----

  private loadResults(): RoundResult[] {
    try {
      const raw = this.storage?.getItem(this.storageKey);
      const parsed: unknown = raw ? JSON.parse(raw) : [];
      return Array.isArray(parsed)
        ? parsed.filter(
            (r): r is RoundResult =>
              typeof r === 'object' && r !== null && typeof r.round === 'number' && typeof r.points === 'number',
          )
        : [];
    } catch {
      return [];
    }
  }

  private setResults(results: RoundResult[]): void {
    this.results = results;
    try {
      if (results.length === 0) this.storage?.removeItem(this.storageKey);
      else this.storage?.setItem(this.storageKey, JSON.stringify(results));
    } catch {
      // Not keeping them across a reload is fine.
    }
  }

  // ---- state ----

  private changed(): void {
    if (this.emitQueued) return;
    this.emitQueued = true;
    queueMicrotask(() => {
      this.emitQueued = false;
      this.state = this.build();
      for (const run of this.listeners) run(this.state);
    });
  }

  private build(): PartyState {
    const meId = this.transport.meId();
    const p = this.party;
    return {
      code: this.code,
      status: this.status,
      error: this.error,
      party: p,
      meId,
      role: this.role,
      isHost: this.isHost,
      clockAt: this.clockAt,
      answer: this.answer,
      results: this.results,
      nudge: this.nudge,
      me: p?.players.find((x) => x.user_id === meId) ?? null,
      standing: p?.leaderboard.find((s) => s.user_id === meId) ?? null,
      remoteError: this.remoteError,
    };
  }
}
