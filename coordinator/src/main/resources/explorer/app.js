// The explorer: a hash router over plain ES modules (no build step; docs/explorer.md).
import { ApiError } from './api.js';
import { h, notice, say } from './ui.js';
import { network } from './view-network.js';
import { map } from './view-map.js';
import { device } from './view-device.js';
import { envelope } from './view-envelope.js';
import { owner } from './view-owner.js';
import { batch } from './view-batch.js';
import { search } from './view-search.js';

const routes = [
  [/^\/?$/, network, 'network'],
  [/^\/network$/, network, 'network'],
  [/^\/map$/, map, 'map'],
  [/^\/device\/(.+)$/, device],
  [/^\/envelope\/(.+)$/, envelope],
  [/^\/owner\/(.+)$/, owner],
  [/^\/batch\/(.+)$/, batch],
  [/^\/search\/(.*)$/, search],
];

const params = new URLSearchParams(location.search);
/** How often live views poll the API (ms); ?poll= overrides it. */
const POLL = Math.max(250, Number(params.get('poll')) || 5000);
let current = { stop: null, seq: 0 };

async function route() {
  if (current.stop) current.stop();
  const seq = ++current.seq;
  current.stop = null;
  const main = document.getElementById('main');
  let path = location.hash.replace(/^#/, '') || '/';
  try {
    path = decodeURIComponent(path);
  } catch {
    // a malformed escape: matched as typed, and answered "not found"
  }
  let found = null;
  for (const [re, view, nav] of routes) {
    const m = path.match(re);
    if (m) {
      found = { view, nav, arg: m[1] };
      break;
    }
  }
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (found && a.dataset.nav === found.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const ctx = { poll: POLL, alive: () => seq === current.seq };
  try {
    if (!found) throw new ApiError(404, `the explorer has no page "${path}"`);
    const page = h('div', { 'data-page': 'loading' }, h('p', {}, 'Loading…'));
    main.replaceChildren(page);
    const stop = await found.view(page, found.arg, ctx);
    if (!ctx.alive()) {
      if (stop) stop();
      return;
    }
    current.stop = stop || null;
  } catch (e) {
    if (!ctx.alive()) return;
    main.replaceChildren(problem(e, path));
  }
  const h1 = main.querySelector('h1');
  if (h1) {
    document.title = `${h1.textContent} · PoPW Explorer`;
    say(h1.textContent);
  }
  if (focusMain) main.focus({ preventScroll: false });
  focusMain = true;
}

/** The page for anything that went wrong: a sentence, never a stack trace. */
export function problem(e, path) {
  const unknown = e instanceof ApiError && (e.status === 404 || e.status === 400);
  const msg = e instanceof ApiError ? e.message : 'something went wrong in the explorer page; reload to try again';
  return h('div', { 'data-page': unknown ? 'not-found' : 'error' },
    h('h1', {}, unknown ? 'Not found' : 'Something went wrong'),
    notice(unknown ? `Nothing here by that name: ${msg}.` : `The explorer could not load this page: ${msg}.`, !unknown),
    h('p', {}, 'Check the id, or ', h('a', { href: '#/search/' }, 'search'), ' for a device id, envelope hash, owner address or batch id. ',
      h('a', { href: '#/' }, 'Back to the network'), '.'));
}

let focusMain = false;
window.addEventListener('hashchange', route);
window.addEventListener('unhandledrejection', (ev) => {
  ev.preventDefault();
  document.getElementById('main').replaceChildren(problem(ev.reason, location.hash));
});
document.getElementById('search').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const q = document.getElementById('q').value.trim();
  location.hash = `#/search/${encodeURIComponent(q)}`;
});
route();
