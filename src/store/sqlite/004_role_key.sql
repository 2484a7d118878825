-- The roles of a member in their organization as one sortable key (the role
-- names, sorted, joined with ';'; empty without roles), kept with the
-- membership, so that `user list --sort role` walks an index instead of
-- sorting every member.
ALTER TABLE memberships ADD COLUMN role_key TEXT NOT NULL DEFAULT '';
UPDATE memberships SET role_key = coalesce((
    SELECT group_concat(name, ';') FROM (
        SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id
        WHERE ur.org_id = memberships.org_id AND ur.user_id = memberships.user_id ORDER BY r.name)), '');
CREATE INDEX memberships_role ON memberships (org_id, role_key, user_id);
