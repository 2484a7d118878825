//! Groups, their managers and additional members.

use super::tx::{PgTx, covers};
use crate::authz::{Op, Perm, Permit};
use crate::error::Result;
use crate::store::GroupStore;
use crate::store::model::*;
use crate::store::sqlite::now;
use anyhow::Context;
use postgres::Row;

const GROUP_SELECT: &str = "SELECT g.id, g.org_id, g.slug, g.display_name, g.created_at,
    (SELECT count(*) FROM users u WHERE u.primary_group_id = g.id AND u.trashed_at IS NULL) AS primary_members,
    (SELECT count(*) FROM group_members WHERE group_id = g.id) AS members,
    (SELECT count(*) FROM group_managers WHERE group_id = g.id) AS managers FROM groups g";

fn row_to_group(r: &Row) -> std::result::Result<Group, postgres::Error> {
    Ok(Group {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        slug: r.try_get("slug")?,
        display_name: r.try_get("display_name")?,
        created_at: r.try_get("created_at")?,
        primary_members: r.try_get::<_, i64>("primary_members")? as u64,
        members: r.try_get::<_, i64>("members")? as u64,
        managers: r.try_get::<_, i64>("managers")? as u64,
    })
}

impl PgTx<'_> {
    /// The organization of a group.
    fn group_org(&self, group: i64) -> Result<i64> {
        self.one("SELECT org_id FROM groups WHERE id = $1", &[&group], |r| r.try_get("org_id"))
            .context("reading the group's organization")
    }
}

impl GroupStore for PgTx<'_> {
    fn groups(&self, p: &Permit, org: i64) -> Result<Vec<Group>> {
        p.check_read(&[Perm::GroupRead], Some(org))?;
        self.all(&format!("{GROUP_SELECT} WHERE g.org_id = $1 ORDER BY g.slug"), &[&org], row_to_group).context("listing groups")
    }

    fn group(&self, org: i64, slug: &str) -> Result<Option<Group>> {
        self.maybe(&format!("{GROUP_SELECT} WHERE g.org_id = $1 AND g.slug = $2"), &[&org, &slug], row_to_group)
            .context("reading a group")
    }

    fn group_by_id(&self, id: i64) -> Result<Option<Group>> {
        self.maybe(&format!("{GROUP_SELECT} WHERE g.id = $1"), &[&id], row_to_group).context("reading a group")
    }

    fn group_slugs(&self, org: i64) -> Result<Vec<String>> {
        self.all("SELECT slug FROM groups WHERE org_id = $1 ORDER BY slug", &[&org], |r| r.try_get("slug"))
            .context("listing group slugs")
    }

    fn in_group(&self, group: i64, user: i64, role: GroupRole) -> Result<bool> {
        let table = match role {
            GroupRole::Manager => "group_managers",
            GroupRole::Member => "group_members",
        };
        self.one(
            &format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE group_id = $1 AND user_id = $2) AS present"),
            &[&group, &user],
            |r| r.try_get("present"),
        )
        .context("looking for a user in a group")
    }

    fn group_people(&self, p: &Permit, group: i64) -> Result<GroupPeople> {
        let org: Option<i64> = self
            .maybe("SELECT org_id FROM groups WHERE id = $1", &[&group], |r| r.try_get("org_id"))
            .context("reading the group's organization")?;
        p.check_read(&[Perm::GroupRead], org)?;
        // lower() of a COLLATE "C" column folds ASCII only, as SQLite's NOCASE.
        let list = |sql: &str, what: &str| -> Result<Vec<String>> {
            self.all(sql, &[&group], |r| r.try_get("email")).with_context(|| format!("listing the group's {what}"))
        };
        Ok(GroupPeople {
            managers: list(
                "SELECT u.email FROM group_managers x JOIN users u ON u.id = x.user_id WHERE x.group_id = $1 ORDER BY lower(u.email)",
                "managers",
            )?,
            primary: list(
                "SELECT u.email FROM users u WHERE u.primary_group_id = $1 AND u.trashed_at IS NULL ORDER BY lower(u.email)",
                "primary members",
            )?,
            members: list(
                "SELECT u.email FROM group_members x JOIN users u ON u.id = x.user_id WHERE x.group_id = $1 ORDER BY lower(u.email)",
                "members",
            )?,
        })
    }

    fn group_label(&self, group: i64) -> Result<String> {
        self.one(
            "SELECT o.slug || '/' || g.slug AS label FROM groups g JOIN orgs o ON o.id = g.org_id WHERE g.id = $1",
            &[&group],
            |r| r.try_get("label"),
        )
        .context("reading the group's name")
    }

    fn primary_users(&self, group: i64) -> Result<u64> {
        let n: i64 = self
            .one("SELECT count(*) AS n FROM users WHERE primary_group_id = $1", &[&group], |r| r.try_get("n"))
            .context("counting the group's primary members")?;
        Ok(n as u64)
    }

    fn insert_group(&mut self, p: &Permit, org: i64, slug: &str, display_name: &str) -> Result<i64> {
        covers(p, &[Op::GroupCreate], Some(org), None)?;
        self.one(
            "INSERT INTO groups (org_id, slug, display_name, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            &[&org, &slug, &display_name, &now()],
            |r| r.try_get("id"),
        )
        .context("inserting a group")
    }

    fn delete_group(&mut self, p: &Permit, group: i64) -> Result<()> {
        covers(p, &[Op::GroupDelete], Some(self.group_org(group)?), None)?;
        self.run("DELETE FROM group_members WHERE group_id = $1", &[&group]).context("removing the group's members")?;
        self.run("DELETE FROM group_managers WHERE group_id = $1", &[&group]).context("removing the group's managers")?;
        self.run("DELETE FROM groups WHERE id = $1", &[&group]).context("deleting the group")?;
        Ok(())
    }

    fn set_group_person(&mut self, p: &Permit, group: i64, user: i64, role: GroupRole, present: bool) -> Result<bool> {
        let op = match (role, present) {
            (GroupRole::Manager, true) => Op::GroupAddManager,
            (GroupRole::Manager, false) => Op::GroupRemoveManager,
            (GroupRole::Member, true) => Op::GroupAddMember,
            (GroupRole::Member, false) => Op::GroupRemoveMember,
        };
        covers(p, &[op], Some(self.group_org(group)?), None)?;
        let table = if role == GroupRole::Manager { "group_managers" } else { "group_members" };
        let sql = if present {
            format!("INSERT INTO {table} (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        } else {
            format!("DELETE FROM {table} WHERE group_id = $1 AND user_id = $2")
        };
        let n = self.run(&sql, &[&group, &user]).with_context(|| format!("changing {table}"))?;
        if n > 0 {
            self.touch(user)?;
        }
        Ok(n > 0)
    }
}
