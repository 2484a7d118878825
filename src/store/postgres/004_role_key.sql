-- The roles of a member as one sortable key (see SQLite's 004).
ALTER TABLE memberships ADD COLUMN role_key text COLLATE "C" NOT NULL DEFAULT '';
UPDATE memberships m SET role_key = coalesce((
    SELECT string_agg(r.name, ';' ORDER BY r.name) FROM user_roles ur JOIN roles r ON r.id = ur.role_id
    WHERE ur.org_id = m.org_id AND ur.user_id = m.user_id), '');
CREATE INDEX memberships_role ON memberships (org_id, role_key, user_id);
