-- Schema version 13: the explorer's list and summary queries (docs/explorer.md). Rejections per
-- hour over the whole network read this index (envelopes already have envelopes_received, V4);
-- an owner's devices and the device list filtered by kind read the others.
-- Runs on H2 (PostgreSQL mode) and PostgreSQL.
CREATE INDEX rejections_received ON rejections (received_at);
CREATE INDEX devices_owner ON devices (owner_address);
CREATE INDEX devices_kind ON devices (kind, status);
