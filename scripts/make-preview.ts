/**
 * Renders public/preview.png, the 1200x630 picture a shared link shows (Open Graph / Twitter card): the title, what
 * the playground does, and real images of the built-in sample (public/cifar10-sample/train.png) drawn 3x.
 *
 *   npx tsx scripts/make-preview.ts
 *
 * Uses the same Chromium as the e2e tests (Debian's /usr/bin/chromium, or CHROMIUM_PATH).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { CHROMIUM_PATH } from '../src/node/chromium';
import { REPO_ROOT } from '../src/node/localData';

const sprite = readFileSync(path.join(REPO_ROOT, 'public/cifar10-sample/train.png')).toString('base64');
const favicon = readFileSync(path.join(REPO_ROOT, 'public/favicon.svg')).toString('base64');
// 6 columns x 6 rows of tiles from the sprite's top-left corner, 96 px each (3x, pixelated: CIFAR-10 is 32x32).
const html = `<!doctype html><html><head><style>
  body { margin: 0; width: 1200px; height: 630px; display: flex; font-family: system-ui, 'DejaVu Sans', sans-serif;
         background: linear-gradient(135deg, #0b6bcb, #073d75); color: #fff; }
  .text { flex: 1; padding: 64px 40px 48px 64px; display: flex; flex-direction: column; }
  h1 { font-size: 64px; line-height: 1.05; margin: 24px 0 24px; }
  p { font-size: 30px; line-height: 1.35; margin: 0 0 16px; color: #dbe9f8; }
  .small { font-size: 22px; margin-top: auto; color: #b9d3ee; }
  .tiles { width: 576px; height: 576px; margin: 27px 27px 27px 0; border-radius: 12px; image-rendering: pixelated;
           background: url(data:image/png;base64,${sprite}) 0 0 / 4800px auto no-repeat; }
</style></head><body>
  <div class="text">
    <img src="data:image/svg+xml;base64,${favicon}" width="72" height="72" alt="">
    <h1>Wide ResNet playground</h1>
    <p>Train WRN-d-k on CIFAR-10 in your browser, on your GPU, and compare thin-deep with wide-shallow nets.</p>
    <p class="small">Zagoruyko &amp; Komodakis, Wide Residual Networks (2016) · TensorFlow.js · WebGPU</p>
  </div>
  <div class="tiles" role="img" aria-label="CIFAR-10 images"></div>
</body></html>`;

const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 630 } });
  await page.setContent(html);
  await page.screenshot({ path: path.join(REPO_ROOT, 'public/preview.png') });
} finally {
  await browser.close();
}
process.stderr.write('wrote public/preview.png\n');
