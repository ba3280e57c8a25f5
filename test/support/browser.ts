import { existsSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium: the browser tests drive it, and download none (`.ci/run` installs it when missing). */
export const CHROMIUM = '/usr/bin/chromium';

/** The built web client (`npm run build`). */
export const WEB_DIST = fileURLToPath(new URL('../../web/', import.meta.url));

/** Launches headless Chromium; close it in `after`. */
export function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
}

/** Where `serveBuiltClient` makes the page think it was served from. */
export const FAKE_ORIGIN = 'http://parley.test';

/**
 * Answers the page's requests under FAKE_ORIGIN with the files of dist/web/, as parley's
 * HTTP listener serves them, without any server: for tests of the client alone, which also
 * route its WebSocket (`page.routeWebSocket(`${FAKE_ORIGIN.replace('http', 'ws')}/ws`, …)`).
 */
export async function serveBuiltClient(page: Page): Promise<void> {
  await page.route(`${FAKE_ORIGIN}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    const file = normalize(join(WEB_DIST, path === '/' ? 'index.html' : decodeURIComponent(path)));
    if (!file.startsWith(WEB_DIST) || !existsSync(file)) await route.fulfill({ status: 404, body: 'not found' });
    else await route.fulfill({ path: file });
  });
}
