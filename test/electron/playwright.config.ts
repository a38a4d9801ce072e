import { defineConfig } from '@playwright/test';

// The Electron UI scenario: its own config so `npm test` (test/e2e in Chromium) never needs an Electron binary.
// Run: npm run build && npx playwright test -c test/electron/playwright.config.ts
// It runs where MEDSEG_ELECTRON=1 (node_modules/electron's binary) or MEDSEG_ELECTRON_PATH names a binary.
export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.ts$/,
  outputDir: '../../test-results/electron',
  workers: 1,
  fullyParallel: false,
  timeout: 180_000,
  expect: { timeout: 60_000 },
  reporter: [['list']],
  use: { screenshot: 'only-on-failure', trace: 'retain-on-failure' },
});
