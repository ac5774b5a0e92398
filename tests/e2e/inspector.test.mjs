// E2E: the protocol inspector (hosts only): its own socket shows a message another tab sends in the Lobby, filters by type, refuses broken JSON inline, and sends a `send_message` frame the other tab receives.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { startHub } from './hub.mjs';
import { join, joinAsHost, launchBrowser, messagesWith, openPage, screenshot, send, waitOnline } from './browser.mjs';

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

test('the inspector shows frames live and sends frames', { timeout: 120_000 }, async (t) => {
  const host = await openPage(browser, { viewport: { width: 1280, height: 860 } });
  const gus = await openPage(browser, { viewport: { width: 1100, height: 760 } });
  t.after(async () => {
    await host.context.close();
    await gus.context.close();
  });
  try {
    await joinAsHost(host.page, hub, 'Hana');
    await gus.page.goto(hub.url);
    await join(gus.page, 'Gus');
    await waitOnline(gus.page);

    // A guest has no inspector.
    assert.equal(await gus.page.getByTestId('open-inspector').count(), 0);

    await host.page.getByTestId('open-inspector').click();
    const inspector = host.page.getByTestId('inspector');
    await inspector.waitFor();
    await host.page.locator('[data-testid="inspector"][data-state="open"]').waitFor();
    const frames = host.page.getByTestId('frames');
    // Its own connection: the hub greets it, and sends the hub state.
    await frames.locator('[data-testid="frame"][data-type="connection_established"][data-dir="in"]').waitFor();
    await frames.locator('[data-testid="frame"][data-type="hub_state"]').waitFor();

    // A message from another tab shows up, with its channel and size.
    await send(gus.page, 'hello inspector');
    const seen = frames.locator('[data-testid="frame"][data-type="message"][data-channel="room:lobby"]');
    await seen.first().waitFor();
    await seen.first().getByRole('button').click();
    await seen.first().getByTestId('frame-json-view').filter({ hasText: 'hello inspector' }).waitFor();
    assert.match((await seen.first().textContent()) ?? '', /\d+ B/);

    // Filters: only `message` frames.
    await host.page.getByTestId('filter-type').selectOption('message');
    const types = await frames.getByTestId('frame').evaluateAll((els) => els.map((el) => el.getAttribute('data-type')));
    assert.ok(types.length >= 1 && types.every((x) => x === 'message'), `only message frames shown: ${types}`);
    await host.page.getByTestId('filter-type').selectOption('');

    // Broken JSON is refused inline and nothing is sent.
    const editor = host.page.getByTestId('frame-json');
    await editor.fill('{"type": "send_message",');
    await host.page.getByTestId('frame-send').click();
    await host.page.getByTestId('frame-error').filter({ hasText: 'Not JSON' }).waitFor();

    // The sender: a template for the chosen type, edited and sent; Gus gets the message, the ack comes back.
    await host.page.getByTestId('frame-type').selectOption('send_message');
    const template = JSON.parse(await editor.inputValue());
    assert.equal(template.type, 'send_message');
    assert.equal(template.channel, 'room:lobby');
    const frame = { ...template, ref: 'inspector-test', client_message_id: randomUUID(), body: 'sent from the inspector' };
    await editor.fill(JSON.stringify(frame, null, 2));
    await host.page.getByTestId('frame-send').click();
    await frames.locator('[data-testid="frame"][data-type="send_message"][data-dir="out"]').waitFor();
    await frames.locator('[data-testid="frame"][data-type="ack"][data-dir="in"]').waitFor();
    await messagesWith(gus.page, 'sent from the inspector').waitFor();
    assert.equal(await host.page.getByTestId('frame-error').count(), 0);
    await screenshot(host.page, 'inspector');

    // Pause holds new frames back until resumed; clear empties the log.
    await host.page.getByTestId('inspector-pause').click();
    const before = await frames.getByTestId('frame').count();
    await send(gus.page, 'while paused');
    await host.page.getByTestId('inspector-pause').filter({ hasText: /Resume \(\d+\)/ }).waitFor();
    assert.equal(await frames.getByTestId('frame').count(), before);
    await host.page.getByTestId('inspector-pause').click();
    await frames.getByTestId('frame').filter({ hasText: 'message' }).first().waitFor();
    await host.page.getByTestId('inspector-clear').click();
    assert.equal(await frames.getByTestId('frame').count(), 0);
  } catch (err) {
    await screenshot(host.page, 'inspector-failure').catch(() => {});
    err.message += `\nhost: ${host.problems.join('\n')}\ngus: ${gus.problems.join('\n')}\n--- hub stderr ---\n${hub.stderr().slice(-4000)}`;
    throw err;
  }
});
