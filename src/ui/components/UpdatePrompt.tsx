/**
 * The service worker (vite-plugin-pwa, see vite.config.ts) and what it has to say: a new version of the site is
 * ready ("Reload to update"; until then the page keeps running the version it loaded, never a mix of both).
 */
import { useRegisterSW } from 'virtual:pwa-register/react';

/** How often an open page asks the host whether a new version was deployed. */
const CHECK_EVERY_MS = 60 * 60 * 1000;

export function UpdatePrompt() {
  const {
    needRefresh: [needRefresh, setNeedRefresh],
    updateServiceWorker,
  } = useRegisterSW({
    onRegisteredSW(_url, registration) {
      if (registration) window.setInterval(() => void registration.update().catch(() => undefined), CHECK_EVERY_MS);
    },
  });
  if (!needRefresh) return null;
  return (
    <div className="notice info update-prompt" role="status" data-testid="update-prompt">
      <p>
        <strong>A new version of the playground is ready.</strong> Reload to use it; runs are kept in this browser.
      </p>
      <div className="button-row">
        <button type="button" className="primary small" onClick={() => void updateServiceWorker(true)}>
          Reload to update
        </button>
        <button type="button" className="secondary small" onClick={() => setNeedRefresh(false)}>
          Later
        </button>
      </div>
    </div>
  );
}
