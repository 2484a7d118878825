-- Whether full_name and initials were set explicitly (see SQLite's 006).
ALTER TABLE users ADD COLUMN full_name_set boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN initials_set boolean NOT NULL DEFAULT false;
UPDATE users SET full_name_set = true
 WHERE full_name IS NOT NULL
   AND full_name IS DISTINCT FROM nullif(trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), '');
UPDATE users SET initials_set = true
 WHERE initials IS NOT NULL
   AND (full_name_set
        OR initials IS DISTINCT FROM nullif(upper(substr(coalesce(first_name, ''), 1, 1)) || upper(substr(coalesce(last_name, ''), 1, 1)), ''));
