/**
 * Packaging and launch scripts: electron-builder.yml (targets, native files unpacked from asar), the CUDA
 * install script, and `npm start` without / with an Electron binary.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { minimatch } from 'minimatch';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };

interface BuilderConfig {
  files: string[];
  asar: boolean;
  asarUnpack: string[];
  linux: { target: string[] };
  win: { target: string[] };
  mac: { target: string[] };
}

const config = yaml.load(readFileSync('electron-builder.yml', 'utf8')) as BuilderConfig;
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { main: string; scripts: Record<string, string> };

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

describe('electron-builder.yml', () => {
  it('builds AppImage and deb, NSIS and dmg from the built app in an asar', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.asar).toBe(true);
    expect(config.files).toContain('out/**');
    expect(pkg.main).toBe('out/main/index.js');
  });

  it('unpacks every native file of onnxruntime-node, and nothing else of it', () => {
    const files = walk('node_modules/onnxruntime-node').map((p) => relative('.', p).split('\\').join('/'));
    const unpacked = (f: string) => config.asarUnpack.some((g) => minimatch(f, g));
    const native = files.filter((f) => /\.(node|so(\.\d+)*|dylib|dll)$/.test(f));
    // linux x64: the binding and libonnxruntime.so.1 (the CUDA providers join them after install:cuda).
    expect(native).toContain('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node');
    expect(native).toContain('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1');
    for (const f of native) expect(unpacked(f), f).toBe(true);
    expect(unpacked('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so')).toBe(true);
    expect(unpacked('node_modules/onnxruntime-node/dist/index.js')).toBe(false);
    expect(unpacked('node_modules/onnxruntime-node/package.json')).toBe(false);
  });
});

describe('npm run install:cuda', () => {
  it('forces onnxruntime-node/script/install.js through the variable it reads first', () => {
    expect(pkg.scripts['install:cuda']).toBe('node scripts/install-cuda.mjs');
    const script = readFileSync('scripts/install-cuda.mjs', 'utf8');
    expect(script).toContain("'script', 'install.js'");
    expect(script).toContain("ORT_INSTALL_FLAG = 'true'");
    expect(script).toContain('ONNXRUNTIME_NODE_INSTALL: ORT_INSTALL_FLAG');
    // The package's own parser, with the project's .npmrc "skip" exported by npm as it is inside `npm run`.
    const utils = require('onnxruntime-node/script/install-utils.js') as { parseInstallFlag(): unknown };
    const meta = require('onnxruntime-node/script/install-metadata.js') as { requirements: Record<string, string[]> };
    const keys = ['ONNXRUNTIME_NODE_INSTALL', 'npm_config_onnxruntime_node_install'] as const;
    const saved = keys.map((k) => process.env[k]);
    const argv = process.argv;
    try {
      process.env.npm_config_onnxruntime_node_install = 'skip';
      delete process.env.ONNXRUNTIME_NODE_INSTALL;
      process.argv = ['node', 'install.js', '--onnxruntime-node-install=cuda12'];
      expect(utils.parseInstallFlag()).toBe(false); // the old package.json line: skipped, exit 0, nothing installed
      process.env.ONNXRUNTIME_NODE_INSTALL = 'cuda12';
      expect(utils.parseInstallFlag()).toBeUndefined(); // "cuda12" itself is not returned by 1.30's parser
      process.env.ONNXRUNTIME_NODE_INSTALL = 'true';
      expect(utils.parseInstallFlag()).toBe(true); // forced install of the platform's extra files…
      expect(meta.requirements['linux/x64']).toEqual(['cuda12']); // …which are the CUDA 12 providers
      expect(meta.requirements['darwin/arm64']).toEqual([]); // nothing extra elsewhere: a no-op there
    } finally {
      process.argv = argv;
      keys.forEach((k, i) => {
        if (saved[i] === undefined) delete process.env[k];
        else process.env[k] = saved[i];
      });
    }
  });
});

describe('npm start', () => {
  const start = (env: Record<string, string>, args: string[] = []) =>
    spawnSync(process.execPath, ['scripts/start.mjs', ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });

  it('without an Electron binary: a clear message naming `npm run web`, exit 1, no stack trace', () => {
    const r = start({ MEDSEG_ELECTRON_PATH: join(tmpdir(), 'no-such-electron') });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot start as a desktop app');
    expect(r.stderr).toContain('npm run web');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('when the binary cannot be started: the same kind of message, exit 1', () => {
    const notExecutable = join(mkdtempSync(join(tmpdir(), 'medseg-start-')), 'electron');
    writeFileSync(notExecutable, 'not a program');
    chmodSync(notExecutable, 0o644);
    const r = start({ MEDSEG_ELECTRON_PATH: notExecutable }, ['--no-build']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('could not be started (EACCES)');
    expect(r.stderr).toContain('npm run web');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('with a binary: launches it on the project with the files to open, and passes its exit code on', () => {
    const dir = mkdtempSync(join(tmpdir(), 'medseg-start-'));
    const fake = join(dir, 'electron');
    const log = join(dir, 'args.txt');
    writeFileSync(fake, `#!/bin/sh\necho "$PWD|$*|$ELECTRON_RUN_AS_NODE" > "${log}"\nexit 3\n`);
    chmodSync(fake, 0o755);
    const r = start({ MEDSEG_ELECTRON_PATH: fake, ELECTRON_RUN_AS_NODE: '1' }, ['--no-build', '/data/ct.nii.gz']);
    expect(r.status).toBe(3);
    expect(readFileSync(log, 'utf8').trim()).toBe(`${process.cwd()}|. /data/ct.nii.gz|`);
  });
});
