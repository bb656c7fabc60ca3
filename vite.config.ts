import { defineConfig } from 'vitest/config';
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

export default defineConfig({
  plugins: [react(), cifarPlugin()],
  worker: { format: 'es' },
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  test: {
    include: ['src/**/*.test.ts', 'cli/**/*.test.ts', 'server/**/*.test.ts'],
    environment: 'node',
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
