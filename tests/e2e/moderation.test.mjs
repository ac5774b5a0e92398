// E2E: roles and moderation from the host's console: a host joins through the host link; an announcement (banner and inbox), badges; a mute (composer says so, a send refused), a staff delete, an unmute; a kick, log out, a host link claimed while signed in (and refused once used); a locked room and slow mode; a ban (the troll leaves every list, their page says banned, and they cannot join again under a new name).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { newHostLink, startHub } from './hub.mjs';
import { eventually, join, joinAsHost, launchBrowser, messagesWith, openPage, screenshot, send, waitOnline } from './browser.mjs';

let hub;
let browser;
/** The host's page, signed in through the host link once for the whole file. */
let host;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  hub = await startHub();
  browser = await launchBrowser();
  host = await openPage(browser, { viewport: { width: 1200, height: 800 } });
  await joinAsHost(host.page, hub, 'Hana');
});

after(async () => {
  await host?.context.close();
  await browser?.close();
  await hub?.stop();
});

function debug(...pages) {
  const problems = [host, ...pages].map((p) => p.problems.join('\n')).join('\n');
  return `\n${problems}\n--- hub stderr ---\n${hub.stderr().slice(-4000)}`;
}

/** A guest in a fresh browser context, joined and online. */
async function guest(name, viewport = { width: 1100, height: 760 }) {
  const g = await openPage(browser, { viewport });
  await g.page.goto(hub.url);
  await join(g.page, name);
  await waitOnline(g.page);
  return g;
}

function onlineEntry(page, name) {
  return page.getByTestId('online-list').getByTestId('online-user').filter({ hasText: name });
}

/** Opens the console on the host's page at a tab. */
async function openConsole(tab) {
  const page = host.page;
  if ((await page.getByTestId('console').count()) === 0) await page.getByTestId('open-console').click();
  await page.getByTestId('console').waitFor();
  await page.getByTestId(`console-tab-${tab}`).click();
  return page;
}

/** Back from the console to the chat on the host's page. */
async function hostBackToChat() {
  if ((await host.page.getByTestId('console').count()) > 0) await host.page.getByTestId('console-back').click();
  await host.page.getByTestId('composer').waitFor();
}

test('the host link made Hana a host, and took the token off the address', async () => {
  assert.equal(new URL(host.page.url()).searchParams.has('host'), false);
  await host.page.getByTestId('me-name').waitFor();
  const badge = host.page.getByRole('banner').getByTestId('role-badge');
  assert.equal(await badge.getAttribute('data-role'), 'host');
  await host.page.getByTestId('open-inspector').waitFor();
});

test('an announcement: a banner for guests, an inbox entry, badges, no console for guests', { timeout: 120_000 }, async (t) => {
  const ned = await guest('Ned');
  t.after(() => ned.context.close());
  try {
    // Badges: Hana is a host in Ned's online list and on her messages.
    await eventually('Hana badged Host in the online list', async () =>
      (await onlineEntry(ned.page, 'Hana').getByTestId('role-badge').getAttribute('data-role')) === 'host',
    );
    await hostBackToChat();
    await send(host.page, 'Welcome everyone');
    const hers = messagesWith(ned.page, 'Welcome everyone');
    await hers.waitFor();
    assert.equal(await hers.getByTestId('role-badge').textContent(), 'Host');
    assert.equal(await onlineEntry(host.page, 'Ned').getByTestId('role-badge').count(), 0, 'guests have no badge');

    const page = await openConsole('announcements');
    await page.getByTestId('ann-text').fill('Pizza is here!');
    await page.getByTestId('ann-channel').selectOption('');
    await page.getByTestId('ann-post').click();
    await page.getByTestId('console-status').filter({ hasText: 'Announced' }).waitFor();
    await page.getByTestId('console-announcement').filter({ hasText: 'Pizza is here!' }).waitFor();

    // Ned: the banner, and an inbox entry of kind `announcement`.
    const banner = ned.page.getByTestId('announcement').filter({ hasText: 'Pizza is here!' });
    await banner.waitFor();
    await ned.page.getByTestId('bell-count').waitFor();
    await ned.page.getByTestId('bell').click();
    const item = ned.page.locator('[data-testid="inbox-item"][data-kind="announcement"]');
    await item.waitFor();
    assert.match((await item.textContent()) ?? '', /Pizza is here!/);
    await screenshot(ned.page, 'moderation-announcement');
    await ned.page.keyboard.press('Escape');

    // Dismissed for this tab: it stays gone after a reload.
    await banner.getByTestId('announcement-dismiss').click();
    await banner.waitFor({ state: 'detached' });
    await ned.page.reload();
    await waitOnline(ned.page);
    await sleep(500);
    assert.equal(await ned.page.getByTestId('announcement').filter({ hasText: 'Pizza is here!' }).count(), 0);

    // A guest has no console link, and /console says it is for staff.
    assert.equal(await ned.page.getByTestId('open-console').count(), 0);
    await ned.page.goto(`${hub.url}/console`);
    await ned.page.getByTestId('console-forbidden').waitFor();

    // Cleared: gone from the console's list.
    await page.getByTestId('console-announcement').filter({ hasText: 'Pizza is here!' }).getByRole('button', { name: /Clear/ }).click();
    await page.getByTestId('action-confirm').click();
    await page.getByTestId('console-announcement').filter({ hasText: 'Pizza is here!' }).waitFor({ state: 'detached' });
  } catch (err) {
    await screenshot(ned.page, 'moderation-announcement-failure').catch(() => {});
    err.message += debug(ned);
    throw err;
  }
});

test('a mute: the composer says so, a send is refused, a staff delete, then an unmute', { timeout: 120_000 }, async (t) => {
  const mia = await guest('Mia');
  t.after(() => mia.context.close());
  try {
    await hostBackToChat();
    await send(mia.page, 'before the mute');
    const early = messagesWith(host.page, 'before the mute');
    await early.waitFor();

    // The host deletes Mia's message: Mia sees it removed by a moderator.
    await early.hover();
    await early.getByRole('button', { name: "Delete Mia's message" }).click();
    await early.getByTestId('message-delete-confirm').click();
    await mia.page.locator('[data-testid="message-deleted"][data-removed="true"]').filter({ hasText: 'Removed by a moderator' }).waitFor();

    const page = await openConsole('people');
    const row = page.getByTestId('console-user').filter({ hasText: 'Mia' });
    await row.getByRole('button', { name: 'Mute Mia', exact: true }).click();
    const dialog = page.getByTestId('action-dialog');
    await dialog.getByRole('heading', { name: 'Mute Mia' }).waitFor();
    await dialog.getByLabel('15 minutes').check();
    await dialog.getByTestId('mute-scope').selectOption('');
    await dialog.getByTestId('action-reason').fill('calm down');
    await dialog.getByTestId('action-confirm').click();
    await page.getByTestId('console-status').filter({ hasText: 'Muted Mia' }).waitFor();
    await row.getByTestId('user-muted').waitFor();

    // Mia is told, and her composer says she is muted before she tries.
    await mia.page.locator('[data-testid="toast"][data-kind="moderation"]').filter({ hasText: 'muted you' }).waitFor();
    const note = mia.page.getByTestId('composer-note');
    await note.filter({ hasText: /You are muted for 1[45] more minutes/ }).waitFor();
    assert.equal(await note.getAttribute('data-kind'), 'muted');

    // A send is refused by the hub: shown on the message and near the composer; nobody gets it.
    await send(mia.page, 'can I still talk?');
    const refused = mia.page.getByTestId('message-error');
    await refused.waitFor();
    assert.equal(await refused.getAttribute('data-code'), 'muted');
    assert.match((await refused.textContent()) ?? '', /You are muted for/);
    await mia.page.getByTestId('composer-error').waitFor().catch(() => {}); // the standing note may already say it
    await screenshot(mia.page, 'moderation-muted');
    await sleep(500);
    await hostBackToChat();
    assert.equal(await messagesWith(host.page, 'can I still talk?').count(), 0, 'a muted message reaches nobody');

    // Unmuted: the note goes and she can write again.
    const page2 = await openConsole('people');
    await page2.getByTestId('console-user').filter({ hasText: 'Mia' }).getByRole('button', { name: 'Unmute Mia', exact: true }).click();
    await page2.getByTestId('action-dialog').getByTestId('mute-scope').selectOption('');
    await page2.getByTestId('action-confirm').click();
    await page2.getByTestId('console-status').filter({ hasText: 'Unmuted Mia' }).waitFor();
    await note.waitFor({ state: 'detached' });
    await send(mia.page, 'thanks, back now');
    await hostBackToChat();
    await messagesWith(host.page, 'thanks, back now').waitFor();
  } catch (err) {
    await screenshot(mia.page, 'moderation-mute-failure').catch(() => {});
    await screenshot(host.page, 'moderation-mute-host-failure').catch(() => {});
    err.message += debug(mia);
    throw err;
  }
});

test('a kick says why and waits to rejoin; log out; a host link claimed while signed in', { timeout: 120_000 }, async (t) => {
  const kim = await guest('Kim');
  const lou = await guest('Lou');
  t.after(async () => {
    await kim.context.close();
    await lou.context.close();
  });
  try {
    const page = await openConsole('people');
    await page.getByTestId('console-user').filter({ hasText: 'Kim' }).getByRole('button', { name: 'Kick Kim', exact: true }).click();
    const dialog = page.getByTestId('action-dialog');
    await dialog.getByTestId('action-reason').fill('take a break');
    await screenshot(page, 'moderation-console');
    await dialog.getByTestId('action-confirm').click();
    await page.getByTestId('console-status').filter({ hasText: 'Kicked Kim' }).waitFor();

    // Kim's page: who and why, and Rejoin only once the minute is over; no reconnecting meanwhile.
    const screen = kim.page.getByTestId('kicked-screen');
    await screen.waitFor();
    assert.match((await screen.textContent()) ?? '', /A host removed you/);
    await kim.page.getByTestId('removed-reason').filter({ hasText: 'take a break' }).waitFor();
    assert.equal(await kim.page.getByTestId('rejoin').isDisabled(), true);
    let sockets = 0;
    kim.page.on('websocket', () => sockets++);
    await sleep(2000);
    assert.equal(sockets, 0, 'a kicked page does not reconnect by itself');

    // Lou logs out from the status menu: back to the join screen, the session gone.
    await lou.page.getByTestId('status-menu').click();
    await lou.page.getByTestId('logout').click();
    await lou.page.getByTestId('join-name').waitFor();
    await lou.page.getByText('You logged out.').waitFor();
    assert.equal((await lou.context.request.get(`${hub.url}/api/me`)).status(), 401);

    // Lou joins again, then opens a new host link while signed in: she becomes a host.
    await join(lou.page, 'Lou Again');
    await waitOnline(lou.page);
    const link = await newHostLink(hub);
    await lou.page.goto(link);
    await lou.page.locator('[data-testid="flash"][data-tone="info"]').filter({ hasText: 'You are now a host' }).waitFor();
    await lou.page.getByTestId('open-console').waitFor();
    assert.equal(new URL(lou.page.url()).searchParams.has('host'), false);

    // The same link again: refused, and said so.
    await lou.page.goto(link);
    await lou.page.locator('[data-testid="flash"][data-tone="error"]').filter({ hasText: 'already used' }).waitFor();
  } catch (err) {
    await screenshot(kim.page, 'moderation-kick-failure').catch(() => {});
    await screenshot(lou.page, 'moderation-lou-failure').catch(() => {});
    err.message += debug(kim, lou);
    throw err;
  }
});

test('rooms: a locked room is read-only for guests, slow mode spaces their messages', { timeout: 120_000 }, async (t) => {
  const rae = await guest('Rae');
  t.after(() => rae.context.close());
  try {
    const page = await openConsole('rooms');
    const lobby = page.getByTestId('console-room').filter({ hasText: '#Lobby' });
    await lobby.getByRole('button', { name: 'Lock #Lobby' }).click();
    await page.getByTestId('console-status').filter({ hasText: 'locked' }).waitFor();
    await lobby.getByTestId('room-locked').waitFor();

    // Rae's composer is off before she tries, and the header says why.
    await rae.page.locator('[data-testid="composer-note"][data-kind="locked"]').filter({ hasText: 'This room is locked' }).waitFor();
    assert.equal(await rae.page.getByTestId('composer').isDisabled(), true);
    await rae.page.getByTestId('room-locked').waitFor();

    await lobby.getByRole('button', { name: 'Unlock #Lobby' }).click();
    await page.getByTestId('console-status').filter({ hasText: 'unlocked' }).waitFor();
    await rae.page.getByTestId('composer-note').waitFor({ state: 'detached' });

    await lobby.getByTestId('room-slow-mode').selectOption('30');
    await page.getByTestId('console-status').filter({ hasText: 'Slow mode' }).waitFor();
    await rae.page.locator('[data-testid="composer-note"][data-kind="slow"]').filter({ hasText: 'one message every 30 seconds' }).waitFor();
    await send(rae.page, 'first of two');
    await rae.page.getByTestId('composer-note').filter({ hasText: /you can send again in \d+ s/ }).waitFor();
    await send(rae.page, 'second too soon');
    const refused = rae.page.getByTestId('message-error');
    await refused.waitFor();
    assert.equal(await refused.getAttribute('data-code'), 'slow_mode');
    assert.match((await refused.textContent()) ?? '', /Slow mode: you can send again in \d+ s/);

    await lobby.getByTestId('room-slow-mode').selectOption('0');
    await page.getByTestId('console-status').filter({ hasText: 'Slow mode off' }).waitFor();
    await rae.page.getByTestId('composer-note').waitFor({ state: 'detached' });
  } catch (err) {
    await screenshot(rae.page, 'moderation-rooms-failure').catch(() => {});
    err.message += debug(rae);
    throw err;
  }
});

// Last in the file: the ban refuses the troll's address, which every page of this test shares.
test('a ban: the troll leaves every list, sees the banned screen, and cannot join again', { timeout: 120_000 }, async (t) => {
  const ann = await guest('Ann');
  const ben = await guest('Ben', { width: 360, height: 740 });
  const troll = await guest('Troll');
  t.after(async () => {
    await ann.context.close();
    await ben.context.close();
    await troll.context.close();
  });
  try {
    await hostBackToChat();
    for (const g of [ann, host]) await onlineEntry(g.page, 'Troll').waitFor();

    const page = await openConsole('people');
    const row = page.getByTestId('console-user').filter({ hasText: 'Troll' });
    await row.getByRole('button', { name: 'Ban Troll', exact: true }).click();
    const dialog = page.getByTestId('action-dialog');
    await dialog.getByRole('heading', { name: 'Ban Troll' }).waitFor();
    await dialog.getByTestId('action-reason').fill('spamming the lobby');
    await dialog.getByTestId('ban-address').selectOption('60');
    await dialog.getByTestId('action-confirm').click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('console-status').filter({ hasText: 'Banned Troll' }).waitFor();

    // The troll's socket is closed: the banned screen, and no reconnecting.
    const screen = troll.page.getByTestId('banned-screen');
    await screen.waitFor();
    assert.match((await screen.textContent()) ?? '', /You are banned from this hub/);
    await screenshot(troll.page, 'moderation-banned');

    // Gone from every guest's online list (Ben's is the chip strip of a phone).
    for (const g of [ann, ben]) {
      await eventually(`Troll gone from a guest's list`, async () => (await onlineEntry(g.page, 'Troll').count()) === 0);
    }

    // The ban is listed, with its reason.
    await page.getByTestId('console-tab-bans').click();
    const ban = page.getByTestId('console-ban').filter({ hasText: 'Troll' });
    await ban.waitFor();
    assert.match((await ban.textContent()) ?? '', /spamming the lobby/);

    // The same browser, without its session, under a new name: refused as banned.
    await troll.context.clearCookies();
    await troll.page.goto(hub.url);
    await join(troll.page, 'Nice Person');
    const error = troll.page.getByTestId('join-error');
    await error.waitFor();
    assert.match((await error.textContent()) ?? '', /banned/i);
    await sleep(300);
    assert.equal(await onlineEntry(ann.page, 'Nice Person').count(), 0);
  } catch (err) {
    await screenshot(troll.page, 'moderation-ban-failure').catch(() => {});
    await screenshot(host.page, 'moderation-ban-host-failure').catch(() => {});
    err.message += debug(ann, ben, troll);
    throw err;
  }
});
