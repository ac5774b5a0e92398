// E2E: a hub with a join PIN shows the PIN field, rejects a wrong PIN inline, and admits the right one.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHub } from './hub.mjs';
import { join, launchBrowser, openPage, screenshot, waitOnline } from './browser.mjs';

let hub;
let browser;

before(async () => {
  hub = await startHub({ pin: '1234' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await hub?.stop();
});

test('a PIN-protected hub asks for the PIN and checks it', { timeout: 60_000 }, async (t) => {
  const carol = await openPage(browser, { viewport: { width: 360, height: 740 } });
  t.after(() => carol.context.close());
  const { page } = carol;
  try {
    await page.goto(hub.url);
    await page.getByTestId('join-pin').waitFor();
    await page.getByLabel('Hub PIN').waitFor();

    await join(page, 'Carol', '0000');
    const error = page.getByTestId('join-pin-error');
    await error.waitFor();
    assert.equal(await error.getAttribute('data-code'), 'wrong_pin');
    assert.notEqual((await error.textContent())?.trim(), '');
    assert.equal(await page.getByTestId('join-pin').getAttribute('aria-invalid'), 'true');
    await screenshot(page, 'pin-wrong');

    await page.getByTestId('join-pin').fill('1234');
    await page.getByTestId('join-submit').click();
    await waitOnline(page);
    await page.getByTestId('online-list').getByTestId('online-user').filter({ hasText: 'Carol' }).waitFor();
    await screenshot(page, 'pin-joined-mobile');
    assert.deepEqual(carol.problems, [], 'no page errors');
  } catch (err) {
    await screenshot(page, 'pin-failure').catch(() => {});
    err.message += `\n${carol.problems.join('\n')}\n--- hub stderr ---\n${hub.stderr().slice(-4000)}`;
    throw err;
  }
});
