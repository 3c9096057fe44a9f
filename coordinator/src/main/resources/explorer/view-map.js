// Map: devices per H3 cell as SVG hexagons, projected here; no tile server and no outside request
// unless the operator set explorer.tile_url, whose tiles are then drawn under the hexagons.
import { get } from './api.js';
import { fill, h, num, table, notice } from './ui.js';

export async function map(page, _arg, ctx) {
  let resolution = 7;
  let data = await get(`/v1/map/hexes?resolution=${resolution}`);
  let selected = null;
  page.dataset.page = 'map';
  const draw = () => {
    const cells = data.items || [];
    fill(page, 
      h('h1', {}, 'Map'),
      h('div', { class: 'filters' }, h('label', { for: 'm-res' }, 'H3 resolution'),
        h('select', {
          id: 'm-res', onchange: async (e) => {
            resolution = Number(e.target.value);
            data = await get(`/v1/map/hexes?resolution=${resolution}`);
            selected = null;
            draw();
            document.getElementById('m-res').focus();
          },
        }, [4, 5, 6, 7, 8, 9].map((r) => h('option', { value: r, selected: r === resolution }, `${r} (${AREA[r]})`))),
        h('span', { 'data-field': 'map-cells' }, `${num(cells.length)} cells`), ' · ',
        h('span', { 'data-field': 'map-devices' }, `${num(cells.reduce((s, c) => s + (c.devices || 0), 0))} devices with a place`)),
      data.truncated ? notice('Only the first 10,000 devices with a place are drawn.') : null,
      cells.length === 0 ? notice('No device has told its place yet: registrations with a location appear here.') : h('div', { class: 'map-wrap' },
        h('div', { class: 'map' }, svg(cells, selected, data.tile_url, data.tile_attribution, (c) => {
          selected = c.cell;
          draw();
          const p = page.querySelector(`polygon[data-cell="${c.cell}"]`);
          if (p) p.focus();
        })), h('aside', { 'aria-live': 'polite', 'data-field': 'map-detail' }, detail(cells.find((c) => c.cell === selected)))),
      legend(),
      table('Cells', [
        ['cell', (c) => h('code', {}, c.cell)], ['devices', (c) => num(c.devices), { num: true }], ['active', (c) => num(c.active), { num: true }],
        ['sensor / coverage / gpu', (c) => `${c.by_kind?.SENSOR ?? 0} / ${c.by_kind?.COVERAGE ?? 0} / ${c.by_kind?.GPU ?? 0}`],
        ['valid verdicts', (c) => validity(c)],
      ], cells));
  };
  draw();
  const poll = setInterval(async () => {
    try {
      const next = await get(`/v1/map/hexes?resolution=${resolution}`);
      if (ctx.alive() && JSON.stringify(next.items) !== JSON.stringify(data.items)) {
        data = next;
        draw();
      }
    } catch {
      // keep showing the last map
    }
  }, ctx.poll * 2);
  return () => clearInterval(poll);
}

const AREA = { 4: '~1,770 km²', 5: '~253 km²', 6: '~36 km²', 7: '~5.2 km²', 8: '~0.74 km²', 9: '~0.1 km²' };

function validity(c) {
  const all = (c.valid || 0) + (c.invalid || 0);
  return all === 0 ? 'no verdicts yet' : `${Math.round((100 * c.valid) / all)}% of ${num(all)}`;
}

/** Slippy-map tiles (Web Mercator, z/x/y) covering the drawn area, each stretched between its projected corners. */
function tiles(url, attribution, bounds, proj, W, H) {
  if (!url) return null;
  const [latMin, latMax, lngMin, lngMax] = bounds;
  const z = Math.max(0, Math.min(18, Math.floor(Math.log2((360 * 3) / Math.max(1e-6, lngMax - lngMin)))));
  const n = 2 ** z;
  const tx = (lng) => Math.floor(((lng + 180) / 360) * n);
  const ty = (lat) => {
    const r = (Math.max(-85, Math.min(85, lat)) * Math.PI) / 180;
    return Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  };
  const lngOf = (x) => (x / n) * 360 - 180;
  const latOf = (y) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI;
  const out = [];
  for (let x = Math.max(0, tx(lngMin) - 1); x <= Math.min(n - 1, tx(lngMax) + 1) && out.length < 64; x++) {
    for (let y = Math.max(0, ty(latMax) - 1); y <= Math.min(n - 1, ty(latMin) + 1) && out.length < 64; y++) {
      const [x0, y0] = proj([latOf(y), lngOf(x)]).split(',').map(Number);
      const [x1, y1] = proj([latOf(y + 1), lngOf(x + 1)]).split(',').map(Number);
      out.push(h('image', { href: url.replace('{z}', z).replace('{x}', x).replace('{y}', y), x: x0, y: y0, width: x1 - x0,
        height: y1 - y0, preserveAspectRatio: 'none', class: 'tile', 'aria-hidden': 'true' }));
    }
  }
  return h('g', { 'data-field': 'tiles', 'data-zoom': z }, out,
    attribution ? h('text', { x: W - 6, y: H - 6, 'text-anchor': 'end', class: 'attribution' }, attribution) : null);
}

function svg(cells, selected, tileUrl, tileAttribution, pick) {
  const W = 800, H = 520, pad = 20;
  const pts = cells.flatMap((c) => c.boundary || []);
  const lat0 = pts.reduce((s, p) => s + p[0], 0) / Math.max(1, pts.length);
  const k = Math.cos((lat0 * Math.PI) / 180);
  const xs = pts.map((p) => p[1] * k), ys = pts.map((p) => -p[0]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const scale = Math.min((W - 2 * pad) / Math.max(1e-9, x1 - x0), (H - 2 * pad) / Math.max(1e-9, y1 - y0));
  const ox = pad + (W - 2 * pad - (x1 - x0) * scale) / 2, oy = pad + (H - 2 * pad - (y1 - y0) * scale) / 2;
  const proj = ([lat, lng]) => `${(ox + (lng * k - x0) * scale).toFixed(1)},${(oy + (-lat - y0) * scale).toFixed(1)}`;
  const max = Math.max(1, ...cells.map((c) => c.devices || 0));
  const lats = pts.map((p) => p[0]), lngs = pts.map((p) => p[1]);
  const bounds = [Math.min(...lats), Math.max(...lats), Math.min(...lngs), Math.max(...lngs)];
  return h('svg', { viewBox: `0 0 ${W} ${H}`, role: 'group', 'aria-label': `Map of ${cells.length} H3 cells with devices` },
    tiles(tileUrl, tileAttribution, bounds, proj, W, H),
    cells.map((c) => {
      const d = Math.max(0, Math.min(3, Math.ceil((4 * (c.devices || 0)) / max) - 1));
      const all = (c.valid || 0) + (c.invalid || 0);
      const bad = all > 0 && c.invalid / all > 0.5;
      const label = `cell ${c.cell}: ${c.devices} device${c.devices === 1 ? '' : 's'}, ${c.active} active, ${validity(c)} valid`;
      return h('polygon', {
        points: (c.boundary || []).map(proj).join(' '), class: `hex d${d}${bad ? ' invalid' : ''}${c.cell === selected ? ' selected' : ''}`,
        tabindex: 0, role: 'button', 'aria-label': label, 'aria-pressed': c.cell === selected ? 'true' : 'false', 'data-cell': c.cell,
        onclick: () => pick(c), onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pick(c); } },
      }, h('title', {}, label));
    }));
}

function detail(c) {
  if (!c) return h('p', {}, 'Select a cell (click, or Tab to it and press Enter) to see its numbers.');
  return [h('h2', {}, 'Cell ', h('code', {}, c.cell)), h('dl', { class: 'props' },
    h('dt', {}, 'devices'), h('dd', { 'data-field': 'cell-devices' }, num(c.devices)),
    h('dt', {}, 'active'), h('dd', {}, num(c.active)),
    h('dt', {}, 'sensor'), h('dd', {}, num(c.by_kind?.SENSOR ?? 0)),
    h('dt', {}, 'coverage'), h('dd', {}, num(c.by_kind?.COVERAGE ?? 0)),
    h('dt', {}, 'gpu'), h('dd', {}, num(c.by_kind?.GPU ?? 0)),
    h('dt', {}, 'valid verdicts'), h('dd', {}, validity(c)),
    h('dt', {}, 'centre'), h('dd', {}, c.center ? `${c.center[0]}, ${c.center[1]}` : '–'))];
}

function legend() {
  return h('p', { class: 'legend' }, 'Density: ',
    ['fewest', 'few', 'many', 'most'].map((t, i) => h('span', {}, h('span', { class: `swatch d${i}` }), t)),
    h('span', {}, 'dashed red outline: more than half of the cell\'s verdicts invalid'));
}
