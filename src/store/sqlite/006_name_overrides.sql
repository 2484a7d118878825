-- Whether full_name and initials were set explicitly (SPEC §1): until they
-- are, they follow first_name and last_name, and every change of a name
-- re-derives them; an explicit value sticks until it is cleared.
ALTER TABLE users ADD COLUMN full_name_set INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN initials_set INTEGER NOT NULL DEFAULT 0;
-- Existing records: a value that differs from its derived form was set by
-- hand. (The derived initials are approximated by the first letters of the
-- first and last name; a value that differs is kept as explicit, which can
-- only keep a value, never lose one.)
UPDATE users SET full_name_set = 1
 WHERE full_name IS NOT NULL
   AND full_name IS NOT nullif(trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), '');
UPDATE users SET initials_set = 1
 WHERE initials IS NOT NULL
   AND (full_name_set = 1
        OR initials IS NOT nullif(upper(substr(coalesce(first_name, ''), 1, 1)) || upper(substr(coalesce(last_name, ''), 1, 1)), ''));
