// E2E: a long history loads 50 at first, then older pages (`before=`) when scrolled to the top, keeping the reader's place, until there is no more.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHub } from './hub.mjs';
import { eventually, join, launchBrowser, openPage, screenshot, waitOnline } from './browser.mjs';

const COUNT = 130;

let hub;
let browser;

before(async () => {
  hub = await startHub({ args: ['--message-rate', '0'] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await hub?.stop();
});

/** Sends `count` Lobby messages "history 1".."history N" over a socket of the page's own session; resolves once all are acked. */
function seed(page, count) {
  return page.evaluate(async (n) => {
    const { token } = await (await fetch('/api/auth/ws-token')).json();
    const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}`);
    await new Promise((resolve, reject) => {
      setTimeout(() => reject(new Error('seeding took too long')), 20_000);
      let acked = 0;
      ws.onerror = () => reject(new Error('seeding socket failed'));
      ws.onclose = (ev) => reject(new Error(`seeding socket closed with ${ev.code} ${ev.reason}`));
      ws.onmessage = (ev) => {
        const frame = JSON.parse(ev.data);
        if (frame.type === 'subscribed' && frame.channel === 'room:lobby') {
          for (let i = 1; i <= n; i++) {
            ws.send(JSON.stringify({ type: 'send_message', ref: `s${i}`, channel: 'room:lobby', client_message_id: `seed-${i}`, body: `history ${i}` }));
          }
        } else if (frame.type === 'ack' && ++acked === n) {
          resolve();
        } else if (frame.type === 'error') {
          reject(new Error(frame.message));
        }
      };
    });
    ws.close();
  }, count);
}

/** The message whose text is exactly `history N`. */
function numbered(page, n) {
  return page.getByTestId('messages').getByTestId('message-body').filter({ hasText: new RegExp(`^history ${n}$`) });
}

/** The `history N` numbers shown, in order. */
async function shown(page) {
  const bodies = await page.getByTestId('messages').getByTestId('message-body').allTextContents();
  return bodies.map((b) => Number(b.replace('history ', '')));
}

test('older messages load when scrolled to the top, in place', { timeout: 120_000 }, async (t) => {
  const ann = await openPage(browser);
  const ben = await openPage(browser, { viewport: { width: 800, height: 700 } });
  t.after(async () => {
    await ann.context.close();
    await ben.context.close();
  });
  const pages = [];
  ben.page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.pathname.startsWith('/api/channels/')) pages.push(url.pathname + url.search);
  });
  try {
    await ann.page.goto(hub.url);
    await join(ann.page, 'Ann');
    await waitOnline(ann.page);
    await seed(ann.page, COUNT);

    await ben.page.goto(hub.url);
    await join(ben.page, 'Ben');
    await waitOnline(ben.page);
    await numbered(ben.page, COUNT).waitFor();
    assert.deepEqual(await shown(ben.page), Array.from({ length: 50 }, (_, i) => COUNT - 49 + i), 'the newest 50 first');
    await ben.page.getByTestId('load-older').waitFor();

    // Scroll to the top: the page before the oldest shown arrives above, and the reader stays put.
    const log = ben.page.getByTestId('messages');
    const anchor = numbered(ben.page, COUNT - 49);
    await log.evaluate((el) => el.scrollTo(0, 0));
    await numbered(ben.page, COUNT - 99).waitFor({ state: 'attached' });
    // The message that was at the top is still there, not pushed down out of view by the older ones.
    const logBox = await log.boundingBox();
    await eventually('the old top message to stay near the top', async () => {
      const y = (await anchor.boundingBox()).y;
      return y >= logBox.y && y <= logBox.y + 200;
    });
    assert.ok(pages.some((p) => p.includes(`before=${COUNT - 49}`)), `asked for the page before the oldest: ${pages.join(', ')}`);
    assert.equal((await shown(ben.page)).length, 100);
    await screenshot(ben.page, 'history-older');

    // Once more: the rest, and then there is nothing more to load.
    await log.evaluate((el) => el.scrollTo(0, 0));
    await numbered(ben.page, 1).waitFor({ state: 'attached' });
    await ben.page.getByTestId('load-older').waitFor({ state: 'detached' });
    assert.deepEqual(await shown(ben.page), Array.from({ length: COUNT }, (_, i) => i + 1), 'every message once, in order');
    assert.deepEqual([...ann.problems, ...ben.problems], [], 'no page errors');
  } catch (err) {
    await screenshot(ben.page, 'history-failure').catch(() => {});
    err.message += `\n${ben.problems.join('\n')}\n--- hub stderr ---\n${hub.stderr().slice(-4000)}`;
    throw err;
  }
});
