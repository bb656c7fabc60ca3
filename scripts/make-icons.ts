/**
 * Renders the web app manifest's icons into public/icons/ from the favicon's drawing (public/favicon.svg: three bars
 * on the accent blue): 192 and 512 px with its rounded corners, a 512 px maskable one (full-bleed background, the bars
 * inside the central 80% that every mask keeps) and the 180 px apple-touch-icon.
 *
 *   npx tsx scripts/make-icons.ts
 *
 * Uses the same Chromium as the e2e tests (Debian's /usr/bin/chromium, or CHROMIUM_PATH).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { CHROMIUM_PATH } from '../src/node/chromium';
import { REPO_ROOT } from '../src/node/localData';

const BARS = 'M3 12h2V6H3zm4 0h2V4H7zm4 0h2V8h-2z';
/** The favicon at `size` px; `maskable` fills the square and shrinks the bars into the safe zone. */
function svg(size: number, maskable: boolean): string {
  const bars = maskable
    ? `<g transform="translate(8 8) scale(0.7) translate(-8 -8)"><path d="${BARS}" fill="#fff"/></g>`
    : `<path d="${BARS}" fill="#fff"/>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="${size}" height="${size}"><rect width="16" height="16" rx="${maskable ? 0 : 3}" fill="#0b6bcb"/>${bars}</svg>`;
}

const ICONS = [
  { file: 'icon-192.png', size: 192, maskable: false },
  { file: 'icon-512.png', size: 512, maskable: false },
  { file: 'icon-maskable-512.png', size: 512, maskable: true },
  { file: 'apple-touch-icon-180.png', size: 180, maskable: true },
];

const dir = path.join(REPO_ROOT, 'public/icons');
mkdirSync(dir, { recursive: true });
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
try {
  for (const icon of ICONS) {
    const page = await browser.newPage({ viewport: { width: icon.size, height: icon.size } });
    await page.setContent(`<!doctype html><html><body style="margin:0">${svg(icon.size, icon.maskable)}</body></html>`);
    await page.screenshot({ path: path.join(dir, icon.file), omitBackground: true });
    await page.close();
    process.stderr.write(`wrote public/icons/${icon.file}\n`);
  }
} finally {
  await browser.close();
}
