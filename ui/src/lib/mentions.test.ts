import { describe, expect, it } from 'vitest';
import { insertMention, matchPeople, mentionQuery } from './mentions';

const people = [
  { userId: 1, name: 'Ann Lee' },
  { userId: 2, name: 'Bo' },
  { userId: 3, name: 'José Álvarez' },
  { userId: 4, name: 'Joanna' },
  { userId: 5, name: 'Leanne' },
];

describe('mentionQuery', () => {
  it('finds the @ being typed at the caret', () => {
    expect(mentionQuery('hi @an', 6)).toEqual({ start: 3, query: 'an' });
    expect(mentionQuery('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionQuery('hey @Ann Le', 11)).toEqual({ start: 4, query: 'Ann Le' });
    expect(mentionQuery('(@bo', 4)).toEqual({ start: 1, query: 'bo' });
  });

  it('ignores an @ inside a word, after a line break, far back or followed by a space', () => {
    expect(mentionQuery('mail a@b', 8)).toBeNull();
    expect(mentionQuery('@ann\nhi', 7)).toBeNull();
    expect(mentionQuery('@ x', 3)).toBeNull();
    expect(mentionQuery('@one two three four', 19)).toBeNull();
    expect(mentionQuery('no at sign', 5)).toBeNull();
  });
});

describe('matchPeople', () => {
  it('ranks name prefixes, then word prefixes, then the rest, ignoring case and accents', () => {
    expect(matchPeople(people, 'jo').map((p) => p.name)).toEqual(['Joanna', 'José Álvarez']);
    expect(matchPeople(people, 'le').map((p) => p.name)).toEqual(['Leanne', 'Ann Lee']);
    expect(matchPeople(people, 'ann').map((p) => p.name)).toEqual(['Ann Lee', 'Joanna', 'Leanne']);
    expect(matchPeople(people, 'alv').map((p) => p.userId)).toEqual([3]);
  });

  it('leaves out the writer and duplicates, and caps the list', () => {
    expect(matchPeople(people, '', 2).some((p) => p.userId === 2)).toBe(false);
    expect(matchPeople([...people, people[0]], '').length).toBe(5);
    expect(matchPeople(people, '', null, 2).length).toBe(2);
    expect(matchPeople(people, 'zz')).toEqual([]);
  });
});

describe('insertMention', () => {
  it('replaces what was typed with the whole name and one space', () => {
    const q = { start: 3, query: 'an' };
    expect(insertMention('hi @an', q, 6, 'Ann Lee')).toEqual({ text: 'hi @Ann Lee ', caret: 12 });
    expect(insertMention('hi @an there', q, 6, 'Ann Lee')).toEqual({ text: 'hi @Ann Lee there', caret: 12 });
  });
});
