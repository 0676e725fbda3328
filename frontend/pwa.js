// Registers the service worker and shows the update prompt (#update-available) when a new
// version is installed and waiting. Plain JS beside the wasm app so it works even before (or
// without) the app, and costs the wasm nothing.
'use strict';
(() => {
  if (!('serviceWorker' in navigator)) return;
  // The build's content hashes (Trunk's wasm and css file names) version the worker.
  const html = document.documentElement.outerHTML;
  const hashes = [...html.matchAll(/-([0-9a-f]{8,})(?:_bg)?\.(?:wasm|css)/g)].map((m) => m[1]);
  const version = [...new Set(hashes)].join('.') || 'dev';
  const prompt = document.getElementById('update-available');
  let accepted = false;

  function offer(worker) {
    if (!prompt || !worker || !navigator.serviceWorker.controller) return;
    prompt.hidden = false;
    document.getElementById('update-reload').onclick = () => {
      accepted = true;
      worker.postMessage({ type: 'skip-waiting' });
    };
  }

  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (accepted) location.reload();
  });

  window.addEventListener('load', async () => {
    try {
      const registration = await navigator.serviceWorker.register('/sw.js?v=' + version, { scope: '/' });
      if (registration.waiting) offer(registration.waiting);
      registration.addEventListener('updatefound', () => {
        const worker = registration.installing;
        if (!worker) return;
        worker.addEventListener('statechange', () => {
          if (worker.state === 'installed') offer(worker);
        });
      });
    } catch (error) {
      console.warn('service worker not registered', error);
    }
  });
})();
