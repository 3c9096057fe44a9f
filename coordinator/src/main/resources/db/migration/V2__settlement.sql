-- PoPW coordinator schema, version 2: on-chain settlement state.
-- A batch goes SEALED -> SUBMITTED (tx_hash, with the signed transaction stored before it is
-- broadcast) -> CONFIRMED (block_number, after the configured confirmations). FAILED is for a
-- batch the chain refuses for good (its id holds another root on-chain); settlement_note says why.
ALTER TABLE batches ADD COLUMN tx_nonce BIGINT;
ALTER TABLE batches ADD COLUMN tx_raw BYTEA;
ALTER TABLE batches ADD COLUMN submitted_at BIGINT;
ALTER TABLE batches ADD COLUMN confirmed_at BIGINT;
ALTER TABLE batches ADD COLUMN chain_id BIGINT;
ALTER TABLE batches ADD COLUMN settlement_note VARCHAR(500);

-- Devices attested on-chain by this coordinator (DeviceRegistry.registerAttested).
-- NULL: not yet; ATTESTED: done (tx_hash); CONFLICT: the chain holds another owner (see note).
ALTER TABLE devices ADD COLUMN chain_status VARCHAR(16);
ALTER TABLE devices ADD COLUMN chain_tx VARCHAR(66);
ALTER TABLE devices ADD COLUMN chain_note VARCHAR(500);
