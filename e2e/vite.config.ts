/**
 * The e2e run's one build: the app (index.html, exactly as `npm run build` makes it) and the e2e harness pages
 * (e2e/harness.html: the real worker client; e2e/kernels.html: our WebGPU kernels against tfjs's) into dist/, so that
 * one `vite preview` with the app's own config (headers, CIFAR-10 plugin) serves them all, and e2e/static.spec.ts
 * serves the same dist/ from a plain file server. Playwright's webServer runs this build (playwright.config.ts).
 */
import { fileURLToPath } from 'node:url';
import { mergeConfig } from 'vite';
import app from '../vite.config';

const page = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export default mergeConfig(app, {
  build: {
    rollupOptions: {
      input: {
        index: page('../index.html'),
        harness: page('./harness.html'),
        kernels: page('./kernels.html'),
      },
    },
  },
});
