-- Schema version 7: proof of coverage (docs/coverage.md). The entropy the coordinator issued
-- (evidence: a beacon must carry fresh entropy), and the coverage validator's numbers per report
-- and per device and epoch, stored for the rewards work. Runs on H2 (PostgreSQL mode) and PostgreSQL.
-- (Numbered 7 so that it does not clash with another branch's version 6.)

CREATE TABLE entropy (
  sequence          BIGINT        PRIMARY KEY,
  entropy_value     BYTEA         NOT NULL,       -- 32 random bytes
  issued_at         BIGINT        NOT NULL,       -- coordinator clock, Unix ms
  expires_at        BIGINT        NOT NULL,
  signed            BYTEA         NOT NULL        -- the SignedEntropy as published
);
CREATE INDEX entropy_issued ON entropy (issued_at);

-- One row per VALID coverage report of a closed epoch: HIP-15 units and the HIP-17 scale.
CREATE TABLE coverage_reports (
  epoch             BIGINT        NOT NULL,
  position          INTEGER       NOT NULL,       -- canonical order (device id, sequence)
  hash_key          BIGINT        NOT NULL,
  envelope_hash     BYTEA         NOT NULL,
  device_no         INTEGER       NOT NULL,
  role              VARCHAR(8)    NOT NULL,       -- BEACON | WITNESS
  witness_count     INTEGER       NOT NULL,       -- HIP-15 w of the beacon
  base_units        DOUBLE PRECISION NOT NULL,   -- HIP-15 units
  hex_scale         DOUBLE PRECISION NOT NULL,   -- HIP-17 scale of the beaconer's hex
  units             DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (epoch, position)
);
CREATE INDEX coverage_reports_hash ON coverage_reports (hash_key);

CREATE TABLE coverage_devices (
  epoch             BIGINT        NOT NULL,
  device_id         VARCHAR(80)   NOT NULL,
  beacons           BIGINT        NOT NULL,
  valid_beacons     BIGINT        NOT NULL,
  witnesses         BIGINT        NOT NULL,
  valid_witnesses   BIGINT        NOT NULL,
  selected_witnesses BIGINT       NOT NULL,
  beacon_units      DOUBLE PRECISION NOT NULL,
  witness_units     DOUBLE PRECISION NOT NULL,
  units             DOUBLE PRECISION NOT NULL,
  hex_scale         DOUBLE PRECISION NOT NULL,
  h3_cell           BIGINT        NOT NULL,       -- the device's hex at the density resolution, 0 without a location
  reciprocal        BOOLEAN       NOT NULL,
  fit_offset_m      DOUBLE PRECISION,             -- NULL when the location fit did not run
  PRIMARY KEY (epoch, device_id)
);
CREATE INDEX coverage_devices_device ON coverage_devices (device_id, epoch);
