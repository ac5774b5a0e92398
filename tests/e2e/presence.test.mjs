// E2E: pings with an invite link (toast, bell, inbox, mark read), status menu, a second tab that changes nothing others see, and the REST fallback of the online list.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHub } from './hub.mjs';
import { eventually, join, launchBrowser, openPage, screenshot, waitOnline } from './browser.mjs';

const INVITE = 'http://127.0.0.1:9/party/ABCD';

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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The online-list entry of the user whose name includes `name`. */
function onlineEntry(page, name) {
  return page.getByTestId('online-list').getByTestId('online-user').filter({ hasText: name });
}

/** Records in the page every moment the user `userId` is missing from the online list. */
async function watchStaysOnline(page, userId) {
  await page.evaluate((id) => {
    const w = /** @type {any} */ (window);
    w.__gone = [];
    const check = () => {
      if (!document.querySelector(`[data-testid="online-user"][data-user-id="${id}"]`)) w.__gone.push(Date.now());
    };
    w.__goneObserver = new MutationObserver(check);
    w.__goneObserver.observe(document.body, { childList: true, subtree: true });
    w.__goneTimer = setInterval(check, 20);
  }, userId);
}

test('ping with invite, inbox, status menu, and a second tab', { timeout: 180_000 }, async (t) => {
  // Ann on a phone-sized screen, Ben on a desktop-sized one.
  const ann = await openPage(browser, { viewport: { width: 360, height: 740 } });
  const ben = await openPage(browser, { viewport: { width: 1100, height: 760 } });
  t.after(async () => {
    await ann.context.close();
    await ben.context.close();
  });
  const debug = () =>
    `\nann: ${ann.problems.join('\n')}\nben: ${ben.problems.join('\n')}\n--- hub stderr ---\n${hub.stderr().slice(-4000)}`;

  try {
    await ann.page.goto(hub.url);
    await join(ann.page, 'Ann');
    await waitOnline(ann.page);
    await ben.page.goto(hub.url);
    await join(ben.page, 'Ben');
    await waitOnline(ben.page);

    const annOnBen = onlineEntry(ben.page, 'Ann');
    await annOnBen.waitFor();
    const annId = await annOnBen.getAttribute('data-user-id');
    assert.match(annId ?? '', /^\d+$/, 'online-user carries data-user-id');
    assert.equal(await annOnBen.getAttribute('data-status'), 'online');
    // No Ping button for yourself.
    assert.equal(await onlineEntry(ben.page, 'Ben').getByTestId('ping-user').count(), 0);

    // Ann pings Ben with an invite link from the online list.
    const benOnAnn = onlineEntry(ann.page, 'Ben');
    await benOnAnn.getByTestId('ping-user').click();
    const dialog = ann.page.getByTestId('ping-dialog');
    await dialog.getByRole('heading', { name: 'Ping Ben' }).waitFor();
    // A link that is not http(s) is refused inline before anything is sent.
    await ann.page.getByTestId('ping-link').fill('javascript:alert(1)');
    await ann.page.getByTestId('ping-send').click();
    const pingError = ann.page.getByTestId('ping-error');
    await pingError.waitFor();
    assert.equal(await pingError.getAttribute('data-code'), 'invalid_join_url');
    await ann.page.getByTestId('ping-link').fill(INVITE);
    await ann.page.getByTestId('ping-send').click();
    await dialog.waitFor({ state: 'hidden' });
    await ann.page.getByTestId('toast-info').filter({ hasText: 'Ben' }).waitFor();

    // Ben: a toast naming Ann with a Join link, and the bell says 1.
    const toast = ben.page.getByTestId('toast').filter({ hasText: 'Ann' });
    await toast.waitFor();
    assert.equal(await toast.getAttribute('role'), 'status');
    assert.match((await toast.textContent()) ?? '', /Ann pinged you/);
    assert.equal(await toast.getByTestId('toast-join').getAttribute('href'), INVITE);
    await ben.page.getByTestId('bell-count').filter({ hasText: /^\s*1\s*$/ }).waitFor();
    assert.equal(await ben.page.getByTestId('toast').count(), 1, 'one toast per ping (the seed `ping` frame is not toasted twice)');
    await toast.evaluate((el) => Promise.all(el.getAnimations().map((a) => a.finished)));
    await screenshot(ben.page, 'presence-toast');

    // Ben opens the inbox: the ping with its Join link, unread.
    await ben.page.getByTestId('bell').click();
    const inbox = ben.page.getByTestId('inbox');
    await inbox.waitFor();
    const item = inbox.locator('[data-testid="inbox-item"][data-kind="ping"]');
    await item.waitFor();
    assert.equal(await item.count(), 1);
    assert.equal(await item.getAttribute('data-read'), 'false');
    assert.match((await item.textContent()) ?? '', /Ann/);
    assert.equal(await item.getByTestId('inbox-join').getAttribute('href'), INVITE);
    await screenshot(ben.page, 'presence-inbox');

    // Mark all read: the badge goes, the entry reads as read, and that sticks across a reload.
    await inbox.getByTestId('inbox-mark-all').click();
    await ben.page.getByTestId('bell-count').waitFor({ state: 'detached' });
    await inbox.locator('[data-testid="inbox-item"][data-read="true"]').waitFor();
    await ben.page.keyboard.press('Escape');
    await inbox.waitFor({ state: 'detached' });
    await eventually('focus back on the bell', () => ben.page.getByTestId('bell').evaluate((el) => el === document.activeElement));
    await ben.page.reload();
    await waitOnline(ben.page);
    await onlineEntry(ben.page, 'Ann').waitFor();
    await sleep(500);
    assert.equal(await ben.page.getByTestId('bell-count').count(), 0, 'no unread count after a reload');

    // Ann sets "Away" with a status line through the status menu.
    await ann.page.getByTestId('status-menu').click();
    await ann.page.getByTestId('status-away').click();
    await ann.page.getByTestId('status-text').fill('grabbing snacks');
    await ann.page.getByTestId('status-save').click();
    await ann.page.locator('[data-testid="status-menu"][data-status="away"]').waitFor();
    const annAway = ben.page.locator(`[data-testid="online-user"][data-user-id="${annId}"][data-status="away"]`);
    await annAway.waitFor();
    await annAway.getByTestId('online-status-text').filter({ hasText: 'grabbing snacks' }).waitFor();
    // Ann's own entry says so too.
    await ann.page
      .locator(`[data-testid="online-user"][data-user-id="${annId}"][data-status="away"]`)
      .getByTestId('online-status-text')
      .filter({ hasText: 'grabbing snacks' })
      .waitFor();

    // Ann opens a second tab and closes it: Ben never sees her leave.
    await watchStaysOnline(ben.page, annId);
    const tab2 = await ann.context.newPage();
    const tab2Problems = [];
    tab2.on('pageerror', (err) => tab2Problems.push(`pageerror: ${err.message}`));
    await tab2.goto(hub.url);
    await waitOnline(tab2);
    await tab2.getByTestId('me-name').filter({ hasText: 'Ann' }).waitFor();
    await ben.page.locator(`[data-testid="online-user"][data-user-id="${annId}"][data-devices="2"]`).waitFor();
    await tab2.close();
    await ben.page
      .locator(`[data-testid="online-user"][data-user-id="${annId}"][data-devices="1"]`)
      .waitFor({ timeout: 45_000 });
    await sleep(2_000); // past any coalescing window
    const gone = await ben.page.evaluate(() => /** @type {any} */ (window).__gone);
    assert.deepEqual(gone, [], 'Ann never left Ben\'s online list');
    // Her chosen status survives her other tab coming and going.
    await annAway.getByTestId('online-status-text').filter({ hasText: 'grabbing snacks' }).waitFor();

    assert.deepEqual([...ann.problems, ...ben.problems, ...tab2Problems], [], 'no page errors');
  } catch (err) {
    await screenshot(ann.page, 'presence-ann-failure').catch(() => {});
    await screenshot(ben.page, 'presence-ben-failure').catch(() => {});
    err.message += debug();
    throw err;
  }
});

test('while the socket is down, the online list is polled over REST and marked "last known"', { timeout: 120_000 }, async (t) => {
  const ann = await openPage(browser, { viewport: { width: 360, height: 740 } });
  const ben = await openPage(browser);
  const cy = await openPage(browser);
  t.after(async () => {
    await ann.context.close();
    await ben.context.close();
    await cy.context.close();
  });

  // Ann's sockets go through a switch: forwarded to the hub, or closed right away.
  let blocked = false;
  const routes = [];
  await ann.page.routeWebSocket(/\/ws\b/, (ws) => {
    routes.push(ws);
    if (blocked) ws.close({ code: 1011, reason: 'blocked by the test' });
    else ws.connectToServer();
  });
  const polls = [];
  ann.page.on('request', (req) => {
    if (new URL(req.url()).pathname === '/api/users/online') polls.push(Date.now());
  });

  try {
    await ben.page.goto(hub.url);
    await join(ben.page, 'Bea');
    await waitOnline(ben.page);
    await ann.page.goto(hub.url);
    await join(ann.page, 'Ari');
    await waitOnline(ann.page);
    await onlineEntry(ann.page, 'Bea').waitFor();
    assert.equal(await ann.page.getByTestId('online-stale').count(), 0, 'a live list is not marked stale');

    // Cut Ann's socket and keep it cut.
    blocked = true;
    for (const ws of routes) await ws.close({ code: 1011, reason: 'blocked by the test' }).catch(() => {});
    await ann.page.locator('[data-testid="conn-state"]:not([data-state="online"])').waitFor();
    await ann.page.getByTestId('online-stale').waitFor();
    assert.equal(await ann.page.getByTestId('online-list').getAttribute('data-stale'), 'true');

    // Someone new comes online: Ann learns it from the REST poll, not the socket.
    await cy.page.goto(hub.url);
    await join(cy.page, 'Cyd');
    await waitOnline(cy.page);
    await onlineEntry(ann.page, 'Cyd').waitFor({ timeout: 25_000 });
    assert.ok(polls.length >= 2, `polled /api/users/online while down (${polls.length} requests)`);
    await screenshot(ann.page, 'presence-stale-mobile');

    // Socket back: live again, the marker goes, polling stops.
    blocked = false;
    await ann.page.getByTestId('conn-banner').getByRole('button').click();
    await waitOnline(ann.page);
    await ann.page.getByTestId('online-stale').waitFor({ state: 'detached' });
    const before = polls.length;
    await sleep(11_000);
    assert.equal(polls.length, before, 'no REST polling while the socket is online');
    assert.deepEqual([...ann.problems, ...ben.problems, ...cy.problems], [], 'no page errors');
  } catch (err) {
    await screenshot(ann.page, 'presence-fallback-failure').catch(() => {});
    err.message += `\nann: ${ann.problems.join('\n')}\n--- hub stderr ---\n${hub.stderr().slice(-4000)}`;
    throw err;
  }
});
