/**
 * `npm run web` entry (plain Node, built to out/main/bridge.js): the services with the compute worker, served to
 * a browser on 127.0.0.1 with a per-launch token. Prints exactly one line on stdout:
 *   MedSeg web: http://127.0.0.1:<port>/?token=<token>
 */
import { existsSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { createServices } from '../services';
import { ModelStore } from '../features/models';
import { DEFAULT_MAX_PAYLOAD, startBridge } from './server';

const here = dirname(fileURLToPath(import.meta.url));

function readVersion(pkgJson: string): string | undefined {
  try {
    const v = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function onnxVersion(): string | undefined {
  try {
    return readVersion(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  } catch {
    return undefined;
  }
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535.');
  return n;
}

async function main(): Promise<void> {
  const program = new Command('medseg-web')
    .description('Serve MedSeg Workstation to a local browser (127.0.0.1 only).')
    .option('--port <n>', 'port to listen on (default: a free port)', parsePort, 0)
    .option('--static <dir>', 'built renderer folder', resolve(here, '..', 'renderer'))
    .option('--in-process', 'compute in the main thread instead of the worker (debugging)', false)
    .parse();
  const opts = program.opts<{ port: number; static: string; inProcess: boolean }>();

  const workerFile = join(here, 'worker.js');
  if (!opts.inProcess && !existsSync(workerFile)) {
    process.stderr.write(`MedSeg web: the compute worker is missing (${workerFile}); run "npm run build".\n`);
    process.exit(1);
  }
  const configDir = process.env.MEDSEG_HOME ?? join(homedir(), '.medseg');
  const host = createServices({
    workerFile: opts.inProcess ? undefined : workerFile,
    modelStore: new ModelStore(),
    recentFile: join(configDir, 'recent-web.json'),
    dataDir: configDir,
    system: {
      mode: 'web',
      versions: { app: readVersion(resolve(here, '..', '..', 'package.json')) ?? 'unknown', node: process.versions.node, onnxruntime: onnxVersion() },
      limits: { maxMessageBytes: DEFAULT_MAX_PAYLOAD },
    },
  });
  if (!existsSync(join(opts.static, 'index.html'))) {
    process.stderr.write(`MedSeg web: the user interface is not built (${opts.static}); run "npm run build".\n`);
  }
  let bridge;
  try {
    bridge = await startBridge({ dispatch: host.dispatch, hub: host.hub, staticDir: opts.static, port: opts.port });
  } catch (e) {
    const code = (e as { code?: string }).code;
    process.stderr.write(code === 'EADDRINUSE'
      ? `MedSeg web: port ${opts.port} is already in use; choose another with --port or leave it out for a free one.\n`
      : `MedSeg web: could not start: ${e instanceof Error ? e.message : String(e)}\n`);
    await host.dispose();
    process.exit(1);
  }
  process.stdout.write(`MedSeg web: ${bridge.url}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await bridge.close();
    await host.dispose();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

void main();
