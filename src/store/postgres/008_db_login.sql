-- The database login an account is bound to (see SQLite's 008).
ALTER TABLE users ADD COLUMN db_login text COLLATE "C";
CREATE UNIQUE INDEX users_db_login ON users (db_login) WHERE db_login IS NOT NULL;
