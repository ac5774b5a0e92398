// E2E: phones that never lie: a phone whose connection stalls (a relay holds its bytes) is shown reconnecting on the host's roster and on itself once it acts; the browser's offline event; leaving asks first and a player who left comes back to their seat and score; an untimed game the host moves on; a latecomer seated at the lowest score.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHub } from './hub.mjs';
import { eventually, join, launchBrowser, openPage, screenshot, waitOnline } from './browser.mjs';
import { startRelay } from './stall.mjs';

const PHONE = { width: 390, height: 844 };

let hub;
let browser;

before(async () => {
  hub = await startHub({ args: ['--party-reveal-ms', '3000', '--party-countdown-ms', '500'] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await hub?.stop();
});

const partyAt = (page, phase, round) =>
  page.locator(`[data-testid="party-page"][data-phase="${phase}"]${round === undefined ? '' : `[data-round="${round}"]`}`);
const numberAttr = async (locator, name) => Number(await locator.getAttribute(name));

/** Creates a party from the chat shell of `page` (a host at a big screen) and opens the host drawer; returns its code. */
async function createParty(page, name, { questions, untimed = false, lateJoin = null } = {}) {
  await page.goto(hub.url);
  await join(page, name);
  await waitOnline(page);
  await page.getByTestId('host-party').click();
  await eventually('the packs to load', () => page.getByTestId('party-pack').isEnabled());
  await page.getByTestId('party-questions').fill(String(questions));
  if (untimed) await page.getByTestId('party-untimed').check();
  if (lateJoin) {
    await page.getByTestId('party-late-join').check();
    await page.getByTestId('party-late-score').selectOption(lateJoin);
  }
  await page.getByTestId('party-create').click();
  await page.waitForURL(/\/party\/[A-Z0-9]+\/host$/);
  await page.getByTestId('host-drawer-toggle').click();
  await page.getByTestId('host-drawer').waitFor();
  return new URL(page.url()).pathname.split('/')[2];
}

async function joinParty(p, base, code, name) {
  await p.page.goto(`${base}/party/${code}`);
  await join(p.page, name);
  await p.page.locator('[data-testid="party-page"][data-role="player"]').waitFor();
}

test('a stalled phone is shown reconnecting on the roster and on itself; the offline event', { timeout: 120_000 }, async (t) => {
  const host = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  const dan = await openPage(browser, { viewport: PHONE, hasTouch: true });
  const eve = await openPage(browser, { viewport: PHONE, hasTouch: true });
  const relay = await startRelay(hub);
  const all = [host, dan, eve];
  t.after(async () => {
    for (const p of all) await p.context.close();
    await relay.close();
  });
  const debug = () => `\n${all.map((p) => p.problems.join('\n')).join('\n')}\n--- hub stderr ---\n${hub.stderr().slice(-4000)}`;
  const row = (name) => host.page.getByTestId('party-player').filter({ hasText: name });

  try {
    const code = await createParty(host.page, 'Stallhost', { questions: 2 });
    // Dan reaches the hub through the relay; Eve directly.
    await joinParty(dan, relay.url, code, 'Dan');
    await joinParty(eve, hub.url, code, 'Eve');
    for (const p of [dan, eve]) await p.page.getByTestId('party-ready').click();
    await eventually('Start to be enabled', () => host.page.getByTestId('party-start').isEnabled());
    await host.page.getByTestId('party-start').click();
    await partyAt(dan.page, 'question', 0).waitFor();
    await row('Dan').and(host.page.locator('[data-state="connected"]')).waitFor();
    // Time enough for the stall and the way back (+15 s, twice).
    for (let i = 0; i < 2; i++) {
      const before = await numberAttr(host.page.getByTestId('party-timer'), 'data-remaining');
      await host.page.getByTestId('party-extend').click();
      await eventually('15 s more', async () => (await numberAttr(host.page.getByTestId('party-timer'), 'data-remaining')) > before + 10_000);
    }

    // ---- Dan's connection stalls (nothing in, nothing out, no close) just as he answers ----
    relay.stall();
    const stalledAt = Date.now();
    await dan.page.getByTestId('answer-1').click();
    const tappedAt = Date.now();
    // The unanswered send starts a probe: the phone owns up.
    await dan.page.getByTestId('party-reconnecting').waitFor();
    t.diagnostic(`Dan's phone showed "reconnecting" ${Date.now() - tappedAt} ms after he answered into a stalled connection`);
    await dan.page.getByTestId('conn-state').and(dan.page.locator(':not([data-state="online"])')).waitFor();
    await screenshot(dan.page, 'party-phone-reconnecting');
    // The hub hears nothing from him: the host's roster says so.
    await row('Dan').and(host.page.locator('[data-state="reconnecting"]')).waitFor();
    t.diagnostic(`the host's roster showed Dan reconnecting ${Date.now() - stalledAt} ms after his connection stalled`);
    assert.match(await row('Dan').getByTestId('party-player-state').textContent(), /reconnecting/);

    // The connection comes back: he rejoins and his answer goes out, once. (The host's screen is
    // watched for the reveal from now, so it cannot come and go unseen.)
    const revealed = host.page.locator('[data-testid="reveal"][data-round="0"]').waitFor({ timeout: 40_000 });
    relay.resume();
    await dan.page.getByTestId('party-reconnecting').getByRole('button', { name: 'Retry now' }).click().catch(() => {});
    await dan.page.getByTestId('party-reconnecting').waitFor({ state: 'detached' });
    await row('Dan').and(host.page.locator('[data-state="connected"]')).waitFor();
    await eve.page.getByTestId('answer-0').click();
    await revealed;
    assert.equal(await numberAttr(host.page.locator('[data-testid="reveal-bar"][data-index="1"]'), 'data-count'), 1, "Dan's answer counted once");

    // ---- a stall while Dan does nothing: his phone's party heartbeat finds it ----
    await partyAt(dan.page, 'question', 1).waitFor();
    await host.page.getByTestId('party-extend').click();
    await waitOnline(dan.page);
    relay.stall();
    const idleAt = Date.now();
    await dan.page.getByTestId('party-reconnecting').waitFor();
    t.diagnostic(`Dan's idle phone showed "reconnecting" ${Date.now() - idleAt} ms after the stall (party heartbeat)`);
    await row('Dan').and(host.page.locator('[data-state="reconnecting"]')).waitFor();
    relay.resume();
    await dan.page.getByTestId('party-reconnecting').getByRole('button', { name: 'Retry now' }).click().catch(() => {});
    await dan.page.getByTestId('party-reconnecting').waitFor({ state: 'detached' });
    await row('Dan').and(host.page.locator('[data-state="connected"]')).waitFor();

    // ---- the browser says it is offline: the phone says so at once, the roster follows ----
    await dan.context.setOffline(true);
    await dan.page.getByTestId('party-reconnecting').waitFor();
    await row('Dan').and(host.page.locator('[data-state="reconnecting"]')).waitFor();
    await dan.context.setOffline(false);
    await dan.page.getByTestId('party-reconnecting').waitFor({ state: 'detached' });
    await row('Dan').and(host.page.locator('[data-state="connected"]')).waitFor();
    await waitOnline(dan.page);

    assert.deepEqual(
      all.flatMap((p) => p.problems),
      [],
      'no page errors',
    );
  } catch (err) {
    await screenshot(host.page, 'party-stall-host-failure').catch(() => {});
    await screenshot(dan.page, 'party-stall-dan-failure').catch(() => {});
    err.message += debug();
    throw err;
  }
});

test('leave asks first and the seat waits; an untimed game; a latecomer starts at the lowest score', { timeout: 120_000 }, async (t) => {
  // This host prefers reduced motion: the big screen keeps still.
  const host = await openPage(browser, { viewport: { width: 1366, height: 900 }, reducedMotion: 'reduce' });
  const gus = await openPage(browser, { viewport: PHONE, hasTouch: true });
  const hal = await openPage(browser, { viewport: PHONE, hasTouch: true });
  const ivy = await openPage(browser, { viewport: PHONE, hasTouch: true });
  const all = [host, gus, hal, ivy];
  t.after(async () => {
    for (const p of all) await p.context.close();
  });
  const debug = () => `\n${all.map((p) => p.problems.join('\n')).join('\n')}\n--- hub stderr ---\n${hub.stderr().slice(-4000)}`;
  const row = (name) => host.page.getByTestId('party-player').filter({ hasText: name });

  try {
    const code = await createParty(host.page, 'Calmhost', { questions: 2, untimed: true, lateJoin: 'lowest' });
    await host.page.locator('[data-testid="big-screen"][data-motion="false"]').waitFor();
    // The drawer shows the options the party was made with, and changes them.
    assert.equal(await host.page.getByTestId('opt-untimed').isChecked(), true);
    assert.equal(await host.page.getByTestId('opt-late-score').inputValue(), 'lowest');
    await host.page.getByTestId('opt-late-join').uncheck();
    await host.page.getByTestId('opt-late-score').waitFor({ state: 'detached' });
    await host.page.getByTestId('opt-late-join').check();
    await eventually('late joining back on', async () => (await host.page.getByTestId('opt-late-score').inputValue()) === 'lowest');
    await joinParty(gus, hub.url, code, 'Gus');
    await joinParty(hal, hub.url, code, 'Hal');
    for (const p of [gus, hal]) await p.page.getByTestId('party-ready').click();
    await eventually('Start to be enabled', () => host.page.getByTestId('party-start').isEnabled());
    await host.page.getByTestId('party-start').click();

    // ---- an untimed question: no clock anywhere; the way back to chat is not one tap away ----
    await partyAt(gus.page, 'question', 0).waitFor();
    // Screen readers hear the phase change.
    await gus.page.getByTestId('party-announcer').filter({ hasText: 'Question 1 of 2: Which planet is closest to the Sun?' }).waitFor({ state: 'attached' });
    await gus.page.getByTestId('party-untimed').waitFor();
    await host.page.getByTestId('party-untimed').waitFor();
    assert.equal(await gus.page.getByTestId('party-timer').count(), 0, 'no countdown on the phone');
    assert.equal(await gus.page.getByTestId('party-back').count(), 0, 'no "back to chat" during a question');
    // Large text, for the player who needs it (kept in the browser).
    const promptSize = () => gus.page.getByTestId('question-prompt').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    const normalSize = await promptSize();
    await gus.page.getByTestId('party-large-text').click();
    await eventually('larger text', async () => (await promptSize()) >= normalSize * 1.2);
    await screenshot(gus.page, 'party-phone-large-text');
    // Both right (Mercury), so the lowest score is above zero.
    await gus.page.getByTestId('answer-1').click();
    await hal.page.getByTestId('answer-1').click();
    // Everyone answered: the reveal, which waits for the host.
    await partyAt(host.page, 'reveal', 0).waitFor();
    await gus.page.locator('[data-testid="player-result"][data-round="0"]').waitFor();
    const gusScore = await numberAttr(gus.page.getByTestId('my-score'), 'data-score');
    const halScore = await numberAttr(hal.page.getByTestId('my-score'), 'data-score');
    assert.ok(gusScore > 0 && halScore > 0, 'both scored');
    await host.page.getByTestId('party-skip').click();
    await partyAt(gus.page, 'question', 1).waitFor();

    // ---- Gus taps Leave: asked first, from the top of the screen; Stay keeps him in ----
    const leave = gus.page.getByTestId('party-leave');
    const box = await leave.boundingBox();
    assert.ok(box && box.y < PHONE.height / 4, `Leave sits at the top, away from the thumbs (y=${box?.y})`);
    await leave.click();
    await gus.page.getByTestId('party-leave-ask').filter({ hasText: 'Your seat and score are kept' }).waitFor();
    await screenshot(gus.page, 'party-phone-leave-confirm');
    await gus.page.getByTestId('party-leave-cancel').click();
    await gus.page.getByTestId('party-leave-ask').waitFor({ state: 'detached' });
    assert.equal(await partyAt(gus.page, 'question', 1).count(), 1, 'still playing');

    // He leaves for real: the roster says gone, the seat waits.
    await leave.click();
    await gus.page.getByTestId('party-leave-confirm').click();
    await gus.page.getByTestId('party-left').waitFor();
    await row('Gus').and(host.page.locator('[data-state="away"]')).waitFor();
    assert.match(await row('Gus').getByTestId('party-player-state').textContent(), /gone/);

    // ---- Ivy comes late: seated (not watching) at the lowest score ----
    await joinParty(ivy, hub.url, code, 'Ivy');
    await ivy.page.locator('[data-testid="party-page"][data-role="player"][data-phase="question"]').waitFor();
    await ivy.page.getByTestId('answer-pad').waitFor();
    assert.equal(await numberAttr(ivy.page.getByTestId('my-score'), 'data-score'), Math.min(gusScore, halScore), 'she starts at the lowest score');

    // ---- Gus comes back to his seat and score ----
    await gus.page.getByTestId('party-rejoin').click();
    await partyAt(gus.page, 'question', 1).and(gus.page.locator('[data-role="player"]')).waitFor();
    assert.equal(await numberAttr(gus.page.getByTestId('my-score'), 'data-score'), gusScore, 'his score is back');
    await row('Gus').and(host.page.locator('[data-state="connected"]')).waitFor();

    // Everyone answers; the host closes the reveal and the game ends.
    for (const p of [gus, hal, ivy]) await p.page.getByTestId('answer-0').click();
    await partyAt(host.page, 'reveal', 1).waitFor();
    await host.page.getByTestId('party-skip').click();
    await partyAt(gus.page, 'podium').waitFor();
    await ivy.page.getByTestId('final-rank').waitFor();

    assert.deepEqual(
      all.flatMap((p) => p.problems),
      [],
      'no page errors',
    );
  } catch (err) {
    await screenshot(host.page, 'party-leave-host-failure').catch(() => {});
    await screenshot(gus.page, 'party-leave-gus-failure').catch(() => {});
    await screenshot(ivy.page, 'party-leave-ivy-failure').catch(() => {});
    err.message += debug();
    throw err;
  }
});
