// E2E: accessibility checked by axe-core (injected into each page): no serious or critical violation on the join screen, the lobby, a room, a conversation, the party phone view and the big screen, in the light and the dark theme; and a focus ring that shows on the answer tiles.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { startHub } from './hub.mjs';
import { eventually, join, launchBrowser, openPage, screenshot, send, waitOnline } from './browser.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true };
const DESKTOP = { viewport: { width: 1366, height: 900 } };

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

/** Runs axe-core on the page as it is; returns the serious and critical violations, described. */
async function violations(page) {
  // Colours are measured at rest, not halfway through a fade-in.
  await eventually('animations to settle', () => page.evaluate(() => document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity)));
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.slice(0, 5).map((n) => `  ${n.target.join(' ')} ${n.failureSummary?.split('\n').slice(1, 2).join(' ') ?? ''}`).join('\n')}`);
}

async function expectClean(page, screen, t) {
  const found = await violations(page);
  if (found.length) await screenshot(page, `a11y-${screen}`).catch(() => {});
  t.diagnostic(`${screen}: ${found.length} serious or critical violations`);
  assert.deepEqual(found, [], `${screen}:\n${found.join('\n')}`);
}

for (const colorScheme of ['light', 'dark']) {
  test(`chat screens have no serious accessibility violations (${colorScheme})`, { timeout: 120_000 }, async (t) => {
    const ann = await openPage(browser, { ...DESKTOP, colorScheme });
    const bo = await openPage(browser, { ...PHONE, colorScheme });
    t.after(async () => {
      await ann.context.close();
      await bo.context.close();
    });
    const a = `Ann ${colorScheme}`;
    const b = `Bo ${colorScheme}`;

    await ann.page.goto(hub.url);
    await ann.page.getByTestId('join-name').waitFor();
    await expectClean(ann.page, `join-${colorScheme}`, t);
    await join(ann.page, a);
    await waitOnline(ann.page);
    await bo.page.goto(hub.url);
    await join(bo.page, b);
    await waitOnline(bo.page);

    // The lobby with a conversation going: names in many colours, a reply, a reaction, a link.
    for (const text of ['hello everyone', 'see https://example.com/notes', 'snacks at 8']) await send(ann.page, text);
    await send(bo.page, `@${a} on my way`);
    const last = ann.page.getByTestId('message').filter({ has: ann.page.getByTestId('message-body').filter({ hasText: `@${a} on my way` }) });
    await last.waitFor();
    await last.hover();
    await last.getByTestId('react').click();
    await ann.page.locator('[data-testid="react-option"][data-emoji="🎉"]').click();
    await last.getByTestId('reaction').waitFor();
    await last.hover();
    await last.getByTestId('message-reply').click();
    await send(ann.page, 'great');
    await ann.page.getByTestId('message').filter({ has: ann.page.getByTestId('message-body').filter({ hasText: /^great$/ }) }).getByTestId('reply-quote').filter({ hasText: b }).waitFor();
    await ann.page.mouse.move(0, 0);
    await expectClean(ann.page, `lobby-desktop-${colorScheme}`, t);
    // Every hue a user can get: their name on a message and on the page, and their avatar's initials.
    await ann.page.evaluate(() => {
      const probe = document.createElement('div');
      probe.id = 'hue-probe';
      for (const bg of ['var(--surface)', 'color-mix(in srgb, var(--accent) 10%, var(--surface))', 'var(--bg)']) {
        const row = document.createElement('p');
        row.style.background = bg;
        for (let hue = 0; hue < 360; hue += 5) {
          const name = document.createElement('span');
          name.className = 'user-name';
          name.style.setProperty('--user-hue', String(hue));
          name.style.fontSize = '0.78rem';
          name.textContent = `Name ${hue} `;
          const avatar = document.createElement('span');
          avatar.className = 'avatar';
          avatar.style.setProperty('--user-hue', String(hue));
          avatar.textContent = 'AB';
          row.append(name, avatar);
        }
        probe.append(row);
      }
      document.querySelector('main')?.prepend(probe);
    });
    await expectClean(ann.page, `user-colours-${colorScheme}`, t);
    await ann.page.evaluate(() => document.getElementById('hue-probe')?.remove());
    await expectClean(bo.page, `lobby-phone-${colorScheme}`, t);

    // A room of one's own.
    await ann.page.getByTestId('new-room-toggle').click();
    await ann.page.getByTestId('new-room-name').fill(`Kitchen ${colorScheme}`);
    await ann.page.getByTestId('new-room-submit').click();
    await ann.page.getByTestId('room-title').filter({ hasText: `Kitchen ${colorScheme}` }).waitFor();
    await send(ann.page, 'kettle is on');
    await ann.page.getByTestId('messages').getByTestId('message').filter({ hasText: 'kettle is on' }).and(ann.page.locator('[data-pending="false"]')).waitFor();
    await expectClean(ann.page, `room-${colorScheme}`, t);

    // A conversation, and the phone's drawer open over it.
    await ann.page.getByTestId('online-list').getByTestId('online-user').filter({ hasText: b }).getByTestId('start-dm').click();
    await ann.page.getByTestId('dm-waiting-banner').waitFor();
    await expectClean(ann.page, `conversation-${colorScheme}`, t);
    await bo.page.getByTestId('menu').tap();
    await bo.page.getByTestId('room-list').waitFor();
    await expectClean(bo.page, `drawer-phone-${colorScheme}`, t);
    assert.deepEqual([...ann.problems, ...bo.problems], []);
  });
}

test('the party phone view and the big screen have no serious accessibility violations; answer tiles show focus', { timeout: 120_000 }, async (t) => {
  const tv = await openPage(browser, DESKTOP);
  const dan = await openPage(browser, PHONE);
  t.after(async () => {
    await tv.context.close();
    await dan.context.close();
  });
  await tv.page.goto(hub.url);
  await join(tv.page, 'Quizhost');
  await waitOnline(tv.page);
  await tv.page.getByTestId('host-party').click();
  await eventually('the packs to load', () => tv.page.getByTestId('party-pack').isEnabled());
  await tv.page.getByTestId('party-questions').fill('2');
  await tv.page.getByTestId('party-untimed').check();
  await tv.page.getByTestId('party-create').click();
  await tv.page.waitForURL(/\/party\/[A-Z0-9]+\/host$/);
  const code = new URL(tv.page.url()).pathname.split('/')[2];
  await tv.page.getByTestId('big-screen').waitFor();

  await dan.page.goto(`${hub.url}/party/${code}`);
  await join(dan.page, 'Dan');
  await dan.page.locator('[data-testid="party-page"][data-role="player"]').waitFor();
  await expectClean(dan.page, 'party-phone-lobby', t);
  await expectClean(tv.page, 'big-screen-lobby', t);

  await dan.page.getByTestId('party-ready').click();
  await tv.page.getByTestId('host-drawer-toggle').click();
  await eventually('Start to be enabled', () => tv.page.getByTestId('party-start').isEnabled());
  await tv.page.getByTestId('party-start').click();
  await dan.page.getByTestId('answer-0').waitFor();
  await expectClean(dan.page, 'party-phone-question', t);
  await tv.page.getByTestId('host-drawer-toggle').click().catch(() => {});
  await expectClean(tv.page, 'big-screen-question', t);

  // Each answer tile, focused from the keyboard, shows a ring that differs from its own colour.
  const tiles = await dan.page.locator('[data-testid^="answer-"]').count();
  assert.ok(tiles >= 2);
  for (let i = 0; i < tiles; i++) {
    const tile = dan.page.getByTestId(`answer-${i}`);
    if (!(await tile.isVisible())) continue;
    await tile.focus();
    await dan.page.keyboard.press('Shift+Tab');
    await dan.page.keyboard.press('Tab');
    const ring = await tile.evaluate((el) => {
      const s = getComputedStyle(el);
      return { focused: el.matches(':focus-visible'), style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor, background: s.backgroundColor, shadow: s.boxShadow };
    });
    assert.ok(ring.focused, `answer ${i} is focused from the keyboard`);
    assert.equal(ring.style, 'solid', `answer ${i}: ${JSON.stringify(ring)}`);
    assert.ok(ring.width >= 2, `answer ${i}: ${JSON.stringify(ring)}`);
    assert.notEqual(ring.color, ring.background, `answer ${i}: the ring is the tile's own colour`);
    assert.notEqual(ring.shadow, 'none', `answer ${i}: no contrasting gap around the ring`);
  }
  await screenshot(dan.page, 'a11y-answer-focus');
  assert.deepEqual([...tv.problems, ...dan.problems], []);
});
