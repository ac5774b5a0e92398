// Client-side routes: the chat at `/`, a party's phone controller at `/party/CODE` and its big screen at `/party/CODE/host`, a place of the venue at `/place/ID` (its QR code's link), the staff console at `/console` and the protocol inspector at `/inspector`.

export type Route =
  | { kind: 'chat' }
  | { kind: 'party'; code: string; host: boolean }
  | { kind: 'place'; id: number }
  | { kind: 'console' }
  | { kind: 'inspector' };

/** Party codes are short runs of letters and digits; shown and sent in upper case. */
const CODE = /^[A-Z0-9]{3,12}$/;

/** A typed or pasted party code (spaces and dashes ignored), upper-cased; null when it cannot be one. */
export function normalizeCode(input: string): string | null {
  const code = input.replace(/[\s-]+/g, '').toUpperCase();
  return CODE.test(code) ? code : null;
}

/** The route a path shows; anything unknown is the chat. */
export function parseRoute(pathname: string): Route {
  const parts = pathname.split('/').filter((p) => p !== '');
  if (parts.length === 1 && (parts[0] === 'console' || parts[0] === 'inspector')) return { kind: parts[0] };
  if (parts[0] === 'party' && parts.length >= 2 && parts.length <= 3) {
    let code: string | null;
    try {
      code = normalizeCode(decodeURIComponent(parts[1]));
    } catch {
      code = null;
    }
    if (code && (parts.length === 2 || parts[2] === 'host')) return { kind: 'party', code, host: parts.length === 3 };
  }
  if (parts[0] === 'place' && parts.length === 2 && /^[1-9][0-9]{0,15}$/.test(parts[1])) {
    return { kind: 'place', id: Number(parts[1]) };
  }
  return { kind: 'chat' };
}

export function routePath(route: Route): string {
  if (route.kind === 'chat') return '/';
  if (route.kind === 'console' || route.kind === 'inspector') return `/${route.kind}`;
  if (route.kind === 'place') return `/place/${route.id}`;
  return `/party/${encodeURIComponent(route.code)}${route.host ? '/host' : ''}`;
}
