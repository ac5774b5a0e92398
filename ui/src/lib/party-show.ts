// What the big screen shows besides the raw party state: who climbed between two leaderboards, where number answers sit on a number line, and when the reveal turns to the leaderboard; pure, no Svelte import.

import type { NumberCount, Standing } from './protocol';

/**
 * How many places each player moved since the previous standings: positive climbed, negative fell,
 * 0 stayed; a player missing from `previous` is new (not in the map).
 */
export function rankMoves(previous: readonly Standing[] | null, current: readonly Standing[]): Map<number, number> {
  const moves = new Map<number, number>();
  if (!previous || previous.length === 0) return moves;
  const before = new Map(previous.map((s) => [s.user_id, s.rank]));
  for (const s of current) {
    const was = before.get(s.user_id);
    if (was !== undefined) moves.set(s.user_id, was - s.rank);
  }
  return moves;
}

/** Points each player gained since the previous standings (everyone in `current`). */
export function scoreGains(previous: readonly Standing[] | null, current: readonly Standing[]): Map<number, number> {
  const before = new Map((previous ?? []).map((s) => [s.user_id, s.score]));
  return new Map(current.map((s) => [s.user_id, s.score - (before.get(s.user_id) ?? 0)]));
}

/** One value given to a number question, placed on the line. */
export interface LinePoint {
  value: number;
  count: number;
  /** 0 (left end) to 1 (right end). */
  at: number;
  /** How far from the right answer. */
  distance: number;
  /** Among the closest answers given. */
  closest: boolean;
  /** Exactly right. */
  exact: boolean;
  /** Further out than the line reaches: drawn at its end with an arrow. */
  beyond: 'left' | 'right' | null;
  /** Which row its label sits in (0 nearest the line), so labels of close values do not overlap. */
  row: number;
}

const LABEL_GAP = 0.07;
const LABEL_ROWS = 4;

export interface NumberLine {
  min: number;
  max: number;
  /** Where the right answer sits (0 to 1). */
  correctAt: number;
  points: LinePoint[];
  /** A few round values to label the line with. */
  ticks: { value: number; at: number }[];
}

/**
 * Lays the answers to a number question out on a line centred on the right answer. The line
 * reaches the furthest of the nearer answers (so one wild guess does not squash everyone else into
 * the middle); answers further out are pinned to its ends.
 */
export function numberLine(correct: number, answers: readonly NumberCount[], tolerance = 0, labelGap = LABEL_GAP): NumberLine {
  const given = answers.filter((a) => Number.isFinite(a.value) && a.count > 0);
  const distances = given.map((a) => Math.abs(a.value - correct)).sort((a, b) => a - b);
  // The reach covers at least 80% of the distinct values given, and every value within 3x the median distance.
  const median = distances.length > 0 ? distances[Math.floor((distances.length - 1) / 2)] : 0;
  const covered = distances.length > 0 ? distances[Math.max(0, Math.ceil(distances.length * 0.8) - 1)] : 0;
  const within = distances.filter((d) => d <= median * 3).pop() ?? 0;
  // With nobody answering, a line a little wider than the answer; else at least the tolerance.
  const floor = distances.length === 0 ? Math.max(1, Math.abs(correct) * 0.05) : Math.max(1, tolerance * 2);
  const reach = Math.max(covered, within, floor) * 1.15;
  const min = correct - reach;
  const max = correct + reach;
  const place = (v: number): number => (v - min) / (max - min);
  const best = distances.length > 0 ? distances[0] : Infinity;
  const points = given
    .map((a): LinePoint => {
      const distance = Math.abs(a.value - correct);
      const beyond = a.value < min ? 'left' : a.value > max ? 'right' : null;
      return {
        value: a.value,
        count: a.count,
        at: beyond === 'left' ? 0 : beyond === 'right' ? 1 : place(a.value),
        distance,
        closest: distance === best,
        exact: distance === 0,
        beyond,
        row: 0,
      };
    })
    .sort((a, b) => a.value - b.value);
  // Labels closer than `labelGap` of the line's width go up a row (at most LABEL_ROWS).
  const rowEnds: number[] = [];
  for (const p of points) {
    let row = rowEnds.findIndex((end) => p.at - end >= labelGap);
    if (row === -1) row = rowEnds.length < LABEL_ROWS ? rowEnds.length : rowEnds.indexOf(Math.min(...rowEnds));
    rowEnds[row] = p.at;
    p.row = row;
  }
  return { min, max, correctAt: place(correct), points, ticks: lineTicks(min, max).map((value) => ({ value, at: place(value) })) };
}

/** Round values between `min` and `max` (four to six), for the labels under a number line. */
export function lineTicks(min: number, max: number): number[] {
  const span = max - min;
  if (!(span > 0) || !Number.isFinite(span)) return [];
  const raw = span / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Whether the countdown is in its last seconds (the big screen makes them stand out, and ticks). */
export const LAST_SECONDS = 5;

export function inLastSeconds(leftMs: number | null): boolean {
  return leftMs !== null && leftMs > 0 && leftMs <= LAST_SECONDS * 1000;
}

/**
 * The reveal first shows the answer and how the room answered, then who climbed: the leaderboard
 * comes after `share` of the reveal (never sooner than `minChartMs`, if the reveal is that long).
 */
export function revealShowsLeaderboard(elapsedMs: number, revealMs: number, share = 0.5, minChartMs = 2500): boolean {
  if (revealMs <= 0) return false;
  const at = Math.min(revealMs * 0.8, Math.max(minChartMs, revealMs * share));
  return elapsedMs >= at;
}

/** A phase change in words, for screen readers (the live region of the party page). */
export function phaseAnnouncement(phase: string, round: number, rounds: number, prompt?: string): string {
  switch (phase) {
    case 'lobby':
      return 'In the lobby, waiting for the game to start.';
    case 'countdown':
      return `Get ready: question ${round + 1} of ${rounds} is coming.`;
    case 'question':
      return `Question ${round + 1} of ${rounds}${prompt ? `: ${prompt}` : ''}`;
    case 'reveal':
      return `Time's up: the answer to question ${round + 1}.`;
    case 'podium':
      return 'Game over: the final results.';
    default:
      return '';
  }
}

/**
 * The standings as they were before the revealed question: each score less the points it just
 * brought, ranked the same way (equal scores share a rank). Lets the big screen show who climbed,
 * also after a reload.
 */
export function standingsBefore(current: readonly Standing[], scores: readonly { user_id: number; points: number }[]): Standing[] {
  const gained = new Map(scores.map((s) => [s.user_id, s.points]));
  const before = current
    .map((s) => ({ ...s, score: s.score - (gained.get(s.user_id) ?? 0) }))
    .sort((a, b) => b.score - a.score || a.display_name.localeCompare(b.display_name));
  let rank = 0;
  return before.map((s, i) => {
    if (i === 0 || before[i - 1].score !== s.score) rank = i + 1;
    return { ...s, rank };
  });
}
