//! Identities: the subject the engine decides for, user rows and listings,
//! the trash, creating and changing a user.

use super::tx::{PgTx, covers};
use super::user_query::{Arg, arg_refs, row_to_user, user_query_sql, user_row_sql};
use crate::authz::{Op, OrgFacts, Perm, Permit, Status, Subject};
use crate::error::Result;
use crate::store::model::*;
use crate::store::rows::*;
use crate::store::sqlite::now;
use crate::store::{Selector, UserSink, UserStore};
use anyhow::Context;

pub(super) use crate::store::shared::{new_user_search_key, perms_from, search_key};

impl PgTx<'_> {
    pub(super) fn insert_user_row(&self, u: &NewUser) -> Result<i64> {
        let status = u.status.unwrap_or(Status::Invited);
        let id = self
            .one(
                "INSERT INTO users (username, email, email_key, first_name, last_name, full_name, initials,
                                    status, accepted, created_at, updated_at, search_key)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11)
                 RETURNING id",
                &[
                    &u.username,
                    &u.email,
                    &u.email_key,
                    &u.first_name,
                    &u.last_name,
                    &u.full_name,
                    &u.initials,
                    &status.name(),
                    &(status == Status::Active),
                    &now(),
                    &new_user_search_key(u),
                ],
                |r| r.try_get("id"),
            )
            .context("inserting a user")?;
        Ok(id)
    }
}

impl UserStore for PgTx<'_> {
    fn subject(&self, user: i64) -> Result<Option<Subject>> {
        // One statement (one round trip to the server): the user's row with
        // its permissions, memberships, managed groups and the organizations
        // it is the last active full-admin of, as arrays in org id order.
        self.maybe(
            "SELECT u.email, u.status, u.trashed_at IS NOT NULL AS trashed, u.primary_group_id, o.id AS org_id,
                    o.slug AS org_slug, o.sso, o.sms_2fa, u.sso_disabled, u.phone IS NOT NULL AS has_phone,
                    (SELECT string_agg(rp.permission, ';' ORDER BY rp.permission) FROM global_roles gr
                       JOIN role_permissions rp ON rp.role_id = gr.role_id WHERE gr.user_id = u.id) AS global_perms,
                    ARRAY(SELECT m.org_id FROM memberships m WHERE m.user_id = u.id ORDER BY m.org_id) AS member_orgs,
                    ARRAY(SELECT (SELECT string_agg(rp.permission, ';' ORDER BY rp.permission) FROM user_roles ur
                                    JOIN role_permissions rp ON rp.role_id = ur.role_id
                                   WHERE ur.org_id = m.org_id AND ur.user_id = m.user_id)
                            FROM memberships m WHERE m.user_id = u.id ORDER BY m.org_id) AS member_perms,
                    ARRAY(SELECT mo.slug FROM memberships m JOIN orgs mo ON mo.id = m.org_id
                           WHERE m.user_id = u.id ORDER BY m.org_id) AS member_slugs,
                    ARRAY(SELECT gm.group_id FROM group_managers gm WHERE gm.user_id = u.id ORDER BY gm.group_id) AS managed,
                    ARRAY(SELECT ur.org_id FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                           WHERE ur.user_id = u.id AND r.builtin AND r.name = 'full-admin' AND u.status = 'active'
                             AND (SELECT count(*) FROM user_roles ur2 JOIN users u2 ON u2.id = ur2.user_id
                                  WHERE ur2.org_id = ur.org_id AND ur2.role_id = ur.role_id
                                    AND u2.status = 'active' AND u2.trashed_at IS NULL) = 1
                           ORDER BY ur.org_id) AS last_admin_of
             FROM users u LEFT JOIN groups g ON g.id = u.primary_group_id LEFT JOIN orgs o ON o.id = g.org_id
             WHERE u.id = $1",
            &[&user],
            |r| {
                let org = match r.try_get::<_, Option<i64>>("org_id")? {
                    Some(id) => Some(OrgFacts {
                        id,
                        slug: r.try_get("org_slug")?,
                        sso: r.try_get("sso")?,
                        sms_2fa: r.try_get("sms_2fa")?,
                    }),
                    None => None,
                };
                let status: String = r.try_get("status")?;
                let orgs: Vec<i64> = r.try_get("member_orgs")?;
                let perms: Vec<Option<String>> = r.try_get("member_perms")?;
                let slugs: Vec<String> = r.try_get("member_slugs")?;
                Ok(Subject {
                    id: user,
                    label: r.try_get("email")?,
                    status: Status::parse(&status).unwrap_or(Status::Inactive),
                    trashed: r.try_get("trashed")?,
                    org,
                    primary_group: r.try_get("primary_group_id")?,
                    global: perms_from(r.try_get("global_perms")?),
                    memberships: orgs.iter().copied().zip(perms.into_iter().map(perms_from)).collect(),
                    managed_groups: r.try_get("managed")?,
                    sso_disabled: r.try_get("sso_disabled")?,
                    has_phone: r.try_get("has_phone")?,
                    last_admin_of: r.try_get("last_admin_of")?,
                    org_slugs: orgs.into_iter().zip(slugs).collect(),
                })
            },
        )
        .context("reading the user")
    }

    fn find_user(&self, sel: &Selector) -> Result<Option<i64>> {
        match sel {
            Selector::Id(id) => {
                self.maybe("SELECT id FROM users WHERE id = $1", &[id], |r| r.try_get("id")).context("looking up a user id")
            }
            Selector::EmailKey(k) => self
                .maybe("SELECT id FROM users WHERE email_key = $1", &[k], |r| r.try_get("id"))
                .context("looking up an e-mail key"),
            Selector::Username(u) => {
                self.maybe("SELECT id FROM users WHERE username = $1", &[u], |r| r.try_get("id")).context("looking up a username")
            }
        }
    }

    fn user(&self, id: i64, org: Option<i64>) -> Result<Option<User>> {
        self.maybe(&user_row_sql(), &[&org.unwrap_or(0), &id], row_to_user).context("reading the user's row")
    }

    fn users(&self, p: &Permit, q: &UserQuery, sink: &mut UserSink<'_>) -> Result<u64> {
        p.check_read(&[Perm::UserRead, Perm::UserExport], Some(q.org))?;
        let (sql, args) = user_query_sql(q, false);
        // An error of a row (its decoding, or the sink's) is returned as it
        // is; only the query's own errors say that it was the listing.
        let mut stopped: Option<anyhow::Error> = None;
        let r = self.each(&sql, &arg_refs(&args), &mut |r| {
            row_to_user(r).context("decoding a user row").and_then(|u| sink(&u)).map_err(|e| {
                stopped = Some(e);
                anyhow::anyhow!("the listing was stopped")
            })
        });
        match (r, stopped) {
            (_, Some(e)) => Err(e),
            (Ok(n), None) => Ok(n),
            (Err(e), None) => Err(e.context("listing users")),
        }
    }

    fn count_users(&self, p: &Permit, q: &UserQuery) -> Result<u64> {
        p.check_read(&[Perm::UserRead, Perm::UserExport, Perm::RoleRead], Some(q.org))?;
        let (sql, args) = user_query_sql(q, true);
        let n: i64 = self.one(&sql, &arg_refs(&args), |r| r.try_get(0)).context("counting users")?;
        Ok(n as u64)
    }

    fn username_taken(&self, username: &str) -> Result<bool> {
        self.one("SELECT EXISTS (SELECT 1 FROM users WHERE username = $1) AS taken", &[&username], |r| r.try_get("taken"))
            .context("looking up a username")
    }

    fn trash_info(&self, user: i64) -> Result<Option<TrashInfo>> {
        let row: Option<(String, Option<i64>, Option<String>)> = self
            .maybe(
                "SELECT trashed_at, trash_org_id, trash_roles FROM users WHERE id = $1 AND trashed_at IS NOT NULL",
                &[&user],
                |r| Ok((r.try_get("trashed_at")?, r.try_get("trash_org_id")?, r.try_get("trash_roles")?)),
            )
            .context("reading the user's trash record")?;
        Ok(row.and_then(|(trashed_at, org, roles)| {
            Some(TrashInfo {
                trashed_at,
                org_id: org?,
                roles: roles.and_then(|r| serde_json::from_str(&r).ok()).unwrap_or_default(),
            })
        }))
    }

    fn trashed_before(&self, cutoff: &str) -> Result<Vec<i64>> {
        self.all(
            "SELECT id FROM users WHERE trashed_at IS NOT NULL AND trashed_at < $1 ORDER BY trashed_at, id",
            &[&cutoff],
            |r| r.try_get("id"),
        )
        .context("listing the trash")
    }

    fn trashed_from(&self, p: &Permit, org: i64) -> Result<Vec<i64>> {
        p.check_read(&[Perm::UserRead], Some(org))?;
        self.all(
            "SELECT id FROM users WHERE trashed_at IS NOT NULL AND trash_org_id = $1 ORDER BY trashed_at, id",
            &[&org],
            |r| r.try_get("id"),
        )
        .context("listing the trash of an organization")
    }

    fn name_overrides(&self, user: i64) -> Result<(bool, bool)> {
        let r = self
            .maybe("SELECT full_name_set, initials_set FROM users WHERE id = $1", &[&user], |r| {
                Ok((r.try_get("full_name_set")?, r.try_get("initials_set")?))
            })
            .context("reading the user's name overrides")?;
        Ok(r.unwrap_or((false, false)))
    }

    fn email_of(&self, user: i64) -> Result<String> {
        self.one("SELECT email FROM users WHERE id = $1", &[&user], |r| r.try_get("email")).context("reading the user's e-mail")
    }

    fn account(&self, user: i64) -> Result<Option<Account>> {
        self.maybe(
            "SELECT accepted, primary_group_id, trashed_at IS NOT NULL AS trashed FROM users WHERE id = $1",
            &[&user],
            |r| {
                Ok(Account {
                    accepted: r.try_get("accepted")?,
                    primary_group: r.try_get("primary_group_id")?,
                    trashed: r.try_get("trashed")?,
                })
            },
        )
        .context("reading the user's account")
    }

    fn additional_groups(&self, user: i64) -> Result<Vec<String>> {
        self.all(
            "SELECT o.slug || '/' || g.slug AS label FROM group_members gm JOIN groups g ON g.id = gm.group_id
             JOIN orgs o ON o.id = g.org_id WHERE gm.user_id = $1 ORDER BY 1",
            &[&user],
            |r| r.try_get("label"),
        )
        .context("reading the user's groups")
    }

    fn ids_by_email_key(&self, keys: &[String]) -> Result<std::collections::HashMap<String, i64>> {
        let rows = self
            .all("SELECT email_key, id FROM users WHERE email_key = ANY($1)", &[&keys], |r| {
                Ok((r.try_get::<_, String>("email_key")?, r.try_get::<_, i64>("id")?))
            })
            .context("looking up e-mail keys")?;
        Ok(rows.into_iter().collect())
    }

    fn taken_usernames(&self, names: &[String]) -> Result<std::collections::HashSet<String>> {
        let rows = self
            .all("SELECT username FROM users WHERE username = ANY($1)", &[&names], |r| r.try_get::<_, String>("username"))
            .context("looking up usernames")?;
        Ok(rows.into_iter().collect())
    }

    fn db_login(&self, user: i64) -> Result<Option<String>> {
        Ok(self
            .maybe("SELECT db_login FROM users WHERE id = $1", &[&user], |r| r.try_get::<_, Option<String>>("db_login"))
            .context("reading the user's database login")?
            .flatten())
    }

    fn user_of_login(&self, login: &str) -> Result<Option<i64>> {
        self.maybe("SELECT id FROM users WHERE db_login = $1", &[&login], |r| r.try_get("id"))
            .context("looking up a database login")
    }

    fn set_db_login(&mut self, p: &Permit, user: i64, login: Option<&str>) -> Result<()> {
        covers(p, &[Op::UserBindLogin], None, Some(user))?;
        self.run("UPDATE users SET db_login = $1, updated_at = $2 WHERE id = $3", &[&login, &now(), &user])
            .context("binding the user to a database login")?;
        Ok(())
    }

    fn insert_user(&mut self, p: &Permit, u: &NewUser) -> Result<i64> {
        covers(p, &[Op::UserAdd, Op::Init], None, None)?;
        self.insert_user_row(u)
    }

    fn untrash(&mut self, p: &Permit, user: i64, keep_primary: bool) -> Result<()> {
        covers(p, &[Op::UserRestore], None, Some(user))?;
        if !keep_primary {
            self.run("UPDATE users SET primary_group_id = NULL WHERE id = $1", &[&user]).context("clearing the primary group")?;
        }
        self.run(
            "UPDATE users SET trashed_at = NULL, trash_org_id = NULL, trash_roles = NULL, updated_at = $1 WHERE id = $2",
            &[&now(), &user],
        )
        .context("taking the user out of the trash")?;
        Ok(())
    }

    fn purge(&mut self, p: &Permit, user: i64) -> Result<Purged> {
        covers(p, &[Op::UserPurge], None, Some(user))?;
        let names = |sql: &str, what: &str| -> Result<Vec<String>> {
            self.all(sql, &[&user], |r| r.try_get("name")).with_context(|| format!("reading the user's {what}"))
        };
        let global_roles = names(
            "SELECT r.name FROM global_roles gr JOIN roles r ON r.id = gr.role_id WHERE gr.user_id = $1 ORDER BY r.name",
            "global roles",
        )?;
        let roles = names(
            "SELECT o.slug || ':' || r.name AS name FROM user_roles ur JOIN roles r ON r.id = ur.role_id JOIN orgs o ON o.id = ur.org_id
             WHERE ur.user_id = $1 ORDER BY 1",
            "roles",
        )?;
        let in_groups = |table: &str| {
            names(
                &format!(
                    "SELECT o.slug || '/' || g.slug AS name FROM {table} x JOIN groups g ON g.id = x.group_id
                     JOIN orgs o ON o.id = g.org_id WHERE x.user_id = $1 ORDER BY 1"
                ),
                table,
            )
        };
        let (groups, managed_groups) = (in_groups("group_members")?, in_groups("group_managers")?);
        let (trash_roles, has_password, has_totp): (Option<String>, bool, bool) = self
            .one(
                "SELECT trash_roles, password_hash IS NOT NULL AS has_password, totp_secret IS NOT NULL AS has_totp
                 FROM users WHERE id = $1",
                &[&user],
                |r| Ok((r.try_get("trash_roles")?, r.try_get("has_password")?, r.try_get("has_totp")?)),
            )
            .context("reading the user's credentials")?;
        let count = |table: &str| -> Result<i64> {
            self.one(&format!("SELECT count(*) AS n FROM {table} WHERE user_id = $1"), &[&user], |r| r.try_get("n"))
                .with_context(|| format!("counting the user's {table}"))
        };
        let (recovery, invitations) = (count("recovery_codes")?, count("invitations")?);
        let mut credentials = Vec::new();
        if has_password {
            credentials.push("password");
        }
        if has_totp {
            credentials.push("totp");
        }
        if recovery > 0 {
            credentials.push("recovery_codes");
        }
        let trash_roles: Vec<String> = trash_roles.and_then(|r| serde_json::from_str(&r).ok()).unwrap_or_default();
        for sql in [
            "DELETE FROM invitations WHERE user_id = $1",
            "DELETE FROM recovery_codes WHERE user_id = $1",
            "DELETE FROM group_members WHERE user_id = $1",
            "DELETE FROM group_managers WHERE user_id = $1",
            "DELETE FROM global_roles WHERE user_id = $1",
            "DELETE FROM user_roles WHERE user_id = $1",
            "DELETE FROM memberships WHERE user_id = $1",
            "DELETE FROM users WHERE id = $1 AND trashed_at IS NOT NULL",
        ] {
            self.run(sql, &[&user]).with_context(|| format!("purging the user: {sql}"))?;
        }
        Ok(Purged { global_roles, roles, trash_roles, groups, managed_groups, credentials, invitations })
    }

    fn change_user_groups(&mut self, p: &Permit, user: i64, c: &UserChange) -> Result<()> {
        covers(p, &[Op::UserEdit], None, Some(user))?;
        for f in c.fields() {
            if !p.fields().contains(&f) {
                return Err(anyhow::anyhow!("internal error: the permit does not cover '{}'", f.name()));
            }
        }
        let joins = [
            (
                "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &c.add_groups,
                "adding the user to a group",
            ),
            (
                "DELETE FROM group_members WHERE group_id = $1 AND user_id = $2",
                &c.remove_groups,
                "removing the user from a group",
            ),
        ];
        for (sql, groups, what) in joins {
            for g in groups {
                self.run(sql, &[g, &user]).context(what)?;
            }
        }
        if c.full_name_set.is_some() || c.initials_set.is_some() {
            self.run(
                "UPDATE users SET full_name_set = coalesce($1::boolean, full_name_set),
                                  initials_set = coalesce($2::boolean, initials_set)
                 WHERE id = $3",
                &[&c.full_name_set, &c.initials_set, &user],
            )
            .context("storing the name overrides")?;
        }
        Ok(())
    }

    fn set_user(&mut self, p: &Permit, user: i64, row: &UserRow) -> Result<()> {
        covers(p, &[Op::UserEdit], None, Some(user))?;
        let (email, username): (String, String) = self
            .one("SELECT email, username FROM users WHERE id = $1", &[&user], |r| {
                Ok((r.try_get("email")?, r.try_get("username")?))
            })
            .context("reading the user's e-mail and username")?;
        let (new_email, new_key) = match &row.email {
            Some((e, k)) => (Some(e.clone()), Some(k.clone())),
            None => (None, None),
        };
        let key = search_key(
            new_email.as_deref().unwrap_or(&email),
            &username,
            [row.first_name.as_deref(), row.last_name.as_deref(), row.full_name.as_deref()],
        );
        let mut args = plain_args(row);
        let mut sets: Vec<String> = PLAIN_COLUMNS.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 1)).collect();
        let mut more = |set: &str, v: Arg| {
            args.push(v);
            sets.push(set.replace('?', &format!("${}", args.len())));
        };
        more("email = coalesce(?::text, email)", Box::new(new_email));
        more("email_key = coalesce(?::text, email_key)", Box::new(new_key));
        more("status = ?::text", Box::new(row.status.clone()));
        more("primary_group_id = ?::bigint", Box::new(row.primary_group));
        more("updated_at = ?::text", Box::new(now()));
        more("search_key = ?::text", Box::new(key));
        args.push(Box::new(user));
        let sql = format!("UPDATE users SET {} WHERE id = ${}", sets.join(", "), args.len());
        self.run(&sql, &arg_refs(&args)).context("updating the user")?;
        Ok(())
    }

    fn import_members(&mut self, p: &Permit, org: i64, rows: &[ImportRow], progress: &mut dyn FnMut(u64)) -> Result<Vec<i64>> {
        self.bulk_import(p, org, rows, progress)
    }
}

/// The plain attributes' columns of an edited user row and their values.
macro_rules! define_set_user {
    ([] $(($kind:ident, $name:ident, $($rest:tt)*),)*) => {
        const PLAIN_COLUMNS: &[&str] = &[$(stringify!($name)),*];

        fn plain_args(row: &UserRow) -> Vec<Arg> {
            vec![$(Box::new(row.$name.clone()) as Arg),*]
        }
    };
}
crate::attributes::plain_attributes! { define_set_user }
