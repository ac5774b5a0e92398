// Exponential backoff with full jitter for reconnect delays.

export interface BackoffOptions {
  /** Delay ceiling of the first retry, in ms. */
  baseMs: number;
  /** Largest delay ceiling, in ms. */
  capMs: number;
  /** Source of randomness in [0, 1); replaceable in tests. */
  random?: () => number;
}

/** Counts failed attempts and picks the next delay: uniform in [0, min(cap, base * 2^attempt)]. */
export class Backoff {
  private attempt = 0;
  private readonly opts: Required<BackoffOptions>;

  constructor(opts: BackoffOptions) {
    this.opts = { random: Math.random, ...opts };
  }

  /** How many delays have been handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt, in ms; each call raises the ceiling. */
  next(): number {
    const ceiling = Math.min(this.opts.capMs, this.opts.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(this.opts.random() * ceiling);
  }

  /** Start over after a connection proved healthy. */
  reset(): void {
    this.attempt = 0;
  }
}
