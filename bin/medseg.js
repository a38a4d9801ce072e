#!/usr/bin/env node
// `medseg` launcher. Runs the built CLI (out/main/cli.js). When that build is missing or older than the sources
// it depends on (a fresh `npm install`, or edited sources), it runs `electron-vite build` first and says so on
// stderr, so `npx medseg …` always runs the current code. Concurrent launches share one build through a lock.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'out', 'main', 'cli.js');
const SOURCES = ['src-main', 'src-shared', 'electron.vite.config.ts', 'package.json'];

function newestMtime(p) {
  let st;
  try {
    st = statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let m = 0;
  for (const name of readdirSync(p)) if (!name.startsWith('.')) m = Math.max(m, newestMtime(join(p, name)));
  return m;
}

function isStale() {
  if (!existsSync(cli)) return true;
  // an installed package without sources has nothing to rebuild from
  if (!existsSync(join(root, 'src-main'))) return false;
  const built = statSync(cli).mtimeMs;
  return SOURCES.some((s) => newestMtime(join(root, s)) > built);
}

function fail(message, detail) {
  process.stdout.write(JSON.stringify({ error: { code: 'INTERNAL', message, detail } }, null, 2) + '\n');
  process.exit(1);
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function build() {
  const lock = join(root, 'out', '.medseg-build.lock');
  mkdirSync(join(root, 'out'), { recursive: true });
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // another launcher is building: wait for it, then use its result
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      } catch { /* lock vanished meanwhile */ }
      if (Date.now() > deadline) fail('Timed out waiting for another medseg build to finish.');
      sleep(250);
      if (!existsSync(lock) && !isStale()) return;
    }
  }
  try {
    if (!isStale()) return;
    process.stderr.write('medseg: the command line is not built or is older than its sources; running `electron-vite build` first…\n');
    const ev = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
    if (!existsSync(ev)) fail('The command line is not built and electron-vite is not installed; run `npm install` first.');
    const r = spawnSync(process.execPath, [ev, 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
    if (r.status !== 0 || !existsSync(cli)) fail('Building the command line failed (electron-vite build); see the messages above.', `exit status ${r.status}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

if (isStale()) build();
await import(pathToFileURL(cli).href);
