// E2E: the party as a room sees it: a big screen (1920x1080) with no host controls once the host's phone is paired as the remote, a sound as each player arrives (none while muted), eight players (two phones, six bots), extended time for one player honoured past the base deadline, every phase screenshotted on the big screen and a phone, and the results CSV matching the game played.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { startHub } from './hub.mjs';
import { eventually, join, launchBrowser, openPage, screenshot, waitOnline } from './browser.mjs';
import { addBots } from './party-bots.mjs';

const TV = { width: 1920, height: 1080 };
const PHONE = { width: 390, height: 844 };
const ROUNDS = 4;

let hub;
let browser;

before(async () => {
  // Reveals long enough to show the answer, then the leaderboard.
  hub = await startHub({ args: ['--party-reveal-ms', '5000', '--party-countdown-ms', '800'] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await hub?.stop();
});

const partyAt = (page, phase, round) =>
  page.locator(`[data-testid="party-page"][data-phase="${phase}"]${round === undefined ? '' : `[data-round="${round}"]`}`);
const numberAttr = async (locator, name) => Number(await locator.getAttribute(name));

/** Splits one CSV line (quoted fields, doubled quotes). */
function csvFields(line) {
  const out = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

/** Gives `pick` (a choice index, a list of indices, or a number) through the answer pad; returns the answer in words as the pad showed it. */
async function answer(page, pick) {
  const pad = page.getByTestId('answer-pad');
  const kind = await pad.getAttribute('data-kind');
  if (kind === 'number') {
    await page.getByTestId('answer-number').fill(String(pick.number));
    await page.getByTestId('answer-submit').click();
    return [String(pick.number)];
  }
  const indices = kind === 'multi' ? pick.multi : [pick.choice];
  const words = [];
  for (const i of indices) {
    words.push((await page.getByTestId(`answer-${i}`).locator('.choice-label').textContent()).trim());
    await page.getByTestId(`answer-${i}`).click();
  }
  if (kind === 'multi') await page.getByTestId('answer-submit').click();
  return words;
}

test('the big screen is a show the host drives from a phone; extended time; results CSV', { timeout: 240_000 }, async (t) => {
  const tv = await openPage(browser, { viewport: TV });
  const remote = await openPage(browser, { viewport: PHONE, hasTouch: true });
  const ann = await openPage(browser, { viewport: PHONE, hasTouch: true, acceptDownloads: true });
  const ben = await openPage(browser, { viewport: PHONE, hasTouch: true });
  const bots = await openPage(browser);
  const all = [tv, remote, ann, ben, bots];
  t.after(async () => {
    for (const p of all) await p.context.close();
  });
  const names = ['tv', 'remote', 'Ann', 'Ben', 'bots'];
  const debug = () =>
    `\n${all.map((p, i) => `${names[i]}: ${p.problems.join('\n')}`).join('\n')}\n--- hub stderr ---\n${hub.stderr().slice(-4000)}`;

  // Counts the notes the big screen plays (Web Audio oscillators started).
  await tv.context.addInitScript(() => {
    window.notesPlayed = 0;
    const start = OscillatorNode.prototype.start;
    OscillatorNode.prototype.start = function (...args) {
      window.notesPlayed++;
      return start.apply(this, args);
    };
  });
  const notes = () => tv.page.evaluate(() => window.notesPlayed);

  try {
    // ---- the host creates a 4-question party on the big screen ----
    await tv.page.goto(hub.url);
    await join(tv.page, 'Quizmaster');
    await waitOnline(tv.page);
    await tv.page.getByTestId('host-party').click();
    await eventually('the packs to load', () => tv.page.getByTestId('party-pack').isEnabled());
    await tv.page.getByTestId('party-questions').fill(String(ROUNDS));
    await tv.page.getByTestId('party-create').click();
    await tv.page.waitForURL(/\/party\/[A-Z0-9]+\/host$/);
    const code = new URL(tv.page.url()).pathname.split('/')[2];
    await tv.page.getByTestId('big-screen').waitFor();
    // The host's controls sit in a drawer, closed by default.
    assert.equal(await tv.page.getByTestId('host-drawer').count(), 0, 'the drawer starts closed');
    assert.equal(await tv.page.getByTestId('party-start').count(), 0, 'no Start on the shared screen');

    // ---- the host pairs their phone as the remote ----
    await tv.page.getByTestId('host-drawer-toggle').click();
    await tv.page.getByTestId('remote-show').click();
    await eventually('the remote QR code to load', () =>
      tv.page.getByTestId('remote-qr').evaluate((img) => img.complete && img.naturalWidth > 0),
    );
    // The link is printed under the code, from the same answer.
    assert.match(await tv.page.getByTestId('remote-url').getAttribute('data-url'), new RegExp(`/party/${code}\\?remote=`));
    // A phone that cannot scan gets the link to type instead (a new link: the code above stops working).
    await tv.page.getByTestId('remote-link').click();
    await tv.page.getByTestId('remote-qr').waitFor({ state: 'detached' });
    const remoteUrl = await tv.page.getByTestId('remote-url').getAttribute('data-url');
    assert.match(remoteUrl, new RegExp(`/party/${code}\\?remote=`));
    await remote.page.goto(remoteUrl);
    await join(remote.page, 'Quizmaster phone');
    await remote.page.getByTestId('remote-paired').waitFor();
    assert.ok(!new URL(remote.page.url()).search.includes('remote='), 'the one-time token is dropped from the address bar');
    // The big screen is now only the show.
    await tv.page.locator('[data-testid="big-screen"][data-host="false"]').waitFor();
    for (const id of ['host-drawer-toggle', 'host-drawer', 'party-start', 'party-kick', 'party-skip', 'party-player']) {
      assert.equal(await tv.page.getByTestId(id).count(), 0, `no ${id} on the big screen`);
    }

    // ---- eight players: Ann and Ben on phones, six bots; a sound for each arrival unless muted ----
    for (const [p, name] of [
      [ann, 'Ann'],
      [ben, 'Ben'],
    ]) {
      const before = await notes();
      const muted = name === 'Ben';
      if (muted) await tv.page.getByTestId('sound-mute').click();
      await p.page.goto(`${hub.url}/party/${code}`);
      await join(p.page, name);
      await p.page.getByTestId('party-ready').click();
      await p.page.locator('[data-testid="party-ready"][aria-pressed="true"]').waitFor();
      await tv.page.getByTestId('stage-name').filter({ hasText: name }).waitFor();
      if (muted) {
        await tv.page.waitForTimeout(300);
        assert.equal(await notes(), before, 'muted: no sound when Ben joins');
        await tv.page.getByTestId('sound-mute').click();
        assert.equal(await tv.page.evaluate(() => JSON.parse(localStorage.getItem('hubbub.sound.v1')).muted), false, 'the setting is kept');
      } else {
        await eventually('a sound when Ann joins', async () => (await notes()) > before);
      }
    }
    await bots.page.goto(`${hub.url}/api/info`);
    await addBots(bots.page, hub, code, ['Chloé', 'Dmitri', 'Esperanza', 'Fin', 'Gugu', 'Hiroshi']);
    await eventually('8 names on the big screen', async () => (await tv.page.getByTestId('stage-name').count()) === 8);
    await eventually('8 ready', async () => (await tv.page.locator('[data-testid="stage-name"][data-ready="true"]').count()) === 8);

    // Ann gets twice the time, from the remote.
    const annRow = remote.page.getByTestId('party-player').filter({ hasText: 'Ann' });
    await annRow.getByTestId('party-time-factor').selectOption('200');
    await remote.page.locator('[data-testid="party-player"][data-time-factor="200"]').filter({ hasText: 'Ann' }).waitFor();
    assert.equal(await tv.page.getByText('2x').count(), 0, "the big screen does not show who has more time");

    await screenshot(tv.page, 'party-tv-lobby');
    await screenshot(ben.page, 'party-phone-lobby');
    await screenshot(remote.page, 'party-remote-lobby');

    await remote.page.getByTestId('party-start').click();

    // ---- round 0: everyone else answers at once; Ann answers in her extra time ----
    const picks = {
      Ann: [{ choice: 1 }, { choice: 0 }, { multi: [0, 2] }, { number: 1970 }],
      Ben: [{ choice: 0 }, { choice: 0 }, { multi: [0] }, { number: 1950 }],
    };
    const given = { Ann: [], Ben: [] };
    await partyAt(tv.page, 'question', 0).waitFor();
    await partyAt(ann.page, 'question', 0).waitFor();
    await tv.page.locator('[data-testid="stage-timer"]').waitFor();
    await screenshot(tv.page, 'party-tv-question');
    await screenshot(ann.page, 'party-phone-question');
    await remote.page.getByTestId('party-skip').waitFor();
    await screenshot(remote.page, 'party-remote-question');
    await ann.page.locator('[data-testid="my-time-factor"][data-pct="200"]').waitFor();
    given.Ben[0] = await answer(ben.page, picks.Ben[0]);
    // The base time runs out, the question stays open for Ann alone.
    await tv.page.locator('[data-testid="stage-timer"][data-overtime="true"]').waitFor({ timeout: 40_000 });
    assert.equal(await partyAt(ann.page, 'question', 0).count(), 1, 'still open for Ann');
    given.Ann[0] = await answer(ann.page, picks.Ann[0]);
    await ann.page.getByTestId('answer-locked').or(ann.page.locator('[data-testid="player-result"][data-round="0"]')).waitFor();
    assert.equal(await ann.page.getByTestId('answer-error').count(), 0, 'her late answer is taken');
    await ann.page.locator('[data-testid="player-result"][data-round="0"]').waitFor();
    assert.equal(await ann.page.getByTestId('player-result').getAttribute('data-correct'), 'true', "Ann's answer in her extra time counted");
    // The standings after question 1, to check who climbed after question 2.
    await tv.page.locator('[data-testid="reveal"][data-round="0"][data-stage="leaderboard"]').waitFor();
    const ranksAt = (page) =>
      page.getByTestId('leaderboard-row').evaluateAll((rows) => Object.fromEntries(rows.map((r) => [r.dataset.userId, Number(r.dataset.rank)])));
    await tv.page.waitForTimeout(900);
    const ranksAfterFirst = await ranksAt(tv.page);
    assert.equal(Object.keys(ranksAfterFirst).length, 8, 'eight on the leaderboard');

    // ---- rounds 1-3 ----
    for (let round = 1; round < ROUNDS; round++) {
      await partyAt(ann.page, 'question', round).waitFor();
      await partyAt(ben.page, 'question', round).waitFor();
      given.Ann[round] = await answer(ann.page, picks.Ann[round]);
      given.Ben[round] = await answer(ben.page, picks.Ben[round]);
      const reveal = tv.page.locator(`[data-testid="reveal"][data-round="${round}"]`);
      await reveal.and(tv.page.locator('[data-stage="answer"]')).waitFor();
      if (round === 1) {
        // Let the columns grow before the picture.
        await tv.page.waitForTimeout(1200);
        await screenshot(tv.page, 'party-tv-reveal');
        await screenshot(ben.page, 'party-phone-reveal');
        await reveal.and(tv.page.locator('[data-stage="leaderboard"]')).waitFor();
        // The rows glide to their new places first.
        await tv.page.waitForTimeout(1500);
        const rows = await tv.page
          .getByTestId('leaderboard-row')
          .evaluateAll((rs) => rs.map((r) => ({ id: r.dataset.userId, rank: Number(r.dataset.rank), move: Number(r.dataset.move) })));
        assert.equal(rows.length, 8, 'eight on the leaderboard');
        for (const r of rows) assert.equal(r.move, ranksAfterFirst[r.id] - r.rank, `user ${r.id} moved from ${ranksAfterFirst[r.id]} to ${r.rank}`);
        await screenshot(tv.page, 'party-tv-leaderboard');
        await screenshot(ann.page, 'party-phone-leaderboard');
      }
      if (round === 3) {
        await tv.page.getByTestId('number-line').waitFor();
        const closest = tv.page.locator('[data-testid="number-point"][data-closest="true"]');
        assert.ok((await closest.count()) >= 1, 'the closest answer is highlighted');
        await tv.page.waitForTimeout(900);
        await screenshot(tv.page, 'party-tv-number-line');
      }
    }

    // ---- the podium ----
    await partyAt(tv.page, 'podium').waitFor();
    await tv.page.getByTestId('podium').waitFor();
    await tv.page.waitForTimeout(2600);
    await screenshot(tv.page, 'party-tv-podium');
    await ann.page.getByTestId('final-rank').waitFor();
    await screenshot(ann.page, 'party-phone-podium');
    assert.equal(await tv.page.getByTestId('play-again').count(), 0, 'Play again is on the remote, not the big screen');

    // ---- results on the remote; the CSV matches the game played ----
    const results = remote.page.getByTestId('party-results');
    await results.waitFor();
    await eventually('per-question statistics', async () => (await results.getByTestId('results-question').count()) === ROUNDS);
    await screenshot(remote.page, 'party-remote-results');
    const [download] = await Promise.all([remote.page.waitForEvent('download'), results.getByTestId('results-csv').click()]);
    const csv = (await readFile(await download.path(), 'utf8')).trim().split(/\r?\n/);
    assert.deepEqual(csvFields(csv[0]), ['round', 'question', 'player_id', 'player', 'answer', 'correct', 'time_ms', 'points']);
    const rows = csv.slice(1).map(csvFields);
    assert.equal(rows.length, 8 * ROUNDS, 'a row per player per question');
    for (const [name, page] of [
      ['Ann', ann.page],
      ['Ben', ben.page],
    ]) {
      const mine = rows.filter((r) => r[3] === name).sort((a, b) => Number(a[0]) - Number(b[0]));
      assert.equal(mine.length, ROUNDS, `${name} has a row per question`);
      const rounds = page.getByTestId('my-round');
      let total = 0;
      for (let r = 0; r < ROUNDS; r++) {
        const [, , , , answered, correct, timeMs, points] = mine[r];
        assert.deepEqual(answered.split('; ').sort(), [...given[name][r]].sort(), `${name}'s answer to question ${r + 1}`);
        assert.equal(Number(points), await numberAttr(rounds.nth(r), 'data-points'), `${name}'s points for question ${r + 1}`);
        assert.equal(correct, await rounds.nth(r).getAttribute('data-correct'), `${name} right or wrong on question ${r + 1}`);
        assert.ok(Number(timeMs) > 0, `${name}'s answer time on question ${r + 1}`);
        total += Number(points);
      }
      assert.equal(total, await numberAttr(page.getByTestId('final-rank'), 'data-score'), `${name}'s rows add up to the final score`);
    }

    assert.deepEqual(
      all.flatMap((p) => p.problems),
      [],
      'no page errors',
    );
  } catch (err) {
    for (let i = 0; i < all.length - 1; i++) await screenshot(all[i].page, `party-show-${names[i]}-failure`).catch(() => {});
    err.message += debug();
    throw err;
  }
});
