// Finding someone online by name over REST (`GET /api/users/online?q=`), for hubs whose online list shows only the first names: debounced, one request at a time, stale answers dropped.

import { MAX_ONLINE_QUERY, isAbort } from './api';
import { describeError } from './commands';
import type { OnlineUser, OnlineUsersResponse } from './protocol';

/** How long typing must pause before a search goes out. */
export const SEARCH_DEBOUNCE_MS = 250;
/** A search that takes longer than this fails with "cannot be reached". */
export const SEARCH_TIMEOUT_MS = 10_000;
/** Users per page of results. */
export const SEARCH_PAGE = 50;

export interface OnlineSearchState {
  /** The (trimmed) name the results are for; empty when there is nothing to search. */
  query: string;
  loading: boolean;
  error: string | null;
  /** The pages loaded so far, by name. */
  users: readonly OnlineUser[];
  /** How many online users match in all (known once an answer arrived). */
  matched: number;
  /** Where the next page starts, when there is one. */
  nextOffset: number | null;
}

export const EMPTY_SEARCH: OnlineSearchState = {
  query: '',
  loading: false,
  error: null,
  users: [],
  matched: 0,
  nextOffset: null,
};

export interface OnlineSearchOptions {
  fetch: (query: string, offset: number, signal: AbortSignal) => Promise<OnlineUsersResponse>;
  onChange: (state: OnlineSearchState) => void;
  debounceMs?: number;
}

/** Keeps the results of the name being typed; a newer name cancels the request of an older one. */
export class OnlineSearch {
  private readonly opts: OnlineSearchOptions;
  private state: OnlineSearchState = EMPTY_SEARCH;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private controller: AbortController | null = null;

  constructor(opts: OnlineSearchOptions) {
    this.opts = opts;
  }

  get current(): OnlineSearchState {
    return this.state;
  }

  /** The search box now says `text`: searches for it after a pause in typing (clears at once when empty). */
  set(text: string): void {
    const query = text.trim().slice(0, MAX_ONLINE_QUERY);
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!query) {
      this.cancel();
      this.emit(EMPTY_SEARCH);
      return;
    }
    if (query === this.state.query && (this.state.loading || this.state.error === null)) return;
    this.cancel();
    this.emit({ ...EMPTY_SEARCH, query, loading: true });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.load(query, 0);
    }, this.opts.debounceMs ?? SEARCH_DEBOUNCE_MS);
  }

  /** Searches for `text` now (Enter in the box), or again after a failure. */
  now(text: string): void {
    const query = text.trim().slice(0, MAX_ONLINE_QUERY);
    clearTimeout(this.timer);
    this.timer = undefined;
    this.cancel();
    if (!query) {
      this.emit(EMPTY_SEARCH);
      return;
    }
    this.emit({ ...EMPTY_SEARCH, query, loading: true });
    void this.load(query, 0);
  }

  /** Loads the next page of the current results. */
  more(): void {
    const { query, nextOffset, loading } = this.state;
    if (!query || nextOffset === null || loading) return;
    this.emit({ ...this.state, loading: true, error: null });
    void this.load(query, nextOffset);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.cancel();
  }

  private cancel(): void {
    this.controller?.abort();
    this.controller = null;
  }

  private async load(query: string, offset: number): Promise<void> {
    this.cancel();
    const controller = new AbortController();
    this.controller = controller;
    try {
      const res = await this.opts.fetch(query, offset, controller.signal);
      if (this.controller !== controller) return;
      const earlier = offset > 0 ? this.state.users : [];
      const seen = new Set(earlier.map((u) => u.user_id));
      this.emit({
        query,
        loading: false,
        error: null,
        users: [...earlier, ...res.users.filter((u) => !seen.has(u.user_id))],
        matched: typeof res.matched === 'number' ? res.matched : res.users.length,
        nextOffset: res.next_offset ?? null,
      });
    } catch (err) {
      if (this.controller !== controller || isAbort(err)) return;
      this.emit({ ...this.state, query, loading: false, error: describeError(err).message });
    } finally {
      if (this.controller === controller) this.controller = null;
    }
  }

  private emit(state: OnlineSearchState): void {
    this.state = state;
    this.opts.onChange(state);
  }
}
