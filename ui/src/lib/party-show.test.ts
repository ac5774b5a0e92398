import { describe, expect, it } from 'vitest';
import { inLastSeconds, lineTicks, numberLine, phaseAnnouncement, rankMoves, revealShowsLeaderboard, scoreGains, standingsBefore } from './party-show';
import type { Standing } from './protocol';

const s = (user_id: number, rank: number, score: number): Standing => ({ user_id, rank, score, display_name: `P${user_id}` });

describe('rankMoves', () => {
  it('counts places climbed and fallen, and leaves newcomers out', () => {
    const before = [s(1, 1, 900), s(2, 2, 500), s(3, 3, 0)];
    const after = [s(3, 1, 1500), s(1, 2, 900), s(2, 3, 500), s(4, 4, 0)];
    const moves = rankMoves(before, after);
    expect(moves.get(3)).toBe(2);
    expect(moves.get(1)).toBe(-1);
    expect(moves.get(2)).toBe(-1);
    expect(moves.has(4)).toBe(false);
  });

  it('has nothing to compare on the first leaderboard', () => {
    expect(rankMoves(null, [s(1, 1, 10)]).size).toBe(0);
    expect(rankMoves([], [s(1, 1, 10)]).size).toBe(0);
  });

  it('says how many points each gained', () => {
    const gains = scoreGains([s(1, 1, 900)], [s(1, 1, 1700), s(2, 2, 300)]);
    expect(gains.get(1)).toBe(800);
    expect(gains.get(2)).toBe(300);
  });
});

describe('numberLine', () => {
  it('centres the line on the right answer and highlights the closest', () => {
    const line = numberLine(1969, [
      { value: 1970, count: 2 },
      { value: 1965, count: 1 },
      { value: 1950, count: 1 },
    ]);
    expect(line.correctAt).toBeCloseTo(0.5);
    expect(line.min).toBeLessThan(1950);
    expect(line.max).toBeGreaterThan(1969 + 19);
    const closest = line.points.filter((p) => p.closest).map((p) => p.value);
    expect(closest).toEqual([1970]);
    // Sorted along the line, each placed by value.
    expect(line.points.map((p) => p.value)).toEqual([1950, 1965, 1970]);
    expect(line.points[0].at).toBeLessThan(line.points[1].at);
    expect(line.points[1].at).toBeLessThan(line.correctAt);
    expect(line.points[2].at).toBeGreaterThan(line.correctAt);
  });

  it('pins a wild guess to the end instead of squashing everyone into the middle', () => {
    const line = numberLine(100, [
      { value: 98, count: 1 },
      { value: 103, count: 1 },
      { value: 95, count: 1 },
      { value: 110, count: 1 },
      { value: 90, count: 1 },
      { value: 1_000_000, count: 1 },
    ]);
    const wild = line.points.find((p) => p.value === 1_000_000)!;
    expect(wild.beyond).toBe('right');
    expect(wild.at).toBe(1);
    const near = line.points.find((p) => p.value === 98)!;
    expect(Math.abs(near.at - line.correctAt)).toBeGreaterThan(0.02);
  });

  it('marks every tie for closest and an exact answer', () => {
    const line = numberLine(10, [
      { value: 10, count: 1 },
      { value: 12, count: 1 },
    ]);
    expect(line.points.find((p) => p.value === 10)).toMatchObject({ exact: true, closest: true });
    expect(line.points.find((p) => p.value === 12)).toMatchObject({ exact: false, closest: false });
    const tie = numberLine(10, [
      { value: 8, count: 1 },
      { value: 12, count: 1 },
    ]);
    expect(tie.points.every((p) => p.closest)).toBe(true);
  });

  it('keeps a large answer (a year) from widening the line by itself', () => {
    const line = numberLine(1969, [
      { value: 1970, count: 1 },
      { value: 1966, count: 1 },
    ]);
    expect(line.max - line.min).toBeLessThan(20);
    expect(numberLine(1969, [{ value: 1969, count: 1 }], 2).max - 1969).toBeGreaterThanOrEqual(4);
  });

  it('puts the labels of values close together on different rows', () => {
    const line = numberLine(100, [
      { value: 99, count: 1 },
      { value: 100, count: 1 },
      { value: 101, count: 1 },
      { value: 140, count: 1 },
      { value: 60, count: 1 },
    ]);
    const rows = new Map(line.points.map((p) => [p.value, p.row]));
    expect(new Set([rows.get(99), rows.get(100), rows.get(101)]).size).toBe(3);
    expect(rows.get(60)).toBe(0);
    expect(rows.get(140)).toBe(0);
  });

  it('still draws a line when nobody answered or everyone was exact', () => {
    const empty = numberLine(0, []);
    expect(empty.max).toBeGreaterThan(empty.min);
    expect(empty.points).toEqual([]);
    const exact = numberLine(42, [{ value: 42, count: 3 }]);
    expect(exact.max - exact.min).toBeGreaterThan(0);
    expect(exact.points[0].at).toBeCloseTo(0.5);
  });

  it('labels the line with round values inside it', () => {
    expect(lineTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    const ticks = lineTicks(1947.3, 1990.7);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(ticks.every((t) => t >= 1947.3 && t <= 1990.7 && t % 10 === 0)).toBe(true);
    expect(lineTicks(5, 5)).toEqual([]);
  });
});

describe('timing and words', () => {
  it('marks only the last five seconds', () => {
    expect(inLastSeconds(5000)).toBe(true);
    expect(inLastSeconds(1)).toBe(true);
    expect(inLastSeconds(5001)).toBe(false);
    expect(inLastSeconds(0)).toBe(false);
    expect(inLastSeconds(null)).toBe(false);
  });

  it('turns the reveal to the leaderboard half way, after the chart had its moment', () => {
    expect(revealShowsLeaderboard(3000, 8000)).toBe(false);
    expect(revealShowsLeaderboard(4000, 8000)).toBe(true);
    // A short reveal still shows the chart for most of it.
    expect(revealShowsLeaderboard(1500, 3000)).toBe(false);
    expect(revealShowsLeaderboard(2500, 3000)).toBe(true);
    expect(revealShowsLeaderboard(100, 0)).toBe(false);
  });

  it('puts phase changes into words', () => {
    expect(phaseAnnouncement('question', 1, 5, 'Capital of France?')).toBe('Question 2 of 5: Capital of France?');
    expect(phaseAnnouncement('podium', 4, 5)).toMatch(/final results/);
  });
});

describe('standingsBefore', () => {
  it('takes the revealed points off and ranks again, ties sharing a rank', () => {
    const now = [s(1, 1, 1500), s(2, 2, 1000), s(3, 3, 900)];
    const before = standingsBefore(now, [
      { user_id: 1, points: 1000 },
      { user_id: 2, points: 0 },
      { user_id: 3, points: 400 },
    ]);
    expect(before.map((x) => [x.user_id, x.rank, x.score])).toEqual([
      [2, 1, 1000],
      [1, 2, 500],
      [3, 2, 500],
    ]);
    const moves = rankMoves(before, now);
    expect(moves.get(1)).toBe(1);
    expect(moves.get(2)).toBe(-1);
    expect(moves.get(3)).toBe(-1);
  });
});
