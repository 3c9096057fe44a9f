-- Schema version 4: the work layer. Verdicts per envelope, per-device summaries per epoch, the
-- registry snapshot each epoch was validated with, and the closed epochs with their hashes.
-- Runs on H2 (PostgreSQL mode) and PostgreSQL.

-- Epoch membership is by receipt time: closing an epoch reads its envelopes through this index.
CREATE INDEX envelopes_received ON envelopes (received_at);

CREATE TABLE epochs (
  epoch             BIGINT        PRIMARY KEY,
  start_ms          BIGINT        NOT NULL,
  end_ms            BIGINT        NOT NULL,
  closed_at         BIGINT        NOT NULL,
  envelope_count    BIGINT        NOT NULL,
  valid_count       BIGINT        NOT NULL,
  invalid_count     BIGINT        NOT NULL,
  verdict_set_hash  BYTEA         NOT NULL,
  summary_hash      BYTEA         NOT NULL,
  parameters        VARCHAR(20000) NOT NULL,
  parameters_hash   BYTEA         NOT NULL
);

-- Rows are clustered by (epoch, position in the canonical verdict order), so closing an epoch
-- appends and deleting one is a range; devices are named by number, as in envelopes.
CREATE TABLE verdicts (
  epoch             BIGINT        NOT NULL,
  position          INTEGER       NOT NULL,       -- index in the epoch's verdict set, sorted by envelope hash
  hash_key          BIGINT        NOT NULL,       -- first 8 bytes of envelope_hash, as in envelopes
  envelope_hash     BYTEA         NOT NULL,
  device_no         INTEGER       NOT NULL,
  sequence          BIGINT        NOT NULL,
  kind              SMALLINT      NOT NULL,       -- 1 sensor, 2 coverage, 3 gpu
  status            VARCHAR(8)    NOT NULL,       -- VALID | INVALID
  reason            VARCHAR(40)   NOT NULL,
  explanation       VARCHAR(1000) NOT NULL,
  PRIMARY KEY (epoch, position)
);
CREATE INDEX verdicts_hash ON verdicts (hash_key);
CREATE INDEX verdicts_device ON verdicts (device_no, sequence);

CREATE TABLE device_epochs (
  epoch             BIGINT        NOT NULL,
  device_id         VARCHAR(80)   NOT NULL,
  kind              SMALLINT      NOT NULL,
  envelopes         BIGINT        NOT NULL,
  valid             BIGINT        NOT NULL,
  completeness      DOUBLE PRECISION NOT NULL,
  quality           DOUBLE PRECISION NOT NULL,
  units             DOUBLE PRECISION NOT NULL,
  explanation       VARCHAR(1000) NOT NULL,
  PRIMARY KEY (epoch, device_id, kind)
);
CREATE INDEX device_epochs_device ON device_epochs (device_id, epoch);

CREATE TABLE epoch_registry (
  epoch             BIGINT        NOT NULL,
  device_id         VARCHAR(80)   NOT NULL,
  kind              SMALLINT      NOT NULL,
  latitude          DOUBLE PRECISION,
  longitude         DOUBLE PRECISION,
  PRIMARY KEY (epoch, device_id)
);
