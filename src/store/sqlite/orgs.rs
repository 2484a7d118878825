//! Organizations.

use super::now;
use super::tx::{SqliteTx, covers};
use crate::authz::{Op, Permit};
use crate::error::Result;
use crate::store::OrgStore;
use crate::store::model::*;
use crate::store::rows::*;
use anyhow::Context;
use rusqlite::{Row, params};

const ORG_SELECT: &str = "SELECT id, slug, display_name, sso, sms_2fa, created_at FROM orgs";

fn row_to_org(r: &Row<'_>) -> rusqlite::Result<Org> {
    Ok(Org {
        id: r.get("id")?,
        slug: r.get("slug")?,
        display_name: r.get("display_name")?,
        sso: r.get("sso")?,
        sms_2fa: r.get("sms_2fa")?,
        created_at: r.get("created_at")?,
    })
}

impl OrgStore for SqliteTx<'_> {
    fn orgs(&self) -> Result<Vec<Org>> {
        self.all(&format!("{ORG_SELECT} ORDER BY slug"), [], row_to_org).context("listing organizations")
    }

    fn org(&self, slug: &str) -> Result<Option<Org>> {
        self.maybe(&format!("{ORG_SELECT} WHERE slug = ?1"), [slug], row_to_org).context("reading an organization")
    }

    fn org_by_id(&self, id: i64) -> Result<Option<Org>> {
        self.maybe(&format!("{ORG_SELECT} WHERE id = ?1"), [id], row_to_org).context("reading an organization")
    }

    fn org_member_count(&self, org: i64) -> Result<u64> {
        let n: i64 =
            self.one("SELECT members FROM orgs WHERE id = ?1", [org], |r| r.get("members")).context("counting members")?;
        Ok(n as u64)
    }

    fn mark_created(&mut self, p: &Permit) -> Result<()> {
        covers(p, &[Op::Init], None, None)?;
        self.tx
            .execute("INSERT INTO acct_meta (key, value) VALUES ('created_at', ?1)", [now()])
            .context("recording the creation time")?;
        Ok(())
    }

    fn insert_org(&mut self, p: &Permit, org: &NewOrg) -> Result<i64> {
        covers(p, &[Op::OrgCreate, Op::Init], None, None)?;
        let t = now();
        self.tx
            .execute(
                "INSERT INTO orgs (slug, display_name, created_at) VALUES (?1, ?2, ?3)",
                params![org.slug, org.display_name, t],
            )
            .context("inserting an organization")?;
        let id = self.tx.last_insert_rowid();
        self.tx
            .execute(
                "INSERT INTO groups (org_id, slug, display_name, created_at) VALUES (?1, 'everyone', 'Everyone', ?2)",
                params![id, t],
            )
            .context("inserting the organization's 'everyone' group")?;
        Ok(id)
    }

    fn set_org(&mut self, p: &Permit, org: i64, s: &OrgSettings) -> Result<()> {
        covers(p, &[Op::OrgSet], Some(org), None)?;
        self.tx
            .execute(
                "UPDATE orgs SET display_name = ?1, sso = ?2, sms_2fa = ?3 WHERE id = ?4",
                params![s.display_name, s.sso, s.sms_2fa, org],
            )
            .context("updating the organization")?;
        Ok(())
    }
}
