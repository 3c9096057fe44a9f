-- Schema version 9: rewards (docs/rewards.md). Owners' EIP-712 consents to their devices; per
-- epoch the standing every rewarded device had when the epoch closed (an input, kept so the
-- epoch can be recomputed), the split per device and pool, what each owner was paid and is owed
-- in total, and the epoch's root with its on-chain status. Amounts are wei, NUMERIC(78,0).
-- Runs on H2 (PostgreSQL mode) and PostgreSQL.

CREATE TABLE reward_consents (
  device_id         VARCHAR(80)   PRIMARY KEY,
  owner_address     VARCHAR(42)   NOT NULL,
  signature         BYTEA         NOT NULL,       -- 65 bytes r || s || v over the EIP-712 DeviceConsent
  received_at       BIGINT        NOT NULL
);

CREATE TABLE reward_standings (
  epoch             BIGINT        NOT NULL,
  device_id         VARCHAR(80)   NOT NULL,
  owner_address     VARCHAR(42),
  active            BOOLEAN       NOT NULL,
  consented         BOOLEAN       NOT NULL,
  stake_owner       VARCHAR(42),
  stake             NUMERIC(78,0) NOT NULL,
  PRIMARY KEY (epoch, device_id)
);

CREATE TABLE reward_epochs (
  epoch             BIGINT        PRIMARY KEY,
  token_epoch       BIGINT        NOT NULL,
  emission          NUMERIC(78,0) NOT NULL,
  burned_previous   NUMERIC(78,0) NOT NULL,
  distributable     NUMERIC(78,0) NOT NULL,
  unallocated       NUMERIC(78,0) NOT NULL,
  total_owed        NUMERIC(78,0) NOT NULL,
  pools             VARCHAR(400)  NOT NULL,       -- pool:wei:micro-units, comma-separated, in pool order
  root              BYTEA         NOT NULL,
  rewards_hash      BYTEA         NOT NULL,
  parameters        VARCHAR(2000) NOT NULL,
  computed_at       BIGINT        NOT NULL,
  chain_status      VARCHAR(12)   NOT NULL,       -- NONE | PENDING | COMMITTED | SUPERSEDED | FAILED
  chain_tx          VARCHAR(80),
  chain_note        VARCHAR(500)
);

CREATE TABLE reward_devices (
  epoch             BIGINT        NOT NULL,
  device_id         VARCHAR(80)   NOT NULL,
  pool              VARCHAR(20)   NOT NULL,
  owner_address     VARCHAR(42),
  micro_units       BIGINT        NOT NULL,
  amount            NUMERIC(78,0) NOT NULL,
  zero_reason       VARCHAR(24),
  explanation       VARCHAR(1000) NOT NULL,
  PRIMARY KEY (epoch, device_id, pool)
);
CREATE INDEX reward_devices_device ON reward_devices (device_id, epoch);

-- Only owners paid in the epoch; an owner's cumulative total after epoch e is the one of its
-- newest row at or before e.
CREATE TABLE reward_owners (
  epoch             BIGINT        NOT NULL,
  owner_address     VARCHAR(42)   NOT NULL,
  amount            NUMERIC(78,0) NOT NULL,
  cumulative        NUMERIC(78,0) NOT NULL,
  PRIMARY KEY (epoch, owner_address)
);
CREATE INDEX reward_owners_owner ON reward_owners (owner_address, epoch);

-- The data API's spending (docs/rewards.md, "Data credits"): credits each consumer account spent
-- per epoch, and each epoch's settlement on the DataCredits contract.
CREATE TABLE credit_spending (
  epoch             BIGINT        NOT NULL,
  account           VARCHAR(42)   NOT NULL,
  credits           BIGINT        NOT NULL,
  messages          BIGINT        NOT NULL,
  PRIMARY KEY (epoch, account)
);

CREATE TABLE credit_settlements (
  epoch             BIGINT        PRIMARY KEY,
  token_epoch       BIGINT        NOT NULL,
  spent_root        BYTEA         NOT NULL,
  total             BIGINT        NOT NULL,
  accounts          INTEGER       NOT NULL,
  status            VARCHAR(12)   NOT NULL,       -- NONE | PENDING | COMMITTED | FAILED
  tx                VARCHAR(80),
  note              VARCHAR(500)
);

-- Slashing (docs/rewards.md, "Slashing"): what the coordinator did with each equivocation it stored.
CREATE TABLE slashes (
  device_id         VARCHAR(80)   NOT NULL,
  sequence          BIGINT        NOT NULL,
  status            VARCHAR(12)   NOT NULL,       -- SLASHED | NO_STAKE | FAILED
  tx                VARCHAR(80),
  note              VARCHAR(500),
  decided_at        BIGINT        NOT NULL,
  PRIMARY KEY (device_id, sequence)
);
