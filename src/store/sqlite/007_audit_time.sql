-- The time of an audit entry as a number (seconds since the Unix epoch), so
-- that `audit list --since/--until` compares times, not text: chrono writes a
-- year past 9999 as `+10000-01-01T00:00:00Z`, which sorts before `2030-...`
-- as text. `at` stays as it was written (the hash chain covers it); this
-- column is derived from it, filled in by acct (migration 7 for older
-- entries), and not part of the chain's encoding.
ALTER TABLE audit ADD COLUMN at_unix INTEGER;
CREATE INDEX audit_at_unix ON audit (at_unix, id);
