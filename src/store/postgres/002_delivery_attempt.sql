-- When the current delivery attempt began (see SQLite's 002).
ALTER TABLE invitations ADD COLUMN attempted_at text COLLATE "C";
