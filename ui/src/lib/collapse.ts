// When a message is long enough to show collapsed, with "Show more".

/** More characters than this collapse. */
export const COLLAPSE_CHARS = 700;
/** More lines than this collapse. */
export const COLLAPSE_LINES = 12;

/** Whether a body is shown collapsed until the reader asks for all of it. */
export function isLong(body: string): boolean {
  if ([...body].length > COLLAPSE_CHARS) return true;
  let lines = 1;
  for (const ch of body) if (ch === '\n' && ++lines > COLLAPSE_LINES) return true;
  return false;
}
