// Owner: devices, rewards per epoch, the claimable amount and the claim's calldata and proof.
import { get, optional, enc } from './api.js';
import { fill, h, num, time, props, table, badge, deviceLink, notice, wei, card } from './ui.js';

export async function owner(page, address) {
  const o = await get(`/v1/owners/${enc(address)}`);
  const [list, rewards] = await Promise.all([
    get(`/v1/devices?owner=${enc(o.owner)}&limit=100`),
    optional(`/v1/owners/${enc(o.owner)}/rewards`),
  ]);
  page.dataset.page = 'owner';
  const kinds = Object.entries(o.devices?.by_kind || {});
  fill(page, 
    h('h1', {}, 'Owner ', h('span', { class: 'mono' }, o.owner)),
    h('div', { class: 'cards' }, card('devices', num(o.devices?.total), 'devices-total'),
      kinds.map(([k, s]) => card(k.toLowerCase(), `${num(s.ACTIVE ?? 0)} active, ${num(s.INACTIVE ?? 0)} inactive`, `kind-${k}`))),
    table(`Devices (${num(list.total)})`, [
      ['device', (d) => deviceLink(d.device_id)], ['kind', (d) => d.kind], ['status', (d) => badge(d.status)],
      ['cell', (d) => (d.h3_cell ? h('code', {}, d.h3_cell) : '–')], ['registered', (d) => time(d.registered_at)],
    ], list.items || []),
    h('section', { 'aria-labelledby': 'o-rw', 'data-field': 'rewards' }, h('h2', { id: 'o-rw' }, 'Rewards'),
      rewards === null ? notice('No rewards computed yet.') : rewardsOf(rewards)));
}

function rewardsOf(r) {
  const epochs = r.epochs || [];
  return [
    props([
      ['cumulative', wei(r.cumulative), 'cumulative'], ['claimed', wei(r.claimed), 'claimed'], ['claimable', wei(r.claimable), 'claimable'],
      ['latest epoch', r.latest_epoch ?? '–'], ['rewards root', r.root ? h('code', {}, r.root) : '–'],
    ]),
    r.claim ? h('section', {}, h('h3', {}, 'Claim'), props([
      ['send to', h('code', {}, r.claim.to ?? '–')], ['calldata', h('code', { 'data-field': 'calldata' }, r.claim.calldata ?? '–')],
    ]), (r.proof || []).length ? h('ol', { 'aria-label': 'Merkle proof of the claim' }, r.proof.map((p) => h('li', {}, h('code', {}, p)))) : null)
      : h('p', {}, 'Nothing to claim now.'),
    table('Rewards per epoch', [
      ['epoch', (e) => e.epoch, { num: true }], ['amount', (e) => wei(e.amount)], ['cumulative', (e) => wei(e.cumulative)],
      ['devices', (e) => h('ul', {}, (e.devices || []).map((d) => h('li', {}, deviceLink(d.device_id), ` ${d.pool ?? d.kind ?? ''}: ${wei(d.amount)}`,
        d.zero_reason ? [' — ', h('code', {}, d.zero_reason)] : null, d.explanation ? ` (${d.explanation})` : null)))],
    ], epochs, 'no epoch rewarded yet'),
  ];
}
