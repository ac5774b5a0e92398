// Test helper: launches Debian's Chromium through playwright-core and offers page-level helpers for the Hubbub UI.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { REPO_ROOT, hostLink } from './hub.mjs';

/** Where screenshots go (git-ignored). */
export const ARTIFACTS = path.join(REPO_ROOT, 'artifacts', 'e2e');

/** How long any single expectation may take to come true. */
export const TIMEOUT_MS = 15_000;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches the system Chromium (never a downloaded one); $CHROMIUM_PATH overrides the path. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}

/** A new context + page with default timeouts; page console errors are collected for diagnostics. */
export async function openPage(browser, options = {}) {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(TIMEOUT_MS);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // Chromium logs every 4xx answer (e.g. /api/me before joining) as "Failed to load resource".
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
      problems.push(`console: ${msg.text()}`);
    }
  });
  return { context, page, problems };
}

/** Fills the join form and submits it. */
export async function join(page, name, pin) {
  await page.getByTestId('join-name').fill(name);
  if (pin !== undefined) await page.getByTestId('join-pin').fill(pin);
  await page.getByTestId('join-submit').click();
}

/** Opens a host link of `hub` and joins through it as `name`: the page is then a host's, online, with the Console link. */
export async function joinAsHost(page, hub, name) {
  await page.goto(await hostLink(hub));
  await page.getByTestId('join-host-link').waitFor();
  await join(page, name);
  await waitOnline(page);
  await page.getByTestId('open-console').waitFor();
}

/** Waits until the connection badge reads exactly "online". */
export async function waitOnline(page) {
  await page.getByTestId('conn-state').filter({ hasText: /^\s*online\s*$/ }).waitFor();
}

/** The log entries whose text includes `text`. */
export function messagesWith(page, text) {
  return page.getByTestId('messages').getByTestId('message').filter({ hasText: text });
}

/** Sends a chat message through the composer with the Enter key. */
export async function send(page, text) {
  const composer = page.getByTestId('composer');
  await composer.fill(text);
  await composer.press('Enter');
}

/** Polls `fn` until it returns a truthy value, or fails with `what`. */
export async function eventually(what, fn, timeoutMs = TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Saves a full-page screenshot to artifacts/e2e/<name>.png. */
export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}
