#!/usr/bin/env node
/**
 * `npm run install:cuda`: fetch onnxruntime-node's CUDA 12 provider libraries (NVIDIA GPUs, Linux x64;
 * onnxruntime-node 1.30 offers no extra download for other platforms, so there it does nothing).
 *
 * Why a script and not `node …/script/install --onnxruntime-node-install=cuda12` in package.json (read from
 * onnxruntime-node 1.30's script/install.js and install-utils.js):
 * - the project's .npmrc sets `onnxruntime-node-install=skip` (so `npm install` works offline); npm exports it to
 *   every script as npm_config_onnxruntime_node_install=skip, which install.js reads BEFORE the command-line flag;
 * - even when read, "cuda12" parses to `undefined` (the parser's default branch returns nothing), and with
 *   `undefined` install.js exits silently when run from the project's own `npm run`.
 * ONNXRUNTIME_NODE_INSTALL is read first of all; "true" forces the install of the platform's extra files, which on
 * linux/x64 are exactly the cuda12 providers.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const script = join(dirname(require.resolve('onnxruntime-node/package.json')), 'script', 'install.js');
const ORT_INSTALL_FLAG = 'true';

const r = spawnSync(process.execPath, [script], {
  stdio: 'inherit',
  env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: ORT_INSTALL_FLAG },
});
if (r.status !== 0) {
  process.stderr.write('\nThe CUDA libraries for onnxruntime-node could not be installed. The app keeps working on the CPU.\n');
  process.exit(r.status ?? 1);
}
