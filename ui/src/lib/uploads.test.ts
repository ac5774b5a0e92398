import { describe, expect, it, vi } from 'vitest';
import type { Attachment } from './protocol';
import { MAX_ATTACHMENTS, RETRY_DELAYS_MS, UploadError, UploadTray, fileUrl, formatSize, thumbnailUrl, typeLabel, uploadFile, type UploadRequest } from './uploads';

/** A stand-in for XMLHttpRequest that the test drives. */
class FakeRequest implements UploadRequest {
  upload: UploadRequest['upload'] = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  status = 0;
  responseText = '';
  opened: [string, string] | null = null;
  headers: Record<string, string> = {};
  sent: Blob | null = null;
  aborted = false;
  open(method: string, url: string): void {
    this.opened = [method, url];
  }
  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value;
  }
  send(body: Blob): void {
    this.sent = body;
  }
  abort(): void {
    this.aborted = true;
    this.onabort?.();
  }
  answer(status: number, body: unknown): void {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

const attachment = (id: number, name = 'a.png'): Attachment => ({
  id,
  channel: 'room:lobby',
  name,
  size: 3,
  content_type: 'image/png',
  inline: true,
  thumbnail: true,
});

function file(name: string, type = 'image/png'): File {
  return new File([new Uint8Array([1, 2, 3])], name, { type });
}

describe('addresses and words', () => {
  it('builds the file and thumbnail URLs with the channel encoded', () => {
    expect(fileUrl({ channel: 'room:lobby', id: 4 })).toBe('/api/channels/room%3Alobby/files/4');
    expect(fileUrl({ channel: 'dm:2', id: 4 }, true)).toBe('/api/channels/dm%3A2/files/4?download=true');
    expect(thumbnailUrl({ channel: 'room:_x', id: 9 })).toBe('/api/channels/room%3A_x/files/9/thumbnail');
  });

  it('says sizes and types the way people read them', () => {
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(1536)).toBe('1.5 KB');
    expect(formatSize(45 * 1024 * 1024)).toBe('45 MB');
    expect(typeLabel({ name: 'report.pdf', content_type: 'application/pdf' })).toBe('PDF');
    expect(typeLabel({ name: 'noext', content_type: 'application/zip' })).toBe('ZIP');
    expect(typeLabel({ name: 'noext', content_type: 'application/octet-stream' })).toBe('FILE');
  });
});

describe('uploadFile', () => {
  it('posts the bytes with their type and name, reports progress and resolves with the attachment', async () => {
    const req = new FakeRequest();
    const progress: number[] = [];
    const handle = uploadFile('room:lobby', file('my photo.png'), (p) => progress.push(p), () => req);
    expect(req.opened).toEqual(['POST', '/api/channels/room%3Alobby/files?name=my%20photo.png']);
    expect(req.headers['Content-Type']).toBe('image/png');
    expect(req.sent).toBeInstanceOf(Blob);
    req.upload.onprogress?.({ loaded: 1, total: 4, lengthComputable: true });
    req.answer(201, attachment(7));
    await expect(handle.done).resolves.toEqual(attachment(7));
    expect(progress).toEqual([0.25, 1]);
  });

  it('turns the hub refusals into words and a cancel into an aborted error', async () => {
    const req = new FakeRequest();
    const handle = uploadFile('room:lobby', file('big.zip', 'application/zip'), () => {}, () => req);
    req.answer(413, { code: 'file_too_large', message: 'over 100 MiB' });
    await expect(handle.done).rejects.toMatchObject({ code: 'file_too_large', message: 'This file is larger than the hub takes.' });

    const req2 = new FakeRequest();
    const cancelled = uploadFile('room:lobby', file('x.png'), () => {}, () => req2);
    cancelled.cancel();
    expect(req2.aborted).toBe(true);
    await expect(cancelled.done).rejects.toBeInstanceOf(UploadError);
    await expect(cancelled.done).rejects.toMatchObject({ code: 'aborted' });

    const req3 = new FakeRequest();
    const dropped = uploadFile('room:lobby', file('x.png'), () => {}, () => req3);
    req3.onerror?.();
    await expect(dropped.done).rejects.toMatchObject({ code: 'unavailable' });
  });
});

describe('UploadTray', () => {
  function setup() {
    const requests: FakeRequest[] = [];
    const changes: number[] = [];
    const tray = new UploadTray(
      'room:lobby',
      (items) => changes.push(items.length),
      (channel, f, onprogress) => uploadFile(channel, f, onprogress, () => {
        const r = new FakeRequest();
        requests.push(r);
        return r;
      }),
    );
    return { tray, requests, changes };
  }

  it('uploads each file at once and is ready when all are', async () => {
    const { tray, requests } = setup();
    tray.add([file('a.png'), file('b.png')]);
    expect(tray.list.map((i) => i.status)).toEqual(['uploading', 'uploading']);
    expect(tray.busy).toBe(true);
    requests[0].answer(201, attachment(1, 'a.png'));
    requests[1].answer(201, attachment(2, 'b.png'));
    await Promise.resolve();
    await Promise.resolve();
    expect(tray.ready).toBe(true);
    expect(tray.attachments.map((a) => a.id)).toEqual([1, 2]);
  });

  it('starts again by itself after a dropped connection, a few times, then waits for "Try again"', async () => {
    vi.useFakeTimers();
    try {
      const { tray, requests } = setup();
      tray.add([file('a.png')]);
      for (let attempt = 0; attempt < RETRY_DELAYS_MS.length; attempt++) {
        requests[attempt].onerror?.();
        await Promise.resolve();
        await Promise.resolve();
        expect(tray.list[0]).toMatchObject({ status: 'uploading', reconnecting: true, progress: 0 });
        expect(tray.ready).toBe(false);
        vi.advanceTimersByTime(RETRY_DELAYS_MS[attempt]);
        expect(requests).toHaveLength(attempt + 2);
      }
      requests[RETRY_DELAYS_MS.length].onerror?.();
      await Promise.resolve();
      await Promise.resolve();
      expect(tray.list[0].status).toBe('failed');
      tray.retry(tray.list[0].key);
      requests[RETRY_DELAYS_MS.length + 1].answer(201, attachment(3));
      await Promise.resolve();
      await Promise.resolve();
      expect(tray.ready).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('retries a refused upload by hand, and removing one in flight cancels it', async () => {
    const { tray, requests } = setup();
    tray.add([file('a.png'), file('b.png')]);
    requests[0].answer(507, { code: 'storage_full', message: 'full' });
    await Promise.resolve();
    await Promise.resolve();
    expect(tray.list[0].status).toBe('failed');
    expect(tray.list[0].error).toMatch(/disk is full/);
    tray.retry(tray.list[0].key);
    expect(requests).toHaveLength(3);
    expect(tray.list[0].status).toBe('uploading');
    tray.remove(tray.list[1].key);
    expect(requests[1].aborted).toBe(true);
    expect(tray.list).toHaveLength(1);
    await Promise.resolve();
    expect(tray.list).toHaveLength(1);
  });

  it('takes at most MAX_ATTACHMENTS files and clears what is left after a send', () => {
    const { tray, requests } = setup();
    const skipped = tray.add(Array.from({ length: MAX_ATTACHMENTS + 2 }, (_, i) => file(`${i}.png`)));
    expect(skipped).toBe(2);
    expect(tray.list).toHaveLength(MAX_ATTACHMENTS);
    tray.clear();
    expect(tray.list).toHaveLength(0);
    expect(requests.every((r) => r.aborted)).toBe(true);
  });
});
