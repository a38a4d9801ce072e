#!/usr/bin/env node
// `npm run web [-- --port <n>]`: build when out/ is missing or older than the sources, then start the bridge.
// Build output goes to stderr so stdout carries exactly the "MedSeg web: <url>" line.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'out', 'main', 'bridge.js');
const outputs = [entry, join(root, 'out', 'main', 'worker.js'), join(root, 'out', 'renderer', 'index.html')];

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

const sources = Math.max(
  ...['src-shared', 'src-main', 'src-preload', 'src-renderer'].map((d) => newestMtime(join(root, d))),
  ...['electron.vite.config.ts', 'package.json', 'svelte.config.js'].filter((f) => existsSync(join(root, f))).map((f) => statSync(join(root, f)).mtimeMs),
);
const stale = outputs.some((f) => !existsSync(f) || statSync(f).mtimeMs < sources);
if (stale) {
  process.stderr.write('MedSeg web: building (electron-vite build)…\n');
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], {
    cwd: root, stdio: ['ignore', process.stderr, process.stderr],
  });
  if (r.status !== 0) {
    process.stderr.write('MedSeg web: the build failed (see above).\n');
    process.exit(r.status ?? 1);
  }
}

const child = spawn(process.execPath, [entry, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
