import { afterEach, describe, expect, it, vi } from 'vitest';
import * as admin from './admin-api';
import { ApiRequestError } from './api';

type Call = { method: string; url: string; body: unknown; contentType: string | undefined };

function mockFetch(status = 200, payload: unknown = {}): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    const headers = init.headers as Record<string, string>;
    calls.push({ method: init.method ?? 'GET', url, body: init.body ? JSON.parse(String(init.body)) : undefined, contentType: headers['Content-Type'] });
    const text = status === 204 ? '' : JSON.stringify(payload);
    return new Response(text || null, { status, statusText: 'x' });
  });
  return calls;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('admin api', () => {
  it('builds the user query from what is set', () => {
    expect(admin.usersQuery({})).toBe('');
    expect(admin.usersQuery({ q: ' bo ', online: true, offset: 20, limit: 10 })).toBe('?q=bo&online=true&offset=20&limit=10');
    expect(admin.usersQuery({ q: '  ', online: false, offset: 0 })).toBe('');
  });

  it('sends state changes as JSON to the documented paths', async () => {
    const calls = mockFetch(204);
    await admin.kick(7, { reason: 'spam' });
    await admin.mute(7, { minutes: 15, channel: 'room:a' });
    await admin.liftBan(3);
    await admin.setPin({ pin: '1234', end_guest_sessions: true });
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'POST /api/admin/users/7/kick',
      'POST /api/admin/users/7/mute',
      'DELETE /api/admin/bans/3',
      'PUT /api/admin/pin',
    ]);
    expect(calls[1]).toMatchObject({ body: { minutes: 15, channel: 'room:a' }, contentType: 'application/json' });
    expect(calls[2].contentType).toBeUndefined();
  });

  it('pages the audit log with `before`', async () => {
    const calls = mockFetch(200, { entries: [] });
    await admin.getAudit();
    await admin.getAudit(40, 25);
    expect(calls.map((c) => c.url)).toEqual(['/api/admin/audit?limit=50', '/api/admin/audit?limit=25&before=40']);
  });

  it('turns the hub’s JSON error into an ApiRequestError with retry_after_ms', async () => {
    mockFetch(403, { code: 'forbidden', message: 'Hosts only.', retry_after_ms: 5 });
    const err = await admin.setRole(2, 'moderator').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiRequestError);
    expect(err).toMatchObject({ status: 403, code: 'forbidden', message: 'Hosts only.', retryAfterMs: 5 });
  });
});
