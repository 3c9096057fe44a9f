// DOM helpers: every value from the API goes in as text (never as HTML).
export function h(tag, attrs, ...children) {
  const svg = ['svg', 'g', 'polygon', 'rect', 'line', 'text', 'title', 'path', 'circle', 'image'].includes(tag);
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export const num = (n) => (n === null || n === undefined || n === '' ? '–' : Number(n).toLocaleString('en-US'));
export const time = (ms) => (ms === null || ms === undefined ? '–' : new Date(Number(ms)).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'));
export const short = (s, n = 10) => (s && s.length > 2 * n + 1 ? `${s.slice(0, n)}…${s.slice(-n)}` : s || '–');

export const deviceLink = (id) => h('a', { href: `#/device/${encodeURIComponent(id)}`, class: 'mono', title: id }, short(id, 14));
export const envelopeLink = (hash) => h('a', { href: `#/envelope/${hash}`, class: 'mono', title: hash }, short(hash, 8));
export const ownerLink = (a) => (a ? h('a', { href: `#/owner/${a}`, class: 'mono' }, a) : '–');
export const batchLink = (id) => (id === null || id === undefined ? '–' : h('a', { href: `#/batch/${id}` }, `#${id}`));
export const badge = (s) => h('span', { class: s || '' }, s || '–');

/** A table: cols = [[header, cell(row) => node, {num: true}]]. */
export function table(caption, cols, rows, empty = 'none') {
  if (!rows || rows.length === 0) return h('p', { class: 'empty' }, `${caption}: ${empty}.`);
  return h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, cols.map(([t, , o]) => h('th', { scope: 'col', class: o && o.num ? 'num' : null }, t)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, cols.map(([, f, o]) => h('td', { class: o && o.num ? 'num' : null }, f(r)))))));
}

/** A definition list of [label, value, field] rows; field names the value for tests (data-field). */
export function props(rows) {
  return h('dl', { class: 'props' }, rows.filter(Boolean).map(([k, v, f]) => [h('dt', {}, k), h('dd', { 'data-field': f || null }, v ?? '–')]));
}

export function card(label, value, field) {
  return h('div', { class: 'card' }, h('span', { class: 'n', 'data-field': field }, value), h('span', { class: 'l' }, label));
}

export const notice = (text, error) => h('p', { class: error ? 'notice error' : 'notice', role: error ? 'alert' : null }, text);

/** Wei (a decimal string) as tokens with 18 decimals, keeping the exact wei; tolerant of anything else. */
export function wei(v) {
  if (v === null || v === undefined) return '–';
  try {
    const w = BigInt(v);
    const whole = w / 10n ** 18n;
    const frac = (w % 10n ** 18n).toString().padStart(18, '0').slice(0, 6).replace(/0+$/, '');
    return `${whole.toLocaleString('en-US')}${frac ? '.' + frac : ''} POPW (${w.toString()} wei)`;
  } catch {
    return String(v);
  }
}

export function say(text) {
  const live = document.getElementById('live');
  if (live) live.textContent = text;
}

/** Replaces an element's children, skipping empty parts (null, undefined, false), as h() does. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
}
