// Network: devices by kind and status, envelopes per hour with rejections by reason, batches, the epoch.
import { get } from './api.js';
import { fill, h, num, time, card, table, batchLink, badge, deviceLink, ownerLink, say } from './ui.js';

const KINDS = ['SENSOR', 'COVERAGE', 'GPU'];

export async function network(page, _arg, ctx) {
  const filters = { kind: '', status: '', offset: 0 };
  let [data, list] = await Promise.all([get('/v1/network'), devices(filters)]);
  const skew = Date.now() - data.now; // the coordinator's clock, for the countdown
  page.dataset.page = 'network';
  const draw = () => fill(page, 
    h('h1', {}, 'Network'),
    h('section', { 'aria-labelledby': 'n-totals' }, h('h2', { id: 'n-totals' }, 'Totals'),
      h('div', { class: 'cards' },
        card('devices', num(data.devices?.total), 'devices-total'),
        card('envelopes accepted', num(data.envelopes?.accepted), 'accepted'),
        card('envelopes rejected', num(data.envelopes?.rejected), 'rejected'),
        card('batches', num(data.batches?.total), 'batches-total'),
        data.epoch ? card(`epoch ${data.epoch.epoch} closes in`, countdown(data.epoch, skew), 'epoch-countdown') : null)),
    h('section', { 'aria-labelledby': 'n-devices' }, h('h2', { id: 'n-devices' }, 'Devices by kind and status'),
      table('Devices by kind and status', [
        ['kind', (k) => k],
        ['active', (k) => h('span', { 'data-field': `kind-${k}-ACTIVE` }, num(data.devices?.by_kind?.[k]?.ACTIVE ?? 0)), { num: true }],
        ['inactive', (k) => h('span', { 'data-field': `kind-${k}-INACTIVE` }, num(data.devices?.by_kind?.[k]?.INACTIVE ?? 0)), { num: true }],
      ], KINDS)),
    h('section', { 'aria-labelledby': 'n-hours' }, h('h2', { id: 'n-hours' }, 'Envelopes per hour (last 24 hours, UTC)'),
      chart(data.hours || []), reasons(data.hours || [])),
    h('section', { 'aria-labelledby': 'n-batches' }, h('h2', { id: 'n-batches' }, 'Batches'),
      h('p', {}, Object.entries(data.batches?.by_status || {}).map(([s, n]) => [badge(s), ` ${num(n)}  `])),
      table('Latest batches', [
        ['batch', (b) => batchLink(b.batch_id)], ['envelopes', (b) => num(b.envelope_count), { num: true }],
        ['status', (b) => badge(b.status)], ['sealed', (b) => time(b.sealed_at)],
        ['transaction', (b) => (b.tx_hash ? h('span', { class: 'mono' }, b.tx_hash) : '–')], ['block', (b) => num(b.block_number), { num: true }],
      ], data.batches?.latest || [], 'no batch sealed yet')),
    h('section', { 'aria-labelledby': 'n-list' }, h('h2', { id: 'n-list' }, 'Devices'), deviceList(list, filters, async () => {
      list = await devices(filters);
      draw();
    })));
  draw();
  const tick = setInterval(() => {
    const el = page.querySelector('[data-field=epoch-countdown]');
    if (el && data.epoch) el.textContent = countdown(data.epoch, skew);
  }, 1000);
  const poll = setInterval(async () => {
    try {
      const next = await get('/v1/network');
      if (!ctx.alive()) return;
      const changed = next.envelopes?.accepted !== data.envelopes?.accepted || next.envelopes?.rejected !== data.envelopes?.rejected
        || next.devices?.total !== data.devices?.total || next.batches?.total !== data.batches?.total;
      data = next;
      if (changed) {
        list = await devices(filters);
        const focused = document.activeElement && document.activeElement.id;
        draw();
        if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
        say(`updated: ${num(data.envelopes?.accepted)} envelopes accepted`);
      }
    } catch {
      // the next poll tries again; the page keeps what it shows
    }
  }, ctx.poll);
  return () => {
    clearInterval(tick);
    clearInterval(poll);
  };
}

function countdown(epoch, skew) {
  const left = Math.max(0, Math.round((epoch.end_ms - (Date.now() - skew)) / 1000));
  return `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
}

async function devices(f) {
  const q = new URLSearchParams({ limit: '20', offset: String(f.offset) });
  if (f.kind) q.set('kind', f.kind);
  if (f.status) q.set('status', f.status);
  return get(`/v1/devices?${q}`);
}

function deviceList(list, f, reload) {
  const select = (id, label, options, key) => [h('label', { for: id }, label), h('select', {
    id, onchange: (e) => {
      f[key] = e.target.value;
      f.offset = 0;
      reload();
    },
  }, options.map(([v, t]) => h('option', { value: v, selected: f[key] === v }, t)))];
  const total = list.total ?? 0;
  return [
    h('div', { class: 'filters' },
      select('f-kind', 'Kind', [['', 'any'], ...KINDS.map((k) => [k, k.toLowerCase()])], 'kind'),
      select('f-status', 'Status', [['', 'any'], ['ACTIVE', 'active'], ['INACTIVE', 'inactive']], 'status')),
    table(`Devices ${total ? f.offset + 1 : 0}–${Math.min(total, f.offset + (list.items || []).length)} of ${num(total)}`, [
      ['device', (d) => deviceLink(d.device_id)], ['kind', (d) => d.kind], ['status', (d) => badge(d.status)],
      ['owner', (d) => ownerLink(d.owner)], ['registered', (d) => time(d.registered_at)],
    ], list.items || [], 'no device registered yet'),
    h('div', { class: 'pager' },
      h('button', { id: 'f-prev', type: 'button', disabled: f.offset === 0, onclick: () => { f.offset = Math.max(0, f.offset - 20); reload(); } }, 'Previous'),
      h('button', { id: 'f-next', type: 'button', disabled: f.offset + 20 >= total, onclick: () => { f.offset += 20; reload(); } }, 'Next')),
  ];
}

/** A bar per hour: accepted stacked on rejected, with a title per bar and a summary for screen readers. */
function chart(hours) {
  const W = 720, H = 220, pad = 34, bw = (W - pad - 8) / Math.max(1, hours.length);
  const max = Math.max(1, ...hours.map((x) => (x.accepted || 0) + (x.rejected || 0)));
  const y = (v) => ((H - pad) * v) / max;
  const acc = hours.reduce((s, x) => s + (x.accepted || 0), 0);
  const rej = hours.reduce((s, x) => s + (x.rejected || 0), 0);
  const bars = hours.map((x, i) => {
    const a = y(x.accepted || 0), r = y(x.rejected || 0), left = pad + i * bw + 1;
    const label = `${time(x.start).slice(11, 16)} UTC: ${num(x.accepted)} accepted, ${num(x.rejected)} rejected`;
    return h('g', {}, h('title', {}, label),
      h('rect', { x: left, y: H - pad - a, width: Math.max(1, bw - 2), height: a, class: 'bar-ok' }),
      h('rect', { x: left, y: H - pad - a - r, width: Math.max(1, bw - 2), height: r, class: 'bar-bad' }),
      i % 4 === 0 ? h('text', { x: left, y: H - pad + 16, 'font-size': 11, fill: '#111' }, time(x.start).slice(11, 16)) : null);
  });
  return h('figure', { class: 'chart' },
    h('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `Envelopes per hour, last 24 hours: ${acc} accepted, ${rej} rejected` },
      h('line', { x1: pad, y1: H - pad, x2: W, y2: H - pad, stroke: '#111' }),
      h('text', { x: 2, y: 12, 'font-size': 11, fill: '#111' }, num(max)),
      h('text', { x: 2, y: H - pad, 'font-size': 11, fill: '#111' }, '0'), bars),
    h('figcaption', { class: 'legend' },
      h('span', {}, h('span', { class: 'swatch bar-ok' }), `accepted (${num(acc)} in 24 h)`),
      h('span', {}, h('span', { class: 'swatch bar-bad' }), `rejected (${num(rej)} in 24 h)`)));
}

function reasons(hours) {
  const by = {};
  for (const x of hours) for (const [r, n] of Object.entries(x.by_reason || {})) by[r] = (by[r] || 0) + n;
  const rows = Object.entries(by).sort((a, b) => b[1] - a[1]);
  return table('Rejections by reason (last 24 hours)', [
    ['reason', ([r]) => h('code', {}, r)], ['envelopes', ([r, n]) => h('span', { 'data-field': `reason-${r}` }, num(n)), { num: true }],
  ], rows, 'no rejections');
}
