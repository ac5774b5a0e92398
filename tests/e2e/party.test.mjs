// E2E: quiz parties: hosted from the chat shell, phones join by link and by code, ready up and answer (a double tap counts once, a reload mid-question keeps seat, answer and score), reveals, podium, final ranks, play again; then nudge, kick, a late watcher, an answer given offline, pause / +15 s / skip and a host handover.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHub } from './hub.mjs';
import { eventually, join, launchBrowser, openPage, screenshot, waitOnline } from './browser.mjs';

const ROUNDS = 3;
const PHONE = { width: 390, height: 844 };

let hub;
let browser;

before(async () => {
  // Reveals last 3 s: long enough that a page busy reconnecting still sees one.
  hub = await startHub({ args: ['--party-reveal-ms', '3000', '--party-countdown-ms', '500'] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await hub?.stop();
});

/** The party page once it shows `phase` (and `round`, if given). */
function partyAt(page, phase, round) {
  const r = round === undefined ? '' : `[data-round="${round}"]`;
  return page.locator(`[data-testid="party-page"][data-phase="${phase}"]${r}`);
}

/** What player `i` answers to a question of `kind` with `n` choices (they differ, so some are wrong). */
function pick(kind, i, n) {
  if (kind === 'multi') return { kind: 'choices', indices: [[0, 1], [0, 2], [2]][i % 3].filter((x) => x < n) };
  if (kind === 'number') return { kind: 'number', value: 1000 + i * 500 };
  return { kind: 'choice', index: i % n };
}

/** Gives `answer` to question `round` through the answer pad, as a player would. */
async function answerWith(page, round, answer) {
  if (answer.kind === 'number') {
    await page.getByTestId('answer-number').fill(String(answer.value));
    await page.getByTestId('answer-submit').click();
  } else if (answer.kind === 'choices') {
    for (const i of answer.indices) await page.getByTestId(`answer-${i}`).click();
    await page.getByTestId('answer-submit').click();
  } else {
    await page.getByTestId(`answer-${answer.index}`).click();
  }
  // The last answer closes the question: the reveal may come before the pad shows "locked in".
  const moved = page.locator(`[data-testid="party-page"]:not([data-phase="question"][data-round="${round}"])`);
  await page.getByTestId('answer-locked').or(moved).waitFor();
}

/** Whether `answer` is right given the revealed correct choice indices (null: cannot tell, e.g. a number). */
function isRight(answer, correct) {
  if (answer.kind === 'choice') return correct.length === 1 && correct[0] === answer.index;
  if (answer.kind === 'choices') {
    const given = [...new Set(answer.indices)].sort((a, b) => a - b);
    return given.length === correct.length && given.every((x, i) => x === correct[i]);
  }
  return null;
}

const numberAttr = async (locator, name) => Number(await locator.getAttribute(name));

test('a quiz party: host, three players, reveal, reload mid-question, podium, play again', { timeout: 180_000 }, async (t) => {
  const startedAt = Date.now();
  const host = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  const names = ['Ann', 'Ben', 'Cleo'];
  const players = [];
  for (const _ of names) players.push(await openPage(browser, { viewport: PHONE, hasTouch: true }));
  // Cleo starts in the chat shell on a wide screen, where the sidebar is always shown.
  await players[2].page.setViewportSize({ width: 1280, height: 800 });
  const all = [host, ...players];
  t.after(async () => {
    for (const p of all) await p.context.close();
  });
  const debug = () =>
    `\n${all.map((p, i) => `${i === 0 ? 'host' : names[i - 1]}: ${p.problems.join('\n')}`).join('\n')}` +
    `\n--- hub stderr ---\n${hub.stderr().slice(-4000)}`;

  try {
    // ---- the host creates a 3-question party of the sample pack from the chat shell ----
    await host.page.goto(hub.url);
    await join(host.page, 'Quizmaster');
    await waitOnline(host.page);
    await host.page.getByTestId('host-party').click();
    const form = host.page.getByTestId('party-form');
    await form.waitFor();
    await eventually('the packs to load', async () => (await host.page.getByTestId('party-pack').isEnabled()));
    assert.equal(await host.page.getByTestId('party-pack').inputValue(), 'sample');
    await host.page.getByTestId('party-questions').fill(String(ROUNDS));
    await host.page.getByTestId('party-create').click();
    await host.page.waitForURL(/\/party\/[A-Z0-9]+\/host$/);
    const code = new URL(host.page.url()).pathname.split('/')[2];
    await host.page.getByTestId('party-code-big').filter({ hasText: code }).waitFor();
    // The host's controls are in a drawer off the shared screen.
    await host.page.getByTestId('host-drawer-toggle').click();
    assert.match(await host.page.getByTestId('party-join-url').textContent(), new RegExp(`/party/${code}$`));
    await eventually('the QR code to load', () =>
      host.page.getByTestId('party-qr').evaluate((img) => img.complete && img.naturalWidth > 0),
    );
    assert.equal(await host.page.getByTestId('party-start').isDisabled(), true, 'Start is off with nobody ready');
    await host.page.getByTestId('party-start-why').waitFor();

    // ---- Ann and Ben open the join link: join screen first, then the party (path kept) ----
    for (const i of [0, 1]) {
      const { page } = players[i];
      await page.goto(`${hub.url}/party/${code}`);
      await page.getByTestId('join-lead').filter({ hasText: code }).waitFor();
      await join(page, names[i]);
      await page.locator('[data-testid="party-page"][data-role="player"][data-phase="lobby"]').waitFor();
      assert.equal(new URL(page.url()).pathname, `/party/${code}`);
    }

    // ---- Cleo types the code in the chat shell (an unknown code first) ----
    {
      const { page } = players[2];
      await page.goto(hub.url);
      await join(page, names[2]);
      await waitOnline(page);
      await page.getByTestId('party-code-input').fill('QQQQ');
      await page.getByTestId('party-code-join').click();
      await page.getByTestId('party-code-error').filter({ hasText: 'QQQQ' }).waitFor();
      await page.getByTestId('party-code-input').fill(code.toLowerCase());
      await page.getByTestId('party-code-join').click();
      await page.waitForURL(new RegExp(`/party/${code}$`));
      await page.locator('[data-testid="party-page"][data-role="player"][data-phase="lobby"]').waitFor();
      await page.setViewportSize(PHONE);
    }

    // ---- everyone readies up; the host sees it and starts ----
    await eventually('three players on the host screen', async () => (await host.page.getByTestId('party-player').count()) === 3);
    for (const { page } of players) {
      await page.getByTestId('party-ready').click();
      await page.locator('[data-testid="party-ready"][aria-pressed="true"]').waitFor();
    }
    await eventually(
      'three ready players on the host screen',
      async () => (await host.page.locator('[data-testid="party-player"][data-ready="true"]').count()) === 3,
    );
    await eventually('Start to be enabled', () => host.page.getByTestId('party-start').isEnabled());
    await host.page.getByTestId('party-start').click();

    // ---- three questions ----
    const revealed = [];
    const answers = names.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const { page } of all) await partyAt(page, 'question', round).waitFor();
      await host.page.getByTestId('question-prompt').waitFor();
      const pad = players[0].page.getByTestId('answer-pad');
      const kind = await pad.getAttribute('data-kind');
      const n = await pad.locator('button.answer-button').count();
      for (let i = 0; i < players.length; i++) answers[i][round] = pick(kind, i, Math.max(1, n));

      if (round === 0 && kind !== 'number' && kind !== 'multi') {
        // A double tap on two buttons in the same instant: the first one counts, the second changes nothing.
        await players[0].page.evaluate(() => {
          document.querySelector('[data-testid="answer-0"]').click();
          document.querySelector('[data-testid="answer-1"]').click();
        });
        await players[0].page.getByTestId('answer-locked').waitFor();
        answers[0][round] = { kind: 'choice', index: 0 };
        const first = (await players[0].page.getByTestId('answer-0').locator('.choice-label').textContent()).trim();
        const locked = await players[0].page.getByTestId('answer-locked').textContent();
        assert.ok(locked.includes(first), `the first tap counts: "${locked}" names "${first}"`);
        assert.equal(await players[0].page.locator('[data-testid="answer-1"][aria-pressed="true"]').count(), 0);
      }

      if (round === 1) {
        // Cleo answers, then reloads mid-question: same seat, same score, her answer still locked in.
        const cleo = players[2].page;
        await answerWith(cleo, round, answers[2][round]);
        const scoreBefore = await numberAttr(cleo.getByTestId('my-score'), 'data-score');
        await cleo.reload();
        await cleo.locator('[data-testid="party-page"][data-role="player"][data-phase="question"][data-round="1"]').waitFor();
        await cleo.getByTestId('answer-locked').waitFor();
        assert.equal(await numberAttr(cleo.getByTestId('my-score'), 'data-score'), scoreBefore, 'score kept across the reload');
        assert.equal(await cleo.getByTestId('answer-0').isDisabled(), true, 'no second answer after the reload');
        await eventually(
          'Cleo connected again on the host screen',
          async () => (await host.page.locator('[data-testid="party-player"][data-state="connected"]').count()) === 3,
        );
      }

      for (let i = 0; i < players.length; i++) {
        if ((round === 0 && i === 0 && kind !== 'number' && kind !== 'multi') || (round === 1 && i === 2)) continue;
        await answerWith(players[i].page, round, answers[i][round]);
      }

      // Everyone answered: the question closes early and the host shows the answer.
      const reveal = host.page.locator(`[data-testid="reveal"][data-round="${round}"]`);
      await reveal.waitFor();
      const correct = reveal.getByTestId('reveal-correct');
      const indices = ((await correct.getAttribute('data-indices')) ?? '')
        .split(',')
        .filter((x) => x !== '')
        .map(Number);
      assert.ok(indices.length > 0 || (await correct.getAttribute('data-number')) !== '', 'the reveal names the right answer');
      assert.ok((await correct.textContent()).trim().length > 'Right answer:'.length, 'the right answer in words');
      revealed[round] = indices;
    }

    // ---- podium on the big screen, final rank on the phones ----
    await partyAt(host.page, 'podium').waitFor();
    const podium = host.page.getByTestId('podium');
    await podium.waitFor();
    const places = podium.getByTestId('podium-place');
    assert.equal(await places.count(), 3, 'three players on the podium');
    let sum = 0;
    for (let i = 0; i < 3; i++) sum += await numberAttr(places.nth(i), 'data-score');
    assert.equal(await numberAttr(host.page.getByTestId('party-points-total'), 'data-total'), sum, 'total = sum of scores');
    const ranks = [];
    for (let i = 0; i < 3; i++) ranks.push(await numberAttr(places.nth(i), 'data-rank'));
    assert.deepEqual([...ranks].sort((a, b) => a - b), ranks, 'podium in rank order');

    for (let i = 0; i < players.length; i++) {
      const { page } = players[i];
      await partyAt(page, 'podium').waitFor();
      const final = page.getByTestId('final-rank');
      await final.waitFor();
      const score = await numberAttr(final, 'data-score');
      const place = places.filter({ hasText: names[i] });
      assert.equal(await numberAttr(place, 'data-score'), score, `${names[i]}'s score matches the podium`);
      assert.equal(await numberAttr(final, 'data-rank'), await numberAttr(place, 'data-rank'), `${names[i]}'s rank matches`);
      // Per round: right means points, wrong means none, and the points add up to the score.
      const rounds = page.getByTestId('my-round');
      assert.equal(await rounds.count(), ROUNDS, `${names[i]} has a result for every round (Cleo's survived the reload)`);
      let total = 0;
      for (let r = 0; r < ROUNDS; r++) {
        const row = rounds.nth(r);
        const points = await numberAttr(row, 'data-points');
        const right = (await row.getAttribute('data-correct')) === 'true';
        assert.equal(right, points > 0, `${names[i]} round ${r + 1}: points only for a right answer`);
        const expected = isRight(answers[i][r], revealed[r]);
        if (expected !== null) assert.equal(right, expected, `${names[i]} round ${r + 1}: judged by the revealed answer`);
        total += points;
      }
      assert.equal(total, score, `${names[i]}'s round points add up to the final score`);
    }
    assert.ok(sum > 0 || revealed.every((c, r) => answers.every((a) => isRight(a[r], c) === false)), 'someone scored');

    // ---- play again: back to the lobby with fresh scores ----
    await host.page.getByTestId('play-again').click();
    for (const { page } of all) await partyAt(page, 'lobby').waitFor();
    for (const { page } of players) {
      await page.locator('[data-testid="party-ready"][aria-pressed="false"]').waitFor();
      assert.equal(await numberAttr(page.getByTestId('my-score'), 'data-score'), 0);
    }
    assert.equal(await host.page.getByTestId('party-start').isDisabled(), true);

    // ---- the back link returns to the chat ----
    await players[0].page.getByTestId('party-back').click();
    await players[0].page.getByTestId('composer').waitFor();
    assert.equal(new URL(players[0].page.url()).pathname, '/');

    assert.deepEqual(
      all.flatMap((p) => p.problems),
      [],
      'no page errors',
    );
    t.diagnostic(`party test body took ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  } catch (err) {
    await screenshot(host.page, 'party-host-failure').catch(() => {});
    for (let i = 0; i < players.length; i++) await screenshot(players[i].page, `party-${names[i].toLowerCase()}-failure`).catch(() => {});
    err.message += debug();
    throw err;
  }
});

test('party edge cases: nudge, kick, a late watcher, an answer given while offline, pause and +15 s, host handover', { timeout: 180_000 }, async (t) => {
  const startedAt = Date.now();
  const host = await openPage(browser, { viewport: { width: 1366, height: 900 } });
  const dan = await openPage(browser, { viewport: PHONE, hasTouch: true });
  const eve = await openPage(browser, { viewport: PHONE, hasTouch: true });
  const fay = await openPage(browser, { viewport: PHONE, hasTouch: true });
  const all = [host, dan, eve, fay];
  t.after(async () => {
    for (const p of all) await p.context.close();
  });
  const debug = () =>
    `\n${all.map((p, i) => `${['host', 'Dan', 'Eve', 'Fay'][i]}: ${p.problems.join('\n')}`).join('\n')}` +
    `\n--- hub stderr ---\n${hub.stderr().slice(-4000)}`;

  // Dan's sockets go through a switch: forwarded to the hub, or closed right away.
  let blocked = false;
  const routes = [];
  await dan.page.routeWebSocket(/\/ws\b/, (ws) => {
    if (blocked) ws.close({ code: 1011, reason: 'blocked by the test' });
    else routes.push({ page: ws, server: ws.connectToServer() });
  });
  const row = (name) => host.page.getByTestId('party-player').filter({ hasText: name });

  try {
    // A 2-question party with 2 seats.
    await host.page.goto(hub.url);
    await join(host.page, 'Hostie');
    await waitOnline(host.page);
    await host.page.getByTestId('host-party').click();
    await eventually('the packs to load', async () => (await host.page.getByTestId('party-pack').isEnabled()));
    await host.page.getByTestId('party-questions').fill('2');
    await host.page.getByTestId('party-max-players').fill('2');
    await host.page.getByTestId('party-audience').check();
    await host.page.getByTestId('party-create').click();
    await host.page.waitForURL(/\/party\/[A-Z0-9]+\/host$/);
    const code = new URL(host.page.url()).pathname.split('/')[2];
    await host.page.getByTestId('host-drawer-toggle').click();

    for (const [p, name] of [
      [dan, 'Dan'],
      [eve, 'Eve'],
    ]) {
      await p.page.goto(`${hub.url}/party/${code}`);
      await join(p.page, name);
      await p.page.locator('[data-testid="party-page"][data-role="player"]').waitFor();
    }
    await row('Dan').waitFor();
    await row('Eve').waitFor();
    assert.match(await host.page.getByTestId('party-start-why').textContent(), /ready/);

    // The host nudges Dan.
    await row('Dan').getByTestId('party-ping').click();
    await dan.page.getByTestId('host-ping').filter({ hasText: 'The host is waiting for you' }).waitFor();

    // The host kicks Eve (asked twice); she is told, and a reload does not bring her back.
    await row('Eve').getByTestId('party-kick').click();
    await row('Eve').getByTestId('party-kick-confirm').click();
    await eve.page.getByTestId('party-kicked').filter({ hasText: 'You were removed from this party' }).waitFor();
    await eventually('Eve gone from the host screen', async () => (await row('Eve').count()) === 0);
    await eve.page.reload();
    await eve.page.getByTestId('party-kicked').waitFor();

    // Dan readies up, the host starts.
    await dan.page.getByTestId('party-ready').click();
    await eventually('Start to be enabled', () => host.page.getByTestId('party-start').isEnabled());
    await host.page.getByTestId('party-start').click();
    for (const { page } of [host, dan]) await partyAt(page, 'question', 0).waitFor();

    // Fay comes late: she watches (question shown, no answer buttons).
    await fay.page.goto(`${hub.url}/party/${code}`);
    await join(fay.page, 'Fay');
    await fay.page.locator('[data-testid="party-page"][data-role="audience"][data-phase="question"]').waitFor();
    await fay.page.getByTestId('party-watching').waitFor();
    await fay.page.getByTestId('question-prompt').waitFor();
    assert.equal(await fay.page.getByTestId('answer-0').count(), 0, 'watchers get no answer buttons');
    await eventually('1 watching on the host screen', async () =>
      (await host.page.getByTestId('party-audience-count').textContent()).includes('1 watching'),
    );

    // Dan's connection drops mid-question: banner, "reconnecting" on the big screen; his answer waits.
    blocked = true;
    // Both ends close, so the hub sees Dan go as well.
    for (const r of routes.splice(0)) {
      await r.server.close({ code: 1000, reason: 'blocked by the test' }).catch(() => {});
      await r.page.close({ code: 1011, reason: 'blocked by the test' }).catch(() => {});
    }
    await dan.page.getByTestId('party-reconnecting').waitFor();
    await row('Dan').and(host.page.locator('[data-state="reconnecting"]')).waitFor();
    await dan.page.getByTestId('answer-1').click();
    await dan.page.getByTestId('answer-sending').waitFor();
    assert.equal(await dan.page.getByTestId('answer-0').isDisabled(), true, 'one answer per question');

    // Back online: he rejoins and the answer goes out once; the only player answered, so the reveal follows.
    // The host's screen is watched for the reveal from before the reconnect, so it cannot come and go
    // unseen while the test waits for Dan's banner.
    // Dan's count and his own result are read as soon as they show, too: the reveal lasts 3 s, which
    // a busy machine can spend waiting for his banner to go.
    const reveal = host.page.locator('[data-testid="reveal"][data-round="0"]');
    const revealed = reveal.waitFor();
    const counted = reveal.locator('[data-testid="reveal-bar"][data-index="1"]').getAttribute('data-count', { timeout: 30_000 });
    const ownResult = dan.page.locator('[data-testid="player-result"][data-round="0"]').waitFor({ timeout: 30_000 });
    blocked = false;
    await dan.page.getByTestId('party-reconnecting').getByRole('button', { name: 'Retry now' }).click().catch(() => {});
    await dan.page.getByTestId('party-reconnecting').waitFor({ state: 'detached' });
    await revealed;
    assert.equal(Number(await counted), 1, "Dan's answer counted once");
    await ownResult;

    // Question 2: pause, +15 s while paused, resume, then skip it.
    await partyAt(host.page, 'question', 1).waitFor();
    await host.page.getByTestId('party-pause').click();
    await host.page.locator('[data-testid="party-timer"][data-paused="true"]').waitFor();
    await dan.page.getByTestId('party-paused').waitFor();
    const before = await numberAttr(host.page.getByTestId('party-timer'), 'data-remaining');
    await host.page.getByTestId('party-extend').click();
    await eventually('15 s more on the clock', async () =>
      (await numberAttr(host.page.getByTestId('party-timer'), 'data-remaining')) === before + 15_000,
    );
    await host.page.getByTestId('party-resume').click();
    await host.page.locator('[data-testid="party-timer"][data-paused="false"]').waitFor();
    await host.page.getByTestId('party-skip').click();
    await host.page.locator('[data-testid="reveal"][data-round="1"]').waitFor();
    await dan.page.locator('[data-testid="player-result"][data-round="1"][data-points="0"]').waitFor();

    // Podium; then the host hands over to Dan, who opens the big screen.
    await partyAt(dan.page, 'podium').waitFor();
    await dan.page.getByTestId('final-rank').waitFor();
    await partyAt(host.page, 'podium').waitFor();
    await row('Dan').getByTestId('party-transfer').click();
    await host.page.getByTestId('party-not-host').waitFor();
    await dan.page.getByTestId('host-view-link').click();
    await dan.page.waitForURL(new RegExp(`/party/${code}/host$`));
    await dan.page.getByTestId('host-drawer-toggle').click();
    await dan.page.getByTestId('play-again').waitFor();

    assert.deepEqual(
      all.flatMap((p) => p.problems),
      [],
      'no page errors',
    );
    t.diagnostic(`edge-case test body took ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  } catch (err) {
    await screenshot(host.page, 'party2-host-failure').catch(() => {});
    await screenshot(dan.page, 'party2-dan-failure').catch(() => {});
    await screenshot(eve.page, 'party2-eve-failure').catch(() => {});
    await screenshot(fay.page, 'party2-fay-failure').catch(() => {});
    err.message += debug();
    throw err;
  }
});
