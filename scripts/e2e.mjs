#!/usr/bin/env node
// `npm run test:e2e`: start the web bridge (scripts/web.mjs builds first when out/ is stale), run Playwright
// against it in Debian's Chromium, stop the bridge. Exits non-zero when anything fails.
// Extra arguments go to `playwright test` (e.g. a file name or --grep).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STARTUP_MS = 240_000; // includes a cold build on a 2-core machine

function startBridge() {
  return new Promise((resolveUrl, reject) => {
    // A fresh user folder per run: autosaved workspaces from earlier runs must not restore old strokes.
    const home = mkdtempSync(join(tmpdir(), 'medseg-e2e-home-'));
    const child = spawn(process.execPath, [join(root, 'scripts', 'web.mjs'), '--port', '0'], {
      cwd: root, stdio: ['ignore', 'pipe', 'inherit'], detached: false, env: { ...process.env, MEDSEG_HOME: home },
    });
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`the web bridge did not print its address within ${STARTUP_MS / 1000} s`));
    }, STARTUP_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the web bridge exited early (code ${code})`));
    });
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (line) => {
      const m = /^MedSeg web: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolveUrl({ child, url: m[1] });
      } else process.stdout.write(`[bridge] ${line}\n`);
    });
  });
}

function runPlaywright(url) {
  return new Promise((res) => {
    const p = spawn(process.execPath, [join(root, 'node_modules', '@playwright', 'test', 'cli.js'), 'test', ...process.argv.slice(2)], {
      cwd: root, stdio: 'inherit', env: { ...process.env, MEDSEG_WEB_URL: url },
    });
    p.on('exit', (code, signal) => res(code ?? (signal ? 1 : 0)));
  });
}

let bridge = null;
let code = 1;
try {
  bridge = await startBridge();
  process.stdout.write(`e2e: bridge at ${bridge.url.replace(/token=.*/, 'token=…')}\n`);
  code = await runPlaywright(bridge.url);
} catch (e) {
  process.stderr.write(`e2e: ${e instanceof Error ? e.message : String(e)}\n`);
  code = 1;
} finally {
  if (bridge) {
    const exited = new Promise((r) => bridge.child.once('exit', r));
    bridge.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (bridge.child.exitCode === null) bridge.child.kill('SIGKILL');
  }
}
process.exit(code);
