// E2E: two browsers join a real hub, chat, see each other online, reload with the session kept, and get text rendered as text.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHub } from './hub.mjs';
import {
  eventually,
  join,
  launchBrowser,
  messagesWith,
  openPage,
  screenshot,
  send,
  waitOnline,
} from './browser.mjs';

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

test('two guests chat, see each other, and keep their session across a reload', { timeout: 120_000 }, async (t) => {
  const alice = await openPage(browser);
  const bob = await openPage(browser);
  t.after(async () => {
    await alice.context.close();
    await bob.context.close();
  });
  const debug = () =>
    `\nalice: ${alice.problems.join('\n')}\nbob: ${bob.problems.join('\n')}\n--- hub stderr ---\n${hub.stderr().slice(-4000)}`;

  try {
    // Both join; the join screen shows the hub's name.
    await alice.page.goto(hub.url);
    await alice.page.getByRole('heading', { name: 'E2E Hub' }).waitFor();
    await join(alice.page, 'Alice');
    await bob.page.goto(hub.url);
    await join(bob.page, 'Bob');
    await waitOnline(alice.page);
    await waitOnline(bob.page);
    await alice.page.getByTestId('me-name').filter({ hasText: 'Alice' }).waitFor();

    // Each sees the other online.
    await alice.page.getByTestId('online-list').getByTestId('online-user').filter({ hasText: 'Bob' }).waitFor();
    await bob.page.getByTestId('online-list').getByTestId('online-user').filter({ hasText: 'Alice' }).waitFor();

    // Alice -> Bob; Alice's copy loses its pending mark once acked.
    await send(alice.page, 'Hello from Alice');
    await messagesWith(bob.page, 'Hello from Alice').waitFor();
    await alice.page
      .getByTestId('messages')
      .locator('[data-testid="message"][data-pending="false"]')
      .filter({ hasText: 'Hello from Alice' })
      .waitFor();
    await eventually('the composer to clear', async () => (await alice.page.getByTestId('composer').inputValue()) === '');
    assert.equal(await alice.page.getByTestId('send').isDisabled(), true, 'send is disabled while the composer is empty');

    // Bob -> Alice.
    await send(bob.page, 'Hi Alice, Bob here');
    await messagesWith(alice.page, 'Hi Alice, Bob here').waitFor();
    const sender = await messagesWith(alice.page, 'Hi Alice, Bob here').getByTestId('message-sender').textContent();
    assert.equal(sender?.trim(), 'Bob');

    // User text is rendered as text, never as HTML.
    await send(alice.page, '<b>bold</b>');
    for (const p of [alice.page, bob.page]) {
      const msg = p.getByTestId('messages').locator('[data-testid="message"][data-pending="false"]').filter({ hasText: '<b>bold</b>' });
      await msg.waitFor();
      assert.equal(await msg.getByTestId('message-body').textContent(), '<b>bold</b>');
      assert.equal(await p.getByTestId('messages').locator('b').count(), 0, 'no <b> element in the log');
    }

    // Bob reloads: same session (no join screen), history shows each message exactly once.
    await bob.page.reload();
    await waitOnline(bob.page);
    await bob.page.getByTestId('me-name').filter({ hasText: 'Bob' }).waitFor();
    assert.equal(await bob.page.getByTestId('join-name').count(), 0, 'no join screen after a reload');
    await messagesWith(bob.page, 'Hi Alice, Bob here').waitFor();
    await messagesWith(bob.page, '<b>bold</b>').waitFor();
    assert.equal(await messagesWith(bob.page, 'Hello from Alice').count(), 1);
    assert.equal(await messagesWith(bob.page, 'Hi Alice, Bob here').count(), 1);
    assert.equal(await bob.page.locator('[data-testid="message"][data-pending="true"]').count(), 0);
    await bob.page.getByTestId('online-list').getByTestId('online-user').filter({ hasText: 'Alice' }).waitFor();
    assert.equal(await bob.page.getByTestId('online-list').getByTestId('online-user').filter({ hasText: 'Bob' }).count(), 1);

    await screenshot(alice.page, 'chat-alice');
    await screenshot(bob.page, 'chat-bob');
    assert.deepEqual([...alice.problems, ...bob.problems], [], 'no page errors');
  } catch (err) {
    await screenshot(alice.page, 'chat-alice-failure').catch(() => {});
    await screenshot(bob.page, 'chat-bob-failure').catch(() => {});
    err.message += debug();
    throw err;
  }
});
