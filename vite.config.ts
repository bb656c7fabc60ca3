import { configDefaults, defineConfig } from 'vitest/config';
import type { Plugin } from 'vite';
import react from '@vitejs/plugin-react';
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
  plugins: [react(), cifarPlugin(), siteUrl()],
  worker: { format: 'es' },
  server: { headers: isolationHeaders },
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
