//! Organizations.

use super::MEMBER_COUNT;
use super::tx::{PgTx, covers};
use crate::authz::{Op, Permit};
use crate::error::Result;
use crate::store::OrgStore;
use crate::store::model::*;
use crate::store::rows::*;
use crate::store::sqlite::now;
use anyhow::Context;
use postgres::Row;

const ORG_SELECT: &str = "SELECT id, slug, display_name, sso, sms_2fa, created_at FROM orgs";

fn row_to_org(r: &Row) -> Result<Org, postgres::Error> {
    Ok(Org {
        id: r.try_get("id")?,
        slug: r.try_get("slug")?,
        display_name: r.try_get("display_name")?,
        sso: r.try_get("sso")?,
        sms_2fa: r.try_get("sms_2fa")?,
        created_at: r.try_get("created_at")?,
    })
}

impl OrgStore for PgTx<'_> {
    fn orgs(&self) -> Result<Vec<Org>> {
        self.all(&format!("{ORG_SELECT} ORDER BY slug"), &[], row_to_org).context("listing organizations")
    }

    fn org(&self, slug: &str) -> Result<Option<Org>> {
        self.maybe(&format!("{ORG_SELECT} WHERE slug = $1"), &[&slug], row_to_org).context("reading an organization")
    }

    fn org_by_id(&self, id: i64) -> Result<Option<Org>> {
        self.maybe(&format!("{ORG_SELECT} WHERE id = $1"), &[&id], row_to_org).context("reading an organization")
    }

    fn org_member_count(&self, org: i64) -> Result<u64> {
        let n: i64 = self
            .one(&format!("SELECT {MEMBER_COUNT} AS n FROM orgs o WHERE o.id = $1"), &[&org], |r| r.try_get("n"))
            .context("counting members")?;
        Ok(n as u64)
    }

    fn mark_created(&mut self, p: &Permit) -> Result<()> {
        covers(p, &[Op::Init], None, None)?;
        self.run("INSERT INTO acct_meta (key, value) VALUES ('created_at', $1)", &[&now()])
            .context("recording the creation time")?;
        Ok(())
    }

    fn insert_org(&mut self, p: &Permit, org: &NewOrg) -> Result<i64> {
        covers(p, &[Op::OrgCreate, Op::Init], None, None)?;
        let t = now();
        let id: i64 = self
            .one(
                "INSERT INTO orgs (slug, display_name, created_at) VALUES ($1, $2, $3) RETURNING id",
                &[&org.slug, &org.display_name, &t],
                |r| r.try_get("id"),
            )
            .context("inserting an organization")?;
        self.run(
            "INSERT INTO groups (org_id, slug, display_name, created_at) VALUES ($1, 'everyone', 'Everyone', $2)",
            &[&id, &t],
        )
        .context("inserting the organization's 'everyone' group")?;
        Ok(id)
    }

    fn set_org(&mut self, p: &Permit, org: i64, s: &OrgSettings) -> Result<()> {
        covers(p, &[Op::OrgSet], Some(org), None)?;
        self.run(
            "UPDATE orgs SET display_name = $1, sso = $2, sms_2fa = $3 WHERE id = $4",
            &[&s.display_name, &s.sso, &s.sms_2fa, &org],
        )
        .context("updating the organization")?;
        Ok(())
    }
}
