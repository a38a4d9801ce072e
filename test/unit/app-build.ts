/**
 * Builds one electron-vite target (main entry or preload) into a temporary folder with the project's own
 * electron.vite.config.ts, so shell tests check the real bundles without touching out/ or building the renderer.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { resolveConfig } from 'electron-vite';
import { build, type InlineConfig } from 'vite';

export async function buildTarget(target: 'main' | 'preload'): Promise<string> {
  const { config } = await resolveConfig({}, 'build', 'production');
  const vite = config?.[target] as InlineConfig | undefined;
  if (!vite?.build) throw new Error(`electron.vite.config.ts has no ${target} build`);
  // Inside the project so the bundle's external imports (zod, dcmjs…) resolve from node_modules.
  const cache = resolve('node_modules', '.cache', 'medseg-shell-tests');
  mkdirSync(cache, { recursive: true });
  const outDir = mkdtempSync(join(cache, `${target}-`));
  vite.build.outDir = outDir;
  vite.build.emptyOutDir = true;
  vite.logLevel = 'warn';
  if (target === 'main') {
    // The Electron entry and the compute worker it starts; the bridge and CLI bundles are other tests'.
    const ro = vite.build.rolldownOptions as { input: Record<string, string> };
    ro.input = { index: ro.input.index as string, worker: ro.input.worker as string };
  }
  await build(vite);
  return join(outDir, target === 'main' ? 'index.js' : 'index.cjs');
}
