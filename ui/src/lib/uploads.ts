// Files and photos in chat: uploading with progress and cancel (XMLHttpRequest, since fetch reports no upload
// progress), the composer's tray of uploads waiting to be sent, and the addresses and words a message shows.

import type { Attachment, ErrorCode } from './protocol';

/** Most files one message carries (the hub's limit too). */
export const MAX_ATTACHMENTS = 10;

/** `/api/channels/{channel}/files` and below. */
function filesPath(channel: string): string {
  return `/api/channels/${encodeURIComponent(channel)}/files`;
}

/** Where a file's bytes are; `download` asks for an attachment even for a photo. */
export function fileUrl(a: Pick<Attachment, 'channel' | 'id'>, download = false): string {
  return `${filesPath(a.channel)}/${a.id}${download ? '?download=true' : ''}`;
}

/** Where a photo's thumbnail is. */
export function thumbnailUrl(a: Pick<Attachment, 'channel' | 'id'>): string {
  return `${filesPath(a.channel)}/${a.id}/thumbnail`;
}

/** A size in the units people read: 512 B, 12 KB, 3.4 MB, 1.2 GB. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** A short word for a file's type: "PDF", "ZIP", "MP4", from its name or else its media type. */
export function typeLabel(a: Pick<Attachment, 'name' | 'content_type'>): string {
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(a.name)?.[1];
  if (ext) return ext.toUpperCase();
  const sub = a.content_type.split('/')[1] ?? '';
  return sub && sub !== 'octet-stream' ? sub.toUpperCase().slice(0, 8) : 'FILE';
}

/** Why an upload failed, in words a guest understands. */
export class UploadError extends Error {
  constructor(
    readonly code: ErrorCode | 'aborted',
    message: string,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

/** What an upload needs of XMLHttpRequest (a fake in tests). */
export interface UploadRequest {
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  status: number;
  responseText: string;
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: Blob): void;
  abort(): void;
}

export interface UploadHandle {
  done: Promise<Attachment>;
  cancel: () => void;
}

const MESSAGES: Partial<Record<ErrorCode, string>> = {
  file_too_large: 'This file is larger than the hub takes.',
  quota_exceeded: 'Your files take all the room the hub gives you. Delete some messages with files first.',
  storage_full: "The hub's disk is full. Ask the host to make room.",
  rate_limited: 'Too many uploads at once. Wait for one to finish.',
  forbidden: 'You cannot send files here.',
};

/** Uploads one file to a channel: progress as a fraction (0 to 1), cancel at any time. */
export function uploadFile(
  channel: string,
  file: Blob & { name?: string },
  onprogress: (fraction: number) => void,
  makeRequest: () => UploadRequest = () => new XMLHttpRequest() as unknown as UploadRequest,
): UploadHandle {
  const xhr = makeRequest();
  const name = file.name && file.name !== '' ? file.name : 'file';
  const done = new Promise<Attachment>((resolve, reject) => {
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onprogress(Math.min(1, e.loaded / e.total));
    };
    xhr.onload = () => {
      let payload: unknown = null;
      try {
        payload = JSON.parse(xhr.responseText);
      } catch {
        payload = null;
      }
      if (xhr.status === 201 && payload && typeof payload === 'object') {
        onprogress(1);
        resolve(payload as Attachment);
        return;
      }
      const body = (payload ?? {}) as { code?: ErrorCode; message?: string };
      const code: ErrorCode = body.code ?? 'internal';
      reject(new UploadError(code, MESSAGES[code] ?? body.message ?? `The hub answered ${xhr.status}.`));
    };
    xhr.onerror = () => reject(new UploadError('unavailable', 'The upload was interrupted. Check your Wi-Fi and try again.'));
    xhr.onabort = () => reject(new UploadError('aborted', 'Cancelled.'));
    xhr.open('POST', `${filesPath(channel)}?name=${encodeURIComponent(name)}`);
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    xhr.send(file);
  });
  return { done, cancel: () => xhr.abort() };
}

/** After a dropped connection, an upload starts again by itself after these waits, then waits for "Try again". */
export const RETRY_DELAYS_MS = [2_000, 5_000, 10_000];

/** One file in the composer's tray. */
export interface TrayItem {
  key: number;
  name: string;
  size: number;
  /** 0 to 1. */
  progress: number;
  status: 'uploading' | 'ready' | 'failed';
  attachment?: Attachment;
  error?: string;
  /** The connection dropped: it starts again by itself (from the start) in a moment. */
  reconnecting?: boolean;
}

/**
 * The files picked for the next message of one channel: each uploads at once; one whose connection dropped
 * (a phone's Wi-Fi) starts again by itself a few times (see RETRY_DELAYS_MS), from the start since the hub
 * keeps nothing of a broken upload; after that, or after a refusal, it can be tried again by hand or removed.
 * Removing one still uploading cancels it. `onchange` runs after every change with the new list.
 */
export class UploadTray {
  private items: TrayItem[] = [];
  private readonly files = new Map<number, Blob & { name?: string }>();
  private readonly handles = new Map<number, UploadHandle>();
  /** Automatic restarts used, per file. */
  private readonly restarts = new Map<number, number>();
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();
  private next = 1;

  constructor(
    private readonly channel: string,
    private readonly onchange: (items: readonly TrayItem[]) => void,
    private readonly upload: typeof uploadFile = uploadFile,
  ) {}

  get list(): readonly TrayItem[] {
    return this.items;
  }

  /** Whether every file is uploaded (and there is at least one). */
  get ready(): boolean {
    return this.items.length > 0 && this.items.every((i) => i.status === 'ready');
  }

  get busy(): boolean {
    return this.items.some((i) => i.status === 'uploading');
  }

  /** The uploaded files, in the order they were picked. */
  get attachments(): Attachment[] {
    return this.items.flatMap((i) => (i.attachment ? [i.attachment] : []));
  }

  /** Adds files (beyond MAX_ATTACHMENTS they are left out); returns how many were left out. */
  add(files: Iterable<Blob & { name?: string }>): number {
    let skipped = 0;
    for (const file of files) {
      if (this.items.length >= MAX_ATTACHMENTS) {
        skipped += 1;
        continue;
      }
      const key = this.next++;
      this.files.set(key, file);
      this.items = [...this.items, { key, name: file.name || 'file', size: file.size, progress: 0, status: 'uploading' }];
      this.start(key);
    }
    this.onchange(this.items);
    return skipped;
  }

  /** Tries a failed upload again, from the start. */
  retry(key: number): void {
    if (!this.items.some((i) => i.key === key && i.status === 'failed')) return;
    this.restarts.delete(key);
    this.set(key, { status: 'uploading', progress: 0, error: undefined });
    this.start(key);
  }

  /** Removes a file; one still uploading is cancelled. */
  remove(key: number): void {
    this.handles.get(key)?.cancel();
    this.handles.delete(key);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.restarts.delete(key);
    this.files.delete(key);
    this.items = this.items.filter((i) => i.key !== key);
    this.onchange(this.items);
  }

  /** Empties the tray (after a send, or leaving the channel), cancelling what still uploads. */
  clear(): void {
    for (const h of this.handles.values()) h.cancel();
    this.handles.clear();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.restarts.clear();
    this.files.clear();
    this.items = [];
    this.onchange(this.items);
  }

  private start(key: number): void {
    const file = this.files.get(key);
    if (!file) return;
    const handle = this.upload(this.channel, file, (progress) => this.set(key, { progress }));
    this.handles.set(key, handle);
    handle.done.then(
      (attachment) => {
        this.handles.delete(key);
        this.set(key, { status: 'ready', progress: 1, attachment });
      },
      (err: unknown) => {
        this.handles.delete(key);
        if (err instanceof UploadError && err.code === 'aborted') return;
        const used = this.restarts.get(key) ?? 0;
        if (err instanceof UploadError && err.code === 'unavailable' && used < RETRY_DELAYS_MS.length) {
          this.restarts.set(key, used + 1);
          this.set(key, { progress: 0, reconnecting: true });
          this.timers.set(
            key,
            setTimeout(() => {
              this.timers.delete(key);
              this.set(key, { reconnecting: false });
              this.start(key);
            }, RETRY_DELAYS_MS[used]),
          );
          return;
        }
        this.set(key, { status: 'failed', reconnecting: false, error: err instanceof Error ? err.message : 'The upload failed.' });
      },
    );
  }

  private set(key: number, change: Partial<TrayItem>): void {
    if (!this.items.some((i) => i.key === key)) return;
    this.items = this.items.map((i) => (i.key === key ? { ...i, ...change } : i));
    this.onchange(this.items);
  }
}
