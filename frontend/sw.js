// The store's service worker: serves the app shell (index.html and Trunk's hashed wasm/js/css)
// from a versioned cache so the app starts offline. It NEVER caches /api/ answers, requests
// carrying an Authorization header, or anything cross-origin (FusionAuth). /app-config.json is
// network-first with the last good copy as the offline fallback (it holds no secrets, and the
// login page needs it to render).
//
// The version comes from the registration URL (`/sw.js?v=<build hashes>`, see pwa.js): when
// pwa.js finds a newer build on the server it registers its URL, the new worker installs next
// to the old one and waits until the user accepts the update prompt.
'use strict';

const VERSION = new URL(self.location.href).searchParams.get('v') || 'dev';
const PREFIX = 'store-shell-';
const CACHE = PREFIX + VERSION;
const SHELL = '/index.html';
const STATIC = [
  '/manifest.webmanifest',
  '/icon.svg',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
  '/icons/maskable-512.png',
];

// The hashed assets index.html names (quoted or not): Trunk's module script, wasm and
// stylesheet, the split's loader, and the wasm chunks the app loads later
// (`<meta name=later-assets content="/later-….wasm …">`, written by `cargo xtask dist`).
function assetsOf(html) {
  const found = new Set();
  for (const match of html.matchAll(/["'=\s](\/[^"'\s<>]+\.(?:js|wasm|css))(?=["'\s>])/g)) {
    found.add(match[1]);
  }
  return [...found];
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const index = await fetch('/', { cache: 'reload' });
    if (!index.ok) throw new Error('index.html: ' + index.status);
    const html = await index.clone().text();
    await cache.put(SHELL, index);
    await cache.addAll(assetsOf(html).concat(STATIC).map((url) => new Request(url, { cache: 'reload' })));
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'skip-waiting') self.skipWaiting();
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request);
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request, key) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(key || request);
  if (cached) return cached;
  const response = await fetch(request);
  // Same-origin static files only (callers checked); opaque or failed answers are not kept.
  if (response.ok && response.type === 'basic' && !key) await cache.put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  // pwa.js asks the server for the current index.html this way, past the cache.
  if (request.cache === 'no-store') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.headers.has('Authorization')) return;
  if (url.pathname.startsWith('/api/') || url.pathname === '/api') return;
  if (url.pathname === '/sw.js' || url.pathname === '/pwa.js') return;
  if (url.pathname === '/app-config.json') {
    event.respondWith(networkFirst(request));
    return;
  }
  if (request.mode === 'navigate') {
    // The app shell, whatever the route; the network only when it is not cached.
    event.respondWith(cacheFirst(request, SHELL).catch(() => fetch(request)));
    return;
  }
  event.respondWith(cacheFirst(request));
});
