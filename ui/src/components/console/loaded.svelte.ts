// A list the console loads from the hub: its last value, whether a load is running, and the last failure's message.

import { describeError } from '../../lib/hub';

export class Loaded<T> {
  value = $state.raw<T>() as T;
  loading = $state(false);
  error = $state<string | null>(null);
  private readonly fetch: () => Promise<T>;

  constructor(fetch: () => Promise<T>, initial: T) {
    this.fetch = fetch;
    this.value = initial;
  }

  /** Loads again; a failure keeps the last value and says why. */
  async load(): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      this.value = await this.fetch();
    } catch (err) {
      this.error = describeError(err).message;
    } finally {
      this.loading = false;
    }
  }
}
