// Automatic away: reports this tab idle while it is hidden or has had no input for a while, and active again on return.

/** No input for this long makes the tab idle. */
export const IDLE_AFTER_MS = 5 * 60_000;

const INPUT_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart', 'focus'] as const;

export interface ActivityMonitorOptions {
  /** Called only when the idle state changes. */
  onChange: (idle: boolean) => void;
  idleAfterMs?: number;
  now?: () => number;
}

/**
 * Watches `visibilitychange` and user input. Idle = the page is hidden, or nothing was typed, clicked,
 * scrolled or touched for `idleAfterMs`. Input only records a timestamp; a single timer checks it.
 */
export class ActivityMonitor {
  private readonly onChange: (idle: boolean) => void;
  private readonly idleAfterMs: number;
  private readonly now: () => number;
  private hidden = false;
  private inactive = false;
  private idleNow = false;
  private lastInput = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;

  constructor(opts: ActivityMonitorOptions) {
    this.onChange = opts.onChange;
    this.idleAfterMs = opts.idleAfterMs ?? IDLE_AFTER_MS;
    this.now = opts.now ?? Date.now;
  }

  get idle(): boolean {
    return this.idleNow;
  }

  start(): void {
    if (this.running || typeof document === 'undefined') return;
    this.running = true;
    this.hidden = document.visibilityState === 'hidden';
    this.inactive = false;
    this.lastInput = this.now();
    document.addEventListener('visibilitychange', this.onVisibility);
    for (const type of INPUT_EVENTS) window.addEventListener(type, this.onInput, { capture: true, passive: true });
    this.schedule();
    this.update();
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    document.removeEventListener('visibilitychange', this.onVisibility);
    for (const type of INPUT_EVENTS) window.removeEventListener(type, this.onInput, { capture: true });
  }

  private readonly onInput = (): void => {
    this.lastInput = this.now();
    if (this.inactive) {
      this.inactive = false;
      this.schedule();
      this.update();
    }
  };

  private readonly onVisibility = (): void => {
    this.hidden = document.visibilityState === 'hidden';
    if (!this.hidden) {
      // Coming back to the page counts as activity.
      this.lastInput = this.now();
      this.inactive = false;
      this.schedule();
    }
    this.update();
  };

  private schedule(): void {
    clearTimeout(this.timer);
    const wait = Math.max(0, this.lastInput + this.idleAfterMs - this.now());
    this.timer = setTimeout(this.check, wait);
  }

  private readonly check = (): void => {
    this.timer = undefined;
    if (!this.running) return;
    if (this.now() - this.lastInput >= this.idleAfterMs) {
      this.inactive = true;
      this.update();
    } else {
      this.schedule();
    }
  };

  private update(): void {
    const idle = this.hidden || this.inactive;
    if (idle === this.idleNow) return;
    this.idleNow = idle;
    this.onChange(idle);
  }
}
