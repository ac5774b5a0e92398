// E2E: two guests in the Lobby share files. Alice attaches a photo with the file picker, pastes another and drops a text
// file on the composer; Bob sees the photos as thumbnails made by the hub, opens the original, and downloads the file.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import { startHub } from './hub.mjs';
import { eventually, join, launchBrowser, messagesWith, openPage, screenshot, waitOnline } from './browser.mjs';

let hub;
let browser;

before(async () => {
  hub = await startHub();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await hub?.stop();
});

/** A PNG of `w` x `h` pixels: a gradient tinted by `seed`. */
function png(w, h, seed) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 3);
    for (let x = 0; x < w; x++) row.set([(x * 255) / w, (y * 255) / h, seed], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Waits until every file in the composer's tray is uploaded. */
async function uploadsReady(page, count) {
  await eventually(`${count} uploads ready`, async () => {
    const items = page.getByTestId('upload-item');
    if ((await items.count()) !== count) return false;
    const states = await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    return states.every((s) => s === 'ready');
  });
}

/** Whether an <img> has loaded real pixels. */
async function loaded(img) {
  return img.evaluate((el) => el.complete && el.naturalWidth > 0);
}

test('photos and files go from one guest to another: picked, pasted, dropped, previewed and downloaded', { timeout: 120_000 }, async (t) => {
  const alice = await openPage(browser);
  const bob = await openPage(browser, { acceptDownloads: true });
  t.after(async () => {
    await alice.context.close();
    await bob.context.close();
  });
  const debug = () => `\nalice: ${alice.problems.join('\n')}\nbob: ${bob.problems.join('\n')}\n--- hub stderr ---\n${hub.stderr().slice(-4000)}`;

  try {
    await alice.page.goto(hub.url);
    await join(alice.page, 'Alice');
    await bob.page.goto(hub.url);
    await join(bob.page, 'Bob');
    await waitOnline(alice.page);
    await waitOnline(bob.page);

    // 1. The file picker: a photo, with a caption.
    const sunset = png(640, 400, 40);
    await alice.page.getByTestId('file-input').setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: sunset });
    await uploadsReady(alice.page, 1);
    await alice.page.getByTestId('composer').fill('Look at this');
    await alice.page.getByTestId('composer').press('Enter');
    await eventually('the tray to empty after sending', async () => (await alice.page.getByTestId('upload-item').count()) === 0);

    const seen = messagesWith(bob.page, 'Look at this');
    const photo = seen.getByTestId('attachment-photo');
    await photo.waitFor();
    const thumb = photo.locator('img');
    assert.equal(await thumb.getAttribute('alt'), 'sunset.png');
    await eventually('the thumbnail to load', () => loaded(thumb));
    const thumbSrc = await thumb.getAttribute('src');
    assert.match(thumbSrc, /\/thumbnail$/, 'the preview is the hub-made thumbnail, not the original');
    const thumbWidth = await thumb.evaluate((el) => el.naturalWidth);
    assert.ok(thumbWidth > 0 && thumbWidth <= 480, `a small thumbnail (${thumbWidth} px)`);

    // Bob opens the original: the very bytes Alice picked, shown inline as a PNG.
    const href = await photo.getAttribute('href');
    const original = await bob.page.request.get(new URL(href, hub.url).toString());
    assert.equal(original.status(), 200);
    assert.equal(original.headers()['content-type'], 'image/png');
    assert.match(original.headers()['content-disposition'], /^inline/);
    assert.deepEqual(Buffer.from(await original.body()), sunset);
    await screenshot(bob.page, 'files-photo');

    // 2. Paste: an image on the clipboard, pasted into the composer, sent without text.
    const pasted = png(200, 300, 200);
    await alice.page.getByTestId('composer').evaluate((el, bytes) => {
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array(bytes)], 'pasted.png', { type: 'image/png' }));
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, [...pasted]);
    await uploadsReady(alice.page, 1);
    await alice.page.getByTestId('send').click();
    const pastedPhoto = bob.page.getByTestId('attachment-photo').filter({ has: bob.page.locator('img[alt="pasted.png"]') });
    await pastedPhoto.waitFor();
    await eventually('the pasted photo to load', () => loaded(pastedPhoto.locator('img')));

    // 3. Drag and drop: a text file dropped on the conversation becomes a card with a download link.
    const notes = 'Shopping list\n- bread\n- <script>alert(1)</script>\n';
    const data = await alice.page.evaluateHandle((text) => {
      const d = new DataTransfer();
      d.items.add(new File([text], 'notes.txt', { type: 'text/plain' }));
      return d;
    }, notes);
    const list = alice.page.getByTestId('messages');
    await list.dispatchEvent('dragover', { dataTransfer: data });
    await alice.page.getByTestId('drop-hint').waitFor();
    await list.dispatchEvent('drop', { dataTransfer: data });
    await uploadsReady(alice.page, 1);
    await alice.page.getByTestId('composer').fill('the list');
    await alice.page.getByTestId('composer').press('Enter');
    const card = messagesWith(bob.page, 'the list').getByTestId('attachment-file');
    await card.waitFor();
    assert.match(await card.textContent(), /notes\.txt/);
    const [download] = await Promise.all([
      bob.page.waitForEvent('download'),
      card.getByTestId('attachment-download').click(),
    ]);
    assert.equal(download.suggestedFilename(), 'notes.txt');
    const saved = await download.path();
    const { readFile } = await import('node:fs/promises');
    assert.equal(await readFile(saved, 'utf8'), notes);
    // A text file is never shown from the hub's origin, even opened directly.
    const direct = await bob.page.request.get(new URL(await card.getByTestId('attachment-download').getAttribute('href'), hub.url).toString());
    assert.match(direct.headers()['content-disposition'], /^attachment/);
    assert.equal(direct.headers()['x-content-type-options'], 'nosniff');

    // Alice's own view shows the same attachments once confirmed.
    await messagesWith(alice.page, 'the list').getByTestId('attachment-file').waitFor();
    await screenshot(alice.page, 'files-sender');
    assert.deepEqual(alice.problems, [], debug());
    assert.deepEqual(bob.problems, [], debug());
  } catch (err) {
    err.message += debug();
    throw err;
  }
});

test('on a phone, the camera button takes a photo into the next message', { timeout: 60_000 }, async (t) => {
  const phone = await openPage(browser, { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  t.after(() => phone.context.close());
  await phone.page.goto(hub.url);
  await join(phone.page, 'Cam');
  await waitOnline(phone.page);
  const camera = phone.page.getByTestId('camera-input');
  assert.equal(await camera.getAttribute('accept'), 'image/*');
  assert.equal(await camera.getAttribute('capture'), 'environment');
  await phone.page.getByTestId('camera').waitFor();
  await camera.setInputFiles({ name: 'IMG_0001.png', mimeType: 'image/png', buffer: png(300, 400, 90) });
  await uploadsReady(phone.page, 1);
  await phone.page.getByTestId('send').click();
  const shot = phone.page.getByTestId('attachment-photo').filter({ has: phone.page.locator('img[alt="IMG_0001.png"]') });
  await shot.waitFor();
  await eventually('the photo to load', () => loaded(shot.locator('img')));
  await screenshot(phone.page, 'files-phone');
  assert.deepEqual(phone.problems, []);
});

test('an upload whose connection drops starts again by itself and is sent once', { timeout: 60_000 }, async (t) => {
  const phone = await openPage(browser, { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  t.after(() => phone.context.close());
  await phone.page.goto(hub.url);
  await join(phone.page, 'Wobbly');
  await waitOnline(phone.page);
  // The first attempt's connection drops, as a phone's Wi-Fi does; later ones get through.
  let attempts = 0;
  await phone.page.route('**/api/channels/*/files?name=*', async (route) => {
    attempts += 1;
    if (attempts === 1) await route.abort('internetdisconnected');
    else await route.continue();
  });
  const picture = png(320, 240, 150);
  await phone.page.getByTestId('file-input').setInputFiles({ name: 'wobbly.png', mimeType: 'image/png', buffer: picture });
  await phone.page.getByTestId('upload-item').filter({ hasText: 'trying again' }).waitFor();
  assert.equal(await phone.page.getByTestId('send').isDisabled(), true, 'nothing is sent while the file is not up');
  await uploadsReady(phone.page, 1);
  assert.equal(attempts, 2, 'started again once, by itself');
  await phone.page.getByTestId('composer').fill('made it');
  await phone.page.getByTestId('send').click();
  const shot = messagesWith(phone.page, 'made it').getByTestId('attachment-photo');
  await shot.waitFor();
  const original = await phone.page.request.get(new URL(await shot.getAttribute('href'), hub.url).toString());
  assert.deepEqual(Buffer.from(await original.body()), picture);
  assert.deepEqual(phone.problems.filter((p) => !p.includes('ERR_INTERNET_DISCONNECTED')), []);
});

/** One second of a 440 Hz tone as a WAV file (16-bit mono PCM, 8 kHz). */
function wav() {
  const rate = 8000;
  const samples = Buffer.alloc(rate * 2);
  for (let i = 0; i < rate; i++) samples.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 8000), i * 2);
  const head = Buffer.alloc(44);
  head.write('RIFF', 0, 'ascii');
  head.writeUInt32LE(36 + samples.length, 4);
  head.write('WAVEfmt ', 8, 'ascii');
  head.writeUInt32LE(16, 16);
  head.writeUInt16LE(1, 20);
  head.writeUInt16LE(1, 22);
  head.writeUInt32LE(rate, 24);
  head.writeUInt32LE(rate * 2, 28);
  head.writeUInt16LE(2, 32);
  head.writeUInt16LE(16, 34);
  head.write('data', 36, 'ascii');
  head.writeUInt32LE(samples.length, 40);
  return Buffer.concat([head, samples]);
}

test('a voice note plays in the message, with its card to download it', { timeout: 60_000 }, async (t) => {
  const sender = await openPage(browser);
  const listener = await openPage(browser);
  t.after(async () => {
    await sender.context.close();
    await listener.context.close();
  });
  await sender.page.goto(hub.url);
  await join(sender.page, 'Singer');
  await listener.page.goto(hub.url);
  await join(listener.page, 'Listener');
  await waitOnline(sender.page);
  await waitOnline(listener.page);
  await sender.page.getByTestId('file-input').setInputFiles({ name: 'note.wav', mimeType: 'audio/wav', buffer: wav() });
  await uploadsReady(sender.page, 1);
  await sender.page.getByTestId('composer').fill('a voice note');
  await sender.page.getByTestId('composer').press('Enter');
  const message = messagesWith(listener.page, 'a voice note');
  const audio = message.getByTestId('attachment-audio');
  await audio.waitFor();
  await eventually('the audio to load its metadata', () => audio.evaluate((el) => el.readyState >= 1 && el.duration > 0));
  await message.getByTestId('attachment-file').filter({ hasText: 'note.wav' }).waitFor();
  assert.deepEqual(listener.problems, []);
});
