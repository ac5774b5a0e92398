// Desktop end-to-end test: the Tauri app under Xvfb, driven through tauri-driver and WebKitWebDriver;
// the dashboard shows a join URL and QR code, the embedded hub answers there, and a Chromium guest joins.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARTIFACTS, eventually, join, launchBrowser, openPage, waitOnline } from './browser.mjs';
import { REPO_ROOT } from './hub.mjs';

/** Where each piece is expected; `HUBBUB_DESKTOP_BIN` and `TAURI_DRIVER` override. */
function pieces() {
  const target = process.env.CARGO_TARGET_DIR
    ? path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR)
    : path.join(REPO_ROOT, 'target');
  const app = process.env.HUBBUB_DESKTOP_BIN ?? path.join(target, 'debug', 'hubbub-desktop');
  const driver = process.env.TAURI_DRIVER ?? path.join(homedir(), '.cargo', 'bin', 'tauri-driver');
  const needed = [
    [app, 'the app (cargo build -p hubbub-desktop)'],
    [driver, 'tauri-driver (cargo install tauri-driver --locked)'],
    ['/usr/bin/WebKitWebDriver', "WebKitWebDriver (Debian's webkit2gtk-driver)"],
    ['/usr/bin/Xvfb', "Xvfb (Debian's xvfb)"],
  ];
  const missing = needed.filter(([p]) => !existsSync(p)).map(([, what]) => what);
  return { app, driver, missing };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Starts a process whose output is kept for diagnostics. */
function run(cmd, args, env) {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (c) => (log += c));
  child.stderr.on('data', (c) => (log += c));
  return { child, log: () => log };
}

/** Starts Xvfb on a display it picks itself (-displayfd), so a stale lock of an earlier run cannot clash. */
async function startXvfb() {
  const child = spawn('/usr/bin/Xvfb', ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (c) => (log += c));
  const number = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb gave no display within 10 s: ${log}`)), 10_000);
    child.stdio[3].on('data', (c) => {
      out += c;
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.trim());
      }
    });
    child.once('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${log}`)));
  });
  return { xvfb: { child }, display: `:${number}` };
}

/** A minimal W3C WebDriver client over fetch. */
function webdriver(base) {
  const call = async (method, url, body) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json.value ?? json)}`);
    return json.value;
  };
  return {
    async session(application) {
      const caps = { 'tauri:options': { application } };
      const value = await call('POST', '/session', { capabilities: { alwaysMatch: caps } });
      const id = value.sessionId;
      const el = async (css) => {
        const found = await call('POST', `/session/${id}/element`, { using: 'css selector', value: css });
        return Object.values(found)[0];
      };
      return {
        text: async (css) => call('GET', `/session/${id}/element/${await el(css)}/text`),
        count: async (css) =>
          (await call('POST', `/session/${id}/elements`, { using: 'css selector', value: css })).length,
        type: async (css, text) => {
          const id2 = await el(css);
          await call('POST', `/session/${id}/element/${id2}/clear`, {});
          await call('POST', `/session/${id}/element/${id2}/value`, { text });
        },
        click: async (css) => call('POST', `/session/${id}/element/${await el(css)}/click`, {}),
        handles: () => call('GET', `/session/${id}/window/handles`),
        current: () => call('GET', `/session/${id}/window`),
        switchTo: (handle) => call('POST', `/session/${id}/window`, { handle }),
        url: () => call('GET', `/session/${id}/url`),
        run: (script) => call('POST', `/session/${id}/execute/async`, { script, args: [] }),
        screenshot: async () => Buffer.from(await call('GET', `/session/${id}/screenshot`), 'base64'),
        close: () => call('DELETE', `/session/${id}`),
      };
    },
  };
}

test('the desktop app hosts a hub that a browser guest joins through the dashboard link', async (t) => {
  const { app, driver, missing } = pieces();
  if (missing.length > 0) {
    const why = `skipped: missing ${missing.join(', ')}`;
    // The README's test command installs every piece and sets HUBBUB_REQUIRE_DESKTOP, so there a
    // missing piece fails; a developer running `node --test` without the desktop toolchain gets a
    // skip that names what is missing.
    if (process.env.HUBBUB_REQUIRE_DESKTOP) assert.fail(why);
    t.skip(why);
    return;
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'hubbub-desktop-'));
  const { xvfb, display } = await startXvfb();
  const port = await freePort();
  const nativePort = await freePort();
  // The embedded hub (the app inherits this environment through the drivers): loopback only, a
  // throwaway data dir, no mDNS (tests stay off the real network).
  const appEnv = {
    HUBBUB_BIND: '127.0.0.1:0',
    HUBBUB_DATA_DIR: dataDir,
    HUBBUB_NAME: 'Desktop Test Hub',
    HUBBUB_NO_DISCOVERY: 'true',
  };
  const env = { ...process.env, ...appEnv, DISPLAY: display, WEBKIT_DISABLE_COMPOSITING_MODE: '1' };
  const drv = run(driver, ['--port', String(port), '--native-port', String(nativePort)], env);
  let session;
  let browser;
  try {
    const wd = webdriver(`http://127.0.0.1:${port}`);
    session = await eventually('a WebDriver session with the app', () => wd.session(app).catch(() => null), 60_000);
    const url = await eventually('a join URL on the dashboard', async () => {
      const text = await session.text('[data-testid="join-url"]');
      return text.startsWith('http://') ? text : null;
    }, 30_000);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(await session.count('[data-testid="join-qr"] svg'), 1, 'a QR code beside the link');
    assert.equal(await session.text('[data-testid="hub-name"]'), 'Desktop Test Hub');

    const status = await (await fetch(new URL('/api/status', url))).json();
    assert.equal(status.status, 'ok', 'the embedded hub answers at the dashboard link');

    browser = await launchBrowser();
    const { page } = await openPage(browser);
    await page.goto(url);
    await join(page, 'Desk Guest');
    await waitOnline(page);
    await eventually('the guest on the dashboard', async () => (await session.text('[data-testid="guest-count"]')) === '1');
    await mkdir(ARTIFACTS, { recursive: true });
    await writeFile(path.join(ARTIFACTS, 'desktop-dashboard.png'), await session.screenshot());

    // The host renames the hub and sets a PIN from the dashboard; the hub applies both at once.
    const info = async () => (await fetch(new URL('/api/info', url))).json();
    await session.type('[data-testid="name-input"]', 'Attic Party');
    await session.click('[data-testid="name-save"]');
    await eventually('the new name on the hub', async () => (await info()).name === 'Attic Party');
    await session.type('[data-testid="pin-input"]', '2468');
    await session.click('[data-testid="pin-save"]');
    await eventually('the PIN on the hub', async () => (await info()).pin_required === true);
    await eventually('the PIN on the dashboard', async () =>
      (await session.text('[data-testid="pin-state"]')).includes('2468'),
    );
    const refused = await fetch(new URL('/api/join', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ display_name: 'Late' }),
    });
    assert.equal(refused.status, 401, 'a newcomer now needs the PIN');

    // A hub opened from the dashboard gets a window of its own, which cannot call the app's commands.
    const main = await session.current();
    await session.type('#address', url);
    await session.click('#manual button[type="submit"]');
    const hubWindow = await eventually('a second window', async () =>
      (await session.handles()).find((h) => h !== main),
    );
    await session.switchTo(hubWindow);
    await eventually('the hub page in it', async () => (await session.url()).startsWith(url));
    const probe = `const done = arguments[arguments.length - 1];
      const ipc = window.__TAURI_INTERNALS__;
      if (!ipc) { done('no ipc'); return; }
      ipc.invoke('dashboard').then(() => done('allowed'), (e) => done('refused: ' + e));`;
    const verdict = await session.run(probe);
    assert.notEqual(verdict, 'allowed', `a hub window must not reach the app's commands (${verdict})`);
    t.diagnostic(`a hub window asking for the dashboard: ${verdict}`);
    await session.switchTo(main);
    const ownVerdict = await session.run(probe);
    assert.equal(ownVerdict, 'allowed', 'while the dashboard itself can');

    // The app's user is the host: the console opens in a window of its own with a fresh one-time host
    // link, so neither the PIN nor a second login is asked; the window only picks a name the first time.
    const before = await session.handles();
    await session.click('[data-testid="open-console"]');
    const consoleWindow = await eventually('the console window', async () =>
      (await session.handles()).find((h) => !before.includes(h)),
    );
    await session.switchTo(consoleWindow);
    await eventually('the host link\'s join screen', async () => (await session.count('[data-testid="join-host-link"]')) === 1, 30_000);
    assert.equal(await session.count('[data-testid="join-pin"]'), 0, 'no PIN for the host');
    await session.type('[data-testid="join-name"]', 'Desk Host');
    await session.click('[data-testid="join-submit"]');
    await eventually('the console, as host', async () => (await session.count('[data-testid="console-tab-people"]')) === 1, 30_000);
    assert.ok(!(await session.url()).includes('host='), 'the spent token is off the address bar');
    await writeFile(path.join(ARTIFACTS, 'desktop-console.png'), await session.screenshot());
    await session.switchTo(main);

    // What guests may do, set on the dashboard, holds on the hub at once.
    const setStaffOnly = `const done = arguments[arguments.length - 1];
      const select = document.querySelector('#permissions select[name="host_parties"]');
      select.value = 'staff';
      select.dispatchEvent(new Event('change', { bubbles: true }));
      done('ok');`;
    await session.run(setStaffOnly);
    const guest = await (
      await fetch(new URL('/api/join', url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ display_name: 'Party Guest', pin: '2468' }),
      })
    ).json();
    await eventually('parties kept to the host', async () => {
      const res = await fetch(new URL('/api/parties', url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${guest.session}` },
        body: '{}',
      });
      return res.status === 403;
    });

    // A new PIN with "end every guest session" ticked: the guests must join again.
    await session.click('[data-testid="pin-end-sessions"]');
    await session.type('[data-testid="pin-input"]', '1357');
    await session.click('[data-testid="pin-save"]');
    await eventually("the guest's session ended", async () => {
      const me = await fetch(new URL('/api/me', url), { headers: { authorization: `Bearer ${guest.session}` } });
      return me.status === 401;
    });
  } catch (err) {
    err.message += `\n--- tauri-driver and app output ---\n${drv.log().slice(-4000)}`;
    throw err;
  } finally {
    await browser?.close().catch(() => {});
    await session?.close().catch(() => {});
    drv.child.kill('SIGTERM');
    xvfb.child.kill('SIGTERM');
    await rm(dataDir, { recursive: true, force: true }).catch(() => {});
  }
});
