// The @mention picker's logic: the name being typed at the caret, the people who match it, and the text once one is chosen.

/** A person the picker can offer. */
export interface Mentionable {
  userId: number;
  name: string;
}

/** An `@` being typed: where it starts and what follows it up to the caret. */
export interface MentionQuery {
  start: number;
  query: string;
}

/** How far after the `@` a name can still be being typed (names have up to three words). */
const MAX_QUERY = 40;

/**
 * The mention being typed at `caret`, or null: an `@` at the start or after whitespace or an
 * opening bracket, followed by at most three words with no line break.
 */
export function mentionQuery(text: string, caret: number): MentionQuery | null {
  const before = text.slice(0, caret);
  const at = before.lastIndexOf('@');
  if (at < 0 || caret - at - 1 > MAX_QUERY) return null;
  if (at > 0 && !/[\s([{]/.test(before[at - 1])) return null;
  const query = before.slice(at + 1);
  if (/[\n\r@]/.test(query) || /^\s/.test(query) || query.split(/\s+/).length > 3) return null;
  return { start: at, query };
}

/** Case and accent folding, so `@jose` finds "José". */
export function fold(s: string): string {
  return s.normalize('NFKD').replace(/\p{M}/gu, '').toLocaleLowerCase();
}

/**
 * The people whose name matches `query`: names that start with it first, then a word of the name
 * that does, then names that contain it; alphabetical within each; without `exclude`, at most `max`.
 */
export function matchPeople(people: readonly Mentionable[], query: string, exclude: number | null = null, max = 8): Mentionable[] {
  const q = fold(query.trim());
  const seen = new Set<number>();
  const ranked: { p: Mentionable; rank: number }[] = [];
  for (const p of people) {
    if (p.userId === exclude || seen.has(p.userId)) continue;
    seen.add(p.userId);
    const name = fold(p.name);
    let rank: number;
    if (name.startsWith(q)) rank = 0;
    else if (name.split(/\s+/).some((w) => w.startsWith(q))) rank = 1;
    else if (name.includes(q)) rank = 2;
    else continue;
    ranked.push({ p, rank });
  }
  ranked.sort((a, b) => a.rank - b.rank || a.p.name.localeCompare(b.p.name));
  return ranked.slice(0, max).map((r) => r.p);
}

/** `text` with the mention being typed replaced by `@name` and a space; and where the caret goes. */
export function insertMention(text: string, q: MentionQuery, caret: number, name: string): { text: string; caret: number } {
  const inserted = `@${name} `;
  const rest = text.slice(caret).replace(/^ /, '');
  return { text: text.slice(0, q.start) + inserted + rest, caret: q.start + inserted.length };
}
