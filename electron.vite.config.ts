import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// electron-vite only guesses src/main etc.; our folders are named by where code runs, so every entry is explicit.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rolldownOptions: {
        input: {
          index: resolve('src-main/app/main.ts'), // Electron entry
          bridge: resolve('src-main/bridge/main.ts'), // web mode (plain Node)
          cli: resolve('src-main/cli/main.ts'), // `medseg` (plain Node)
          worker: resolve('src-main/engine/worker.ts'), // compute worker thread
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rolldownOptions: {
        input: { index: resolve('src-preload/index.ts') },
        // sandboxed preloads cannot be ESM
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src-renderer'),
    build: {
      outDir: resolve('out/renderer'),
      rolldownOptions: { input: { index: resolve('src-renderer/index.html') } },
    },
    plugins: [svelte({ configFile: resolve('svelte.config.js') })],
  },
});
