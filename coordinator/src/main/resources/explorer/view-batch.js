// Batch: root, count, settlement status, transaction and block.
import { get, enc, ApiError } from './api.js';
import { fill, h, num, time, props, badge } from './ui.js';

export async function batch(page, id) {
  if (!/^\d{1,18}$/.test(id)) throw new ApiError(404, `"${id}" is not a batch id (a number)`);
  const b = await get(`/v1/batches/${enc(id)}`);
  page.dataset.page = 'batch';
  fill(page, h('h1', {}, `Batch #${b.batch_id}`), props([
    ['status', badge(b.status), 'status'], ['envelopes', num(b.envelope_count), 'count'], ['Merkle root', h('code', {}, b.merkle_root), 'root'],
    ['sealed', time(b.sealed_at)], ['commit transaction', b.tx_hash ? h('code', {}, b.tx_hash) : 'not committed yet', 'tx'],
    ['block', b.block_number ?? '–', 'block'], b.confirmed_at ? ['confirmed', time(b.confirmed_at)] : null,
    b.settlement_note ? ['note', b.settlement_note] : null, b.chain_id !== undefined ? ['chain', b.chain_id] : null,
    b.batch_registry ? ['batch registry', h('code', {}, b.batch_registry)] : null,
  ]), h('p', {}, 'Each envelope\'s page has its Merkle proof and a "verify inclusion" check against this batch\'s committed root.'));
}
