// Service worker registration and update prompt: see frontend/README.md ("PWA").
'use strict';
(() => {
  if (!('serviceWorker' in navigator)) return;
  const versionOf = (html) => {
    const hashes = [...html.matchAll(/-([0-9a-f]{8,})(?:_bg)?\.(?:wasm|css)/g)].map((m) => m[1]);
    return [...new Set(hashes)].join('.') || 'dev';
  };
  const running = versionOf(document.documentElement.outerHTML);
  const prompt = document.getElementById('update-available');
  let registered = running;
  let accepted = false;

  function offer(worker) {
    if (!prompt || !worker || !navigator.serviceWorker.controller) return;
    prompt.hidden = false;
    document.getElementById('update-reload').onclick = () => {
      accepted = true;
      worker.postMessage({ type: 'skip-waiting' });
    };
  }

  async function register(version) {
    const registration = await navigator.serviceWorker.register('/sw.js?v=' + version, { scope: '/' });
    registered = version;
    if (registration.waiting) offer(registration.waiting);
    registration.onupdatefound = () => {
      const worker = registration.installing;
      if (!worker) return;
      worker.addEventListener('statechange', () => {
        if (worker.state === 'installed') offer(worker);
      });
    };
  }

  // Which build is current on the server (`no-store` passes the worker).
  async function checkForUpdate() {
    if (!navigator.onLine) return;
    try {
      const response = await fetch('/', { cache: 'no-store', credentials: 'same-origin' });
      if (!response.ok) return;
      const latest = versionOf(await response.text());
      if (latest !== registered && latest !== 'dev') await register(latest);
    } catch (error) {
      // Offline: next time.
    }
  }

  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (accepted) location.reload();
  });

  window.addEventListener('load', async () => {
    try {
      await register(running);
      await checkForUpdate();
    } catch (error) {
      console.warn('service worker not registered', error);
    }
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') checkForUpdate();
  });
})();
