-- Schema version 6: bounded rejection storage (docs/security.md, "Rejection storage"). Each
-- rejection row carries the bytes it is charged for (stored_size: envelope, conflicting hash and
-- detail, plus 128 bytes for the rest of the row and its index entries, as EnvelopeStore counts)
-- and the number of the registered device it is charged to (device_no; NULL: no registered
-- device's, such as a bad signature or an unregistered key). rejection_quota keeps per bucket
-- (device_no, 0 for the unattributed bucket) the bytes stored and what was deleted to stay within
-- the caps. Runs on H2 (PostgreSQL mode) and PostgreSQL.
ALTER TABLE rejections ADD COLUMN device_no INTEGER;
ALTER TABLE rejections ADD COLUMN stored_size INTEGER;
UPDATE rejections SET device_no = (SELECT d.device_no FROM devices d WHERE d.device_id = rejections.device_id);
UPDATE rejections SET stored_size = 128 + COALESCE(OCTET_LENGTH(envelope), 0) + COALESCE(OCTET_LENGTH(conflicts_with), 0)
  + LENGTH(detail);
ALTER TABLE rejections ALTER COLUMN stored_size SET NOT NULL;
CREATE INDEX rejections_quota ON rejections (device_no, id);

CREATE TABLE rejection_quota (
  device_no       INTEGER      PRIMARY KEY,      -- 0: rejections that are no registered device's
  stored_bytes    BIGINT       NOT NULL,
  dropped         BIGINT       NOT NULL,         -- rows deleted, oldest first, to stay within the caps
  dropped_bytes   BIGINT       NOT NULL
);
INSERT INTO rejection_quota (device_no, stored_bytes, dropped, dropped_bytes)
  SELECT COALESCE(device_no, 0), SUM(stored_size), 0, 0 FROM rejections GROUP BY COALESCE(device_no, 0);
