// E2E: a guest sees the other hubs this hub found on the network and can hop to one. Finding hubs
// needs mDNS between machines (covered by the Rust test in network namespaces), so here the hub's
// `/api/hubs` answer is replaced in the browser; the rest is the real hub and UI.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHub } from './hub.mjs';
import { join, launchBrowser, openPage, waitOnline } from './browser.mjs';

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

test('hubs nearby are listed with their guests, and link to them', { timeout: 60_000 }, async (t) => {
  const guest = await openPage(browser);
  t.after(() => guest.context.close());
  const { page } = guest;
  // The real answer first: this hub on loopback finds nobody, and the section stays hidden.
  const real = await (await fetch(`${hub.url}/api/hubs`)).json();
  assert.deepEqual(real.hubs, []);
  await page.route('**/api/hubs', (route) =>
    route.fulfill({
      contentType: 'application/json',
      body: JSON.stringify({
        hubs: [
          {
            hub_id: 'feedbeef',
            name: 'Kitchen Hub',
            url: `${hub.url}/`,
            protocol_version: 1,
            version: '0.1.0',
            guests_online: 3,
            last_seen: Date.now(),
          },
        ],
        mdns: { advertising: true, browsing: true, interfaces: ['lan0'] },
      }),
    }),
  );
  await page.goto(hub.url);
  await join(page, 'Hopper');
  await waitOnline(page);
  const link = page.getByTestId('nearby-hub');
  await link.waitFor();
  assert.equal(await link.textContent(), 'Kitchen Hub');
  assert.equal(await link.getAttribute('href'), `${hub.url}/`);
  await page.getByTestId('nearby-hubs').getByText('3 online').waitFor();
});
