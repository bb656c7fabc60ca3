/**
 * The e2e run's one build: the app (index.html, as `npm run build` makes it, service worker included) and the e2e
 * harness pages (e2e/harness.html: the real worker client; e2e/kernels.html: our WebGPU kernels against tfjs's) into
 * dist/, so that one `vite preview` with the app's own config (headers, CIFAR-10 plugin) serves them all, and the
 * static and offline specs serve the same dist/ from a plain file server. Playwright's webServer runs this build
 * (playwright.config.ts). The service worker's precache leaves the harness pages and their entry scripts out
 * (vite.config.ts, globIgnores; a chunk only a harness page imports may still be precached: unused bytes, no harm).
 * One build of several pages splits the code they share into chunks of its own, so the app here loads a few more
 * script files than in `npm run build` (the same modules and code).
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
