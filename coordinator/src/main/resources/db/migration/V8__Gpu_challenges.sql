-- Schema version 8: GPU capacity challenges (docs/gpu-proofs.md). Every challenge as issued, with
-- everything its verdict depends on besides the device's answers (which are ordinary envelopes);
-- the challenge verdicts of closed epochs; and the GPU fingerprint pinned per device registration.
-- Runs on H2 (PostgreSQL mode) and PostgreSQL.

CREATE TABLE gpu_challenges (
  challenge_id      BIGINT        PRIMARY KEY,
  device_id         VARCHAR(80)   NOT NULL,
  gpu_uuid          VARCHAR(100)  NOT NULL,
  gpu_class         VARCHAR(40)   NOT NULL,
  seed              BYTEA         NOT NULL,       -- 32 bytes, sent in the challenge
  n                 INTEGER       NOT NULL,
  tile              INTEGER       NOT NULL,
  matrices          INTEGER       NOT NULL,
  probe_bytes       BIGINT        NOT NULL,
  open_seed         BYTEA         NOT NULL,       -- 32 bytes, never sent: picks the tiles to open
  opened_tiles      INTEGER       NOT NULL,
  probe_reads       INTEGER       NOT NULL,
  issued_at         BIGINT        NOT NULL,
  commit_deadline_ms BIGINT       NOT NULL,
  too_fast_ms       BIGINT        NOT NULL,
  open_deadline_ms  BIGINT        NOT NULL,
  expires_at        BIGINT        NOT NULL,       -- issued_at + commit and open deadlines: decides the epoch
  units             DOUBLE PRECISION NOT NULL,
  challenge         BYTEA         NOT NULL,       -- the SignedChallenge as sent
  open_issued_at    BIGINT,
  root              BYTEA,
  open_request      BYTEA,                        -- the signed OpenRequest as sent
  live_status       VARCHAR(8),                   -- the check made when the openings arrived (the epoch decides)
  live_reason       VARCHAR(40),
  live_explanation  VARCHAR(1000)
);
CREATE INDEX gpu_challenges_expires ON gpu_challenges (expires_at);
CREATE INDEX gpu_challenges_device ON gpu_challenges (device_id, challenge_id);

CREATE TABLE gpu_challenge_verdicts (
  epoch             BIGINT        NOT NULL,
  challenge_id      BIGINT        NOT NULL,
  device_id         VARCHAR(80)   NOT NULL,
  status            VARCHAR(8)    NOT NULL,       -- VALID | INVALID | VOID
  reason            VARCHAR(40)   NOT NULL,
  explanation       VARCHAR(1000) NOT NULL,
  units             DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (epoch, challenge_id)
);
CREATE INDEX gpu_challenge_verdicts_id ON gpu_challenge_verdicts (challenge_id);

CREATE TABLE gpu_fingerprints (
  device_id         VARCHAR(80)   NOT NULL,
  registration_time BIGINT        NOT NULL,       -- the registration the pin belongs to (devices.registration_time)
  fingerprint       VARCHAR(4000) NOT NULL,       -- uuid|model|memory_mib per GPU, ';'-separated, by uuid
  pinned_at         BIGINT        NOT NULL,       -- receipt time of the report it was taken from
  envelope_hash     BYTEA         NOT NULL,
  PRIMARY KEY (device_id, registration_time)
);
