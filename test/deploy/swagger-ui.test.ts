/**
 * Swagger UI in a real browser: Debian's Chromium, driven by playwright-core
 * (which downloads nothing; it is pointed at /usr/bin/chromium), loads /docs,
 * expands GET /health, runs "Try it out" and sees a 200 from the live service.
 * It takes a screenshot into a temporary directory; `UPDATE_SCREENSHOT=1` writes it to
 * docs/swagger-ui.png (the README's) instead, so a test run never changes a committed file.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startTestService } from '../support/app.js';

const CHROMIUM = '/usr/bin/chromium';
const committedScreenshot = fileURLToPath(new URL('../../docs/swagger-ui.png', import.meta.url));

test('Swagger UI at /docs: expand GET /health, Try it out, Execute -> 200', { timeout: 90_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/ensure-system-packages.sh`);
  const service = await startTestService();
  const profile = mkdtempSync(path.join(tmpdir(), 'ims-chromium-'));
  const screenshot = process.env.UPDATE_SCREENSHOT === '1' ? committedScreenshot : path.join(profile, 'swagger-ui.png');
  // A fresh profile directory each run (Playwright passes it as --user-data-dir).
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    // Root in CI needs --no-sandbox; the rest keeps a closed-network, throwaway browser quiet.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1280, height: 900 },
  });
  try {
    const url = await service.app.listen({ host: '127.0.0.1', port: 0 });
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('requestfailed', (request) => failed.push(request.url()));
    await page.goto(`${url}/docs/`);

    const operation = page.locator('.opblock-get', { has: page.locator('.opblock-summary-path[data-path="/health"]') });
    await operation.locator('.opblock-summary').first().click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    await operation.getByRole('button', { name: 'Execute' }).click();

    const status = operation.locator('.live-responses-table .response .response-col_status');
    await status.first().waitFor({ timeout: 15_000 });
    assert.equal((await status.first().innerText()).trim(), '200');
    assert.match(await operation.locator('.live-responses-table .response .response-col_description').first().innerText(), /"status": "ok"/);

    await operation.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshot });
    assert.ok(statSync(screenshot).size > 10_000, 'a real screenshot');
    assert.deepEqual(
      failed.filter((request) => request.startsWith(url)),
      [],
      'every asset of the page loaded from the service',
    );
  } finally {
    await browser.close();
    await service.destroy();
    rmSync(profile, { recursive: true, force: true });
  }
});
