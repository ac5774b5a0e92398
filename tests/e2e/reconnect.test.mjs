// E2E: a message typed while the hub restarts waits in the outbox ("sending…") and is delivered exactly once after.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startHub } from './hub.mjs';
import { join, launchBrowser, messagesWith, openPage, screenshot, send, waitOnline } from './browser.mjs';

const RECONNECT_TIMEOUT_MS = 45_000;

let dataDir;
let hub;
let browser;

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'hubbub-e2e-restart-'));
  hub = await startHub({ dataDir });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await hub?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Starts the hub again on the same port and data dir; the port may linger briefly after the old process. */
async function restartHub(port) {
  let lastError;
  for (let i = 0; i < 20; i++) {
    try {
      return await startHub({ dataDir, bind: `127.0.0.1:${port}` });
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw lastError;
}

test('messages sent while the hub is down are delivered once it is back', { timeout: 150_000 }, async (t) => {
  const alice = await openPage(browser);
  t.after(() => alice.context.close());
  const { page } = alice;
  try {
    await page.goto(hub.url);
    await join(page, 'Alice');
    await waitOnline(page);
    await send(page, 'before the restart');
    await page.locator('[data-testid="message"][data-pending="false"]').filter({ hasText: 'before the restart' }).waitFor();

    const port = hub.port;
    await hub.stop();
    hub = undefined;
    await page.locator('[data-testid="conn-state"]:not([data-state="online"])').waitFor();

    await send(page, 'typed while the hub was down');
    const queued = page.locator('[data-testid="message"][data-pending="true"]').filter({ hasText: 'typed while the hub was down' });
    await queued.waitFor();
    await queued.getByText('sending…').waitFor();
    await screenshot(page, 'reconnect-queued');

    hub = await restartHub(port);
    await page.getByTestId('conn-state').filter({ hasText: /^\s*online\s*$/ }).waitFor({ timeout: RECONNECT_TIMEOUT_MS });
    await page
      .locator('[data-testid="message"][data-pending="false"]')
      .filter({ hasText: 'typed while the hub was down' })
      .waitFor();
    assert.equal(await messagesWith(page, 'typed while the hub was down').count(), 1);
    assert.equal(await messagesWith(page, 'before the restart').count(), 1);

    // A newcomer sees both, each once: the queued message was stored exactly once.
    const bob = await openPage(browser);
    t.after(() => bob.context.close());
    await bob.page.goto(hub.url);
    await join(bob.page, 'Bob');
    await waitOnline(bob.page);
    await messagesWith(bob.page, 'typed while the hub was down').waitFor();
    assert.equal(await messagesWith(bob.page, 'typed while the hub was down').count(), 1);
    assert.equal(await messagesWith(bob.page, 'before the restart').count(), 1);
    await screenshot(page, 'reconnect-delivered');
  } catch (err) {
    await screenshot(page, 'reconnect-failure').catch(() => {});
    err.message += `\n${alice.problems.join('\n')}\n--- hub stderr ---\n${hub?.stderr().slice(-4000) ?? '(hub not running)'}`;
    throw err;
  }
});
