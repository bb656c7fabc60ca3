/**
 * Builds the e2e harness pages (e2e/harness.html: the real worker client; e2e/kernels.html: our WebGPU kernels
 * against tfjs's) into the app's dist/ beside the app, without emptying it, so that one `vite preview` with the
 * app's own config (headers, CIFAR-10 plugin) serves them all. Playwright's
 * webServer runs this build; the app's build is `npm run test:e2e`'s first step. Without the app's service worker
 * plugin: its sw.js lists the app's files, and this build must not write another over it.
 */
import { fileURLToPath } from 'node:url';
import { mergeConfig, type PluginOption } from 'vite';
import app from '../vite.config';

const notPwa = (p: PluginOption): boolean => !(p && typeof p === 'object' && 'name' in p && p.name.startsWith('vite-plugin-pwa'));

export default mergeConfig(
  { ...app, plugins: (app.plugins ?? []).flat().filter(notPwa) },
  {
    build: {
      emptyOutDir: false,
      rollupOptions: {
        input: {
          harness: fileURLToPath(new URL('./harness.html', import.meta.url)),
          kernels: fileURLToPath(new URL('./kernels.html', import.meta.url)),
        },
      },
    },
  },
);
