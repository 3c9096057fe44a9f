// Search: a device id, envelope hash, owner address or batch id; one match opens its page.
import { get, enc } from './api.js';
import { fill, h, table, notice } from './ui.js';

const HREF = { device: (id) => `#/device/${enc(id)}`, envelope: (id) => `#/envelope/${id}`, owner: (id) => `#/owner/${id}`, batch: (id) => `#/batch/${id}` };

export async function search(page, q) {
  const input = document.getElementById('q');
  if (input && input.value !== q) input.value = q;
  page.dataset.page = 'search';
  if (!q.trim()) {
    fill(page, h('h1', {}, 'Search'), h('p', {}, 'Type a device id (did:key:z…), an envelope hash (64 hex digits), an owner address (0x and 40 hex digits) or a batch id (a number) into the search box above.'));
    return;
  }
  let r;
  try {
    r = await get(`/v1/search?q=${enc(q)}`);
  } catch (e) {
    fill(page, h('h1', {}, 'Search'), notice(`${e.message}.`, true));
    return;
  }
  const results = r.results || [];
  if (results.length === 1 && HREF[results[0].type]) {
    location.replace(HREF[results[0].type](results[0].id));
    return;
  }
  page.dataset.page = results.length ? 'search' : 'not-found';
  fill(page, h('h1', {}, results.length ? 'Search results' : 'Not found'),
    results.length ? table(`Results for "${q}"`, [['kind', (x) => x.type], ['match', (x) => h('a', { href: (HREF[x.type] || (() => '#/'))(x.id), class: 'mono' }, x.id)], ['what', (x) => x.label]], results)
      : notice(`Nothing here by that name: no device, envelope, owner or batch matches "${q}".${r.hint ? ' ' + r.hint + '.' : ''}`));
}
