import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TYPING_REFRESH_MS, TYPING_SHOW_MS, TypingBoard, TypingSender, typingLine } from './typing';

describe('TypingBoard', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lists who is typing per channel, by name', () => {
    const board = new TypingBoard(() => {});
    expect(board.set('room:lobby', 2, 'Zoe', true)).toBe(true);
    expect(board.set('room:lobby', 1, 'Ann', true)).toBe(true);
    expect(board.set('dm:4', 3, 'Ben', true)).toBe(true);
    expect(board.view()).toEqual({
      'room:lobby': [
        { userId: 1, name: 'Ann' },
        { userId: 2, name: 'Zoe' },
      ],
      'dm:4': [{ userId: 3, name: 'Ben' }],
    });
  });

  it('reports a change only for a new typist or one who stopped', () => {
    const board = new TypingBoard(() => {});
    expect(board.set('room:lobby', 1, 'Ann', true)).toBe(true);
    expect(board.set('room:lobby', 1, 'Ann', true)).toBe(false);
    expect(board.set('room:lobby', 2, 'Ben', false)).toBe(false);
    expect(board.stopped('room:lobby', 1)).toBe(true);
    expect(board.stopped('room:lobby', 1)).toBe(false);
    expect(board.view()).toEqual({});
  });

  it('drops a typist nobody refreshed, and says so', () => {
    const onExpire = vi.fn();
    const board = new TypingBoard(onExpire);
    board.set('room:lobby', 1, 'Ann', true);
    vi.advanceTimersByTime(TYPING_SHOW_MS - 100);
    expect(onExpire).not.toHaveBeenCalled();
    expect(board.view()['room:lobby']).toHaveLength(1);
    vi.advanceTimersByTime(200);
    expect(onExpire).toHaveBeenCalledTimes(1);
    expect(board.view()).toEqual({});
  });

  it('keeps a typist whose frames keep coming', () => {
    const onExpire = vi.fn();
    const board = new TypingBoard(onExpire);
    board.set('room:lobby', 1, 'Ann', true);
    vi.advanceTimersByTime(10_000);
    board.set('room:lobby', 1, 'Ann', true);
    vi.advanceTimersByTime(5_000);
    expect(board.view()['room:lobby']).toEqual([{ userId: 1, name: 'Ann' }]);
    vi.advanceTimersByTime(TYPING_SHOW_MS);
    expect(board.view()).toEqual({});
    expect(onExpire).toHaveBeenCalledTimes(1);
  });

  it('forgets everyone on clear, and no timer fires afterwards', () => {
    const onExpire = vi.fn();
    const board = new TypingBoard(onExpire);
    board.set('room:lobby', 1, 'Ann', true);
    board.clear();
    expect(board.view()).toEqual({});
    vi.advanceTimersByTime(TYPING_SHOW_MS * 2);
    expect(onExpire).not.toHaveBeenCalled();
  });
});

describe('typingLine', () => {
  const t = (...names: string[]) => names.map((name, i) => ({ userId: i + 1, name }));

  it('names one or two people and counts more', () => {
    expect(typingLine([])).toBe('');
    expect(typingLine(t('Ann'))).toBe('Ann is typing…');
    expect(typingLine(t('Ann', 'Ben'))).toBe('Ann and Ben are typing…');
    expect(typingLine(t('Ann', 'Ben', 'Cy'))).toBe('Several people are typing…');
  });
});

describe('TypingSender', () => {
  function sender(accept = true) {
    const sent: [string, boolean][] = [];
    const s = new TypingSender((channel, typing) => {
      sent.push([channel, typing]);
      return accept;
    });
    return { s, sent };
  }

  it('says typing once, then again only after the refresh interval', () => {
    const { s, sent } = sender();
    s.update('room:lobby', true, 1_000);
    s.update('room:lobby', true, 1_000 + TYPING_REFRESH_MS - 1);
    expect(sent).toEqual([['room:lobby', true]]);
    s.update('room:lobby', true, 1_000 + TYPING_REFRESH_MS);
    expect(sent).toEqual([
      ['room:lobby', true],
      ['room:lobby', true],
    ]);
  });

  it('stops typing when the composer empties, once', () => {
    const { s, sent } = sender();
    s.update('room:lobby', true, 0);
    s.update('room:lobby', false, 10);
    s.update('room:lobby', false, 20);
    expect(sent).toEqual([
      ['room:lobby', true],
      ['room:lobby', false],
    ]);
  });

  it('stops in the old channel before typing in a new one', () => {
    const { s, sent } = sender();
    s.update('room:lobby', true, 0);
    s.update('dm:7', true, 10);
    expect(sent).toEqual([
      ['room:lobby', true],
      ['room:lobby', false],
      ['dm:7', true],
    ]);
  });

  it('stays quiet when a sent message already ended typing', () => {
    const { s, sent } = sender();
    s.update('room:lobby', true, 0);
    s.stop(true);
    s.stop();
    expect(sent).toEqual([['room:lobby', true]]);
    s.update('room:lobby', true, 10);
    expect(sent).toHaveLength(2);
  });

  it('tries again on the next keystroke when the frame could not be sent', () => {
    const { s, sent } = sender(false);
    s.update('room:lobby', true, 0);
    s.update('room:lobby', true, 10);
    expect(sent).toEqual([
      ['room:lobby', true],
      ['room:lobby', true],
    ]);
    // Nothing was recorded as sent, so there is nothing to stop.
    s.stop();
    expect(sent).toHaveLength(2);
  });

  it('starts over after a reset (the hub forgot our state)', () => {
    const { s, sent } = sender();
    s.update('room:lobby', true, 0);
    s.reset();
    s.update('room:lobby', true, 10);
    expect(sent).toEqual([
      ['room:lobby', true],
      ['room:lobby', true],
    ]);
  });
});
