// E2E: a host defines a place in the console and shows its QR code; guests open the code's link,
// join, are checked in, and chat in the place's chat; opening the place without the code's key
// checks nobody in.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHub } from './hub.mjs';
import { join, joinAsHost, launchBrowser, openPage, screenshot } from './browser.mjs';

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

/** Opens the check-in link in a fresh browser as a new guest `name`; the place's chat is then shown. */
async function scan(link, name) {
  const guest = await openPage(browser, { viewport: { width: 360, height: 740 } });
  await guest.page.goto(link);
  await join(guest.page, name);
  await guest.page.getByTestId('place-admitted').waitFor();
  return guest;
}

test('a guest who scans a place\'s QR code checks in and chats there', { timeout: 90_000 }, async (t) => {
  const host = await openPage(browser);
  t.after(() => host.context.close());
  const pages = [host];
  try {
    await joinAsHost(host.page, hub, 'Host');
    await host.page.goto(`${hub.url}/console#places`);
    await host.page.getByLabel('New place').fill('Table 4');
    await host.page.getByRole('button', { name: 'Add' }).click();
    const row = host.page.getByTestId('console-place').filter({ hasText: 'Table 4' });
    await row.waitFor();
    await row.getByRole('button', { name: 'Show QR code' }).click();
    const qr = row.getByRole('img', { name: 'QR code to check in at Table 4' });
    await qr.waitFor();
    await host.page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await qr.elementHandle());
    const link = await row.getByTestId('place-link').getAttribute('href');
    assert.match(link, /\/place\/\d+\?key=[0-9a-f]+$/);
    await screenshot(host.page, 'places-console');

    const ann = await scan(link, 'Ann');
    pages.push(ann);
    t.after(() => ann.context.close());
    // The key leaves the address bar once used.
    assert.doesNotMatch(ann.page.url(), /key=/);
    await ann.page.getByLabel('Message to Table 4').fill('Anyone at table 4?');
    await ann.page.getByRole('button', { name: 'Send' }).click();
    await ann.page.getByTestId('place-message').filter({ hasText: 'Anyone at table 4?' }).waitFor();

    const bo = await scan(link, 'Bo');
    pages.push(bo);
    t.after(() => bo.context.close());
    await bo.page.getByTestId('place-message').filter({ hasText: 'Anyone at table 4?' }).waitFor();
    await bo.page.getByLabel('Message to Table 4').fill('Right here');
    await bo.page.getByRole('button', { name: 'Send' }).click();
    await ann.page.getByTestId('place-message').filter({ hasText: 'Right here' }).waitFor();
    await screenshot(ann.page, 'places-chat-mobile');

    // Without the code's key (a guessed address) nobody is checked in.
    const cy = await openPage(browser);
    pages.push(cy);
    t.after(() => cy.context.close());
    await cy.page.goto(link.replace(/\?key=.*$/, ''));
    await join(cy.page, 'Cy');
    await cy.page.getByTestId('place-not-admitted').waitFor();
    assert.equal(await cy.page.getByTestId('place-messages').count(), 0);
    for (const p of pages) assert.deepEqual(p.problems, [], 'no page errors');
  } catch (err) {
    for (const p of pages) await screenshot(p.page, 'places-failure').catch(() => {});
    err.message += `\n${pages.flatMap((p) => p.problems).join('\n')}\n--- hub stderr ---\n${hub.stderr().slice(-4000)}`;
    throw err;
  }
});
