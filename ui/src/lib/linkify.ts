// Splits message text into plain text and http(s) links, so a view can render links as anchors without ever parsing user text as HTML.

/** A run of a message's text: plain, or a link to open. */
export type Segment = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

/** Candidates: something that starts like a web address, up to the next whitespace. */
const CANDIDATE = /\b(?:https?:\/\/|www\.)[^\s<>"]+/gi;
/** Punctuation that ends a sentence rather than a URL when it closes the candidate. */
const TRAILING = /[.,;:!?'"’”»]+$/;

/** The href for a candidate, or null: only http and https, with a host. */
export function safeHref(candidate: string): string | null {
  const withScheme = /^www\./i.test(candidate) ? `https://${candidate}` : candidate;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (!url.hostname) return null;
  return url.href;
}

/** Drops what follows a URL in prose: sentence punctuation, and a closing bracket with no opening one inside. */
function trimCandidate(raw: string): string {
  let s = raw;
  for (;;) {
    const before = s;
    s = s.replace(TRAILING, '');
    for (const [open, close] of [['(', ')'], ['[', ']'], ['{', '}']]) {
      if (s.endsWith(close) && s.split(open).length - 1 < s.split(close).length - 1) s = s.slice(0, -1);
    }
    if (s === before) return s;
  }
}

/** The segments of `text`, in order; joined, their texts give `text` back. */
export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  const push = (t: string) => {
    if (!t) return;
    const prev = out[out.length - 1];
    if (prev && prev.kind === 'text') prev.text += t;
    else out.push({ kind: 'text', text: t });
  };
  for (const match of text.matchAll(CANDIDATE)) {
    const start = match.index ?? 0;
    const candidate = trimCandidate(match[0]);
    const href = candidate ? safeHref(candidate) : null;
    if (!href) continue;
    push(text.slice(last, start));
    out.push({ kind: 'link', text: candidate, href });
    last = start + candidate.length;
  }
  push(text.slice(last));
  return out;
}
