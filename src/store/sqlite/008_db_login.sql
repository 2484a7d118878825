-- The database login an account is bound to (SPEC §6): on PostgreSQL, a
-- bound actor acts only on a connection whose session_user is this login.
-- One login proves one account.
ALTER TABLE users ADD COLUMN db_login TEXT;
CREATE UNIQUE INDEX users_db_login ON users (db_login) WHERE db_login IS NOT NULL;
