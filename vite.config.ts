import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
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

export default defineConfig({
  // Relative asset URLs: the built site works from any folder of any static host (a project page such as
  // https://example.github.io/wrn-playground/), the worker, WASM files and the CIFAR-10 sample included.
  base: './',
  plugins: [react(), cifarPlugin(), siteUrl()],
  worker: { format: 'es' },
  // The dev server's /@fs/ serves the project's files and nothing beside it: not the folder above it, which Vite
  // would take for a workspace root when it finds one there (cifarPlugin's guard also answers such requests).
  server: { headers: isolationHeaders, fs: { strict: true, allow: [fileURLToPath(new URL('.', import.meta.url))] } },
  preview: { headers: isolationHeaders },
  test: {
    include: ['src/**/*.test.ts', 'cli/**/*.test.ts', 'server/**/*.test.ts'],
    environment: 'node',
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
