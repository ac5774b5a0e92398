// Test helper: starts a real `hubbub serve` process on a free port with a fresh data dir, and stops it; host links for it.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in tests/e2e/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const LISTENING_PREFIX = 'listening on ';

/** Finds the hub binary: $HUBBUB_BIN, else <repo>/target/debug/hubbub, else $CARGO_TARGET_DIR/debug/hubbub. */
export function hubBinary() {
  if (process.env.HUBBUB_BIN) {
    if (!existsSync(process.env.HUBBUB_BIN)) {
      throw new Error(`HUBBUB_BIN is set to ${process.env.HUBBUB_BIN}, but no file is there`);
    }
    return process.env.HUBBUB_BIN;
  }
  const candidates = [path.join(REPO_ROOT, 'target', 'debug', 'hubbub')];
  if (process.env.CARGO_TARGET_DIR) {
    candidates.push(path.join(path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR), 'debug', 'hubbub'));
  }
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `hubbub binary not found (looked at ${candidates.join(', ')}). ` +
        'Build it with `cargo build --bin hubbub` or set HUBBUB_BIN.',
    );
  }
  return found;
}

/**
 * Starts `hubbub serve` and resolves once it prints `listening on <url>`.
 * By default on a free port with a fresh data dir that `stop()` deletes; pass `bind` and `dataDir`
 * to restart a hub where an earlier one was (the caller then owns the data dir).
 * @param {{ pin?: string, name?: string, args?: string[], bind?: string, dataDir?: string }} [options]
 * @returns {Promise<{ url: string, port: number, dataDir: string, stderr: () => string, stdout: () => string, stop: () => Promise<void> }>}
 */
export async function startHub(options = {}) {
  const bin = hubBinary();
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'hubbub-e2e-')));
  const args = [
    'serve',
    '--bind',
    options.bind ?? '127.0.0.1:0',
    '--data-dir',
    dataDir,
    '--no-discovery',
    '--name',
    options.name ?? 'E2E Hub',
  ];
  if (options.pin !== undefined) args.push('--pin', options.pin);
  if (options.args) args.push(...options.args);

  const child = spawn(bin, args, {
    cwd: dataDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' },
  });
  let stderr = '';
  let stdout = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (process.env.HUBBUB_E2E_LOGS) process.stderr.write(chunk);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const cleanup = async () => {
    if (ownsDataDir) await rm(dataDir, { recursive: true, force: true }).catch(() => {});
  };

  let url;
  try {
    url = await new Promise((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      // Every line is kept (the host link comes after the listening line), and reading them drains the pipe.
      lines.on('line', (line) => {
        stdout += `${line}\n`;
      });
      const fail = (why) => {
        clearTimeout(timer);
        reject(new Error(`hub did not start: ${why}\n--- hub stderr ---\n${stderr}`));
      };
      const timer = setTimeout(() => fail(`no "${LISTENING_PREFIX}" line within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
      lines.on('line', (line) => {
        const at = line.indexOf(LISTENING_PREFIX);
        if (at < 0) return;
        clearTimeout(timer);
        resolve(line.slice(at + LISTENING_PREFIX.length).trim().replace(/\/+$/, ''));
      });
      child.once('error', (err) => fail(`could not run ${bin}: ${err.message}`));
      exited.then(({ code, signal }) => fail(`process exited (code ${code}, signal ${signal})`));
    });
  } catch (err) {
    child.kill('SIGKILL');
    await cleanup();
    throw err;
  }
  let stopping;
  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    stderr: () => stderr,
    stdout: () => stdout,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          await exited;
          clearTimeout(timer);
        }
        await cleanup();
      })();
      return stopping;
    },
  };
}

const HOST_LINK = /host link: (\S+)/;

/**
 * A one-time host link for `hub`: the one it printed at start (`host link: URL`) the first time,
 * then a new one from `hubbub host-link --data-dir` (the printed one works only once).
 * @param {{ url: string, dataDir: string, stdout: () => string, stderr: () => string }} hub
 */
export async function hostLink(hub) {
  const used = (hostLinksUsed.get(hub) ?? 0) + 1;
  hostLinksUsed.set(hub, used);
  if (used === 1) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = HOST_LINK.exec(hub.stdout()) ?? HOST_LINK.exec(hub.stderr());
      if (found) return found[1];
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return newHostLink(hub);
}

const hostLinksUsed = new WeakMap();

/** A new host link from `hubbub host-link --data-dir` (it prints `/?host=TOKEN`, or a whole URL). */
export async function newHostLink(hub) {
  const out = await new Promise((resolve, reject) => {
    execFile(hubBinary(), ['host-link', '--data-dir', hub.dataDir], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`hubbub host-link failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
  const line = out.split('\n').map((l) => l.trim()).find((l) => l.includes('?host=') || l.includes('host link:'));
  if (!line) throw new Error(`hubbub host-link printed no link:\n${out}`);
  const link = line.replace(/^.*?host link:\s*/, '').trim();
  return link.startsWith('/') ? `${hub.url}${link}` : link;
}
