import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';
import type { Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';
import { cifarPlugin } from './server/cifarPlugin';

/**
 * Cross-origin isolation: SharedArrayBuffer, and so the threaded WASM backend, needs these two headers on the
 * page and its worker. A static host must send the same (see README).
 */
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * Link previews (Open Graph, Twitter cards) want absolute image URLs, and a static site does not know its address:
 * `SITE_URL=https://example.github.io/wrn-playground/ npm run build` makes the card's image absolute and adds
 * og:url; without it they stay relative (./preview.png), which the page itself and many previewers accept.
 */
function siteUrl(): Plugin {
  return {
    name: 'wrn-site-url',
    transformIndexHtml(html) {
      const site = process.env['SITE_URL'];
      if (!site) return html;
      const root = site.endsWith('/') ? site : `${site}/`;
      return html
        .replaceAll('content="./preview.png"', `content="${root}preview.png"`)
        .replace('<meta property="og:type"', `<meta property="og:url" content="${root}" />\n    <meta property="og:type"`);
    },
  };
}

/**
 * Offline and installable: a Workbox service worker (vite-plugin-pwa) precaches the built site on the first visit,
 * the worker, the WASM binaries and the built-in sample included, and a web app manifest with icons makes it
 * installable. A new build waits until the person reloads ('prompt': the page offers "Reload to update", see
 * UpdatePrompt.tsx), so old and new files never mix in one page. Only the build has it: `vite dev` registers no
 * service worker and removes one left from a build (main.tsx), so nothing stale is served while developing.
 */
function offline(): Plugin[] {
  return VitePWA({
    registerType: 'prompt',
    includeManifestIcons: false, // the glob below has them (and the apple-touch-icon)
    injectRegister: false, // registered by UpdatePrompt.tsx, which also shows the update prompt
    manifest: {
      name: 'Wide ResNet playground',
      short_name: 'WRN playground',
      description: 'Train Wide Residual Networks on CIFAR-10 in your browser and compare thin-deep with wide-shallow nets.',
      start_url: './',
      scope: './',
      display: 'standalone',
      background_color: '#f5f7fa',
      theme_color: '#0b6bcb',
      icons: [
        { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
        { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
        { src: 'icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
      ],
    },
    workbox: {
      // the page, its scripts and styles, the worker, the three WASM binaries, the icons and the built-in sample
      globPatterns: ['**/*.{html,js,css,wasm,svg}', 'icons/*.png', 'cifar10-sample/*'],
      // the e2e harness pages that the e2e build adds beside the app (e2e/vite.config.ts) and their entry scripts, and
      // the link-preview picture
      globIgnores: ['e2e/**', 'kernels.html', 'harness.html', 'assets/harness-*.js', 'assets/kernels-*.js', 'preview.png'],
      // the sample's training sprite is 4.4 MB; the largest WASM binary under 1 MB
      maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
      // navigations are to the page itself (precached as index.html, its folder included); anything else is not ours
      navigateFallback: null,
      runtimeCaching: [
        {
          // Whether the host has a CIFAR-10 server: always asked of the network (never cached, so an app server's live
          // answer counts); with no network, the answer a static host gives (no server: the page uses the sample).
          urlPattern: ({ url }) => url.pathname.endsWith('/cifar10/status'),
          handler: 'NetworkOnly',
          options: {
            plugins: [
              {
                handlerDidError: async () =>
                  new Response(JSON.stringify({ status: 'none', note: 'offline: no CIFAR-10 server reachable' }), {
                    headers: { 'Content-Type': 'application/json' },
                  }),
              },
            ],
          },
        },
      ],
    },
  });
}

/**
 * Vitest's projects, by file name: `*.webgpu.test.ts` needs WebGPU through Dawn (SwiftShader without a GPU),
 * `*.torch.test.ts` a Python with PyTorch, `*.slow.test.ts` neither but trains nets or runs the CLI for tens of
 * seconds to minutes. `npm run test:fast` runs the `unit` project (every other file); `npm run test:unit` (and so
 * `npm test`) runs all four.
 */
const TESTS = ['src/**/*.test.ts', 'cli/**/*.test.ts', 'server/**/*.test.ts'];
const NEEDS = ['webgpu', 'torch', 'slow'] as const;

export default defineConfig({
  // Relative asset URLs: the built site works from any folder of any static host (a project page such as
  // https://example.github.io/wrn-playground/), the worker, WASM files and the CIFAR-10 sample included.
  base: './',
  plugins: [react(), cifarPlugin(), siteUrl(), offline()],
  worker: { format: 'es' },
  // The dev server's /@fs/ serves the project's files and nothing beside it: not the folder above it, which Vite
  // would take for a workspace root when it finds one there (cifarPlugin's guard also answers such requests).
  server: { headers: isolationHeaders, fs: { strict: true, allow: [fileURLToPath(new URL('.', import.meta.url))] } },
  preview: { headers: isolationHeaders },
  test: {
    environment: 'node',
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Vitest's default on 2 cores is one worker (cores - 1), which leaves a core idle while a file trains on WASM (one
    // thread in Node) or waits on a child process: two workers, one per core.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: TESTS, exclude: [...configDefaults.exclude, ...NEEDS.map((n) => `**/*.${n}.test.ts`)] } },
      ...NEEDS.map((name) => ({ extends: true as const, test: { name, include: TESTS.map((t) => t.replace('*.test.ts', `*.${name}.test.ts`)) } })),
    ],
  },
});
