//! The SQLite transaction: all of acct's SQL for reads and writes.

use super::now;
use crate::authz::{self, Op, OrgFacts, Perm, PermSet, Permit, Scope, Status, Subject};
use crate::error::{self, Result};
use crate::store::chain::ChainEntry;
use crate::store::model::*;
use crate::store::{Selector, Tx, UserSink};
use rusqlite::types::Value as Sql;
use rusqlite::{OptionalExtension, Row, Transaction, params, params_from_iter};
use serde_json::{Value, json};

pub struct SqliteTx<'c> {
    pub(super) tx: Transaction<'c>,
    /// The definitions of the indexes set aside by `suspend_indexes`.
    pub(super) suspended: Vec<String>,
    change_id: String,
    reverts: Option<i64>,
}

impl<'c> SqliteTx<'c> {
    #[cfg(test)]
    pub fn new(tx: Transaction<'c>) -> Self {
        Self::with_change(tx, &crate::store::chain::new_change_id())
    }

    /// A transaction whose audit entries belong to the change `change_id`.
    pub fn with_change(tx: Transaction<'c>, change_id: &str) -> Self {
        SqliteTx { tx, suspended: Vec::new(), change_id: change_id.to_string(), reverts: None }
    }

    fn audit(&self, p: &Permit, target_id: Option<i64>, target: Option<&str>, changes: Value) -> Result<()> {
        self.audit_in(p, p.org_slug(), target_id, target, changes)
    }

    /// The slugs of the further organizations that see entries written under `p`.
    pub(super) fn audience(&self, p: &Permit, org: Option<&str>) -> Result<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        let mut st = self.tx.prepare_cached("SELECT slug FROM orgs WHERE id = ?1")?;
        for o in p.audience() {
            if let Some(slug) = st.query_row([o], |r| r.get::<_, String>(0)).optional()?
                && Some(slug.as_str()) != org
                && !out.contains(&slug)
            {
                out.push(slug);
            }
        }
        out.sort();
        Ok(out)
    }

    /// The entry as it will be chained, without its id.
    pub(super) fn chain_entry(
        &self,
        p: &Permit,
        org: Option<&str>,
        target_id: Option<i64>,
        target: Option<&str>,
        changes: String,
    ) -> ChainEntry {
        ChainEntry {
            id: 0,
            at: now(),
            actor_id: p.actor_id(),
            actor: p.actor_label().to_string(),
            org: org.map(str::to_string),
            action: p.op().name().to_string(),
            target_id,
            target: target.map(str::to_string),
            changes,
            change_id: Some(self.change_id.clone()),
            reverts: self.reverts,
            audience: Vec::new(),
            hash: None,
        }
    }

    fn audit_in(
        &self,
        p: &Permit,
        org: Option<&str>,
        target_id: Option<i64>,
        target: Option<&str>,
        changes: Value,
    ) -> Result<()> {
        let mut e = self.chain_entry(p, org, target_id, target, changes.to_string());
        e.audience = self.audience(p, org)?;
        let (id, prev) = super::chain::tail(&self.tx)?;
        e.id = id;
        super::chain::insert(&self.tx, &e, &prev)?;
        Ok(())
    }

    /// The audit entry of a role given or taken; nothing when nothing changed.
    fn audit_role_change(&self, p: &Permit, user: i64, role: i64, field: &str, changed: bool, given: bool) -> Result<bool> {
        if changed {
            self.touch(user)?;
            let (email, name) = (self.email_of(user)?, self.role_name(role)?);
            let change = if given { json!({"old": null, "new": name}) } else { json!({"old": name, "new": null}) };
            self.audit(p, Some(user), Some(&email), json!({ field: change }))?;
        }
        Ok(changed)
    }

    /// Recompute the sort key of a member's roles (`memberships.role_key`).
    fn refresh_role_key(&self, org: i64, user: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE memberships SET role_key = coalesce((SELECT group_concat(name, ';') FROM (
                    SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                    WHERE ur.org_id = ?1 AND ur.user_id = ?2 ORDER BY r.name)), '')
                 WHERE org_id = ?1 AND user_id = ?2",
            )?
            .execute(params![org, user])?;
        Ok(())
    }

    /// A change of the user's roles or groups is a change of the user.
    fn touch(&self, user: i64) -> Result<()> {
        self.tx.prepare_cached("UPDATE users SET updated_at = ?1 WHERE id = ?2")?.execute(params![now(), user])?;
        Ok(())
    }

    fn email_of(&self, user: i64) -> Result<String> {
        Ok(self.tx.query_row("SELECT email FROM users WHERE id = ?1", [user], |r| r.get(0))?)
    }

    fn role_name(&self, role: i64) -> Result<String> {
        Ok(self.tx.query_row("SELECT name FROM roles WHERE id = ?1", [role], |r| r.get(0))?)
    }

    fn group_label(&self, group: i64) -> Result<String> {
        Ok(self.tx.query_row(
            "SELECT o.slug || '/' || g.slug FROM groups g JOIN orgs o ON o.id = g.org_id WHERE g.id = ?1",
            [group],
            |r| r.get(0),
        )?)
    }

    pub(super) fn everyone_group(&self, org: i64) -> Result<i64> {
        Ok(self.tx.query_row("SELECT id FROM groups WHERE org_id = ?1 AND slug = 'everyone'", [org], |r| r.get(0))?)
    }

    fn set_permissions(&self, role: i64, perms: PermSet) -> Result<()> {
        self.tx.execute("DELETE FROM role_permissions WHERE role_id = ?1", [role])?;
        let mut st = self.tx.prepare_cached("INSERT INTO role_permissions (role_id, permission) VALUES (?1, ?2)")?;
        for p in perms.iter() {
            st.execute(params![role, p.name()])?;
        }
        Ok(())
    }

    fn insert_role(
        &self,
        org: Option<i64>,
        name: &str,
        display: &str,
        scope: Scope,
        builtin: bool,
        perms: PermSet,
    ) -> Result<i64> {
        self.tx.execute(
            "INSERT INTO roles (org_id, name, display_name, scope, builtin, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![org, name, display, scope.name(), builtin, now()],
        )?;
        let id = self.tx.last_insert_rowid();
        self.set_permissions(id, perms)?;
        Ok(id)
    }

    fn insert_org(&self, org: &NewOrg) -> Result<i64> {
        if self.tx.query_row("SELECT 1 FROM orgs WHERE slug = ?1", [&org.slug], |_| Ok(())).optional()?.is_some() {
            return Err(error::conflict(format!("organization '{}' already exists", org.slug)).into());
        }
        let t = now();
        self.tx.execute(
            "INSERT INTO orgs (slug, display_name, created_at) VALUES (?1, ?2, ?3)",
            params![org.slug, org.display_name, t],
        )?;
        let id = self.tx.last_insert_rowid();
        self.tx.execute(
            "INSERT INTO groups (org_id, slug, display_name, created_at) VALUES (?1, 'everyone', 'Everyone', ?2)",
            params![id, t],
        )?;
        Ok(id)
    }

    fn insert_user(&self, u: &NewUser) -> Result<i64> {
        if self.tx.query_row("SELECT 1 FROM users WHERE email_key = ?1", [&u.email_key], |_| Ok(())).optional()?.is_some() {
            return Err(error::conflict(format!("a user with the e-mail {} already exists", u.email)).into());
        }
        if self.username_taken(&u.username)? {
            return Err(error::conflict(format!("the username '{}' is taken", u.username)).into());
        }
        let t = now();
        let status = u.status.unwrap_or(Status::Invited);
        self.tx
            .prepare_cached(
                "INSERT INTO users (username, email, email_key, first_name, last_name, full_name, initials,
                                    status, accepted, created_at, updated_at, search_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11)",
            )?
            .execute(params![
                u.username,
                u.email,
                u.email_key,
                u.first_name,
                u.last_name,
                u.full_name,
                u.initials,
                status.name(),
                status == Status::Active,
                t,
                search_key(&u.email, &u.username, [u.first_name.as_deref(), u.last_name.as_deref(), u.full_name.as_deref()])
            ])?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Membership, roles, and the primary group when the user has none.
    fn join_org(&self, org: i64, user: i64, roles: &[i64], group: Option<i64>) -> Result<()> {
        self.tx.prepare_cached("INSERT INTO memberships (org_id, user_id, created_at) VALUES (?1, ?2, ?3)")?.execute(params![
            org,
            user,
            now()
        ])?;
        let mut st = self.tx.prepare_cached("INSERT OR IGNORE INTO user_roles (org_id, user_id, role_id) VALUES (?1, ?2, ?3)")?;
        for r in roles {
            st.execute(params![org, user, r])?;
        }
        self.refresh_role_key(org, user)?;
        let primary: Option<i64> = self.tx.query_row("SELECT primary_group_id FROM users WHERE id = ?1", [user], |r| r.get(0))?;
        match (primary, group) {
            (None, g) => {
                let g = match g {
                    Some(g) => g,
                    None => self.everyone_group(org)?,
                };
                self.tx.execute("UPDATE users SET primary_group_id = ?1 WHERE id = ?2", params![g, user])?;
            }
            (Some(p), Some(g)) if p != g => {
                self.tx.execute("INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?1, ?2)", params![g, user])?;
            }
            _ => {}
        }
        Ok(())
    }

    fn user_query_sql(&self, q: &UserQuery, count: bool) -> (String, Vec<Sql>) {
        let mut args: Vec<Sql> = vec![Sql::Integer(q.org)];
        let filtered = q.ids.is_some()
            || q.status.is_some()
            || q.two_factor.is_some()
            || q.sms_auto_send.is_some()
            || q.role.is_some()
            || q.group.is_some()
            || q.search.is_some();
        if count && !filtered {
            return ("SELECT members FROM orgs WHERE id = ?1".to_string(), args);
        }
        // The loop order. A search drives from its matches (read from the
        // search index); a sort on an indexed column walks that index and
        // stops after a page; anything else runs through the organization's
        // memberships, in user id order. CROSS JOIN fixes the order.
        let from_users = q.search.is_some() || q.sort.first().is_some_and(|(c, _)| indexed(*c));
        let from = if from_users {
            "FROM users u CROSS JOIN memberships m ON m.org_id = ?1 AND m.user_id = u.id"
        } else {
            "FROM memberships m JOIN users u ON u.id = m.user_id"
        };
        let mut sql = if count {
            format!("SELECT count(*) {from} WHERE m.org_id = ?1")
        } else {
            let roles = if q.without_roles { "NULL" } else { ROLES_OF };
            let groups = if q.without_groups { "NULL" } else { GROUPS_OF };
            let wants = |c: Column| q.columns.as_ref().is_none_or(|cs| cs.contains(&c)) || q.sort.iter().any(|(s, _)| *s == c);
            let joins = if wants(Column::PrimaryGroup) || wants(Column::Organization) { USER_JOINS } else { "" };
            let columns = select_list(q.columns.as_deref());
            format!("SELECT {columns}, {roles} AS roles, {groups} AS groups {from} {joins} WHERE m.org_id = ?1")
        };
        let arg = |v: Sql, args: &mut Vec<Sql>| {
            args.push(v);
            format!("?{}", args.len())
        };
        if let Some(ids) = &q.ids {
            let a = arg(Sql::Text(json!(ids).to_string()), &mut args);
            sql.push_str(&format!(" AND u.id IN (SELECT value FROM json_each({a}))"));
        }
        if let Some(s) = q.status {
            let a = arg(Sql::Text(s.name().into()), &mut args);
            sql.push_str(&format!(" AND u.status = {a}"));
        }
        if let Some(tf) = &q.two_factor {
            let a = arg(Sql::Text(tf.clone()), &mut args);
            sql.push_str(&format!(" AND u.two_factor = {a}"));
        }
        if let Some(on) = q.sms_auto_send {
            let a = arg(Sql::Integer(on.into()), &mut args);
            sql.push_str(&format!(" AND u.sms_auto_send = {a}"));
        }
        if let Some(r) = q.role {
            let a = arg(Sql::Integer(r), &mut args);
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM user_roles ur WHERE ur.org_id = m.org_id AND ur.user_id = u.id AND ur.role_id = {a})"
            ));
        }
        if let Some(g) = q.group {
            let a = arg(Sql::Integer(g), &mut args);
            sql.push_str(&format!(
                " AND (u.primary_group_id = {a} OR EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = {a} AND gm.user_id = u.id))"
            ));
        }
        if let Some(s) = &q.search {
            let a = arg(Sql::Text(search_needle(s)), &mut args);
            sql.push_str(&format!(" AND u.id IN (SELECT id FROM users WHERE instr(search_key, {a}) > 0)"));
        }
        if count {
            return (sql, args);
        }
        sql.push_str(" ORDER BY ");
        for (c, desc) in &q.sort {
            sql.push_str(sort_expr(*c));
            sql.push_str(if *desc { " DESC, " } else { " ASC, " });
        }
        // Ties are broken by id in the direction of the last key, so that an
        // index on (column, id) can be walked either way.
        let id = if from_users { "u.id" } else { "m.user_id" };
        sql.push_str(id);
        if q.sort.last().is_some_and(|(_, desc)| *desc) {
            sql.push_str(" DESC");
        }
        if q.limit.is_some() || q.offset > 0 {
            let l = arg(Sql::Integer(q.limit.map_or(-1, |l| l.min(i64::MAX as u64) as i64)), &mut args);
            let o = arg(Sql::Integer(q.offset.min(i64::MAX as u64) as i64), &mut args);
            sql.push_str(&format!(" LIMIT {l} OFFSET {o}"));
        }
        (sql, args)
    }
}

/// The columns of a user row; `?1` is the organization roles are shown for.
/// The roles of a user in the organization `?1`, sorted, joined with `;`.
const ROLES_OF: &str = "(SELECT group_concat(name, ';') FROM (SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id
        WHERE ur.org_id = ?1 AND ur.user_id = u.id ORDER BY r.name))";
/// Additional groups: slugs in the organization `?1`, `org/slug` elsewhere.
const GROUPS_OF: &str =
    "(SELECT group_concat(label, ';') FROM (SELECT CASE WHEN g.org_id = ?1 THEN g.slug ELSE o.slug || '/' || g.slug END AS label
        FROM group_members gm JOIN groups g ON g.id = gm.group_id JOIN orgs o ON o.id = g.org_id
        WHERE gm.user_id = u.id ORDER BY label))";
const USER_JOINS: &str = "LEFT JOIN groups pg ON pg.id = u.primary_group_id LEFT JOIN orgs po ON po.id = pg.org_id";

/// Columns with an index whose order is the sort order.
fn indexed(c: Column) -> bool {
    matches!(
        c,
        Column::Id | Column::Username | Column::Email | Column::FirstName | Column::LastName | Column::Status | Column::TwoFactor
    )
}

fn sort_expr(c: Column) -> &'static str {
    use Column::*;
    match c {
        Id => "u.id",
        Username => "u.username",
        Email => "u.email COLLATE NOCASE",
        FirstName => "u.first_name COLLATE NOCASE",
        LastName => "u.last_name COLLATE NOCASE",
        FullName => "u.full_name COLLATE NOCASE",
        Initials => "u.initials COLLATE NOCASE",
        Phone => "u.phone",
        Timezone => "u.timezone",
        Notify => "u.notify",
        Robot => "u.robot",
        Active => "(u.status <> 'inactive')",
        SsoDisabled => "u.sso_disabled",
        SmsAutoSend => "u.sms_auto_send",
        Require2fa => "u.require_2fa",
        Status => "u.status",
        TwoFactor => "u.two_factor",
        Role => "m.role_key",
        PrimaryGroup => "pg.slug",
        Organization => "po.slug",
        Groups => "groups",
        CreatedAt => "u.created_at",
        UpdatedAt => "u.updated_at",
    }
}

/// What `--search` looks in: e-mail, username and names, lower-cased
/// (Unicode-aware, unlike SQLite's LIKE), one per line.
pub(super) fn search_key(email: &str, username: &str, names: [Option<&str>; 3]) -> String {
    let mut s = format!("{email}\n{username}");
    for n in names.into_iter().flatten() {
        s.push('\n');
        s.push_str(n);
    }
    crate::validate::nfc(&s).to_lowercase()
}

/// The needle for a search key.
pub fn search_needle(text: &str) -> String {
    crate::validate::nfc(text).to_lowercase()
}

fn split(s: Option<String>) -> Vec<String> {
    s.map(|s| s.split(';').filter(|x| !x.is_empty()).map(str::to_string).collect()).unwrap_or_default()
}

/// The user columns in `row_to_user`'s order, and the fields that need each.
const USER_FIELDS: [(&str, &[Column]); 21] = [
    ("u.id", &[]),
    ("u.username", &[Column::Username]),
    ("u.email", &[Column::Email]),
    ("u.first_name", &[Column::FirstName]),
    ("u.last_name", &[Column::LastName]),
    ("u.full_name", &[Column::FullName]),
    ("u.initials", &[Column::Initials]),
    ("u.phone", &[Column::Phone]),
    ("u.timezone", &[Column::Timezone]),
    ("u.notify", &[Column::Notify]),
    ("u.robot", &[Column::Robot]),
    ("u.sso_disabled", &[Column::SsoDisabled]),
    ("u.sms_auto_send", &[Column::SmsAutoSend]),
    ("u.require_2fa", &[Column::Require2fa]),
    ("u.status", &[Column::Status, Column::Active]),
    ("u.two_factor", &[Column::TwoFactor]),
    ("pg.slug", &[Column::PrimaryGroup]),
    ("po.slug", &[Column::Organization]),
    ("u.created_at", &[Column::CreatedAt]),
    ("u.updated_at", &[Column::UpdatedAt]),
    ("u.trashed_at", &[]),
];

/// The select list for the wanted fields; the others are NULL (no copy of
/// values nobody reads). The id is always read.
fn select_list(wanted: Option<&[Column]>) -> String {
    USER_FIELDS
        .iter()
        .enumerate()
        .map(|(i, (expr, needed_by))| match wanted {
            Some(w) if i > 0 && !needed_by.iter().any(|c| w.contains(c)) => "NULL",
            _ => expr,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn row_to_user(r: &Row<'_>) -> rusqlite::Result<User> {
    let text = |i: usize| -> rusqlite::Result<String> { Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default()) };
    let flag = |i: usize| -> rusqlite::Result<bool> { Ok(r.get::<_, Option<bool>>(i)?.unwrap_or(false)) };
    let status = text(14)?;
    Ok(User {
        id: r.get(0)?,
        username: text(1)?,
        email: text(2)?,
        first_name: r.get(3)?,
        last_name: r.get(4)?,
        full_name: r.get(5)?,
        initials: r.get(6)?,
        phone: r.get(7)?,
        timezone: r.get(8)?,
        notify: flag(9)?,
        robot: flag(10)?,
        active: status != "inactive",
        sso_disabled: flag(11)?,
        sms_auto_send: flag(12)?,
        require_2fa: flag(13)?,
        status,
        two_factor: text(15)?,
        primary_group: r.get(16)?,
        organization: r.get(17)?,
        created_at: text(18)?,
        updated_at: text(19)?,
        trashed_at: r.get(20)?,
        roles: split(r.get(21)?),
        groups: split(r.get(22)?),
    })
}

/// The delivery state: `sending` is an attempt put on record (and committed)
/// before the message was handed over, whose outcome is not recorded yet.
macro_rules! delivery {
    () => {
        "CASE WHEN i.delivery = 'pending' AND i.attempted_at IS NOT NULL THEN 'sending' ELSE i.delivery END"
    };
}

const INVITATION_SELECT: &str = concat!(
    "SELECT i.user_id, u.email, i.id, o.slug, i.created_at, i.sent_at, i.expires_at, ",
    delivery!(),
    ", i.delivery_error, i.state, u.status FROM invitations i JOIN users u ON u.id = i.user_id JOIN orgs o ON o.id = i.org_id"
);

fn row_to_invitation(r: &Row<'_>) -> rusqlite::Result<InvitationRow> {
    Ok(InvitationRow {
        user_id: r.get(0)?,
        email: r.get(1)?,
        user_status: r.get(10)?,
        invitation: Invitation {
            id: r.get(2)?,
            org: r.get(3)?,
            created_at: r.get(4)?,
            sent_at: r.get(5)?,
            expires_at: r.get(6)?,
            delivery: r.get(7)?,
            delivery_error: r.get(8)?,
            state: r.get(9)?,
        },
    })
}

fn row_to_org(r: &Row<'_>) -> rusqlite::Result<Org> {
    Ok(Org { id: r.get(0)?, slug: r.get(1)?, display_name: r.get(2)?, sso: r.get(3)?, sms_2fa: r.get(4)?, created_at: r.get(5)? })
}

fn perms_from(names: Option<String>) -> PermSet {
    let v: Vec<Perm> = split(names.map(|s| s.replace(',', ";"))).iter().filter_map(|n| Perm::parse(n)).collect();
    PermSet::of(&v)
}

fn row_to_role(r: &Row<'_>) -> rusqlite::Result<Role> {
    let scope: String = r.get(4)?;
    Ok(Role {
        id: r.get(0)?,
        org_id: r.get(1)?,
        name: r.get(2)?,
        display_name: r.get(3)?,
        scope: if scope == "global" { Scope::Global } else { Scope::Org },
        builtin: r.get(5)?,
        perms: perms_from(r.get(6)?),
    })
}

const ROLE_SELECT: &str = "SELECT r.id, r.org_id, r.name, r.display_name, r.scope, r.builtin,
    (SELECT group_concat(permission, ';') FROM role_permissions WHERE role_id = r.id) FROM roles r";

const GROUP_SELECT: &str = "SELECT g.id, g.org_id, g.slug, g.display_name, g.created_at,
    (SELECT count(*) FROM users u WHERE u.primary_group_id = g.id AND u.trashed_at IS NULL),
    (SELECT count(*) FROM group_members WHERE group_id = g.id),
    (SELECT count(*) FROM group_managers WHERE group_id = g.id) FROM groups g";

fn row_to_group(r: &Row<'_>) -> rusqlite::Result<Group> {
    Ok(Group {
        id: r.get(0)?,
        org_id: r.get(1)?,
        slug: r.get(2)?,
        display_name: r.get(3)?,
        created_at: r.get(4)?,
        primary_members: r.get::<_, i64>(5)? as u64,
        members: r.get::<_, i64>(6)? as u64,
        managers: r.get::<_, i64>(7)? as u64,
    })
}

fn opt_json(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Null, |s| Value::from(s.as_str()))
}

/// Which fields of a change the permit must cover.
fn change_fields(c: &UserChange) -> Vec<authz::Field> {
    use authz::Field as F;
    let mut v = Vec::new();
    let mut add = |set: bool, f: F| {
        if set {
            v.push(f)
        }
    };
    add(c.full_name.is_some(), F::FullName);
    add(c.first_name.is_some(), F::FirstName);
    add(c.last_name.is_some(), F::LastName);
    add(c.initials.is_some(), F::Initials);
    add(c.email.is_some(), F::Email);
    add(c.phone.is_some(), F::Phone);
    add(c.timezone.is_some(), F::Timezone);
    add(c.notify.is_some(), F::Notify);
    add(c.robot.is_some(), F::Robot);
    add(c.active.is_some(), F::Active);
    add(c.sso_disabled.is_some(), F::SsoDisabled);
    add(c.sms_auto_send.is_some(), F::SmsAutoSend);
    add(c.require_2fa.is_some(), F::Require2fa);
    add(c.primary_group.is_some(), F::PrimaryGroup);
    add(!c.add_groups.is_empty() || !c.remove_groups.is_empty(), F::Groups);
    v
}

impl Tx for SqliteTx<'_> {
    fn commit(mut self: Box<Self>) -> Result<()> {
        self.resume_indexes()?;
        self.tx.commit()?;
        Ok(())
    }

    fn suspend_indexes(&mut self) -> Result<()> {
        self.suspend_secondary()
    }

    fn resume_indexes(&mut self) -> Result<()> {
        self.resume_secondary()
    }

    fn step_begin(&mut self) -> Result<()> {
        self.tx.execute_batch("SAVEPOINT step")?;
        Ok(())
    }

    fn step_end(&mut self, keep: bool) -> Result<()> {
        if keep {
            self.tx.execute_batch("RELEASE step")?;
        } else {
            self.tx.execute_batch("ROLLBACK TO step; RELEASE step")?;
        }
        Ok(())
    }

    fn is_initialized(&self) -> Result<bool> {
        Ok(self.tx.query_row("SELECT EXISTS (SELECT 1 FROM orgs)", [], |r| r.get(0))?)
    }

    fn subject(&self, user: i64) -> Result<Option<Subject>> {
        let base = self
            .tx
            .prepare_cached(
                "SELECT u.email, u.status, u.trashed_at IS NOT NULL, u.primary_group_id, o.id, o.slug, o.sso, o.sms_2fa,
                        u.sso_disabled, u.phone IS NOT NULL
                 FROM users u LEFT JOIN groups g ON g.id = u.primary_group_id LEFT JOIN orgs o ON o.id = g.org_id
                 WHERE u.id = ?1",
            )?
            .query_row([user], |r| {
                let org = match r.get::<_, Option<i64>>(4)? {
                    Some(id) => Some(OrgFacts { id, slug: r.get(5)?, sso: r.get(6)?, sms_2fa: r.get(7)? }),
                    None => None,
                };
                let status: String = r.get(1)?;
                Ok(Subject {
                    id: user,
                    label: r.get(0)?,
                    status: Status::parse(&status).unwrap_or(Status::Inactive),
                    trashed: r.get(2)?,
                    org,
                    primary_group: r.get(3)?,
                    global: PermSet::EMPTY,
                    memberships: vec![],
                    managed_groups: vec![],
                    sso_disabled: r.get(8)?,
                    has_phone: r.get(9)?,
                    last_admin_of: vec![],
                    org_slugs: vec![],
                })
            })
            .optional()?;
        let Some(mut s) = base else { return Ok(None) };
        let mut st = self.tx.prepare_cached(
            "SELECT group_concat(rp.permission, ';') FROM global_roles gr
             JOIN role_permissions rp ON rp.role_id = gr.role_id WHERE gr.user_id = ?1",
        )?;
        s.global = perms_from(st.query_row([user], |r| r.get(0))?);
        let mut st = self.tx.prepare_cached(
            "SELECT m.org_id, (SELECT group_concat(rp.permission, ';') FROM user_roles ur
                 JOIN role_permissions rp ON rp.role_id = ur.role_id WHERE ur.org_id = m.org_id AND ur.user_id = m.user_id)
             FROM memberships m WHERE m.user_id = ?1 ORDER BY m.org_id",
        )?;
        s.memberships = st.query_map([user], |r| Ok((r.get(0)?, perms_from(r.get(1)?))))?.collect::<rusqlite::Result<_>>()?;
        let mut st = self.tx.prepare_cached(
            "SELECT m.org_id, o.slug FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE m.user_id = ?1 ORDER BY m.org_id",
        )?;
        s.org_slugs = st.query_map([user], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        let mut st = self.tx.prepare_cached("SELECT group_id FROM group_managers WHERE user_id = ?1 ORDER BY group_id")?;
        s.managed_groups = st.query_map([user], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        let mut st = self.tx.prepare_cached(
            "SELECT ur.org_id FROM user_roles ur JOIN roles r ON r.id = ur.role_id
             WHERE ur.user_id = ?1 AND r.builtin = 1 AND r.name = 'full-admin'
               AND (SELECT status FROM users WHERE id = ?1) = 'active'
               AND (SELECT count(*) FROM user_roles ur2 JOIN users u2 ON u2.id = ur2.user_id
                    WHERE ur2.org_id = ur.org_id AND ur2.role_id = ur.role_id
                      AND u2.status = 'active' AND u2.trashed_at IS NULL) = 1",
        )?;
        s.last_admin_of = st.query_map([user], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(Some(s))
    }

    fn find_user(&self, sel: &Selector) -> Result<Option<i64>> {
        let r = match sel {
            Selector::Id(id) => self.tx.prepare_cached("SELECT id FROM users WHERE id = ?1")?.query_row([id], |r| r.get(0)),
            Selector::EmailKey(k) => {
                self.tx.prepare_cached("SELECT id FROM users WHERE email_key = ?1")?.query_row([k], |r| r.get(0))
            }
            Selector::Username(u) => {
                self.tx.prepare_cached("SELECT id FROM users WHERE username = ?1")?.query_row([u], |r| r.get(0))
            }
        };
        Ok(r.optional()?)
    }

    fn user(&self, id: i64, org: Option<i64>) -> Result<Option<User>> {
        let sql = format!("SELECT {}, {ROLES_OF}, {GROUPS_OF} FROM users u {USER_JOINS} WHERE u.id = ?2", select_list(None));
        Ok(self.tx.prepare_cached(&sql)?.query_row(params![org.unwrap_or(0), id], row_to_user).optional()?)
    }

    fn users(&self, q: &UserQuery, sink: &mut UserSink<'_>) -> Result<u64> {
        let (sql, args) = self.user_query_sql(q, false);
        let mut st = self.tx.prepare_cached(&sql)?;
        let mut rows = st.query(params_from_iter(args))?;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            sink(&row_to_user(r)?)?;
            n += 1;
        }
        Ok(n)
    }

    fn count_users(&self, q: &UserQuery) -> Result<u64> {
        let (sql, args) = self.user_query_sql(q, true);
        Ok(self.tx.prepare_cached(&sql)?.query_row(params_from_iter(args), |r| r.get::<_, i64>(0))? as u64)
    }

    fn username_taken(&self, username: &str) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1)")?
            .query_row([username], |r| r.get(0))?)
    }

    fn global_roles_of(&self, user: i64) -> Result<Vec<String>> {
        let mut st = self.tx.prepare_cached(
            "SELECT r.name FROM global_roles gr JOIN roles r ON r.id = gr.role_id WHERE gr.user_id = ?1 ORDER BY r.name",
        )?;
        Ok(st.query_map([user], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
    }

    fn memberships_of(&self, user: i64) -> Result<Vec<String>> {
        let mut st = self.tx.prepare_cached(
            "SELECT o.slug FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE m.user_id = ?1 ORDER BY o.slug",
        )?;
        Ok(st.query_map([user], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
    }

    fn invitations(&self, org: i64) -> Result<Vec<InvitationRow>> {
        let mut st = self.tx.prepare_cached(&format!(
            "{INVITATION_SELECT} WHERE i.org_id = ?1 AND i.state = 'open' AND u.trashed_at IS NULL ORDER BY i.id"
        ))?;
        Ok(st.query_map([org], row_to_invitation)?.collect::<rusqlite::Result<_>>()?)
    }

    fn invitation_by_token(&self, token_hash: &[u8]) -> Result<Option<InvitationRow>> {
        Ok(self
            .tx
            .prepare_cached(&format!("{INVITATION_SELECT} WHERE i.token_hash = ?1"))?
            .query_row([token_hash], row_to_invitation)
            .optional()?)
    }

    fn totp_state(&self, user: i64) -> Result<TotpState> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT two_factor, totp_secret, totp_last_step, totp_enrolled_at, twofa_failures, twofa_locked_until,
                    (SELECT count(*) FROM recovery_codes WHERE user_id = ?1 AND used_at IS NULL)
             FROM users WHERE id = ?1",
            )?
            .query_row([user], |r| {
                Ok(TotpState {
                    method: r.get(0)?,
                    secret: r.get(1)?,
                    last_step: r.get(2)?,
                    enrolled_at: r.get(3)?,
                    failures: r.get(4)?,
                    locked_until: r.get(5)?,
                    recovery_left: r.get(6)?,
                })
            })?)
    }

    fn recovery_code_unused(&self, user: i64, hash: &str) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM recovery_codes WHERE user_id = ?1 AND code_hash = ?2 AND used_at IS NULL)",
            )?
            .query_row(params![user, hash], |r| r.get(0))?)
    }

    fn invitation_of(&self, user: i64) -> Result<Option<Invitation>> {
        Ok(self
            .tx
            .prepare_cached(concat!(
                "SELECT i.id, o.slug, i.created_at, i.sent_at, i.expires_at, ",
                delivery!(),
                ", i.delivery_error, i.state
                 FROM invitations i JOIN orgs o ON o.id = i.org_id WHERE i.user_id = ?1 ORDER BY i.id DESC LIMIT 1"
            ))?
            .query_row([user], |r| {
                Ok(Invitation {
                    id: r.get(0)?,
                    org: r.get(1)?,
                    created_at: r.get(2)?,
                    sent_at: r.get(3)?,
                    expires_at: r.get(4)?,
                    delivery: r.get(5)?,
                    delivery_error: r.get(6)?,
                    state: r.get(7)?,
                })
            })
            .optional()?)
    }

    fn completions(&self, kind: Completion, org: Option<i64>, prefix: &str, limit: u64) -> Result<Vec<String>> {
        let pattern = format!("{}%", prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let sql = match kind {
            Completion::Users => {
                "SELECT email FROM (SELECT u.email AS email FROM memberships m JOIN users u ON u.id = m.user_id
                     WHERE m.org_id = ?1 AND u.email LIKE ?2 ESCAPE '\\'
                   UNION SELECT u.username FROM memberships m JOIN users u ON u.id = m.user_id
                     WHERE m.org_id = ?1 AND u.username LIKE ?2 ESCAPE '\\') ORDER BY 1 LIMIT ?3"
            }
            Completion::Roles => {
                "SELECT name FROM roles WHERE scope = 'org' AND (org_id IS NULL OR org_id = ?1) AND name LIKE ?2 ESCAPE '\\'
                 ORDER BY 1 LIMIT ?3"
            }
            Completion::Groups => "SELECT slug FROM groups WHERE org_id = ?1 AND slug LIKE ?2 ESCAPE '\\' ORDER BY 1 LIMIT ?3",
            Completion::Orgs => "SELECT slug FROM orgs WHERE ?1 = ?1 AND slug LIKE ?2 ESCAPE '\\' ORDER BY 1 LIMIT ?3",
        };
        let mut st = self.tx.prepare_cached(sql)?;
        let rows = st.query_map(params![org.unwrap_or(0), pattern, limit.min(i64::MAX as u64) as i64], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn trash_info(&self, user: i64) -> Result<Option<TrashInfo>> {
        let row: Option<(String, Option<i64>, Option<String>)> = self
            .tx
            .prepare_cached("SELECT trashed_at, trash_org_id, trash_roles FROM users WHERE id = ?1 AND trashed_at IS NOT NULL")?
            .query_row([user], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        Ok(row.and_then(|(trashed_at, org, roles)| {
            Some(TrashInfo {
                trashed_at,
                org_id: org?,
                roles: roles.and_then(|r| serde_json::from_str(&r).ok()).unwrap_or_default(),
            })
        }))
    }

    fn trashed_before(&self, cutoff: &str) -> Result<Vec<i64>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT id FROM users WHERE trashed_at IS NOT NULL AND trashed_at < ?1 ORDER BY trashed_at, id")?;
        let ids = st.query_map([cutoff], |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(ids)
    }

    fn trashed_from(&self, org: i64) -> Result<Vec<i64>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT id FROM users WHERE trashed_at IS NOT NULL AND trash_org_id = ?1 ORDER BY trashed_at, id")?;
        let ids = st.query_map([org], |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(ids)
    }

    fn name_overrides(&self, user: i64) -> Result<(bool, bool)> {
        let r = self
            .tx
            .prepare_cached("SELECT full_name_set, initials_set FROM users WHERE id = ?1")?
            .query_row([user], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(r.unwrap_or((false, false)))
    }

    fn orgs(&self) -> Result<Vec<Org>> {
        let mut st = self.tx.prepare_cached("SELECT id, slug, display_name, sso, sms_2fa, created_at FROM orgs ORDER BY slug")?;
        Ok(st.query_map([], row_to_org)?.collect::<rusqlite::Result<_>>()?)
    }

    fn org(&self, slug: &str) -> Result<Option<Org>> {
        Ok(self
            .tx
            .prepare_cached("SELECT id, slug, display_name, sso, sms_2fa, created_at FROM orgs WHERE slug = ?1")?
            .query_row([slug], row_to_org)
            .optional()?)
    }

    fn org_by_id(&self, id: i64) -> Result<Option<Org>> {
        Ok(self
            .tx
            .prepare_cached("SELECT id, slug, display_name, sso, sms_2fa, created_at FROM orgs WHERE id = ?1")?
            .query_row([id], row_to_org)
            .optional()?)
    }

    fn org_member_count(&self, org: i64) -> Result<u64> {
        Ok(self.tx.prepare_cached("SELECT members FROM orgs WHERE id = ?1")?.query_row([org], |r| r.get::<_, i64>(0))? as u64)
    }

    fn roles(&self, org: Option<i64>) -> Result<Vec<Role>> {
        let (sql, arg) = match org {
            Some(o) => (
                format!(
                    "{ROLE_SELECT} WHERE r.scope = 'org' AND (r.org_id IS NULL OR r.org_id = ?1) ORDER BY r.builtin DESC, r.name"
                ),
                o,
            ),
            None => (format!("{ROLE_SELECT} WHERE r.scope = 'global' AND ?1 = 0 ORDER BY r.name"), 0),
        };
        let mut st = self.tx.prepare_cached(&sql)?;
        Ok(st.query_map([arg], row_to_role)?.collect::<rusqlite::Result<_>>()?)
    }

    fn role(&self, org: Option<i64>, name: &str) -> Result<Option<Role>> {
        let sql = format!(
            "{ROLE_SELECT} WHERE r.name = ?2 AND (r.org_id IS NULL OR r.org_id = ?1) ORDER BY r.org_id IS NULL DESC LIMIT 1"
        );
        Ok(self.tx.prepare_cached(&sql)?.query_row(params![org.unwrap_or(0), name], row_to_role).optional()?)
    }

    fn role_holders(&self, role: i64) -> Result<u64> {
        let n: i64 = self.tx.query_row(
            "SELECT (SELECT count(*) FROM user_roles WHERE role_id = ?1) + (SELECT count(*) FROM global_roles WHERE role_id = ?1)",
            [role],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    fn user_roles(&self, org: i64, user: i64) -> Result<Vec<String>> {
        let mut st = self.tx.prepare_cached(
            "SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.org_id = ?1 AND ur.user_id = ?2 ORDER BY r.name",
        )?;
        Ok(st.query_map([org, user], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
    }

    fn access_list(&self) -> Result<Vec<AccessRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT u.id, u.email, r.name FROM global_roles gr JOIN users u ON u.id = gr.user_id JOIN roles r ON r.id = gr.role_id
             ORDER BY r.name, u.email COLLATE NOCASE",
        )?;
        Ok(st
            .query_map([], |r| Ok(AccessRow { user_id: r.get(0)?, email: r.get(1)?, role: r.get(2)? }))?
            .collect::<rusqlite::Result<_>>()?)
    }

    fn active_global_admins(&self) -> Result<u64> {
        let n: i64 = self.tx.query_row(
            "SELECT count(*) FROM global_roles gr JOIN roles r ON r.id = gr.role_id JOIN users u ON u.id = gr.user_id
             WHERE r.name = 'global-admin' AND r.builtin = 1 AND u.status = 'active' AND u.trashed_at IS NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    fn groups(&self, org: i64) -> Result<Vec<Group>> {
        let mut st = self.tx.prepare_cached(&format!("{GROUP_SELECT} WHERE g.org_id = ?1 ORDER BY g.slug"))?;
        Ok(st.query_map([org], row_to_group)?.collect::<rusqlite::Result<_>>()?)
    }

    fn group(&self, org: i64, slug: &str) -> Result<Option<Group>> {
        Ok(self
            .tx
            .prepare_cached(&format!("{GROUP_SELECT} WHERE g.org_id = ?1 AND g.slug = ?2"))?
            .query_row(params![org, slug], row_to_group)
            .optional()?)
    }

    fn group_by_id(&self, id: i64) -> Result<Option<Group>> {
        Ok(self.tx.prepare_cached(&format!("{GROUP_SELECT} WHERE g.id = ?1"))?.query_row([id], row_to_group).optional()?)
    }

    fn group_people(&self, group: i64) -> Result<GroupPeople> {
        let list = |sql: &str| -> Result<Vec<String>> {
            let mut st = self.tx.prepare_cached(sql)?;
            Ok(st.query_map([group], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
        };
        Ok(GroupPeople {
            managers: list(
                "SELECT u.email FROM group_managers x JOIN users u ON u.id = x.user_id WHERE x.group_id = ?1 ORDER BY u.email COLLATE NOCASE",
            )?,
            primary: list(
                "SELECT u.email FROM users u WHERE u.primary_group_id = ?1 AND u.trashed_at IS NULL ORDER BY u.email COLLATE NOCASE",
            )?,
            members: list(
                "SELECT u.email FROM group_members x JOIN users u ON u.id = x.user_id WHERE x.group_id = ?1 ORDER BY u.email COLLATE NOCASE",
            )?,
        })
    }

    fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let mut sql = String::from(
            "SELECT id, at, actor, org, action, target_id, target, changes, change_id, reverts FROM audit WHERE 1 = 1",
        );
        let mut args: Vec<Sql> = Vec::new();
        let cond = |sql: &mut String, args: &mut Vec<Sql>, clause: &str, v: Sql| {
            args.push(v);
            sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
        };
        if let Some(a) = q.actor {
            cond(&mut sql, &mut args, " AND actor_id = ?", Sql::Integer(a));
        }
        if let Some(t) = q.target {
            cond(&mut sql, &mut args, " AND target_id = ?", Sql::Integer(t));
        }
        if let Some(a) = &q.action {
            // `user.edit` is exact; `user` also matches the family `user.*`.
            let exact = a.trim_end_matches('.').to_string();
            args.push(Sql::Text(exact.clone()));
            let n = args.len();
            args.push(Sql::Text(format!("{}.%", exact.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))));
            sql.push_str(&format!(" AND (action = ?{n} OR action LIKE ?{} ESCAPE '\\')", n + 1));
        }
        if let Some(o) = &q.org {
            // Entries of the organization, and changes to identities that
            // belong to it too (recorded in audit_orgs).
            let also = " OR id IN (SELECT audit_id FROM audit_orgs WHERE org = ?)";
            args.push(Sql::Text(o.clone()));
            let n = args.len();
            let also = also.replace('?', &format!("?{n}"));
            if q.include_global {
                sql.push_str(&format!(" AND (org = ?{n} OR org IS NULL{also})"));
            } else {
                sql.push_str(&format!(" AND (org = ?{n}{also})"));
            }
        }
        if let Some(c) = &q.change {
            cond(&mut sql, &mut args, " AND change_id = ?", Sql::Text(c.clone()));
        }
        if let Some(i) = q.id {
            cond(&mut sql, &mut args, " AND id = ?", Sql::Integer(i));
        }
        // Times compare as numbers (`at_unix`), never as text (migration 7).
        let bound = |t: &str| super::chain::unix_seconds(t).ok_or_else(|| anyhow::anyhow!("not an RFC 3339 time: {t}"));
        if let Some(s) = &q.since {
            cond(&mut sql, &mut args, " AND at_unix >= ?", Sql::Integer(bound(s)?));
        }
        if let Some(u) = &q.until {
            cond(&mut sql, &mut args, " AND at_unix < ?", Sql::Integer(bound(u)?));
        }
        sql.push_str(" ORDER BY id DESC");
        if let Some(l) = q.limit {
            cond(&mut sql, &mut args, " LIMIT ?", Sql::Integer(l.min(i64::MAX as u64) as i64));
        }
        let mut st = self.tx.prepare(&sql)?;
        let rows = st.query_map(params_from_iter(args), |r| {
            let changes: String = r.get(7)?;
            Ok(AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                org: r.get(3)?,
                action: r.get(4)?,
                target_id: r.get(5)?,
                target: r.get(6)?,
                changes: serde_json::from_str(&changes).unwrap_or(Value::String(changes)),
                change: r.get(8)?,
                reverts: r.get(9)?,
            })
        })?;
        let mut v: Vec<AuditEntry> = rows.collect::<rusqlite::Result<_>>()?;
        v.reverse();
        Ok(v)
    }

    fn audit_chain(&self, sink: &mut dyn FnMut(ChainEntry) -> Result<()>) -> Result<()> {
        super::chain::each(&self.tx, sink)
    }

    fn audit_head(&self) -> Result<Option<(i64, Option<String>)>> {
        Ok(self
            .tx
            .query_row("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn audit_last_assigned(&self) -> Result<i64> {
        super::chain::last_assigned(&self.tx)
    }

    fn set_reverts(&mut self, entry: Option<i64>) {
        self.reverts = entry;
    }

    // ---------------------------------------------------------------- writes

    fn init(&mut self, p: &Permit, org: &NewOrg, admin: &NewUser) -> Result<(i64, i64)> {
        p.check(Op::Init, None)?;
        self.tx.execute("INSERT INTO acct_meta (key, value) VALUES ('created_at', ?1)", [now()])?;
        for b in authz::BUILTIN_ROLES.iter() {
            self.insert_role(None, b.name, b.display_name, b.scope, true, PermSet::of(b.perms))?;
        }
        let org_id = self.insert_org(org)?;
        let user = self.insert_user(&NewUser { status: Some(Status::Active), ..admin.clone() })?;
        let full_admin = self.role(Some(org_id), authz::FULL_ADMIN)?.map(|r| r.id);
        let global_admin = self.role(None, authz::GLOBAL_ADMIN)?.map(|r| r.id);
        let (Some(fa), Some(ga)) = (full_admin, global_admin) else {
            return Err(anyhow::anyhow!("built-in roles missing after creation"));
        };
        self.join_org(org_id, user, &[fa], None)?;
        self.tx.execute("INSERT INTO global_roles (user_id, role_id) VALUES (?1, ?2)", params![user, ga])?;
        self.audit_in(
            p,
            Some(&org.slug),
            Some(user),
            Some(&admin.email),
            json!({"org": {"old": null, "new": org.slug}, "roles": {"old": [], "new": ["full-admin", "global-admin"]}}),
        )?;
        Ok((org_id, user))
    }

    fn create_org(&mut self, p: &Permit, org: &NewOrg) -> Result<i64> {
        p.check(Op::OrgCreate, None)?;
        let id = self.insert_org(org)?;
        let change = json!({"display_name": {"old": null, "new": org.display_name}});
        self.audit_in(p, Some(&org.slug), None, Some(&org.slug), change)?;
        Ok(id)
    }

    fn update_org(&mut self, p: &Permit, org: i64, c: &OrgChange) -> Result<Changes> {
        p.check(Op::OrgSet, None)?;
        if p.org_id() != Some(org) {
            return Err(anyhow::anyhow!("internal error: the permit is for another organization"));
        }
        let old = self.org_by_id(org)?.ok_or_else(|| error::not_found("organization not found"))?;
        let mut ch = Changes::default();
        let display = c.display_name.clone().unwrap_or(old.display_name.clone());
        let sso = c.sso.unwrap_or(old.sso);
        let sms = c.sms_2fa.unwrap_or(old.sms_2fa);
        ch.push("display_name", old.display_name.as_str(), display.as_str());
        ch.push("sso", if old.sso { "on" } else { "off" }, if sso { "on" } else { "off" });
        ch.push("sms_2fa", if old.sms_2fa { "allowed" } else { "disallowed" }, if sms { "allowed" } else { "disallowed" });
        if ch.is_empty() {
            return Ok(ch);
        }
        self.tx.execute(
            "UPDATE orgs SET display_name = ?1, sso = ?2, sms_2fa = ?3 WHERE id = ?4",
            params![display, sso, sms, org],
        )?;
        self.audit(p, None, Some(&old.slug), ch.to_json())?;
        Ok(ch)
    }

    fn create_role(&mut self, p: &Permit, org: i64, role: &NewRole) -> Result<i64> {
        p.check_in(Op::RoleCreate, org, None)?;
        if self.role(Some(org), &role.name)?.is_some() || authz::builtin(&role.name).is_some() {
            return Err(error::conflict(format!("role '{}' already exists", role.name)).into());
        }
        let id = self.insert_role(Some(org), &role.name, &role.display_name, Scope::Org, false, role.perms)?;
        self.audit(
            p,
            None,
            Some(&role.name),
            json!({"display_name": {"old": null, "new": role.display_name}, "permissions": {"old": [], "new": role.perms.names()}}),
        )?;
        Ok(id)
    }

    fn update_role(&mut self, p: &Permit, role: i64, c: &RoleChange) -> Result<Changes> {
        p.check(Op::RoleEdit, None)?;
        let old = self
            .tx
            .query_row(&format!("{ROLE_SELECT} WHERE r.id = ?1"), [role], row_to_role)
            .optional()?
            .ok_or_else(|| error::not_found("role not found"))?;
        if old.builtin || old.org_id != p.org_id() {
            return Err(anyhow::anyhow!("internal error: the permit does not cover role '{}'", old.name));
        }
        let mut ch = Changes::default();
        if let Some(d) = &c.display_name {
            ch.push("display_name", old.display_name.as_str(), d.as_str());
            self.tx.execute("UPDATE roles SET display_name = ?1 WHERE id = ?2", params![d, role])?;
        }
        if let Some(perms) = c.perms {
            ch.push("permissions", old.perms.names(), perms.names());
            self.set_permissions(role, perms)?;
        }
        if !ch.is_empty() {
            self.audit(p, None, Some(&old.name), ch.to_json())?;
        }
        Ok(ch)
    }

    fn delete_role(&mut self, p: &Permit, role: i64) -> Result<()> {
        let (name, org): (String, Option<i64>) =
            self.tx.query_row("SELECT name, org_id FROM roles WHERE id = ?1", [role], |r| Ok((r.get(0)?, r.get(1)?)))?;
        match org {
            Some(o) => p.check_in(Op::RoleDelete, o, None)?,
            None => return Err(error::conflict(format!("'{name}' is a built-in role and cannot be deleted")).into()),
        }
        let holders = self.role_holders(role)?;
        if holders > 0 {
            return Err(error::conflict(format!("role '{name}' is held by {holders} user(s)"))
                .with_hint("unassign it first: acct user list --role NAME shows who holds it")
                .into());
        }
        self.tx.execute("DELETE FROM roles WHERE id = ?1 AND builtin = 0", [role])?;
        self.audit(p, None, Some(&name), json!({}))?;
        Ok(())
    }

    fn assign_role(&mut self, p: &Permit, org: i64, user: i64, role: i64) -> Result<bool> {
        p.check_in(Op::RoleAssign, org, Some(user))?;
        let n = self.tx.execute(
            "INSERT OR IGNORE INTO user_roles (org_id, user_id, role_id) VALUES (?1, ?2, ?3)",
            params![org, user, role],
        )?;
        if n > 0 {
            self.refresh_role_key(org, user)?;
        }
        self.audit_role_change(p, user, role, "role", n > 0, true)
    }

    fn unassign_role(&mut self, p: &Permit, org: i64, user: i64, role: i64) -> Result<bool> {
        p.check_in(Op::RoleUnassign, org, Some(user))?;
        let n = self
            .tx
            .execute("DELETE FROM user_roles WHERE org_id = ?1 AND user_id = ?2 AND role_id = ?3", params![org, user, role])?;
        if n > 0 {
            self.refresh_role_key(org, user)?;
        }
        self.audit_role_change(p, user, role, "role", n > 0, false)
    }

    fn grant_global(&mut self, p: &Permit, user: i64, role: i64) -> Result<bool> {
        p.check(Op::AccessGrant, Some(user))?;
        let n = self.tx.execute("INSERT OR IGNORE INTO global_roles (user_id, role_id) VALUES (?1, ?2)", params![user, role])?;
        self.audit_role_change(p, user, role, "global_role", n > 0, true)
    }

    fn revoke_global(&mut self, p: &Permit, user: i64, role: i64) -> Result<bool> {
        p.check(Op::AccessRevoke, Some(user))?;
        let n = self.tx.execute("DELETE FROM global_roles WHERE user_id = ?1 AND role_id = ?2", params![user, role])?;
        self.audit_role_change(p, user, role, "global_role", n > 0, false)
    }

    fn create_group(&mut self, p: &Permit, org: i64, slug: &str, display_name: &str) -> Result<i64> {
        p.check_in(Op::GroupCreate, org, None)?;
        if self.group(org, slug)?.is_some() {
            return Err(error::conflict(format!("group '{slug}' already exists")).into());
        }
        self.tx.execute(
            "INSERT INTO groups (org_id, slug, display_name, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![org, slug, display_name, now()],
        )?;
        let id = self.tx.last_insert_rowid();
        self.audit(p, None, Some(slug), json!({"display_name": {"old": null, "new": display_name}}))?;
        Ok(id)
    }

    fn delete_group(&mut self, p: &Permit, group: i64) -> Result<()> {
        p.check(Op::GroupDelete, None)?;
        let g = self.group_by_id(group)?.ok_or_else(|| error::not_found("group not found"))?;
        if Some(g.org_id) != p.org_id() {
            return Err(anyhow::anyhow!("internal error: the permit is for another organization"));
        }
        let primary: i64 = self.tx.query_row("SELECT count(*) FROM users WHERE primary_group_id = ?1", [group], |r| r.get(0))?;
        if primary > 0 || g.slug == "everyone" {
            if g.slug == "everyone" {
                return Err(error::conflict("group 'everyone' cannot be deleted: it is the organization's default group")
                    .with_hint("every organization keeps its 'everyone' group")
                    .into());
            }
            return Err(error::conflict(format!(
                "group '{}' cannot be deleted: it is the primary group of {primary} user(s)",
                g.slug
            ))
            .with_hint(format!(
                "move them first: 'acct user list --group {}' lists them, 'acct user edit USER --primary-group G' moves one",
                g.slug
            ))
            .into());
        }
        self.tx.execute("DELETE FROM group_members WHERE group_id = ?1", [group])?;
        self.tx.execute("DELETE FROM group_managers WHERE group_id = ?1", [group])?;
        self.tx.execute("DELETE FROM groups WHERE id = ?1", [group])?;
        self.audit(p, None, Some(&g.slug), json!({}))?;
        Ok(())
    }

    fn set_group_person(&mut self, p: &Permit, group: i64, user: i64, role: GroupRole, present: bool) -> Result<bool> {
        let op = match (role, present) {
            (GroupRole::Manager, true) => Op::GroupAddManager,
            (GroupRole::Manager, false) => Op::GroupRemoveManager,
            (GroupRole::Member, true) => Op::GroupAddMember,
            (GroupRole::Member, false) => Op::GroupRemoveMember,
        };
        let org: i64 = self.tx.query_row("SELECT org_id FROM groups WHERE id = ?1", [group], |r| r.get(0))?;
        p.check_in(op, org, None)?;
        let table = if role == GroupRole::Manager { "group_managers" } else { "group_members" };
        let sql = if present {
            format!("INSERT OR IGNORE INTO {table} (group_id, user_id) VALUES (?1, ?2)")
        } else {
            format!("DELETE FROM {table} WHERE group_id = ?1 AND user_id = ?2")
        };
        let n = self.tx.execute(&sql, params![group, user])?;
        if n > 0 {
            self.touch(user)?;
            let (email, label) = (self.email_of(user)?, self.group_label(group)?);
            let field = if role == GroupRole::Manager { "manager_of" } else { "member_of" };
            let change =
                if present { json!({field: {"old": null, "new": label}}) } else { json!({field: {"old": label, "new": null}}) };
            self.audit(p, Some(user), Some(&email), change)?;
        }
        Ok(n > 0)
    }

    fn add_user(&mut self, p: &Permit, org: i64, user: &NewUser, roles: &[i64], group: Option<i64>) -> Result<i64> {
        p.check_in(Op::UserAdd, org, None)?;
        let id = self.insert_user(user)?;
        self.join_org(org, id, roles, group)?;
        let names: Vec<String> = roles.iter().map(|r| self.role_name(*r)).collect::<Result<_>>()?;
        self.audit(
            p,
            Some(id),
            Some(&user.email),
            json!({"user": {"old": null, "new": user.email}, "roles": {"old": [], "new": names}}),
        )?;
        Ok(id)
    }

    fn add_membership(&mut self, p: &Permit, org: i64, user: i64, roles: &[i64], group: Option<i64>) -> Result<()> {
        p.check_in(Op::UserAdd, org, p.target().map(|_| user))?;
        let member: bool = self.tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM memberships WHERE org_id = ?1 AND user_id = ?2)",
            [org, user],
            |r| r.get(0),
        )?;
        if member {
            return Err(error::conflict(format!("{} is already a member", self.email_of(user)?)).into());
        }
        self.join_org(org, user, roles, group)?;
        let names: Vec<String> = roles.iter().map(|r| self.role_name(*r)).collect::<Result<_>>()?;
        let email = self.email_of(user)?;
        self.audit(
            p,
            Some(user),
            Some(&email),
            json!({"member": {"old": false, "new": true}, "roles": {"old": [], "new": names}}),
        )?;
        Ok(())
    }

    fn remove_membership(&mut self, p: &Permit, org: i64, user: i64) -> Result<bool> {
        p.check_in(Op::UserRemove, org, Some(user))?;
        let member: bool = self.tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM memberships WHERE org_id = ?1 AND user_id = ?2)",
            [org, user],
            |r| r.get(0),
        )?;
        if !member {
            return Err(error::not_found(format!("{} is not a member of this organization", self.email_of(user)?)).into());
        }
        let roles = self.user_roles(org, user)?;
        // The groups of this organization that the user leaves, for the audit entry (and `acct undo`).
        let left = |table: &str| -> Result<Vec<String>> {
            let mut st = self.tx.prepare_cached(&format!(
                "SELECT o.slug || '/' || g.slug FROM {table} x JOIN groups g ON g.id = x.group_id JOIN orgs o ON o.id = g.org_id
                 WHERE x.user_id = ?1 AND g.org_id = ?2 ORDER BY 1"
            ))?;
            Ok(st.query_map(params![user, org], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
        };
        let (groups_left, managed_left) = (left("group_members")?, left("group_managers")?);
        self.tx.execute("DELETE FROM user_roles WHERE org_id = ?1 AND user_id = ?2", params![org, user])?;
        self.tx.execute(
            "DELETE FROM group_members WHERE user_id = ?1 AND group_id IN (SELECT id FROM groups WHERE org_id = ?2)",
            params![user, org],
        )?;
        self.tx.execute(
            "DELETE FROM group_managers WHERE user_id = ?1 AND group_id IN (SELECT id FROM groups WHERE org_id = ?2)",
            params![user, org],
        )?;
        self.tx.execute("DELETE FROM memberships WHERE org_id = ?1 AND user_id = ?2", params![org, user])?;
        let next: Option<i64> = self
            .tx
            .query_row("SELECT org_id FROM memberships WHERE user_id = ?1 ORDER BY created_at, org_id LIMIT 1", [user], |r| {
                r.get(0)
            })
            .optional()?;
        // An open invitation follows the identity to the organization it is
        // still a member of (its link keeps working there); with no
        // organization left it is withdrawn.
        let moved_invitation = match next {
            Some(next_org) => self.tx.execute(
                "UPDATE invitations SET org_id = ?3 WHERE user_id = ?1 AND org_id = ?2 AND state = 'open'
                   AND (SELECT status FROM users WHERE id = ?1) = 'invited'",
                params![user, org, next_org],
            )?,
            None => {
                self.tx.execute(
                    "UPDATE invitations SET state = 'revoked' WHERE user_id = ?1 AND org_id = ?2 AND state = 'open'",
                    params![user, org],
                )?;
                0
            }
        } > 0;
        let primary_org: Option<i64> = self
            .tx
            .query_row("SELECT g.org_id FROM users u JOIN groups g ON g.id = u.primary_group_id WHERE u.id = ?1", [user], |r| {
                r.get(0)
            })
            .optional()?;
        let t = now();
        let trashed = next.is_none();
        let mut moved = None;
        if let Some(next_org) = next {
            if primary_org == Some(org) {
                let old_pg: Option<i64> =
                    self.tx.query_row("SELECT primary_group_id FROM users WHERE id = ?1", [user], |r| r.get(0))?;
                let g = self.everyone_group(next_org)?;
                self.tx.execute("UPDATE users SET primary_group_id = ?1, updated_at = ?2 WHERE id = ?3", params![g, t, user])?;
                let old_label = old_pg.map(|o| self.group_label(o)).transpose()?;
                moved = Some((old_label, self.group_label(g)?));
            }
        } else {
            self.tx.execute(
                "UPDATE users SET trashed_at = ?1, trash_org_id = ?2, trash_roles = ?3, updated_at = ?1 WHERE id = ?4",
                params![t, org, json!(roles).to_string(), user],
            )?;
        }
        let email = self.email_of(user)?;
        let mut change = json!({"member": {"old": true, "new": false}, "roles": {"old": roles, "new": []}});
        if trashed {
            change["trashed"] = json!({"old": false, "new": true});
        }
        if let Some((old, new)) = moved {
            change["primary_group"] = json!({"old": old, "new": new});
        }
        if moved_invitation && let Some(next_org) = next {
            let (old, new): (String, String) = self.tx.query_row(
                "SELECT (SELECT slug FROM orgs WHERE id = ?1), (SELECT slug FROM orgs WHERE id = ?2)",
                [org, next_org],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            change["invitation"] = json!({"old": old, "new": new});
        }
        if !groups_left.is_empty() {
            change["groups"] = json!({"old": groups_left, "new": []});
        }
        if !managed_left.is_empty() {
            change["managed_groups"] = json!({"old": managed_left, "new": []});
        }
        self.audit(p, Some(user), Some(&email), change)?;
        Ok(trashed)
    }

    fn restore_user(&mut self, p: &Permit, user: i64) -> Result<()> {
        p.check(Op::UserRestore, Some(user))?;
        let row: Option<(Option<i64>, Option<String>, Option<i64>)> = self
            .tx
            .query_row(
                "SELECT trash_org_id, trash_roles, primary_group_id FROM users WHERE id = ?1 AND trashed_at IS NOT NULL",
                [user],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (org, roles, primary) = row.ok_or_else(|| {
            error::conflict(format!("user {user} is not in the trash")).with_hint("only removed users can be restored")
        })?;
        let org = org.ok_or_else(|| anyhow::anyhow!("internal error: trashed user without an organization"))?;
        if p.org_id() != Some(org) {
            return Err(anyhow::anyhow!("internal error: the permit is for another organization"));
        }
        let names: Vec<String> = roles.and_then(|r| serde_json::from_str(&r).ok()).unwrap_or_default();
        let mut ids = Vec::new();
        let mut restored = Vec::new();
        for n in &names {
            if let Some(r) = self.role(Some(org), n)? {
                ids.push(r.id);
                restored.push(n.clone());
            }
        }
        let primary_ok = match primary {
            Some(g) => self.group_by_id(g)?.is_some_and(|g| g.org_id == org),
            None => false,
        };
        if !primary_ok {
            self.tx.execute("UPDATE users SET primary_group_id = NULL WHERE id = ?1", [user])?;
        }
        self.tx.execute(
            "UPDATE users SET trashed_at = NULL, trash_org_id = NULL, trash_roles = NULL, updated_at = ?1 WHERE id = ?2",
            params![now(), user],
        )?;
        self.join_org(org, user, &ids, None)?;
        // Someone who never accepted is invited again (pending: 'acct invite send').
        let accepted: bool = self.tx.query_row("SELECT accepted FROM users WHERE id = ?1", [user], |r| r.get(0))?;
        if !accepted {
            self.tx.execute(
                "INSERT INTO invitations (user_id, org_id, created_at) VALUES (?1, ?2, ?3)",
                params![user, org, now()],
            )?;
        }
        let email = self.email_of(user)?;
        self.audit(
            p,
            Some(user),
            Some(&email),
            json!({"trashed": {"old": true, "new": false}, "roles": {"old": [], "new": restored}}),
        )?;
        Ok(())
    }

    fn purge_user(&mut self, p: &Permit, user: i64) -> Result<()> {
        p.check(Op::UserPurge, Some(user))?;
        let trashed: bool = self.tx.query_row("SELECT trashed_at IS NOT NULL FROM users WHERE id = ?1", [user], |r| r.get(0))?;
        if !trashed {
            return Err(error::conflict(format!("user {user} is not in the trash and cannot be purged")).into());
        }
        let email = self.email_of(user)?;
        // What the purge removes, for its audit entry (no secret, only which kinds existed).
        let names = |sql: &str| -> Result<Vec<String>> {
            let mut st = self.tx.prepare(sql)?;
            let v = st.query_map([user], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(v)
        };
        let global_roles =
            names("SELECT r.name FROM global_roles gr JOIN roles r ON r.id = gr.role_id WHERE gr.user_id = ?1 ORDER BY r.name")?;
        let roles = names(
            "SELECT o.slug || ':' || r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id JOIN orgs o ON o.id = ur.org_id
             WHERE ur.user_id = ?1 ORDER BY 1",
        )?;
        let groups = names(
            "SELECT o.slug || '/' || g.slug FROM group_members x JOIN groups g ON g.id = x.group_id JOIN orgs o ON o.id = g.org_id
             WHERE x.user_id = ?1 ORDER BY 1",
        )?;
        let managed = names(
            "SELECT o.slug || '/' || g.slug FROM group_managers x JOIN groups g ON g.id = x.group_id JOIN orgs o ON o.id = g.org_id
             WHERE x.user_id = ?1 ORDER BY 1",
        )?;
        let (trash_roles, has_password, has_totp): (Option<String>, bool, bool) = self.tx.query_row(
            "SELECT trash_roles, password_hash IS NOT NULL, totp_secret IS NOT NULL FROM users WHERE id = ?1",
            [user],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let recovery: i64 = self.tx.query_row("SELECT count(*) FROM recovery_codes WHERE user_id = ?1", [user], |r| r.get(0))?;
        let invitations: i64 = self.tx.query_row("SELECT count(*) FROM invitations WHERE user_id = ?1", [user], |r| r.get(0))?;
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
            "DELETE FROM invitations WHERE user_id = ?1",
            "DELETE FROM recovery_codes WHERE user_id = ?1",
            "DELETE FROM group_members WHERE user_id = ?1",
            "DELETE FROM group_managers WHERE user_id = ?1",
            "DELETE FROM global_roles WHERE user_id = ?1",
            "DELETE FROM user_roles WHERE user_id = ?1",
            "DELETE FROM memberships WHERE user_id = ?1",
            "DELETE FROM users WHERE id = ?1 AND trashed_at IS NOT NULL",
        ] {
            self.tx.execute(sql, [user])?;
        }
        let mut change = json!({"purged": {"old": false, "new": true}});
        let mut removed = |field: &str, old: Value, empty: bool| {
            if !empty {
                change[field] = json!({"old": old, "new": null});
            }
        };
        removed("global_roles", json!(global_roles), global_roles.is_empty());
        removed("roles", json!(roles), roles.is_empty());
        removed("trash_roles", json!(trash_roles), trash_roles.is_empty());
        removed("groups", json!(groups), groups.is_empty());
        removed("managed_groups", json!(managed), managed.is_empty());
        removed("credentials", json!(credentials), credentials.is_empty());
        removed("invitations", json!(invitations), invitations == 0);
        self.audit(p, Some(user), Some(&email), change)?;
        Ok(())
    }

    fn update_user(&mut self, p: &Permit, user: i64, c: &UserChange) -> Result<Changes> {
        p.check(Op::UserEdit, Some(user))?;
        for f in change_fields(c) {
            if !p.fields().contains(&f) {
                return Err(anyhow::anyhow!("internal error: the permit does not cover '{}'", f.name()));
            }
        }
        let old = self.user(user, None)?.ok_or_else(|| error::not_found(format!("no user with id {user}")))?;
        let (accepted, old_pg): (bool, Option<i64>) =
            self.tx.query_row("SELECT accepted, primary_group_id FROM users WHERE id = ?1", [user], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        let mut ch = Changes::default();
        let pick = |new: &Option<Option<String>>, old: &Option<String>| new.clone().unwrap_or_else(|| old.clone());
        let full_name = pick(&c.full_name, &old.full_name);
        let first_name = pick(&c.first_name, &old.first_name);
        let last_name = pick(&c.last_name, &old.last_name);
        let initials = pick(&c.initials, &old.initials);
        let phone = pick(&c.phone, &old.phone);
        let timezone = pick(&c.timezone, &old.timezone);
        ch.push("first_name", opt_json(&old.first_name), opt_json(&first_name));
        ch.push("last_name", opt_json(&old.last_name), opt_json(&last_name));
        ch.push("full_name", opt_json(&old.full_name), opt_json(&full_name));
        ch.push("initials", opt_json(&old.initials), opt_json(&initials));
        let (email, email_key) = match &c.email {
            Some((e, k)) => {
                let other: Option<i64> = self
                    .tx
                    .query_row("SELECT id FROM users WHERE email_key = ?1 AND id <> ?2", params![k, user], |r| r.get(0))
                    .optional()?;
                if other.is_some() {
                    return Err(error::conflict(format!("the e-mail {e} belongs to another user")).into());
                }
                ch.push("email", old.email.as_str(), e.as_str());
                (Some(e.clone()), Some(k.clone()))
            }
            None => (None, None),
        };
        ch.push("phone", opt_json(&old.phone), opt_json(&phone));
        ch.push("timezone", opt_json(&old.timezone), opt_json(&timezone));
        let b = |n: Option<bool>, o: bool| n.unwrap_or(o);
        let notify = b(c.notify, old.notify);
        let robot = b(c.robot, old.robot);
        let sso_disabled = b(c.sso_disabled, old.sso_disabled);
        let sms_auto_send = b(c.sms_auto_send, old.sms_auto_send);
        let require_2fa = b(c.require_2fa, old.require_2fa);
        ch.push("notify", old.notify, notify);
        ch.push("robot", old.robot, robot);
        ch.push("sso_disabled", old.sso_disabled, sso_disabled);
        ch.push("sms_auto_send", old.sms_auto_send, sms_auto_send);
        ch.push("require_2fa", old.require_2fa, require_2fa);
        let status = match c.active {
            Some(false) => "inactive".to_string(),
            Some(true) if old.status == "inactive" => if accepted { "active" } else { "invited" }.to_string(),
            _ => old.status.clone(),
        };
        ch.push("active", old.active, status != "inactive");
        ch.push("status", old.status.as_str(), status.as_str());
        let primary = c.primary_group.or(old_pg);
        if primary != old_pg {
            let old_label = match old_pg {
                Some(g) => Value::from(self.group_label(g)?),
                None => Value::Null,
            };
            let new_label = match primary {
                Some(g) => Value::from(self.group_label(g)?),
                None => Value::Null,
            };
            ch.push("primary_group", old_label, new_label);
        }
        let groups_before = self.groups_of(user)?;
        for g in &c.add_groups {
            self.tx.execute("INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?1, ?2)", params![g, user])?;
        }
        for g in &c.remove_groups {
            self.tx.execute("DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2", params![g, user])?;
        }
        let groups_after = self.groups_of(user)?;
        ch.push("groups", groups_before, groups_after);
        if c.full_name_set.is_some() || c.initials_set.is_some() {
            self.tx
                .prepare_cached(
                    "UPDATE users SET full_name_set = coalesce(?1, full_name_set), initials_set = coalesce(?2, initials_set)
                     WHERE id = ?3",
                )?
                .execute(params![c.full_name_set, c.initials_set, user])?;
        }
        if ch.is_empty() {
            return Ok(ch);
        }
        self.tx
            .prepare_cached(
                "UPDATE users SET full_name = ?1, first_name = ?2, last_name = ?3, initials = ?4,
                    email = coalesce(?5, email), email_key = coalesce(?6, email_key), phone = ?7, timezone = ?8,
                    notify = ?9, robot = ?10, sso_disabled = ?11, sms_auto_send = ?12, require_2fa = ?13,
                    status = ?14, primary_group_id = ?15, updated_at = ?16, search_key = ?18
                 WHERE id = ?17",
            )?
            .execute(params![
                full_name,
                first_name,
                last_name,
                initials,
                email,
                email_key,
                phone,
                timezone,
                notify,
                robot,
                sso_disabled,
                sms_auto_send,
                require_2fa,
                status,
                primary,
                now(),
                user,
                search_key(
                    email.as_deref().unwrap_or(&old.email),
                    &old.username,
                    [first_name.as_deref(), last_name.as_deref(), full_name.as_deref()]
                )
            ])?;
        self.audit(p, Some(user), Some(&old.email), ch.to_json())?;
        Ok(ch)
    }

    fn reset_2fa(&mut self, p: &Permit, user: i64) -> Result<()> {
        p.check(Op::UserReset2fa, Some(user))?;
        let (email, old): (String, String) =
            self.tx.query_row("SELECT email, two_factor FROM users WHERE id = ?1", [user], |r| Ok((r.get(0)?, r.get(1)?)))?;
        self.tx.execute(
            "UPDATE users SET two_factor = 'email', totp_secret = NULL, totp_last_step = NULL, totp_enrolled_at = NULL,
                 twofa_failures = 0, twofa_locked_until = NULL, updated_at = ?1 WHERE id = ?2",
            params![now(), user],
        )?;
        let codes = self.tx.execute("DELETE FROM recovery_codes WHERE user_id = ?1", [user])?;
        self.audit(
            p,
            Some(user),
            Some(&email),
            json!({"two_factor": {"old": old, "new": "email"}, "recovery_codes_removed": {"old": codes, "new": 0}}),
        )?;
        Ok(())
    }

    fn import_members(&mut self, p: &Permit, org: i64, rows: &[ImportRow], progress: &mut dyn FnMut(u64)) -> Result<Vec<i64>> {
        self.bulk_import(p, org, rows, progress)
    }

    fn queue_invitation(&mut self, p: &Permit, user: i64, org: i64) -> Result<i64> {
        p.check_in(Op::UserAdd, org, p.target().map(|_| user))?;
        self.tx.execute("UPDATE invitations SET state = 'replaced' WHERE user_id = ?1 AND state = 'open'", [user])?;
        self.tx
            .execute("INSERT INTO invitations (user_id, org_id, created_at) VALUES (?1, ?2, ?3)", params![user, org, now()])?;
        Ok(self.tx.last_insert_rowid())
    }

    fn issue_token(&mut self, p: &Permit, user: i64, token_hash: &[u8], expires_at: &str) -> Result<i64> {
        match p.op() {
            Op::UserAdd => p.check(Op::UserAdd, None)?,
            _ => p.check(Op::InviteSend, Some(user))?,
        }
        let inv: Option<(i64, Option<String>, bool)> = self
            .tx
            .query_row(
                "SELECT id, expires_at, token_hash IS NOT NULL FROM invitations
                 WHERE user_id = ?1 AND state = 'open' ORDER BY id DESC LIMIT 1",
                [user],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (inv, old_expiry, had_token) = inv.ok_or_else(|| error::conflict("there is no open invitation for this user"))?;
        self.tx.execute(
            "UPDATE invitations SET token_hash = ?1, sent_at = ?2, expires_at = ?3, delivery = 'pending', delivery_error = NULL,
             attempted_at = NULL WHERE id = ?4",
            params![token_hash, now(), expires_at, inv],
        )?;
        if p.op() == Op::InviteSend {
            let email = self.email_of(user)?;
            self.audit(
                p,
                Some(user),
                Some(&email),
                json!({"token": {"old": if had_token { json!("(replaced)") } else { Value::Null }, "new": "(issued)"},
                       "expires_at": {"old": old_expiry, "new": expires_at}}),
            )?;
        }
        Ok(inv)
    }

    fn accept_invitation(&mut self, p: &Permit, invitation: i64, token_hash: &[u8], password_hash: &str) -> Result<()> {
        self.write_accept(p, invitation, token_hash, password_hash)
    }

    fn enroll_totp(&mut self, p: &Permit, secret: &str, step: i64, recovery_hashes: &[String]) -> Result<()> {
        let user = p.target().ok_or_else(|| anyhow::anyhow!("internal error: an enrolment permit without a user"))?;
        p.check(Op::TwoFactorEnroll, Some(user))?;
        let (old, old_codes): (String, i64) = self.tx.query_row(
            "SELECT two_factor, (SELECT count(*) FROM recovery_codes WHERE user_id = ?1 AND used_at IS NULL) FROM users WHERE id = ?1",
            [user],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let t = now();
        self.tx.execute(
            "UPDATE users SET two_factor = 'app', totp_secret = ?1, totp_last_step = ?2, totp_enrolled_at = ?3,
                 twofa_failures = 0, twofa_locked_until = NULL, updated_at = ?3 WHERE id = ?4",
            params![secret, step, t, user],
        )?;
        self.tx.execute("DELETE FROM recovery_codes WHERE user_id = ?1", [user])?;
        let mut st = self.tx.prepare_cached("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?1, ?2)")?;
        for h in recovery_hashes {
            st.execute(params![user, h])?;
        }
        drop(st);
        let email = self.email_of(user)?;
        self.audit(
            p,
            Some(user),
            Some(&email),
            json!({"two_factor": {"old": old, "new": "app"}, "recovery_codes": {"old": old_codes, "new": recovery_hashes.len()}}),
        )?;
        Ok(())
    }

    fn record_verification(&mut self, p: &Permit, outcome: &Verification) -> Result<()> {
        let user = p.target().ok_or_else(|| anyhow::anyhow!("internal error: a verification permit without a user"))?;
        p.check(Op::TwoFactorVerify, Some(user))?;
        let email = self.email_of(user)?;
        let change = match outcome {
            Verification::Code { step } => {
                self.tx.execute(
                    "UPDATE users SET totp_last_step = ?1, twofa_failures = 0, twofa_locked_until = NULL WHERE id = ?2",
                    params![step, user],
                )?;
                json!({"result": {"old": null, "new": "accepted"}})
            }
            Verification::Recovery { hash } => {
                let n = self.tx.execute(
                    "UPDATE recovery_codes SET used_at = ?1 WHERE user_id = ?2 AND code_hash = ?3 AND used_at IS NULL",
                    params![now(), user, hash],
                )?;
                if n != 1 {
                    return Err(anyhow::anyhow!("internal error: the recovery code is not usable"));
                }
                self.tx.execute("UPDATE users SET twofa_failures = 0, twofa_locked_until = NULL WHERE id = ?1", [user])?;
                json!({"result": {"old": null, "new": "recovery code used"}})
            }
            Verification::Failed { lock_until } => {
                self.tx.execute(
                    "UPDATE users SET twofa_failures = CASE WHEN ?1 IS NULL THEN twofa_failures + 1 ELSE 0 END,
                         twofa_locked_until = ?1 WHERE id = ?2",
                    params![lock_until, user],
                )?;
                match lock_until {
                    Some(t) => json!({"result": {"old": null, "new": "rejected"}, "locked_until": {"old": null, "new": t}}),
                    None => json!({"result": {"old": null, "new": "rejected"}}),
                }
            }
        };
        self.audit(p, Some(user), Some(&email), change)?;
        Ok(())
    }

    fn begin_delivery(&mut self, p: &Permit, invitation: i64) -> Result<()> {
        self.check_delivery(p, invitation)?;
        self.tx.execute("UPDATE invitations SET attempted_at = ?1 WHERE id = ?2", params![now(), invitation])?;
        Ok(())
    }

    fn record_delivery(&mut self, p: &Permit, invitation: i64, err: Option<&str>) -> Result<()> {
        self.check_delivery(p, invitation)?;
        let delivery = if err.is_some() { "failed" } else { "sent" };
        self.tx.execute(
            "UPDATE invitations SET delivery = ?1, delivery_error = ?2 WHERE id = ?3",
            params![delivery, err, invitation],
        )?;
        Ok(())
    }
}

impl SqliteTx<'_> {
    /// A delivery of an invitation is recorded under the permit that sent it.
    fn check_delivery(&self, p: &Permit, invitation: i64) -> Result<()> {
        if p.op() != Op::UserAdd {
            let owner: Option<i64> =
                self.tx.query_row("SELECT user_id FROM invitations WHERE id = ?1", [invitation], |r| r.get(0)).optional()?;
            p.check(Op::InviteSend, owner)?;
        }
        Ok(())
    }

    fn write_accept(&mut self, p: &Permit, invitation: i64, token_hash: &[u8], password_hash: &str) -> Result<()> {
        let user: Option<i64> = self
            .tx
            .query_row(
                "SELECT user_id FROM invitations WHERE id = ?1 AND state = 'open' AND token_hash = ?2",
                params![invitation, token_hash],
                |r| r.get(0),
            )
            .optional()?;
        let user = user.ok_or_else(|| error::denied("the invitation token is not valid (already used or replaced)"))?;
        p.check(Op::InviteAccept, Some(user))?;
        let t = now();
        self.tx.execute("UPDATE invitations SET state = 'accepted' WHERE id = ?1 AND state = 'open'", [invitation])?;
        self.tx.execute(
            "UPDATE users SET password_hash = ?1, accepted = 1,
                 status = CASE status WHEN 'invited' THEN 'active' ELSE status END,
                 two_factor = CASE two_factor WHEN 'none' THEN 'email' ELSE two_factor END, updated_at = ?2
             WHERE id = ?3",
            params![password_hash, t, user],
        )?;
        let email = self.email_of(user)?;
        self.audit(
            p,
            Some(user),
            Some(&email),
            json!({"status": {"old": "invited", "new": "active"}, "password": {"old": null, "new": "(set)"}}),
        )?;
        Ok(())
    }

    fn groups_of(&self, user: i64) -> Result<Vec<String>> {
        let mut st = self.tx.prepare_cached(
            "SELECT o.slug || '/' || g.slug FROM group_members gm JOIN groups g ON g.id = gm.group_id JOIN orgs o ON o.id = g.org_id
             WHERE gm.user_id = ?1 ORDER BY 1",
        )?;
        Ok(st.query_map([user], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod plans {
    use super::*;

    /// The top-level steps of the plan of acct's own list query.
    fn plan(q: &UserQuery) -> Vec<String> {
        plan_all(q).into_iter().filter(|(parent, _)| *parent == 0).map(|(_, d)| d).collect()
    }

    /// Every step, with its parent.
    fn plan_all(q: &UserQuery) -> Vec<(i64, String)> {
        let mut store = crate::store::sqlite::SqliteStore::memory().unwrap();
        let conn = store.connection();
        let tx = conn.transaction().unwrap();
        let t = SqliteTx::new(tx);
        let (sql, args) = t.user_query_sql(q, false);
        let mut st = t.tx.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = st
            .query_map(params_from_iter(args), |r| Ok((r.get::<_, i64>(1)?, r.get::<_, String>(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows
    }

    #[test]
    fn first_pages_sorted_by_a_default_column_walk_an_index_without_sorting() {
        for (col, index) in [
            (Column::Email, "users_email_ci"),
            (Column::FirstName, "users_first_name_ci"),
            (Column::LastName, "users_last_name_ci"),
            (Column::Status, "users_status"),
            (Column::TwoFactor, "users_two_factor"),
        ] {
            for desc in [false, true] {
                let q = UserQuery { org: 1, sort: vec![(col, desc)], limit: Some(100), ..Default::default() };
                let p = plan(&q);
                assert!(p.iter().any(|l| l == &format!("SCAN u USING INDEX {index}")), "{col:?} desc={desc}: {p:?}");
                assert!(!p.iter().any(|l| l.contains("TEMP B-TREE")), "{col:?} desc={desc}: sorts every member: {p:?}");
            }
        }
    }

    #[test]
    fn a_search_reads_the_search_index_and_sorts_only_its_matches() {
        for sort in [vec![], vec![(Column::Email, false)], vec![(Column::LastName, true)]] {
            let q =
                UserQuery { org: 1, sort: sort.clone(), search: Some("lovelace".into()), limit: Some(100), ..Default::default() };
            let all = plan_all(&q);
            assert!(all.iter().any(|(_, d)| d == "SCAN users USING COVERING INDEX users_search"), "{sort:?}: {all:?}");
            assert!(plan(&q).first().is_some_and(|d| d == "SEARCH u USING INTEGER PRIMARY KEY (rowid=?)"), "{sort:?}: {all:?}");
        }
    }

    #[test]
    fn unfiltered_counts_read_the_memberships_only() {
        let mut store = crate::store::sqlite::SqliteStore::memory().unwrap();
        let conn = store.connection();
        let tx = conn.transaction().unwrap();
        let t = SqliteTx::new(tx);
        let (sql, _) = t.user_query_sql(&UserQuery { org: 1, ..Default::default() }, true);
        assert_eq!(sql, "SELECT members FROM orgs WHERE id = ?1");
    }

    #[test]
    fn the_default_order_is_the_membership_primary_key_and_computed_sorts_use_a_tree() {
        let p = plan(&UserQuery { org: 1, limit: Some(100), ..Default::default() });
        assert!(p.iter().any(|l| l.starts_with("SEARCH m USING PRIMARY KEY (org_id=?)")), "{p:?}");
        assert!(!p.iter().any(|l| l.contains("TEMP B-TREE")), "the default order needs no sort: {p:?}");
        let p = plan(&UserQuery { org: 1, sort: vec![(Column::Groups, false)], limit: Some(100), ..Default::default() });
        assert!(p.iter().any(|l| l.contains("USE TEMP B-TREE FOR ORDER BY")), "{p:?}");
    }

    #[test]
    fn a_sort_by_role_walks_the_role_key_index() {
        for desc in [false, true] {
            let q = UserQuery { org: 1, sort: vec![(Column::Role, desc)], limit: Some(100), ..Default::default() };
            let p = plan(&q);
            assert!(
                p.iter().any(|l| l.starts_with("SEARCH m USING COVERING INDEX memberships_role (org_id=?)")),
                "desc={desc}: {p:?}"
            );
            assert!(!p.iter().any(|l| l.contains("TEMP B-TREE")), "desc={desc}: sorts every member: {p:?}");
        }
    }
}

#[cfg(test)]
mod reuse {
    use super::*;
    use crate::store::conformance::{add, edit, init, named};
    use crate::store::{Store, Tx};
    use rusqlite::ffi;

    /// The statements of the connection that SQLite prepared more than once.
    fn reprepared(conn: &rusqlite::Connection) -> Vec<(String, i32)> {
        let mut found = Vec::new();
        // SAFETY: the handle and the statements are only read, while `conn`
        // is borrowed and no statement is finalized.
        unsafe {
            let db = conn.handle();
            let mut st = ffi::sqlite3_next_stmt(db, std::ptr::null_mut());
            while !st.is_null() {
                let n = ffi::sqlite3_stmt_status(st, ffi::SQLITE_STMTSTATUS_REPREPARE, 0);
                if n > 0 {
                    let sql = std::ffi::CStr::from_ptr(ffi::sqlite3_sql(st)).to_string_lossy().into_owned();
                    found.push((sql, n));
                }
                st = ffi::sqlite3_next_stmt(db, st);
            }
        }
        found
    }

    /// The statements of a changed row (the actor as a subject, the member's
    /// row, the edit) are prepared once and reused with other values: no
    /// bound value makes SQLite plan them again.
    #[test]
    fn the_statements_of_a_changed_row_are_prepared_once() {
        let mut store = crate::store::sqlite::SqliteStore::memory().unwrap();
        let w = init(&mut store);
        store.set_bulk_mode(true).unwrap();
        let conn = store.connection();
        let mut t = SqliteTx::new(conn.transaction().unwrap());
        let ids: Vec<i64> = ["ada", "bob", "carol"]
            .iter()
            .map(|n| add(&mut t, w.admin, w.org, &named(&format!("{n}@example.com"), n, "Lovelace"), &["read-only"], None))
            .collect();
        for (i, id) in ids.iter().enumerate() {
            let last = format!("Changed{i}");
            t.subject(w.admin).unwrap().unwrap();
            t.subject(*id).unwrap().unwrap();
            t.find_user(&Selector::Id(*id)).unwrap().unwrap();
            t.user(*id, Some(w.org)).unwrap().unwrap();
            t.user(*id, None).unwrap().unwrap();
            t.name_overrides(*id).unwrap();
            let change = UserChange { last_name: Some(Some(last.clone())), ..UserChange::default() };
            edit(&mut t, w.admin, *id, &change).unwrap();
            assert_eq!(t.user(*id, Some(w.org)).unwrap().unwrap().last_name.as_deref(), Some(last.as_str()));
        }
        let again = reprepared(&t.tx);
        assert!(again.is_empty(), "prepared again on a later use: {again:#?}");
    }
}
