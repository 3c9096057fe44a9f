// Device: identity, recent envelopes with verdicts, rejections, gaps, GPU challenges, coverage, epochs, rewards.
import { get, optional, enc } from './api.js';
import { fill, h, num, time, props, table, badge, envelopeLink, ownerLink, batchLink, notice, wei, card } from './ui.js';

export async function device(page, id, ctx) {
  const load = async () => {
    const d = await get(`/v1/devices/${enc(id)}`);
    const [envs, verdicts, rejections, challenges, epochs, rewards] = await Promise.all([
      get(`/v1/devices/${enc(id)}/envelopes?limit=20`),
      optional(`/v1/devices/${enc(id)}/verdicts?limit=100`),
      get(`/v1/devices/${enc(id)}/rejections?limit=20`),
      d.kind === 'GPU' ? optional(`/v1/devices/${enc(id)}/challenges?limit=20`) : null,
      optional(`/v1/devices/${enc(id)}/epochs?limit=10`),
      optional(`/v1/devices/${enc(id)}/rewards`),
    ]);
    return { d, envs, verdicts, rejections, challenges, epochs, rewards };
  };
  let s = await load();
  page.dataset.page = 'device';
  const draw = () => fill(page, ...render(s));
  draw();
  const poll = setInterval(async () => {
    try {
      const d = await get(`/v1/devices/${enc(id)}`);
      const rej = Object.values(d.rejections || {}).reduce((a, b) => a + b, 0);
      const was = Object.values(s.d.rejections || {}).reduce((a, b) => a + b, 0);
      if (!ctx.alive() || (d.accepted === s.d.accepted && rej === was && d.status === s.d.status)) return;
      const next = await load();
      if (ctx.alive()) {
        s = next;
        draw();
      }
    } catch {
      // keep the page as it is; the next poll tries again
    }
  }, ctx.poll);
  return () => clearInterval(poll);
}

function render({ d, envs, verdicts, rejections, challenges, epochs, rewards }) {
  const byHash = new Map((verdicts?.items || []).map((v) => [v.envelope_hash, v]));
  const rejected = Object.values(d.rejections || {}).reduce((a, b) => a + b, 0);
  return [
    h('h1', {}, 'Device ', h('span', { class: 'mono' }, d.device_id)),
    h('section', { 'aria-labelledby': 'd-id' }, h('h2', { id: 'd-id' }, 'Identity'), props([
      ['device id', h('code', {}, d.device_id), 'device-id'],
      ['key type', d.key_type, 'key-type'],
      ['owner', ownerLink(d.owner), 'owner'],
      ['kind', d.kind, 'kind'],
      ['status', badge(d.status), 'status'],
      ['location', d.latitude !== undefined ? `${d.latitude}, ${d.longitude}` : 'not told', 'location'],
      ['H3 cell', d.h3_cell ? h('code', {}, d.h3_cell) : '–', 'h3-cell'],
      d.device_address ? ['device address', h('code', {}, d.device_address)] : null,
      ['registered', time(d.registered_at)],
      d.chain_status ? ['on-chain', [badge(d.chain_status), d.chain_tx ? [' ', h('code', {}, d.chain_tx)] : null, d.chain_note ? ` (${d.chain_note})` : null]] : null,
    ])),
    h('section', { 'aria-labelledby': 'd-counts' }, h('h2', { id: 'd-counts' }, 'Numbers'), h('div', { class: 'cards' },
      card('envelopes accepted', num(d.accepted), 'accepted'),
      card('envelopes rejected', num(rejected), 'rejected'),
      d.verdicts ? card('valid verdicts', num(d.verdicts.valid), 'valid') : null,
      d.verdicts ? card('invalid verdicts', num(d.verdicts.invalid), 'invalid') : null,
      d.sequence_numbers_missing !== undefined ? card('sequence numbers missing', num(d.sequence_numbers_missing), 'missing') : null)),
    table('Sequence gaps', [['from', (g) => g.from, { num: true }], ['to', (g) => g.to, { num: true }]], d.sequence_gaps || [], 'no gaps'),
    table('Rejections by reason', [['reason', ([r]) => h('code', {}, r)], ['count', ([, n]) => num(n), { num: true }]],
      Object.entries(d.rejections || {}), 'none'),
    h('section', { 'aria-labelledby': 'd-env' }, h('h2', { id: 'd-env' }, 'Recent envelopes'),
      table(`Newest ${(envs.items || []).length} of ${num(envs.total)} accepted envelopes`, [
        ['envelope', (e) => envelopeLink(e.envelope_hash)], ['sequence', (e) => e.sequence, { num: true }],
        ['received', (e) => time(e.received_at)], ['payload', (e) => e.payload], ['flags', (e) => (e.flags || []).join(', ') || '–'],
        ['batch', (e) => batchLink(e.batch_id)],
        ['verdict', (e) => verdictCell(byHash.get(e.envelope_hash), !!verdicts)],
      ], envs.items || [], 'none yet'),
      table('Recent rejections', [
        ['envelope', (r) => (r.envelope_hash ? envelopeLink(r.envelope_hash) : '–')], ['sequence', (r) => r.sequence ?? '–', { num: true }],
        ['received', (r) => time(r.received_at)], ['reason', (r) => h('code', {}, r.reason)], ['detail', (r) => r.detail],
      ], rejections.items || [], 'none')),
    d.kind === 'COVERAGE' ? h('section', { 'aria-labelledby': 'd-cov' }, h('h2', { id: 'd-cov' }, 'Coverage beacons and witnesses'),
      table('Their verdicts, newest first', [
        ['envelope', (v) => envelopeLink(v.envelope_hash)], ['epoch', (v) => v.epoch, { num: true }], ['status', (v) => badge(v.status)],
        ['reason', (v) => h('code', {}, v.reason)], ['explanation', (v) => v.explanation],
      ], (verdicts?.items || []).filter((v) => v.kind === 'COVERAGE'), 'none decided yet (verdicts come when an epoch closes)')) : null,
    d.kind === 'GPU' ? h('section', { 'aria-labelledby': 'd-gpu' }, h('h2', { id: 'd-gpu' }, 'GPU challenges'),
      table('Challenges, newest first', [
        ['challenge', (c) => h('code', {}, c.challenge_id)], ['GPU', (c) => c.gpu_class || '–'], ['issued', (c) => c.issued_at || '–'],
        ['state', (c) => c.state || '–'],
        ['verdict', (c) => (c.verdict ? [badge(c.verdict.status), ' ', h('code', {}, c.verdict.reason || ''), c.verdict.explanation ? ` — ${c.verdict.explanation}` : '']
          : c.live ? [badge(c.live.status), ' ', c.live.explanation || ''] : '–')],
      ], challenges?.items || [], 'none issued yet')) : null,
    h('section', { 'aria-labelledby': 'd-ep' }, h('h2', { id: 'd-ep' }, 'Epochs'),
      table('Summaries per closed epoch', [
        ['epoch', (e) => e.epoch, { num: true }], ['envelopes', (e) => num(e.envelopes), { num: true }], ['valid', (e) => num(e.valid), { num: true }],
        ['units', (e) => e.units ?? '–', { num: true }], ['explanation', (e) => e.explanation],
      ], epochs?.items || [], 'no closed epoch yet')),
    h('section', { 'aria-labelledby': 'd-rw', 'data-field': 'rewards' }, h('h2', { id: 'd-rw' }, 'Rewards per epoch'),
      rewards === null ? notice('No rewards computed yet.') : table('Rewards per epoch', [
        ['epoch', (r) => r.epoch, { num: true }], ['pool', (r) => r.pool ?? '–'], ['units', (r) => r.units ?? '–', { num: true }],
        ['amount', (r) => wei(r.amount)], ['why zero', (r) => (r.zero_reason ? h('code', {}, r.zero_reason) : '–')],
        ['explanation', (r) => r.explanation ?? '–'],
      ], rewards.epochs || [], 'no epoch rewarded yet')),
  ];
}

function verdictCell(v, known) {
  if (!v) return known ? h('span', { class: 'PENDING' }, 'not decided yet') : '–';
  return [badge(v.status), ' ', h('code', {}, v.reason), v.explanation ? h('div', {}, v.explanation) : null];
}
