import { describe, expect, it } from 'vitest';
import { COLLAPSE_CHARS, COLLAPSE_LINES, isLong } from './collapse';
import { searchEmoji } from './emoji';

describe('isLong', () => {
  it('collapses past the character limit, counting characters not UTF-16 units', () => {
    expect(isLong('a'.repeat(COLLAPSE_CHARS))).toBe(false);
    expect(isLong('a'.repeat(COLLAPSE_CHARS + 1))).toBe(true);
    expect(isLong('😀'.repeat(COLLAPSE_CHARS))).toBe(false);
  });

  it('collapses past the line limit', () => {
    expect(isLong(Array(COLLAPSE_LINES).fill('x').join('\n'))).toBe(false);
    expect(isLong(Array(COLLAPSE_LINES + 1).fill('x').join('\n'))).toBe(true);
  });
});

describe('searchEmoji', () => {
  it('finds emoji by the start of their words', () => {
    expect(searchEmoji('thumb').map((e) => e.char)).toEqual(['👍', '👎']);
    expect(searchEmoji('pizza').map((e) => e.char)).toEqual(['🍕']);
    expect(searchEmoji('heart eyes').map((e) => e.char)).toEqual(['😍']);
    expect(searchEmoji('nothing-like-this')).toEqual([]);
    expect(searchEmoji('').length).toBeGreaterThan(100);
  });
});
