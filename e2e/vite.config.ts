/**
 * Builds the e2e harness pages (e2e/harness.html: the real worker client; e2e/kernels.html: our WebGPU kernels
 * against tfjs's) into the app's dist/ beside the app, without emptying it, so that one `vite preview` with the
 * app's own config (headers, CIFAR-10 plugin) serves them all. Playwright's
 * webServer runs this build; the app's build is `npm run test:e2e`'s first step.
 */
import { fileURLToPath } from 'node:url';
import { mergeConfig } from 'vite';
import app from '../vite.config';

export default mergeConfig(app, {
  build: {
    emptyOutDir: false,
    rollupOptions: {
      input: {
        harness: fileURLToPath(new URL('./harness.html', import.meta.url)),
        kernels: fileURLToPath(new URL('./kernels.html', import.meta.url)),
      },
    },
  },
});
