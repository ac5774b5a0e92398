// E2E: chat people would rather use: replies with a quote that jumps to the original (loading history), the @mention and emoji pickers, safe links, long messages collapsed, right-to-left text, grouping and 12+ messages on a phone, actions on tap and long press, the skip link and where focus goes, the manifest, a first visit without console errors, toasts that name their room and leave once dealt with, and the alert switches.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHub } from './hub.mjs';
import { eventually, join, launchBrowser, messagesWith, openPage, screenshot, send, waitOnline } from './browser.mjs';

const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 };
const DESKTOP = { viewport: { width: 1920, height: 1080 } };

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

/**
 * Joins `name` through the REST API and opens its socket in a page of its own (a second person
 * typing fast, for seeding history): `say` sends to the lobby, `delete` deletes, each waiting for
 * the hub's answer.
 */
async function bot(name) {
  const joined = await fetch(new URL('/api/join', hub.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ display_name: name }),
  }).then((r) => r.json());
  const { token } = await fetch(new URL('/api/auth/ws-token', hub.url), { headers: { authorization: `Bearer ${joined.session}` } }).then((r) => r.json());
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(new URL('/api/info', hub.url).href);
  await page.evaluate(
    ({ url, name }) =>
      new Promise((resolve) => {
        const ws = new WebSocket(url);
        const waiting = new Map();
        let n = 0;
        ws.onmessage = (e) => {
          const f = JSON.parse(e.data);
          if (f.type === 'subscribed' && f.channel === 'room:lobby') resolve();
          if (f.ref && waiting.has(f.ref)) (waiting.get(f.ref)(f), waiting.delete(f.ref));
        };
        const command = (frame) =>
          new Promise((done) => {
            const ref = `${name}-${++n}`;
            waiting.set(ref, done);
            ws.send(JSON.stringify({ ...frame, ref }));
          });
        window.bot = {
          say: (body, replyTo) =>
            command({ type: 'send_message', channel: 'room:lobby', client_message_id: `${name}-${n + 1}`, body, ...(replyTo ? { reply_to: replyTo } : {}) }),
          delete: (id) => command({ type: 'delete_message', channel: 'room:lobby', message_id: id }),
        };
      }),
    { url: `${hub.url.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}`, name },
  );
  const answered = (f) => {
    assert.equal(f.type, 'ack', JSON.stringify(f));
    return f.message_id;
  };
  return {
    user: joined.user,
    say: (body, replyTo) => page.evaluate(([b, r]) => window.bot.say(b, r), [body, replyTo ?? null]).then(answered),
    delete: (id) => page.evaluate((i) => window.bot.delete(i), id).then(answered),
    close: () => context.close(),
  };
}

/** How many messages of the log are wholly on screen, scrolled to the newest. */
async function messagesOnScreen(page) {
  await page.getByTestId('messages').evaluate((el) => (el.scrollTop = el.scrollHeight));
  return page.getByTestId('messages').evaluate((log) => {
    const view = log.getBoundingClientRect();
    const top = Math.max(0, view.top);
    const bottom = Math.min(window.innerHeight, view.bottom);
    return [...log.querySelectorAll('[data-testid="message"]')].filter((m) => {
      const r = m.getBoundingClientRect();
      return r.top >= top && r.bottom <= bottom;
    }).length;
  });
}

/** The actions toolbar of a message is showing (opacity) and takes presses. */
const actionsShown = (message) =>
  message.getByTestId('message-actions').evaluate((el) => getComputedStyle(el).opacity === '1' && getComputedStyle(el).pointerEvents !== 'none');

test('on a phone: grouped messages, 12 or more on screen, actions on tap and long press, a drawer that pops no keyboard', { timeout: 180_000 }, async (t) => {
  const ann = await openPage(browser, PHONE);
  t.after(() => ann.context.close());
  const bo = await bot('Bo Phone');
  t.after(() => bo.close());
  try {
    await ann.page.goto(hub.url);
    await join(ann.page, 'Ann Phone');
    await waitOnline(ann.page);
    // Joining on a phone puts the caret nowhere: no keyboard pops up.
    assert.equal(await ann.page.evaluate(() => document.activeElement?.tagName), 'BODY');

    // The worst case first: every message from the other person than the one before, so each
    // shows its name and time. At least 12 one-line messages still fit on a 390x844 screen.
    for (let i = 1; i <= 14; i++) {
      if (i % 2) await bo.say(`turn ${i}.`);
      else {
        await send(ann.page, `turn ${i}.`);
        await ann.page.locator('[data-testid="message"][data-pending="false"]').filter({ hasText: `turn ${i}.` }).waitFor();
      }
    }
    await messagesWith(ann.page, 'turn 13.').waitFor();
    const alternating = await messagesOnScreen(ann.page);
    t.diagnostic(`${alternating} one-line messages fully visible at 390x844, senders alternating`);
    assert.ok(alternating >= 12, `only ${alternating} messages fit on the phone screen`);
    await screenshot(ann.page, 'chat-phone-alternating');

    // Then a conversation in runs: Bo says three things, Ann answers with three, and so on.
    let line = 0;
    for (let run = 0; run < 6; run++) {
      for (let i = 0; i < 3; i++) {
        if (run % 2 === 0) await bo.say(`bo line ${++line}.`);
        else {
          await send(ann.page, `ann line ${++line}.`);
          await ann.page.locator('[data-testid="message"][data-pending="false"]').filter({ hasText: `ann line ${line}.` }).waitFor();
        }
      }
    }
    await messagesWith(ann.page, `bo line ${line - 3}.`).waitFor();
    const messages = ann.page.getByTestId('messages').getByTestId('message');
    await eventually('all 32 messages', async () => (await messages.count()) >= 32);

    // Grouping: the first of a run shows the name and time, the next two only their text.
    const run = [1, 2, 3].map((n) => messagesWith(ann.page, `bo line ${n}.`));
    assert.equal(await run[0].getByTestId('message-sender').count(), 1);
    assert.equal(await run[1].getAttribute('data-continued'), 'true');
    assert.equal(await run[2].getByTestId('message-sender').count(), 0);
    assert.equal(await messagesWith(ann.page, 'bo line 7.').getByTestId('message-sender').count(), 1, 'a new run starts a group');
    // Your own messages carry no name, only their time.
    assert.equal(await messagesWith(ann.page, 'ann line 4.').getByTestId('message-sender').count(), 0);
    assert.equal(await messagesWith(ann.page, 'ann line 4.').locator('time').count(), 1);
    const grouped = await messagesOnScreen(ann.page);
    t.diagnostic(`${grouped} one-line messages fully visible at 390x844, in runs of three`);
    assert.ok(grouped > alternating, 'grouping fits more');
    // No reaction row and no buttons take room on a message without reactions.
    assert.equal(await ann.page.getByTestId('messages').getByRole('list', { name: 'Reactions' }).count(), 0);

    await screenshot(ann.page, 'chat-phone-grouped');

    // Actions are hidden until a tap on the message; a tap elsewhere hides them again.
    const target = messagesWith(ann.page, 'bo line 13.');
    assert.equal(await actionsShown(target), false, 'actions hidden before a tap');
    await target.getByTestId('message-body').tap();
    await eventually('actions after a tap', () => actionsShown(target));
    await target.getByTestId('message-reply').waitFor();
    await screenshot(ann.page, 'chat-phone-actions');
    await ann.page.getByTestId('me-name').tap();
    await eventually('actions gone after a tap elsewhere', async () => !(await actionsShown(target)));

    // A long press opens them too (a finger held still on the message).
    const other = messagesWith(ann.page, 'bo line 14.');
    const box = await other.getByTestId('message-body').boundingBox();
    const cdp = await ann.context.newCDPSession(ann.page);
    const point = { x: box.x + 10, y: box.y + box.height / 2 };
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [point] });
    await eventually('actions after a long press', () => actionsShown(other));
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    // Lifting the finger presses nothing that the actions brought under it.
    assert.equal(await other.getByTestId('react').getAttribute('aria-expanded'), 'false');
    // Reply from the phone: the composer shows what it answers (and only now takes the caret).
    await other.getByTestId('message-reply').tap();
    await ann.page.getByTestId('composer-reply').filter({ hasText: 'bo line 14.' }).waitFor();
    await ann.page.getByTestId('composer-reply-cancel').tap();

    // Opening the room drawer does not put the caret in a text field.
    await ann.page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
    await ann.page.getByTestId('menu').tap();
    await ann.page.getByTestId('room-list').waitFor();
    await eventually('focus inside the drawer', () => ann.page.evaluate(() => document.getElementById('sidebar')?.contains(document.activeElement)));
    const focused = await ann.page.evaluate(() => ({ tag: document.activeElement?.tagName, type: document.activeElement?.getAttribute('type') }));
    assert.ok(!['INPUT', 'TEXTAREA'].includes(focused.tag), `the drawer focused a text field: ${JSON.stringify(focused)}`);
    assert.deepEqual(ann.problems, []);
  } catch (err) {
    await screenshot(ann.page, 'chat-phone-failure').catch(() => {});
    err.message += `\n${ann.problems.join('\n')}\n--- hub stderr ---\n${hub.stderr().slice(-3000)}`;
    throw err;
  }
});

test('on a desktop: replies jump to the original through older history; pickers, links, show more, dir=auto, the skip link', { timeout: 180_000 }, async (t) => {
  const cy = await openPage(browser, DESKTOP);
  t.after(() => cy.context.close());
  const dee = await bot('Dee Desk');
  t.after(() => dee.close());
  const requests = [];
  cy.page.on('request', (r) => requests.push(r.url()));
  try {
    // Dee writes something, then a lot more, then replies to the first: the original is far back.
    const original = await dee.say('the original plan: pizza at eight');
    for (let i = 0; i < 70; i++) await dee.say(`filler ${i}`);
    await dee.say('as I said', original);

    await cy.page.goto(hub.url);
    await join(cy.page, 'Cy Desk');
    await waitOnline(cy.page);
    // On a desktop the caret waits in the composer after joining.
    await eventually('focus in the composer', () => cy.page.evaluate(() => document.activeElement?.id === 'composer'));

    // The reply shows a quote; the original is not loaded yet.
    const reply = messagesWith(cy.page, 'as I said');
    const quote = reply.getByTestId('reply-quote');
    assert.equal((await quote.getByTestId('reply-quote-text').textContent()).trim(), 'the original plan: pizza at eight');
    assert.match(await quote.textContent(), /Dee Desk/);
    assert.equal(await cy.page.locator(`[data-testid="message"][data-message-id="${original}"]`).count(), 0, 'the original is older than the first page');
    // Clicking the quote loads older pages until the original is there, and shows it.
    await quote.click();
    const target = cy.page.locator(`[data-testid="message"][data-message-id="${original}"]`);
    await target.waitFor();
    await eventually('the original focused and on screen', () =>
      target.evaluate((el) => {
        const r = el.getBoundingClientRect();
        return document.activeElement === el && r.top >= 0 && r.bottom <= window.innerHeight;
      }),
    );

    // Cy replies to it through the hover actions; everyone gets the quote.
    await target.hover();
    await target.getByTestId('message-reply').click();
    await cy.page.getByTestId('composer-reply').waitFor();
    assert.equal(await cy.page.evaluate(() => document.activeElement?.id), 'composer');
    await send(cy.page, 'count me in');
    const mine = messagesWith(cy.page, 'count me in');
    await mine.and(cy.page.locator('[data-pending="false"]')).waitFor();
    assert.equal(await mine.getByTestId('reply-quote').getAttribute('data-reply-to'), String(original));
    assert.equal(await cy.page.getByTestId('composer-reply').count(), 0, 'the reply bar goes once sent');

    // The @mention picker: type @, pick with the arrows and Enter; or with the mouse.
    const composer = cy.page.getByTestId('composer');
    await composer.fill('');
    await composer.pressSequentially('ask @de');
    await cy.page.getByTestId('mention-list').waitFor();
    assert.deepEqual(await cy.page.getByTestId('mention-option').allTextContents().then((l) => l.map((s) => s.trim())), ['Dee Desk']);
    await composer.press('Enter');
    assert.equal(await composer.inputValue(), 'ask @Dee Desk ');
    assert.equal(await cy.page.getByTestId('mention-list').count(), 0);
    await composer.pressSequentially('and @');
    await cy.page.getByTestId('mention-option').filter({ hasText: 'Dee Desk' }).click();
    assert.equal(await composer.inputValue(), 'ask @Dee Desk and @Dee Desk ');
    assert.equal(await cy.page.getByTestId('mention-option').filter({ hasText: 'Cy Desk' }).count(), 0, 'you are not offered yourself');

    // The emoji picker: search, pick; nothing is fetched from elsewhere.
    await composer.fill('pizza time ');
    await cy.page.getByTestId('emoji-button').click();
    await cy.page.getByTestId('emoji-panel').waitFor();
    await cy.page.getByTestId('emoji-search').fill('pizza');
    await cy.page.locator('[data-testid="emoji-option"][data-emoji="🍕"]').click();
    assert.equal(await composer.inputValue(), 'pizza time 🍕');
    assert.equal(await cy.page.getByTestId('emoji-panel').count(), 0);
    await composer.press('Enter');
    await messagesWith(cy.page, 'pizza time 🍕').waitFor();
    // And from the keyboard: the picker opens on its first emoji, the arrows move, Enter picks.
    await composer.fill('');
    await cy.page.getByTestId('emoji-button').click();
    await eventually('the first emoji focused', () => cy.page.evaluate(() => document.activeElement?.getAttribute('data-emoji') === '😀'));
    await cy.page.keyboard.press('ArrowRight');
    await cy.page.keyboard.press('ArrowDown');
    await cy.page.keyboard.press('ArrowUp');
    assert.equal(await cy.page.evaluate(() => document.activeElement?.getAttribute('data-emoji')), '😃');
    await cy.page.keyboard.press('Enter');
    assert.equal(await composer.inputValue(), '😃');
    assert.equal(await cy.page.evaluate(() => document.activeElement?.id), 'composer');
    await composer.fill('');

    // Links: http(s) become anchors that open safely; anything else stays text, markup too.
    await send(cy.page, 'menu at https://example.com/menu?x=1, not javascript:alert(1) nor <b>bold</b>');
    const linked = messagesWith(cy.page, 'menu at');
    await linked.and(cy.page.locator('[data-pending="false"]')).waitFor();
    const anchors = await linked.locator('a').evaluateAll((list) => list.map((a) => ({ href: a.getAttribute('href'), target: a.target, rel: a.rel, text: a.textContent })));
    assert.deepEqual(anchors, [{ href: 'https://example.com/menu?x=1', target: '_blank', rel: 'noopener noreferrer', text: 'https://example.com/menu?x=1' }]);
    assert.equal(await linked.locator('b').count(), 0, 'markup is shown as text');
    assert.match(await linked.getByTestId('message-body').textContent(), /javascript:alert\(1\) nor <b>bold<\/b>/);

    // A long message is collapsed with "Show more".
    const long = `long story ${'word '.repeat(400)}the end`;
    await composer.fill(long);
    await composer.press('Enter');
    const story = messagesWith(cy.page, 'long story');
    await story.getByTestId('message-more').waitFor();
    const collapsed = (await story.getByTestId('message-body').boundingBox()).height;
    assert.equal(await story.getByTestId('message-more').getAttribute('aria-expanded'), 'false');
    await story.getByTestId('message-more').click();
    const open = (await story.getByTestId('message-body').boundingBox()).height;
    assert.ok(open > collapsed * 1.5, `expanded ${open}px, collapsed ${collapsed}px`);
    assert.equal(await story.getByTestId('message-more').textContent(), 'Show less');

    // Right-to-left text is laid out right to left: dir=auto on every piece of user text.
    await dee.say('مرحبا بالجميع، البيتزا جاهزة');
    const arabic = messagesWith(cy.page, 'مرحبا');
    await arabic.waitFor();
    assert.equal(await arabic.getByTestId('message-body').getAttribute('dir'), 'auto');
    assert.equal(await arabic.getByTestId('message-body').evaluate((el) => el.matches(':dir(rtl)')), true);
    const withoutDir = await cy.page.getByTestId('messages').evaluate((log) =>
      [...log.querySelectorAll('[data-testid="message-body"], [data-testid="message-sender"], [data-testid="reply-quote-text"]')].filter((el) => el.getAttribute('dir') !== 'auto').length,
    );
    assert.equal(withoutDir, 0, 'every body, name and quote has dir=auto');

    // The skip link is the first stop of the keyboard and takes it to the composer.
    // (Focus is put at the top of the page, as on a fresh load before anything is focused.)
    await cy.page.evaluate(() => {
      const top = document.querySelector('.lobby');
      top.tabIndex = -1;
      top.focus();
      top.removeAttribute('tabindex');
    });
    await cy.page.keyboard.press('Tab');
    assert.equal(await cy.page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'skip-to-composer');
    assert.ok(await cy.page.getByTestId('skip-to-composer').evaluate((el) => el.getBoundingClientRect().top >= 0), 'the skip link shows when focused');
    await cy.page.keyboard.press('Enter');
    assert.equal(await cy.page.evaluate(() => document.activeElement?.id), 'composer');

    // The desktop uses its width: side panels beside a wide chat, lines kept readable.
    const widths = await cy.page.evaluate(() => ({
      chat: document.querySelector('main.chat')?.getBoundingClientRect().width ?? 0,
      sidebar: document.getElementById('sidebar')?.getBoundingClientRect().width ?? 0,
      bubble: Math.max(...[...document.querySelectorAll('[data-testid="message"]')].map((m) => m.getBoundingClientRect().width)),
    }));
    t.diagnostic(`at 1920x1080: chat ${Math.round(widths.chat)} px, sidebar ${Math.round(widths.sidebar)} px, widest bubble ${Math.round(widths.bubble)} px`);
    assert.ok(widths.chat >= 1000, `the chat is only ${widths.chat}px wide`);
    assert.ok(widths.sidebar > 0, 'the room list is beside the chat');
    assert.ok(widths.bubble <= 800, `a bubble is ${widths.bubble}px wide: lines too long to read`);
    await screenshot(cy.page, 'chat-desktop-wide');

    const foreign = requests.filter((u) => !u.startsWith(hub.url) && !u.startsWith('data:'));
    assert.deepEqual(foreign, [], 'everything comes from the hub (works offline)');
    assert.deepEqual(cy.problems, []);
  } catch (err) {
    await screenshot(cy.page, 'chat-desktop-failure').catch(() => {});
    err.message += `\n${cy.problems.join('\n')}\n--- hub stderr ---\n${hub.stderr().slice(-3000)}`;
    throw err;
  }
});

test('a deleted original shows in its replies as deleted, live', { timeout: 60_000 }, async (t) => {
  const eve = await openPage(browser, DESKTOP);
  t.after(() => eve.context.close());
  const fay = await bot('Fay Gone');
  t.after(() => fay.close());
  await eve.page.goto(hub.url);
  await join(eve.page, 'Eve Reader');
  await waitOnline(eve.page);
  const original = await fay.say('soon to be deleted');
  await fay.say('a reply to it', original);
  const quote = messagesWith(eve.page, 'a reply to it').getByTestId('reply-quote');
  await quote.getByTestId('reply-quote-text').filter({ hasText: 'soon to be deleted' }).waitFor();
  // Fay deletes the original: the quote Eve already holds says so at once, with none of its text.
  await fay.delete(original);
  await quote.and(eve.page.locator('[data-deleted="true"]')).waitFor();
  assert.equal(await quote.textContent().then((s) => s.trim()), 'Original message deleted');
  assert.equal(await quote.isDisabled(), true);
  // And after a reload, from the hub's history.
  await eve.page.reload();
  await waitOnline(eve.page);
  await messagesWith(eve.page, 'a reply to it').getByTestId('reply-quote').and(eve.page.locator('[data-deleted="true"]')).waitFor();
  assert.deepEqual(eve.problems, []);
});

test('the manifest is served and linked; a first visit logs no error', { timeout: 60_000 }, async (t) => {
  const res = await fetch(new URL('/manifest.webmanifest', hub.url));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/manifest\+json/);
  const manifest = await res.json();
  assert.equal(manifest.name, 'Hubbub');
  assert.equal(manifest.display, 'standalone');
  assert.match(manifest.theme_color, /^#[0-9a-f]{6}$/i);
  for (const icon of manifest.icons) {
    const r = await fetch(new URL(icon.src, hub.url));
    assert.equal(r.status, 200, icon.src);
    assert.equal(r.headers.get('content-type'), icon.type, icon.src);
  }
  assert.ok(manifest.icons.some((i) => i.sizes === '512x512' && i.type === 'image/png'));

  // A newcomer's first visit: no failed request, no console error.
  const context = await browser.newContext(PHONE);
  t.after(() => context.close());
  const page = await context.newPage();
  const logged = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') logged.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => logged.push(`pageerror: ${e.message}`));
  const failed = [];
  page.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(hub.url);
  await page.getByTestId('join-name').waitFor();
  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  assert.equal(new URL(href, hub.url).pathname, '/manifest.webmanifest');
  await join(page, 'First Timer');
  await waitOnline(page);
  assert.deepEqual(failed, []);
  assert.deepEqual(logged, []);
});

test('toasts name what they are about and leave once dealt with; the sound and vibration switches are remembered', { timeout: 90_000 }, async (t) => {
  const gus = await openPage(browser, DESKTOP);
  const hal = await openPage(browser, DESKTOP);
  t.after(async () => {
    await gus.context.close();
    await hal.context.close();
  });
  for (const [p, name] of [
    [gus, 'Gus Host'],
    [hal, 'Hal Guest'],
  ]) {
    await p.page.goto(hub.url);
    await join(p.page, name);
    await waitOnline(p.page);
  }
  // Gus makes an invite-only room and invites Hal: Hal's toast names the room.
  await gus.page.getByTestId('new-room-toggle').click();
  await gus.page.getByTestId('new-room-name').fill('Back Office');
  await gus.page.getByTestId('new-room-closed').check();
  await gus.page.getByTestId('new-room-submit').click();
  await gus.page.getByTestId('room-title').filter({ hasText: 'Back Office' }).waitFor();
  await gus.page.getByTestId('room-invite').click();
  await gus.page.getByTestId('invite-dialog').getByRole('listitem').filter({ hasText: 'Hal Guest' }).getByTestId('invite-user').click();
  await gus.page.getByTestId('invite-sent').waitFor();
  await gus.page.keyboard.press('Escape');
  const invite = hal.page.locator('[data-testid="toast"][data-kind="room_invite"]');
  await invite.waitFor();
  assert.equal((await invite.locator('.toast-text').textContent()).trim(), 'Gus Host invited you to Back Office');
  // Joining from the toast opens the room, and the toast goes.
  await invite.getByTestId('toast-open').click();
  await hal.page.getByTestId('room-title').filter({ hasText: 'Back Office' }).waitFor();
  await invite.waitFor({ state: 'detached' });

  // A mention toast leaves once Hal opens the room it is about.
  await hal.page.getByTestId('room-item').filter({ hasText: 'Lobby' }).click();
  await send(gus.page, '@Hal Guest the files are in here');
  const mention = hal.page.locator('[data-testid="toast"][data-kind="mention"]');
  await mention.filter({ hasText: 'Gus Host mentioned you' }).waitFor();
  await hal.page.getByTestId('room-item').filter({ hasText: 'Back Office' }).click();
  await mention.waitFor({ state: 'detached' });

  // The switches for sound and vibration, remembered after a reload.
  await hal.page.getByTestId('status-menu').click();
  assert.equal(await hal.page.getByTestId('alert-sound').isChecked(), true);
  await hal.page.getByTestId('alert-sound').uncheck();
  await hal.page.getByTestId('alert-vibrate').uncheck();
  await hal.page.reload();
  await waitOnline(hal.page);
  await hal.page.getByTestId('status-menu').click();
  assert.equal(await hal.page.getByTestId('alert-sound').isChecked(), false);
  assert.equal(await hal.page.getByTestId('alert-vibrate').isChecked(), false);
  assert.deepEqual([...gus.problems, ...hal.problems], []);
});
