import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiRequestError, getRemoteQr, partyResultsUrl } from './api';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('party host calls', () => {
  it('reads the remote link and its expiry from the QR code answer, one request for both', async () => {
    const calls: string[] = [];
    vi.stubGlobal('fetch', async (url: string) => {
      calls.push(url);
      return new Response('<svg/>', {
        status: 200,
        headers: { 'Content-Type': 'image/svg+xml', 'X-Remote-Url': 'http://hub/party/ABCD?remote=tok', 'X-Remote-Expires-At': '1700000000000' },
      });
    });
    vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:qr');
    const qr = await getRemoteQr('abcd');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(/^\/api\/parties\/abcd\/remote\.svg\?t=\d+$/);
    expect(qr).toEqual({ image: 'blob:qr', url: 'http://hub/party/ABCD?remote=tok', expiresAt: 1_700_000_000_000 });
  });

  it("turns the hub's refusal into an ApiRequestError with its code", async () => {
    vi.stubGlobal('fetch', async () =>
      new Response(JSON.stringify({ error: { code: 'not_host', message: 'only the host can do that' } }), { status: 403 }),
    );
    const err = await getRemoteQr('ABCD').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiRequestError);
    expect(err).toMatchObject({ status: 403, code: 'not_host', message: 'only the host can do that' });
  });

  it('names the results downloads', () => {
    expect(partyResultsUrl('ABCD', 'csv')).toBe('/api/parties/ABCD/results.csv');
    expect(partyResultsUrl('ABCD', 'json')).toBe('/api/parties/ABCD/results');
  });
});
