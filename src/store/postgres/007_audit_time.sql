-- The time of an audit entry in seconds since the Unix epoch (see SQLite's
-- 007; older entries are filled in by the Rust step).
ALTER TABLE audit ADD COLUMN at_unix bigint;
CREATE INDEX audit_at_unix ON audit (at_unix, id);
