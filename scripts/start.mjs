#!/usr/bin/env node
/**
 * `npm start`: find the Electron binary, build the app if its sources are newer than out/, launch it.
 * Where there is no Electron binary (it could not be downloaded), say so plainly and point at `npm run web`,
 * which runs the same app in a browser: exit code 1, no stack trace.
 *
 *   npm start [-- --no-build] [files to open…]
 *   MEDSEG_ELECTRON_PATH=/path/to/electron npm start     use a specific Electron binary
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const args = process.argv.slice(2);
const noBuild = args.includes('--no-build');
const appArgs = args.filter((a) => a !== '--no-build');

function fail(reason, hint = true) {
  process.stderr.write(`\nMedSeg Workstation cannot start as a desktop app: ${reason}\n`);
  if (hint) process.stderr.write('\nRun the same app in your browser instead:\n\n    npm run web\n\n');
  process.exit(1);
}

/**
 * The binary electron's own index.js would return — but without requiring it, because that module starts a
 * download when the binary is missing (which hangs or fails on machines without internet access).
 */
function findElectron() {
  const explicit = process.env.MEDSEG_ELECTRON_PATH;
  if (explicit) {
    return existsSync(explicit) ? { bin: explicit } : { missing: `MEDSEG_ELECTRON_PATH points to ${explicit}, which does not exist.` };
  }
  let pkgDir;
  try {
    pkgDir = dirname(require.resolve('electron/package.json'));
  } catch {
    return { missing: 'the electron package is not installed (run `npm install`).' };
  }
  const pathFile = join(pkgDir, 'path.txt');
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const bin = join(process.env.ELECTRON_OVERRIDE_DIST_PATH, name || 'electron');
    return existsSync(bin) ? { bin } : { missing: `no Electron binary at ${bin} (ELECTRON_OVERRIDE_DIST_PATH).` };
  }
  const bin = name ? join(pkgDir, 'dist', name) : '';
  if (!bin || !existsSync(bin)) {
    return { missing: 'the Electron binary is not installed on this machine (node_modules/electron/dist is missing: its download at install time was skipped or failed).' };
  }
  return { bin };
}

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function needsBuild() {
  const outputs = ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html'].map((p) => join(root, p));
  if (outputs.some((p) => !existsSync(p))) return true;
  const built = Math.min(...outputs.map((p) => statSync(p).mtimeMs));
  const sources = ['src-main', 'src-preload', 'src-renderer', 'src-shared', 'electron.vite.config.ts', 'svelte.config.js', 'package.json'];
  return sources.some((s) => newestMtime(join(root, s)) > built);
}

const electron = findElectron();
if (!electron.bin) fail(electron.missing);

if (!noBuild && needsBuild()) {
  process.stdout.write('Building MedSeg Workstation…\n');
  const cli = join(dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
  const build = spawnSync(process.execPath, [cli, 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) fail('the build failed (see the messages above).', false);
}

const env = { ...process.env };
delete env.ELECTRON_RUN_AS_NODE; // set by some tools; it would make Electron behave as plain Node
const child = spawn(electron.bin, ['.', ...appArgs], { cwd: root, stdio: 'inherit', env });
child.on('error', (e) => fail(`the Electron binary at ${electron.bin} could not be started (${e.code ?? e.message}).`));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
