//! `acct org`: the subcommands, the fields every one shows, and the
//! dispatch; each subcommand lives in its own file.

mod create;
mod list;
mod set;
mod show;
mod use_org;

use crate::error::Result;
use crate::service::org;
use crate::service::session::Ctx;
use clap::Subcommand;
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
    Show(show::ShowArgs),
    /// Create an organization (needs global:admin)
    ///
    /// Creates an organization with its everyone group (needs global:admin). The slug is
    /// [a-z0-9][a-z0-9-]{0,62} and must be new (exit 5 otherwise).
    Create(create::CreateArgs),
    /// Make an organization the current one (writes 'org' to the config file)
    ///
    /// Writes org = SLUG into the configuration file, so that later commands work in that
    /// organization. The organization must exist.
    Use(use_org::UseArgs),
    /// Change the current organization's policies or display name
    ///
    /// Changes the sso policy (on/off), the sms_2fa policy (allowed/disallowed) or the display name
    /// of the current organization (needs org admin). Audited as org.set; 'acct undo' reverses it.
    Set(set::SetArgs),
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
        OrgCmd::List => list::run(ctx),
        OrgCmd::Show(a) => show::run(ctx, a),
        OrgCmd::Create(a) => create::run(ctx, a),
        OrgCmd::Use(a) => use_org::run(ctx, a),
        OrgCmd::Set(a) => set::run(ctx, a),
    }
}
