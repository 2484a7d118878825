//! `acct org`.

use crate::error::Result;
use crate::service::org;
use crate::service::session::Ctx;
use crate::store::OrgChange;
use clap::{Subcommand, ValueEnum};
use serde_json::json;

#[derive(Debug, Subcommand)]
pub enum OrgCmd {
    /// Organizations you belong to (every one for global readers)
    ///
    /// Lists the organizations the actor is a member of, or every organization for a holder of
    /// global:read.
    #[command(alias = "ls")]
    List,
    /// One organization [default: the current one]
    ///
    /// Shows one organization: its slug, display name, the sso and sms_2fa policies, the number of
    /// members and when it was made.
    #[command(alias = "get")]
    Show {
        #[arg(add = super::complete::orgs())]
        slug: Option<String>,
    },
    /// Create an organization (needs global:admin)
    ///
    /// Creates an organization with its everyone group (needs global:admin). The slug is
    /// [a-z0-9][a-z0-9-]{0,62} and must be new (exit 5 otherwise).
    Create {
        slug: String,
        /// Display name [default: the slug]
        #[arg(long, value_name = "DISPLAY")]
        display_name: Option<String>,
    },
    /// Make an organization the current one (writes 'org' to the config file)
    ///
    /// Writes org = SLUG into the configuration file, so that later commands work in that
    /// organization. The organization must exist.
    Use {
        #[arg(add = super::complete::orgs())]
        slug: String,
    },
    /// Change the current organization's policies or display name
    ///
    /// Changes the sso policy (on/off), the sms_2fa policy (allowed/disallowed) or the display name
    /// of the current organization (needs org admin). Audited as org.set; 'acct undo' reverses it.
    Set(SetArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Allowed {
    Allowed,
    Disallowed,
}

#[derive(Debug, clap::Args)]
pub struct SetArgs {
    /// Single sign-on
    #[arg(long, value_enum)]
    sso: Option<OnOff>,
    /// Two-factor codes by SMS
    #[arg(long = "sms-2fa", value_enum)]
    sms_2fa: Option<Allowed>,
    /// Display name
    #[arg(long, value_name = "DISPLAY")]
    display_name: Option<String>,
}

/// An organization's fields. The policies are booleans (as every flag of a
/// user is), the same in every format: `sso` on, `sms_2fa` allowed.
fn fields(r: &org::OrgRow) -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("id", json!(r.org.id)),
        ("slug", json!(r.org.slug)),
        ("display_name", json!(r.org.display_name)),
        ("sso", json!(r.org.sso)),
        ("sms_2fa", json!(r.org.sms_2fa)),
        ("members_count", json!(r.members)),
        ("created_at", json!(r.org.created_at)),
    ]
}

pub fn run(cmd: OrgCmd, ctx: &mut Ctx) -> Result<()> {
    match cmd {
        OrgCmd::List => {
            let rows = org::list(ctx)?;
            let names: Vec<&str> = fields(&org::OrgRow { org: Default::default(), members: 0 }).iter().map(|f| f.0).collect();
            let rows = rows.iter().map(|r| fields(r).into_iter().map(|f| f.1).collect()).collect();
            super::print_rows(ctx, &names, rows)
        }
        OrgCmd::Show { slug } => {
            let r = org::show(ctx, slug.as_deref())?;
            super::print_object(ctx, &fields(&r))
        }
        OrgCmd::Create { slug, display_name } => {
            let o = org::create(ctx, &slug, display_name.as_deref())?;
            let verb = if ctx.dry_run { "would create" } else { "created" };
            ctx.note(format!("{verb} organization {} with you as its full-admin", o.slug));
            // With --format, the result as data: the organization created.
            if ctx.format_given().is_some() {
                super::print_object(ctx, &fields(&org::OrgRow { org: o, members: 1 }))?;
            }
            Ok(())
        }
        OrgCmd::Use { slug } => {
            org::use_org(ctx, &slug)?;
            if !ctx.dry_run {
                ctx.note(format!("now working in {slug}"));
            }
            Ok(())
        }
        OrgCmd::Set(a) => {
            let change = OrgChange {
                display_name: a.display_name,
                sso: a.sso.map(|s| matches!(s, OnOff::On)),
                sms_2fa: a.sms_2fa.map(|s| matches!(s, Allowed::Allowed)),
            };
            let ch = org::set(ctx, &change)?;
            super::print_changes(ctx, "organization", &ch);
            super::print_change_rows(ctx, &ch)
        }
    }
}
