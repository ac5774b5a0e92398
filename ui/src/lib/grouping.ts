// Which messages start a group: consecutive messages from one sender within a few minutes show their name and time once.

/** The longest pause inside one group. */
export const GROUP_GAP_MS = 5 * 60 * 1000;

/** What grouping needs to know of a message. */
export interface Groupable {
  key: string;
  senderId: number;
  createdAt: number;
  status: 'sent' | 'pending' | 'failed';
  deletedAt?: number;
}

function sameDay(a: number, b: number): boolean {
  const x = new Date(a);
  const y = new Date(b);
  return x.getFullYear() === y.getFullYear() && x.getMonth() === y.getMonth() && x.getDate() === y.getDate();
}

/**
 * The keys of the messages that continue the group of the one before them: same sender, at most
 * `gap` later, the same day, neither refused, and no break (such as the "New" divider) in between.
 */
export function continuations(messages: readonly Groupable[], breaks: ReadonlySet<string> = new Set(), gap = GROUP_GAP_MS): Set<string> {
  const out = new Set<string>();
  for (let i = 1; i < messages.length; i++) {
    const prev = messages[i - 1];
    const m = messages[i];
    if (breaks.has(m.key)) continue;
    if (m.senderId !== prev.senderId) continue;
    if (m.status === 'failed' || prev.status === 'failed') continue;
    const pause = m.createdAt - prev.createdAt;
    if (pause < 0 || pause > gap || !sameDay(prev.createdAt, m.createdAt)) continue;
    out.add(m.key);
  }
  return out;
}
