-- Schema version 5: the signed timestamp of each device's current registration, so that a
-- registration is accepted only when it is newer (a replayed older one cannot move the device back
-- to an earlier owner). NULL for rows registered before this version: the coordinator then reads
-- the timestamp from the stored signed registration. Runs on H2 (PostgreSQL mode) and PostgreSQL.
ALTER TABLE devices ADD COLUMN registration_time BIGINT;
