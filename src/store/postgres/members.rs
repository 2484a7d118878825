//! Memberships, organization roles and global roles.

use super::tx::{PgTx, covers};
use super::users::perms_from;
use crate::authz::{Op, Perm, PermSet, Permit, Scope};
use crate::error::Result;
use crate::store::model::*;
use crate::store::rows::*;
use crate::store::sqlite::now;
use crate::store::{GroupStore, MembershipStore};
use anyhow::Context;
use postgres::Row;

const ROLE_SELECT: &str = "SELECT r.id, r.org_id, r.name, r.display_name, r.scope, r.builtin,
    (SELECT string_agg(permission, ';' ORDER BY permission) FROM role_permissions WHERE role_id = r.id) AS perms FROM roles r";

fn row_to_role(r: &Row) -> std::result::Result<Role, postgres::Error> {
    let scope: String = r.try_get("scope")?;
    Ok(Role {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        name: r.try_get("name")?,
        display_name: r.try_get("display_name")?,
        scope: if scope == "global" { Scope::Global } else { Scope::Org },
        builtin: r.try_get("builtin")?,
        perms: perms_from(r.try_get("perms")?),
    })
}

impl PgTx<'_> {
    /// Recompute the sort key of a member's roles (`memberships.role_key`).
    fn refresh_role_key(&self, org: i64, user: i64) -> Result<()> {
        self.run(
            "UPDATE memberships SET role_key = coalesce((SELECT string_agg(r.name, ';' ORDER BY r.name)
                FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                WHERE ur.org_id = $1 AND ur.user_id = $2), '')
             WHERE org_id = $1 AND user_id = $2",
            &[&org, &user],
        )
        .context("updating the member's role key")?;
        Ok(())
    }

    fn set_permissions(&self, role: i64, perms: PermSet) -> Result<()> {
        self.run("DELETE FROM role_permissions WHERE role_id = $1", &[&role]).context("clearing the role's permissions")?;
        for p in perms.iter() {
            self.run("INSERT INTO role_permissions (role_id, permission) VALUES ($1, $2)", &[&role, &p.name()])
                .context("storing a permission of the role")?;
        }
        Ok(())
    }

    /// The organization of a role (`None`: built-in).
    fn role_org(&self, role: i64) -> Result<Option<i64>> {
        self.one("SELECT org_id FROM roles WHERE id = $1", &[&role], |r| r.try_get("org_id")).context("reading the role")
    }

    /// `org/slug` of the groups of `org` that the user is in `table` of.
    fn groups_in(&self, table: &str, user: i64, org: i64) -> Result<Vec<String>> {
        self.all(
            &format!(
                "SELECT o.slug || '/' || g.slug AS label FROM {table} x JOIN groups g ON g.id = x.group_id JOIN orgs o ON o.id = g.org_id
                 WHERE x.user_id = $1 AND g.org_id = $2 ORDER BY 1"
            ),
            &[&user, &org],
            |r| r.try_get("label"),
        )
        .with_context(|| format!("reading the user's {table}"))
    }
}

impl MembershipStore for PgTx<'_> {
    fn global_roles_of(&self, user: i64) -> Result<Vec<String>> {
        self.all(
            "SELECT r.name FROM global_roles gr JOIN roles r ON r.id = gr.role_id WHERE gr.user_id = $1 ORDER BY r.name",
            &[&user],
            |r| r.try_get("name"),
        )
        .context("reading the user's global roles")
    }

    fn memberships_of(&self, user: i64) -> Result<Vec<String>> {
        self.all(
            "SELECT o.slug FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE m.user_id = $1 ORDER BY o.slug",
            &[&user],
            |r| r.try_get("slug"),
        )
        .context("reading the user's organizations")
    }

    fn roles(&self, org: Option<i64>) -> Result<Vec<Role>> {
        let (sql, arg) = match org {
            Some(o) => (
                format!(
                    "{ROLE_SELECT} WHERE r.scope = 'org' AND (r.org_id IS NULL OR r.org_id = $1) ORDER BY r.builtin DESC, r.name"
                ),
                o,
            ),
            None => (format!("{ROLE_SELECT} WHERE r.scope = 'global' AND $1::bigint = 0 ORDER BY r.name"), 0i64),
        };
        self.all(&sql, &[&arg], row_to_role).context("listing roles")
    }

    fn role(&self, org: Option<i64>, name: &str) -> Result<Option<Role>> {
        let sql = format!(
            "{ROLE_SELECT} WHERE r.name = $2 AND (r.org_id IS NULL OR r.org_id = $1) ORDER BY r.org_id IS NULL DESC LIMIT 1"
        );
        self.maybe(&sql, &[&org.unwrap_or(0), &name], row_to_role).context("reading a role")
    }

    fn role_by_id(&self, role: i64) -> Result<Option<Role>> {
        self.maybe(&format!("{ROLE_SELECT} WHERE r.id = $1"), &[&role], row_to_role).context("reading a role")
    }

    fn role_holders(&self, role: i64) -> Result<u64> {
        let n: i64 = self
            .one(
                "SELECT (SELECT count(*) FROM user_roles WHERE role_id = $1) + (SELECT count(*) FROM global_roles WHERE role_id = $1) AS n",
                &[&role],
                |r| r.try_get("n"),
            )
            .context("counting the role's holders")?;
        Ok(n as u64)
    }

    fn user_roles(&self, org: i64, user: i64) -> Result<Vec<String>> {
        self.all(
            "SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.org_id = $1 AND ur.user_id = $2 ORDER BY r.name",
            &[&org, &user],
            |r| r.try_get("name"),
        )
        .context("reading the member's roles")
    }

    fn access_list(&self, p: &Permit) -> Result<Vec<AccessRow>> {
        p.check_read(&[Perm::GlobalAdmin], None)?;
        self.all(
            "SELECT u.id, u.email, r.name FROM global_roles gr JOIN users u ON u.id = gr.user_id JOIN roles r ON r.id = gr.role_id
             ORDER BY r.name, lower(u.email)",
            &[],
            |r| Ok(AccessRow { user_id: r.try_get("id")?, email: r.try_get("email")?, role: r.try_get("name")? }),
        )
        .context("listing global roles")
    }

    fn active_global_admins(&self) -> Result<u64> {
        let n: i64 = self
            .one(
                "SELECT count(*) AS n FROM global_roles gr JOIN roles r ON r.id = gr.role_id JOIN users u ON u.id = gr.user_id
                 WHERE r.name = 'global-admin' AND r.builtin AND u.status = 'active' AND u.trashed_at IS NULL",
                &[],
                |r| r.try_get("n"),
            )
            .context("counting active global administrators")?;
        Ok(n as u64)
    }

    fn is_member(&self, org: i64, user: i64) -> Result<bool> {
        self.one("SELECT EXISTS (SELECT 1 FROM memberships WHERE org_id = $1 AND user_id = $2) AS member", &[&org, &user], |r| {
            r.try_get("member")
        })
        .context("looking up a membership")
    }

    fn join_org(&mut self, p: &Permit, org: i64, user: i64, roles: &[i64], group: Option<i64>) -> Result<()> {
        match p.op() {
            Op::Init => covers(p, &[Op::Init], None, None)?,
            Op::UserRestore => covers(p, &[Op::UserRestore], Some(org), Some(user))?,
            _ => covers(p, &[Op::UserAdd], Some(org), p.target().map(|_| user))?,
        }
        self.run("INSERT INTO memberships (org_id, user_id, created_at) VALUES ($1, $2, $3)", &[&org, &user, &now()])
            .context("inserting a membership")?;
        for r in roles {
            self.run(
                "INSERT INTO user_roles (org_id, user_id, role_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&org, &user, r],
            )
            .context("giving a role")?;
        }
        self.refresh_role_key(org, user)?;
        let primary: Option<i64> = self
            .one("SELECT primary_group_id FROM users WHERE id = $1", &[&user], |r| r.try_get("primary_group_id"))
            .context("reading the user's primary group")?;
        match (primary, group) {
            (None, g) => {
                let g = match g {
                    Some(g) => g,
                    None => self.everyone_group(org)?,
                };
                self.run("UPDATE users SET primary_group_id = $1 WHERE id = $2", &[&g, &user])
                    .context("setting the primary group")?;
            }
            (Some(p), Some(g)) if p != g => {
                self.run("INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", &[&g, &user])
                    .context("adding to a group")?;
            }
            _ => {}
        }
        Ok(())
    }

    fn leave_org(&mut self, p: &Permit, org: i64, user: i64) -> Result<Left> {
        covers(p, &[Op::UserRemove], Some(org), Some(user))?;
        let mut left = Left {
            roles: self.user_roles(org, user)?,
            groups: self.groups_in("group_members", user, org)?,
            managed_groups: self.groups_in("group_managers", user, org)?,
            ..Left::default()
        };
        self.run("DELETE FROM user_roles WHERE org_id = $1 AND user_id = $2", &[&org, &user])
            .context("removing the member's roles")?;
        for table in ["group_members", "group_managers"] {
            self.run(
                &format!("DELETE FROM {table} WHERE user_id = $1 AND group_id IN (SELECT id FROM groups WHERE org_id = $2)"),
                &[&user, &org],
            )
            .with_context(|| format!("removing the member from {table}"))?;
        }
        self.run("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2", &[&org, &user])
            .context("removing the membership")?;
        let next: Option<i64> = self
            .maybe("SELECT org_id FROM memberships WHERE user_id = $1 ORDER BY created_at, org_id LIMIT 1", &[&user], |r| {
                r.try_get("org_id")
            })
            .context("reading the user's next organization")?;
        // An open invitation follows the identity to the organization it is
        // still a member of (its link keeps working there); with no
        // organization left it is withdrawn.
        let moved_invitation = match next {
            Some(next_org) => self
                .run(
                    "UPDATE invitations SET org_id = $3 WHERE user_id = $1 AND org_id = $2 AND state = 'open'
                       AND (SELECT status FROM users WHERE id = $1) = 'invited'",
                    &[&user, &org, &next_org],
                )
                .context("moving the open invitation")?,
            None => {
                self.run(
                    "UPDATE invitations SET state = 'revoked' WHERE user_id = $1 AND org_id = $2 AND state = 'open'",
                    &[&user, &org],
                )
                .context("withdrawing the open invitation")?;
                0
            }
        } > 0;
        let primary: Option<(i64, i64)> = self
            .maybe(
                "SELECT u.primary_group_id, g.org_id FROM users u JOIN groups g ON g.id = u.primary_group_id WHERE u.id = $1",
                &[&user],
                |r| Ok((r.try_get("primary_group_id")?, r.try_get("org_id")?)),
            )
            .context("reading the user's primary group")?;
        let t = now();
        match next {
            Some(next_org) => {
                if let Some((old_pg, pg_org)) = primary
                    && pg_org == org
                {
                    let g = self.everyone_group(next_org)?;
                    self.run("UPDATE users SET primary_group_id = $1, updated_at = $2 WHERE id = $3", &[&g, &t, &user])
                        .context("moving the primary group")?;
                    left.primary_group = Some((Some(self.group_label(old_pg)?), self.group_label(g)?));
                }
                if moved_invitation {
                    let slugs: (String, String) = self
                        .one(
                            "SELECT (SELECT slug FROM orgs WHERE id = $1) AS old, (SELECT slug FROM orgs WHERE id = $2) AS new",
                            &[&org, &next_org],
                            |r| Ok((r.try_get("old")?, r.try_get("new")?)),
                        )
                        .context("reading the organizations of the invitation")?;
                    left.invitation = Some(slugs);
                }
            }
            None => {
                let roles = serde_json::to_string(&left.roles).context("encoding the roles kept in the trash")?;
                self.run(
                    "UPDATE users SET trashed_at = $1, trash_org_id = $2, trash_roles = $3, updated_at = $1 WHERE id = $4",
                    &[&t, &org, &roles, &user],
                )
                .context("moving the user to the trash")?;
                left.trashed = true;
            }
        }
        Ok(left)
    }

    fn insert_role(&mut self, p: &Permit, org: Option<i64>, role: &RoleRow) -> Result<i64> {
        match org {
            Some(o) => covers(p, &[Op::RoleCreate], Some(o), None)?,
            None => covers(p, &[Op::Init], None, None)?,
        }
        let id: i64 = self
            .one(
                "INSERT INTO roles (org_id, name, display_name, scope, builtin, created_at) VALUES ($1, $2, $3, $4, $5, $6)
                 RETURNING id",
                &[&org, &role.name, &role.display_name, &role.scope.name(), &role.builtin, &now()],
                |r| r.try_get("id"),
            )
            .context("inserting a role")?;
        self.set_permissions(id, role.perms)?;
        Ok(id)
    }

    fn set_role(&mut self, p: &Permit, role: i64, display_name: Option<&str>, perms: Option<PermSet>) -> Result<()> {
        match self.role_org(role)? {
            Some(o) => covers(p, &[Op::RoleEdit], Some(o), None)?,
            None => return Err(anyhow::anyhow!("internal error: the permit does not cover a built-in role")),
        }
        if let Some(d) = display_name {
            self.run("UPDATE roles SET display_name = $1 WHERE id = $2", &[&d, &role]).context("renaming the role")?;
        }
        if let Some(perms) = perms {
            self.set_permissions(role, perms)?;
        }
        Ok(())
    }

    fn delete_role(&mut self, p: &Permit, role: i64) -> Result<()> {
        match self.role_org(role)? {
            Some(o) => covers(p, &[Op::RoleDelete], Some(o), None)?,
            None => return Err(anyhow::anyhow!("internal error: the permit does not cover a built-in role")),
        }
        self.run("DELETE FROM roles WHERE id = $1 AND NOT builtin", &[&role]).context("deleting the role")?;
        Ok(())
    }

    fn set_user_role(&mut self, p: &Permit, org: i64, user: i64, role: i64, present: bool) -> Result<bool> {
        let n = if present {
            covers(p, &[Op::RoleAssign], Some(org), Some(user))?;
            self.run(
                "INSERT INTO user_roles (org_id, user_id, role_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&org, &user, &role],
            )
            .context("giving a role")?
        } else {
            covers(p, &[Op::RoleUnassign], Some(org), Some(user))?;
            self.run("DELETE FROM user_roles WHERE org_id = $1 AND user_id = $2 AND role_id = $3", &[&org, &user, &role])
                .context("taking a role")?
        };
        if n > 0 {
            self.refresh_role_key(org, user)?;
            self.touch(user)?;
        }
        Ok(n > 0)
    }

    fn set_global_role(&mut self, p: &Permit, user: i64, role: i64, present: bool) -> Result<bool> {
        let n = if present {
            match p.op() {
                Op::Init => covers(p, &[Op::Init], None, None)?,
                _ => covers(p, &[Op::AccessGrant], None, Some(user))?,
            }
            self.run("INSERT INTO global_roles (user_id, role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", &[&user, &role])
                .context("giving a global role")?
        } else {
            covers(p, &[Op::AccessRevoke], None, Some(user))?;
            self.run("DELETE FROM global_roles WHERE user_id = $1 AND role_id = $2", &[&user, &role])
                .context("taking a global role")?
        };
        if n > 0 && p.op() != Op::Init {
            self.touch(user)?;
        }
        Ok(n > 0)
    }
}
