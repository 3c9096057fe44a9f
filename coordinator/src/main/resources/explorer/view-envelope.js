// Envelope: status, reason, batch, Merkle proof, commit transaction; "verify inclusion" asks the chain itself.
import { get, optional, enc } from './api.js';
import { fill, h, num, time, props, badge, deviceLink, batchLink, notice } from './ui.js';

export async function envelope(page, hash, ctx) {
  let e = await get(`/v1/envelopes/${enc(hash)}`);
  const chain = await optional('/v1/chain');
  page.dataset.page = 'envelope';
  const draw = () => fill(page, ...render(e, chain));
  draw();
  // An accepted envelope's batch is sealed and committed later: follow it until it is confirmed.
  const poll = setInterval(async () => {
    if (e.status !== 'ACCEPTED' || e.batch?.status === 'CONFIRMED') return;
    try {
      const next = await get(`/v1/envelopes/${enc(hash)}`);
      if (ctx.alive() && JSON.stringify(next) !== JSON.stringify(e)) {
        e = next;
        draw();
      }
    } catch {
      // keep what is shown
    }
  }, ctx.poll);
  return () => clearInterval(poll);
}

function render(e, chain) {
  const b = e.batch;
  const out = [
    h('h1', {}, 'Envelope ', h('span', { class: 'mono' }, e.envelope_hash)),
    props([
      ['status', badge(e.status), 'status'],
      e.reason ? ['reason', h('code', {}, e.reason), 'reason'] : null,
      e.detail ? ['detail', e.detail, 'detail'] : null,
      ['device', e.device_id ? deviceLink(e.device_id) : '–', 'device'],
      ['sequence', e.sequence ?? '–', 'sequence'],
      e.device_time !== undefined ? ['device time', time(e.device_time)] : null,
      ['received', time(e.received_at)],
      e.payload ? ['payload', e.payload] : null,
      e.flags ? ['flags', e.flags.join(', ') || 'none'] : null,
    ]),
  ];
  if (e.verdict) {
    out.push(h('section', { 'aria-labelledby': 'e-v' }, h('h2', { id: 'e-v' }, 'Verdict'), props([
      ['verdict', badge(e.verdict.status), 'verdict'], ['reason', h('code', {}, e.verdict.reason || '–'), 'verdict-reason'],
      ['epoch', e.verdict.epoch], ['explanation', e.verdict.explanation, 'verdict-explanation'],
    ])));
  }
  if (e.status === 'REJECTED') {
    out.push(notice('A rejected envelope is kept as evidence; it is in no batch and earns nothing.'));
    return out;
  }
  out.push(h('h2', { id: 'e-b' }, 'Batch and settlement'));
  if (!b) {
    out.push(notice('Not in a sealed batch yet: the batcher seals one when it is full or old enough (this page follows it).'));
    return out;
  }
  out.push(props([
    ['batch', batchLink(b.batch_id), 'batch'], ['batch status', badge(b.status), 'batch-status'],
    ['Merkle root', h('code', {}, b.merkle_root), 'root'], ['envelopes in batch', num(b.envelope_count)],
    ['commit transaction', b.tx_hash ? h('code', {}, b.tx_hash) : 'not committed yet', 'tx'],
    ['block', b.block_number ?? '–', 'block'], b.settlement_note ? ['note', b.settlement_note] : null,
  ]));
  out.push(h('h2', {}, 'Merkle proof'), (e.merkle_proof || []).length === 0
    ? h('p', {}, 'The envelope is the batch\'s only leaf: its hash is the root.')
    : h('ol', { 'data-field': 'proof' }, e.merkle_proof.map((p) => h('li', {}, h('code', {}, p)))));
  out.push(h('h2', {}, 'Verify inclusion on the chain'), verify(e, chain));
  return out;
}

function verify(e, chain) {
  const result = h('div', { 'aria-live': 'polite', 'data-field': 'verify-result' });
  if (!chain) return notice('This coordinator does not settle on a chain (chain.mode = off): there is no on-chain commitment to check.');
  if (!e.verify_call) return notice('No call to make yet.');
  const committed = e.batch?.tx_hash && e.batch?.block_number !== undefined;
  const button = h('button', {
    type: 'button', class: 'primary', id: 'verify', onclick: async () => {
      button.disabled = true;
      result.replaceChildren(h('p', {}, `Asking ${chain.rpc_url} …`));
      result.replaceChildren(await ask(chain, e));
      button.disabled = false;
    },
  }, 'Verify inclusion');
  return h('div', {},
    h('p', {}, 'Your browser sends ', h('code', {}, 'eth_call'), ' of ', h('code', {}, 'ProofBatchRegistry.verifyEnvelope'),
      ' (committer, batch, envelope hash, proof) to the chain\'s RPC itself; the contract recomputes the root from the proof and compares it with the committed one.'),
    committed ? null : notice('The batch is not committed on-chain yet, so the chain will answer false until it is.'),
    props([['RPC', h('code', {}, chain.rpc_url)], ['contract', h('code', {}, e.verify_call.to)], ['calldata', h('code', {}, e.verify_call.data)]]),
    button, result);
}

async function ask(chain, e) {
  const rpc = async (method, params) => {
    const r = await fetch(chain.rpc_url, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    const j = await r.json();
    if (j.error) throw new Error(j.error.message || 'error');
    return j.result;
  };
  try {
    const [answer, block, id] = await Promise.all([
      rpc('eth_call', [{ to: e.verify_call.to, data: e.verify_call.data }, 'latest']), rpc('eth_blockNumber', []), rpc('eth_chainId', []),
    ]);
    const included = /^0x0*1$/.test(answer || '');
    const at = `chain ${Number(BigInt(id))}, block ${Number(BigInt(block))}`;
    return included
      ? h('p', { class: 'notice ok', 'data-verified': 'true' }, `Included: the chain says this envelope is in batch #${e.batch.batch_id} (${at}).`)
      : h('p', { class: 'notice error', 'data-verified': 'false' }, `Not included: the chain answered false (${at}); the batch is not committed yet, or the proof does not match its root.`);
  } catch (err) {
    return h('p', { class: 'notice error', 'data-verified': 'unreachable' },
      `The chain could not be asked from this browser (${chain.rpc_url}: ${err && err.message ? err.message : 'no answer'}). The call above can be sent with any Ethereum client.`);
  }
}
