-- The change an entry belongs to (one id per command invocation), the entry
-- that it reverses (`acct undo`), and its link in the hash chain (SHA-256
-- over the entry and the previous entry's hash; see src/store/chain.rs and
-- the README). Entries written before this version each become a change of
-- their own ('legacy-ID'); their hashes are computed by the Rust step that
-- runs after this script in the same transaction.
ALTER TABLE audit ADD COLUMN change_id TEXT;
ALTER TABLE audit ADD COLUMN reverts INTEGER;
ALTER TABLE audit ADD COLUMN hash TEXT;
UPDATE audit SET change_id = 'legacy-' || id;
CREATE INDEX audit_change ON audit (change_id, id);
