// E2E: a hub whose presence lists are capped (`--presence-list-max 3`): the online heading counts everyone, three names are listed with "and N more", a search finds the rest (Message / Ping), a conversation with someone past the end shows them online, the list follows people leaving and earlier names arriving, and the invite dialog searches too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHub } from './hub.mjs';
import { eventually, join, launchBrowser, openPage, screenshot, waitOnline } from './browser.mjs';

const LIST_MAX = 3;

let hub;
let browser;

before(async () => {
  hub = await startHub({ args: ['--presence-list-max', String(LIST_MAX), '--presence-grace-ms', '200'] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await hub?.stop();
});

/**
 * A guest without the web client: joins over REST and keeps one main socket open in a bare page
 * (the hub's `/api/info`, for its origin), so it counts in presence like a browser tab.
 */
async function guest(name) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${hub.url}/api/info`);
  const id = await page.evaluate(async (displayName) => {
    const res = await fetch('/api/join', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ display_name: displayName }),
    });
    if (!res.ok) throw new Error(`join as ${displayName}: ${res.status} ${await res.text()}`);
    const { user } = await res.json();
    const { token } = await (await fetch('/api/auth/ws-token')).json();
    const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}`);
    /** @type {any} */ (window).__ws = ws;
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no connection_established within 10 s')), 10_000);
      ws.onerror = () => reject(new Error('the socket failed'));
      ws.onmessage = (ev) => {
        if (JSON.parse(ev.data).type === 'connection_established') {
          clearTimeout(timer);
          resolve(undefined);
        }
      };
    });
    return user.id;
  }, name);
  return {
    name,
    id: String(id),
    /** Closes the socket: the guest goes offline after the (short) grace period. */
    leave: () => page.evaluate(() => /** @type {any} */ (window).__ws.close()),
    close: () => context.close(),
  };
}

/** The names listed in the online list, in order. */
function listedNames(page) {
  return page.getByTestId('online-list').getByTestId('online-user').locator('.name').allTextContents();
}

/** Waits until the heading counts `total` and the list holds exactly `names`, in this order. */
async function expectList(page, total, names) {
  await page.getByTestId('online-count').filter({ hasText: new RegExp(`^\\s*${total}\\s*$`) }).waitFor();
  const deadline = Date.now() + 15_000;
  for (;;) {
    const listed = await listedNames(page);
    if (JSON.stringify(listed) === JSON.stringify(names)) break;
    if (Date.now() > deadline) assert.deepEqual(listed, names, `the online list (total ${total})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const more = total - names.length;
  if (more > 0) await page.getByTestId('online-more').filter({ hasText: `and ${more} more` }).waitFor();
  else await page.getByTestId('online-more').waitFor({ state: 'detached' });
}

test('a capped online list: total, "and N more", search, and live changes', { timeout: 180_000 }, async (t) => {
  const guests = [];
  const zoe = await openPage(browser, { viewport: { width: 1100, height: 800 } });
  t.after(async () => {
    await zoe.context.close();
    for (const g of guests) await g.close().catch(() => {});
  });
  // The searches Zoe's current page has made: a lookup the page before a reload made (its timer can
  // fire while the test is still clicking) belongs to that page, so a navigation starts a new list.
  const searches = [];
  zoe.page.on('framenavigated', (frame) => {
    if (frame === zoe.page.mainFrame()) searches.length = 0;
  });
  zoe.page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.pathname === '/api/users/online' && url.searchParams.has('q')) searches.push(url.searchParams.get('q'));
  });

  try {
    // Five guests and Zoe, whose name sorts last: only Ada, Bob and Cat are listed.
    for (const name of ['Eve', 'Bob', 'Dan', 'Ada', 'Cat']) guests.push(await guest(name));
    const by = Object.fromEntries(guests.map((g) => [g.name, g]));
    await zoe.page.goto(hub.url);
    await join(zoe.page, 'Zoe');
    await waitOnline(zoe.page);
    await expectList(zoe.page, 6, ['Ada', 'Bob', 'Cat']);
    assert.equal(await zoe.page.getByTestId('online-count').getAttribute('data-listed'), '3');

    // Zoe is in no list she gets (past the end of the hub's and the Lobby's), yet after a reload her
    // status menu still shows the status she chose: her own entry is looked up by name.
    await zoe.page.getByTestId('status-menu').click();
    await zoe.page.getByTestId('status-busy').click();
    await zoe.page.locator('[data-testid="status-menu"][data-status="busy"]').waitFor();
    await zoe.page.keyboard.press('Escape');
    await eventually('the hub to have Zoe busy', async () => {
      const res = await zoe.context.request.get(`${hub.url}/api/users/online?q=zoe`);
      return (await res.json()).users.some((u) => u.display_name === 'Zoe' && u.status === 'busy');
    });
    await new Promise((r) => setTimeout(r, 1500));
    await zoe.page.reload();
    await waitOnline(zoe.page);
    await expectList(zoe.page, 6, ['Ada', 'Bob', 'Cat']);
    await zoe.page.locator('[data-testid="status-menu"][data-status="busy"]').waitFor();
    assert.deepEqual(searches, ['Zoe'], 'one lookup of her own entry');
    searches.length = 0;

    // The search box is there on a large hub, labelled, with a live status line.
    await zoe.page.getByRole('search', { name: 'Find someone online' }).waitFor();
    const input = zoe.page.getByRole('searchbox', { name: 'Find someone online' });
    await input.waitFor();
    const status = zoe.page.getByTestId('online-search-status');
    assert.equal(await status.getAttribute('aria-live'), 'polite');

    // A name past the end: typed, found once the typing pauses, with Message and Ping.
    await input.pressSequentially('ev', { delay: 40 });
    const results = zoe.page.getByTestId('online-search-results');
    const eve = results.locator(`[data-testid="online-search-result"][data-user-id="${by.Eve.id}"]`);
    await eve.waitFor();
    await status.filter({ hasText: '1 person found' }).waitFor();
    assert.deepEqual(searches, ['ev'], 'one request for the typed name (debounced)');
    assert.equal(await results.getByTestId('online-search-result').count(), 1);
    await eve.getByRole('button', { name: 'Ping Eve' }).waitFor();
    await screenshot(zoe.page, 'presence-large-search');

    // Nobody by that name.
    await input.fill('nobody-here');
    await status.filter({ hasText: 'Nobody online matches “nobody-here”.' }).waitFor();
    assert.equal(await results.count(), 0);
    // A case-insensitive substring: "A" is in Ada, Cat and Dan.
    await input.fill('A');
    await status.filter({ hasText: '3 people found' }).waitFor();
    assert.deepEqual(await results.getByTestId('online-search-result').locator('.name').allTextContents(), ['Ada', 'Cat', 'Dan']);

    // Ping someone past the end from the results.
    await input.fill('eve');
    await eve.waitFor();
    await eve.getByTestId('ping-user').click();
    const dialog = zoe.page.getByTestId('ping-dialog');
    await dialog.getByRole('heading', { name: 'Ping Eve' }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });

    // Message them: the conversation's own presence says Eve is online, though the hub list does not show her.
    await eve.getByTestId('start-dm').click();
    await zoe.page.getByTestId('room-title').filter({ hasText: 'Eve' }).waitFor();
    await zoe.page.locator('[data-testid="dm-presence"][data-online="true"]').filter({ hasText: 'online' }).waitFor();

    // A listed user goes offline: the next name moves up and the count drops.
    await by.Bob.leave();
    await expectList(zoe.page, 5, ['Ada', 'Cat', 'Dan']);

    // An earlier name arrives: Dan is pushed past the end (still online, and still found).
    guests.push(await guest('Abe'));
    await expectList(zoe.page, 6, ['Abe', 'Ada', 'Cat']);
    await input.fill('dan');
    await results.getByTestId('online-search-result').filter({ hasText: 'Dan' }).waitFor();

    // Eve leaves: her conversation says offline (its presence is complete, unlike the hub list).
    await by.Eve.leave();
    await zoe.page.getByTestId('online-count').filter({ hasText: /^\s*5\s*$/ }).waitFor();
    await zoe.page.locator('[data-testid="dm-presence"][data-online="false"]').filter({ hasText: 'offline' }).waitFor();

    // The Lobby counts everyone in it.
    await zoe.page.locator('[data-testid="room-item"][data-channel="room:lobby"]').click();
    await zoe.page.getByTestId('room-here').filter({ hasText: '5 here' }).waitFor();
    await screenshot(zoe.page, 'presence-large');

    // Inviting to a new room: the listed names, "and N more online", and a search for the rest.
    await zoe.page.getByTestId('new-room-toggle').click();
    await zoe.page.getByTestId('new-room-name').fill('Quiet corner');
    await zoe.page.getByTestId('new-room-submit').click();
    await zoe.page.getByTestId('room-title').filter({ hasText: 'Quiet corner' }).waitFor();
    await zoe.page.getByTestId('room-here').filter({ hasText: '1 here' }).waitFor();
    await zoe.page.getByTestId('room-invite').click();
    const invite = zoe.page.getByTestId('invite-dialog');
    await invite.getByTestId('invite-more').filter({ hasText: 'and 2 more online' }).waitFor();
    assert.equal(await invite.getByTestId('invite-user').count(), 3, 'Abe, Ada and Cat listed');
    await invite.getByRole('searchbox', { name: 'Find someone to invite' }).fill('dan');
    const danInvite = invite.getByTestId('online-search-results').getByTestId('invite-user');
    await danInvite.waitFor();
    assert.equal(await danInvite.getAttribute('data-user-id'), by.Dan.id);
    await danInvite.click();
    await invite.getByTestId('online-search-results').getByTestId('invite-sent').waitFor();
    await invite.getByRole('button', { name: 'Done' }).click();
    await invite.waitFor({ state: 'hidden' });

    // On a phone: the strip keeps "and N more"; the search is in the expanded list.
    await zoe.page.setViewportSize({ width: 360, height: 740 });
    // The sidebar becomes a drawer and slides away: let it finish before the screenshots.
    await zoe.page.getByTestId('sidebar').evaluate((el) => Promise.all(el.getAnimations().map((a) => a.finished)));
    await zoe.page.getByTestId('online-more').filter({ hasText: 'and 2 more' }).waitFor();
    await zoe.page.getByTestId('online-search').waitFor({ state: 'hidden' });
    await screenshot(zoe.page, 'presence-large-strip');
    await zoe.page.getByRole('button', { name: 'All who is online' }).click();
    await zoe.page.getByTestId('online-search').waitFor({ state: 'visible' });
    await screenshot(zoe.page, 'presence-large-mobile');

    assert.deepEqual(zoe.problems, [], 'no page errors');
  } catch (err) {
    await screenshot(zoe.page, 'presence-large-failure').catch(() => {});
    err.message += `\nzoe: ${zoe.problems.join('\n')}\n--- hub stderr ---\n${hub.stderr().slice(-4000)}`;
    throw err;
  }
});
