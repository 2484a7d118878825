-- The change an entry belongs to, the entry it reverses, and its link in
-- the hash chain (see SQLite's 005; the Rust step that chains older entries
-- runs after this script in the same transaction).
ALTER TABLE audit ADD COLUMN change_id text COLLATE "C";
ALTER TABLE audit ADD COLUMN reverts bigint;
ALTER TABLE audit ADD COLUMN hash text COLLATE "C";
UPDATE audit SET change_id = 'legacy-' || id;
CREATE INDEX audit_change ON audit (change_id, id);
