// Host links (`/?host=TOKEN`, printed by `hubbub serve`): reading the token, taking it off the address bar, and what a refusal means.

import type { ErrorCode } from './protocol';

export interface HostLink {
  token: string;
}

/** The host token in a page's query string, or null. */
export function readHostToken(search: string): HostLink | null {
  const token = new URLSearchParams(search).get('host')?.trim();
  return token ? { token } : null;
}

/** The address without its `host` parameter (the rest of the query and the hash kept). */
export function withoutHostParam(href: string): string {
  const url = new URL(href);
  url.searchParams.delete('host');
  return `${url.pathname}${url.search}${url.hash}`;
}

/** Takes the spent token off the address bar, so a reload or a shared address does not carry it. */
export function forgetHostToken(): void {
  if (typeof location === 'undefined' || !new URLSearchParams(location.search).has('host')) return;
  history.replaceState(history.state, '', withoutHostParam(location.href));
}

/** What to say when the hub refuses a host link. */
export function hostLinkError(code: ErrorCode, message: string): string {
  if (code === 'forbidden') return 'This host link was already used, has expired or is wrong. Ask for a new one with `hubbub host-link`.';
  return `The host link did not work: ${message}`;
}
