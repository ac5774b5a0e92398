// E2E: a direct conversation (request, accept, messages, "Seen", typing), a reload that resumes with `since`, live unread counts, reactions, an edit, a delete, search and a new room.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHub } from './hub.mjs';
import { eventually, join, launchBrowser, messagesWith, openPage, screenshot, send, waitOnline } from './browser.mjs';

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

/** The online-list entry of the user whose name includes `name`. */
function onlineEntry(page, name) {
  return page.getByTestId('online-list').getByTestId('online-user').filter({ hasText: name });
}

/** Every socket URL a page opens and every `subscribed` frame it receives, in order. */
function watchSockets(page) {
  const seen = { urls: [], subscribed: [] };
  page.on('websocket', (ws) => {
    seen.urls.push(ws.url());
    ws.on('framereceived', ({ payload }) => {
      if (typeof payload !== 'string' || !payload.includes('"subscribed"')) return;
      try {
        const frame = JSON.parse(payload);
        if (frame.type === 'subscribed') seen.subscribed.push(frame);
      } catch {
        // not JSON: not ours to judge here
      }
    });
  });
  return seen;
}

/** The log entry (confirmed) whose text includes `text`. */
function confirmed(page, text) {
  return page.getByTestId('messages').locator('[data-testid="message"][data-pending="false"]').filter({ hasText: text });
}

test('direct messages, read receipts, resume after reload, unread counts, reactions and edits', { timeout: 180_000 }, async (t) => {
  const alice = await openPage(browser, { viewport: { width: 1280, height: 800 } });
  const bob = await openPage(browser, { viewport: { width: 1280, height: 800 } });
  t.after(async () => {
    await alice.context.close();
    await bob.context.close();
  });
  const bobSockets = watchSockets(bob.page);
  const debug = () =>
    `\nalice: ${alice.problems.join('\n')}\nbob: ${bob.problems.join('\n')}\n--- hub stderr ---\n${hub.stderr().slice(-4000)}`;
  const a = alice.page;
  const b = bob.page;

  try {
    await a.goto(hub.url);
    await join(a, 'Alice');
    await waitOnline(a);
    await b.goto(hub.url);
    await join(b, 'Bob');
    await waitOnline(b);
    // The Lobby is the default view and listed first.
    await a.getByTestId('room-title').filter({ hasText: 'Lobby' }).waitFor();
    await a.locator('[data-testid="room-item"][data-channel="room:lobby"][aria-current="page"]').waitFor();

    // ---- Alice asks Bob for a conversation from the online list ----
    await onlineEntry(a, 'Bob').getByTestId('start-dm').click();
    await a.getByTestId('room-title').filter({ hasText: 'Bob' }).waitFor();
    const aliceDm = a.locator('[data-testid="dm-item"][data-state="pending"]').filter({ hasText: 'Bob' });
    await aliceDm.getByTestId('dm-waiting').waitFor();
    await a.getByTestId('dm-waiting-banner').waitFor();
    assert.equal(await a.getByTestId('composer').count(), 0, 'no composer before Bob accepts');
    const dmChannel = await aliceDm.getAttribute('data-channel');
    assert.match(dmChannel ?? '', /^dm:\d+$/);

    // Bob: a toast and a pending request in his list, with Accept / Decline.
    await b.locator('[data-testid="toast"][data-kind="dm_request"]').filter({ hasText: 'Alice' }).waitFor();
    const bobRequest = b.locator('.dm-entry').filter({ has: b.locator(`[data-testid="dm-item"][data-channel="${dmChannel}"]`) });
    await bobRequest.getByTestId('dm-decline').waitFor();
    await screenshot(b, 'dm-bob-request');
    await bobRequest.getByTestId('dm-accept').click();
    await b.getByTestId('room-title').filter({ hasText: 'Alice' }).waitFor();
    await b.locator(`[data-testid="dm-item"][data-channel="${dmChannel}"][data-state="accepted"]`).waitFor();
    assert.equal(await b.getByTestId('dm-accept').count(), 0, 'the request is gone once accepted');

    // Alice's side turns into a conversation she can write in.
    await a.locator(`[data-testid="dm-item"][data-channel="${dmChannel}"][data-state="accepted"]`).waitFor();
    await a.getByTestId('composer').waitFor();

    // ---- messages both ways; Bob reads Alice's, so Alice sees "Seen" ----
    await send(a, 'Hi Bob, it is Alice');
    await confirmed(b, 'Hi Bob, it is Alice').waitFor();
    await confirmed(a, 'Hi Bob, it is Alice').waitFor();
    const receipt = a.getByTestId('read-receipt');
    await receipt.filter({ hasText: 'Seen' }).waitFor();
    assert.equal(await receipt.getAttribute('data-seen'), 'true');
    await screenshot(a, 'dm-alice-seen');

    // Typing: Bob types, Alice sees it; he clears the box and it goes.
    await b.getByTestId('composer').fill('Hey Ali');
    await b.getByTestId('composer').press('e');
    await a.getByTestId('typing').filter({ hasText: 'Bob is typing…' }).waitFor();
    await b.getByTestId('composer').fill('');
    await b.getByTestId('composer').press('Backspace');
    await a.getByTestId('typing').waitFor({ state: 'detached' });

    await send(b, 'Hey Alice, Bob here');
    await confirmed(a, 'Hey Alice, Bob here').waitFor();
    // Bob's own last message waits to be seen until Alice (who is looking) marks it read.
    await b.getByTestId('read-receipt').filter({ hasText: 'Seen' }).waitFor();

    // ---- Bob reloads: same conversation, resumed with `since`, nothing unread ----
    const urlsBefore = bobSockets.urls.length;
    const subscribedBefore = bobSockets.subscribed.length;
    await b.reload();
    await waitOnline(b);
    await b.getByTestId('room-title').filter({ hasText: 'Alice' }).waitFor();
    await confirmed(b, 'Hi Bob, it is Alice').waitFor();
    await confirmed(b, 'Hey Alice, Bob here').waitFor();
    assert.equal(await messagesWith(b, 'Hi Bob, it is Alice').count(), 1);
    const resumeUrl = new URL(bobSockets.urls[urlsBefore]);
    const since = resumeUrl.searchParams.get('since') ?? '';
    assert.match(since, new RegExp(`(^|,)${dmChannel}@[0-9a-f]+:\\d+`), `since names the conversation: ${since}`);
    assert.match(since, /(^|,)room:lobby@[0-9a-f]+:\d+/, `since names the Lobby: ${since}`);
    const dmSubscribed = await eventually('the conversation to be resumed', () =>
      bobSockets.subscribed.slice(subscribedBefore).find((f) => f.channel === dmChannel),
    );
    assert.equal(dmSubscribed.recovered, true, 'the conversation was caught up, not refetched');
    assert.equal(dmSubscribed.messages, undefined, 'no snapshot of messages after a resume');
    assert.equal(dmSubscribed.unread, 0);
    assert.equal(await b.locator(`[data-testid="dm-item"][data-channel="${dmChannel}"] [data-testid="unread-badge"]`).count(), 0);
    await screenshot(b, 'dm-bob-reloaded');

    // ---- Bob goes to the Lobby; a new message from Alice counts as unread ----
    await b.locator('[data-testid="room-item"][data-channel="room:lobby"]').click();
    await b.getByTestId('room-title').filter({ hasText: 'Lobby' }).waitFor();
    await send(a, 'Are you still there?');
    await confirmed(a, 'Are you still there?').waitFor();
    const bobDmBadge = b.locator(`[data-testid="dm-item"][data-channel="${dmChannel}"] [data-testid="unread-badge"]`);
    await bobDmBadge.filter({ hasText: /^\s*1\s*$/ }).waitFor();
    await eventually('the unread count in the title', async () => (await b.title()).startsWith('(1) '));
    assert.equal(await b.locator('[data-testid="room-item"][data-channel="room:lobby"] [data-testid="unread-badge"]').count(), 0);
    assert.equal(await a.getByTestId('read-receipt').filter({ hasText: 'Seen' }).count(), 0, 'not seen while Bob is elsewhere');
    await screenshot(b, 'dm-bob-unread');

    // The count survives a reload (Bob stays in the Lobby), then reading clears it.
    await b.reload();
    await waitOnline(b);
    await b.getByTestId('room-title').filter({ hasText: 'Lobby' }).waitFor();
    await bobDmBadge.filter({ hasText: /^\s*1\s*$/ }).waitFor();
    await b.locator(`[data-testid="dm-item"][data-channel="${dmChannel}"]`).click();
    await confirmed(b, 'Are you still there?').waitFor();
    await bobDmBadge.waitFor({ state: 'detached' });
    await a.getByTestId('read-receipt').filter({ hasText: 'Seen' }).waitFor();
    await eventually('no unread count in the title', async () => !(await b.title()).startsWith('('));

    // ---- the Lobby: a reaction (toggled by both) and an edit and a delete by the author ----
    await a.locator('[data-testid="room-item"][data-channel="room:lobby"]').click();
    await b.locator('[data-testid="room-item"][data-channel="room:lobby"]').click();
    await send(a, 'Lunch at noon?');
    await send(a, 'typo message');
    const lunchOnBob = confirmed(b, 'Lunch at noon?');
    await lunchOnBob.waitFor();
    await lunchOnBob.hover();
    await lunchOnBob.getByTestId('react').click();
    await lunchOnBob.locator('[data-testid="react-option"][data-emoji="👍"]').click();
    const chip = (page) => confirmed(page, 'Lunch').locator('[data-testid="reaction"][data-emoji="👍"]');
    await chip(b).and(b.locator('[data-count="1"][data-mine="true"]')).waitFor();
    await chip(a).and(a.locator('[data-count="1"][data-mine="false"]')).waitFor();
    await chip(a).click(); // Alice adds hers by clicking the chip
    await chip(b).and(b.locator('[data-count="2"]')).waitFor();
    await chip(a).and(a.locator('[data-count="2"][data-mine="true"]')).waitFor();
    await chip(b).click(); // Bob takes his back
    await chip(a).and(a.locator('[data-count="1"][data-mine="true"]')).waitFor();
    await chip(b).and(b.locator('[data-count="1"][data-mine="false"]')).waitFor();

    // Only the author can edit: Bob has no Edit on Alice's message.
    assert.equal(await lunchOnBob.getByTestId('message-edit').count(), 0);
    const lunchOnAlice = confirmed(a, 'Lunch at noon?');
    await lunchOnAlice.hover();
    await lunchOnAlice.getByTestId('message-edit').click();
    await a.getByTestId('message-edit-input').fill('Lunch at 1pm?');
    await a.getByTestId('message-edit-save').click();
    for (const page of [a, b]) {
      const edited = confirmed(page, 'Lunch at 1pm?');
      await edited.getByTestId('message-edited').waitFor();
      assert.equal(await edited.getByTestId('message-body').textContent(), 'Lunch at 1pm?');
      assert.equal(await messagesWith(page, 'Lunch at noon?').count(), 0);
    }
    // The reaction stays on the edited message.
    await chip(b).and(b.locator('[data-count="1"]')).waitFor();

    const typo = confirmed(a, 'typo message');
    await typo.hover();
    await typo.getByTestId('message-delete').click();
    await typo.getByTestId('message-delete-confirm').click();
    for (const page of [a, b]) {
      await page.locator('[data-testid="message"][data-deleted="true"]').getByTestId('message-deleted').waitFor();
      assert.equal(await messagesWith(page, 'typo message').count(), 0);
    }
    await screenshot(b, 'dm-lobby-reactions');

    // ---- search finds the edited text; a result opens its channel ----
    await b.locator(`[data-testid="dm-item"][data-channel="${dmChannel}"]`).click();
    await b.getByTestId('search').fill('1pm');
    await b.getByTestId('search').press('Enter');
    const result = b.getByTestId('search-result').filter({ hasText: 'Lunch at 1pm?' });
    await result.waitFor();
    assert.match((await result.textContent()) ?? '', /Alice/);
    await screenshot(b, 'dm-search');
    await result.click();
    await b.getByTestId('room-title').filter({ hasText: 'Lobby' }).waitFor();
    await confirmed(b, 'Lunch at 1pm?').waitFor();

    // ---- Alice creates an open room; Bob finds it, joins, and reads what is there ----
    await a.getByTestId('new-room-toggle').click();
    await a.getByTestId('new-room-name').fill('Board games');
    await a.getByTestId('new-room-topic').fill('Saturday night');
    await a.getByTestId('new-room-submit').click();
    await a.getByTestId('room-title').filter({ hasText: 'Board games' }).waitFor();
    await a.getByTestId('room-topic').filter({ hasText: 'Saturday night' }).waitFor();
    await send(a, 'Who brings Catan?');
    await confirmed(a, 'Who brings Catan?').waitFor();
    await b.getByTestId('browse-rooms').click();
    await b.locator('[data-testid="room-open"]').filter({ hasText: 'Board games' }).getByTestId('room-join').click();
    await b.getByTestId('room-title').filter({ hasText: 'Board games' }).waitFor();
    await confirmed(b, 'Who brings Catan?').waitFor();
    await a.getByTestId('room-here').filter({ hasText: '2 here' }).waitFor();

    // ---- the same conversation on a phone: the drawer lists it ----
    const phone = await bob.context.newPage();
    await phone.setViewportSize({ width: 360, height: 740 });
    const phoneProblems = [];
    phone.on('pageerror', (err) => phoneProblems.push(`pageerror: ${err.message}`));
    await phone.goto(hub.url);
    await waitOnline(phone);
    const drawer = phone.getByTestId('sidebar');
    const settled = () => drawer.evaluate((el) => Promise.all(el.getAnimations().map((an) => an.finished)));
    assert.equal(await drawer.isVisible(), false, 'the drawer starts closed on a phone');
    await phone.getByTestId('menu').click();
    const phoneDm = phone.locator(`[data-testid="dm-item"][data-channel="${dmChannel}"]`);
    await phoneDm.waitFor();
    await settled();
    await screenshot(phone, 'dm-phone-drawer');
    await phoneDm.click();
    await phone.getByTestId('room-title').filter({ hasText: 'Alice' }).waitFor();
    await drawer.waitFor({ state: 'hidden' });
    await confirmed(phone, 'Are you still there?').waitFor();
    await screenshot(phone, 'dm-phone-conversation');
    await phone.close();

    assert.deepEqual([...alice.problems, ...bob.problems, ...phoneProblems], [], 'no page errors');
  } catch (err) {
    await screenshot(a, 'dm-alice-failure').catch(() => {});
    await screenshot(b, 'dm-bob-failure').catch(() => {});
    err.message += debug();
    throw err;
  }
});
