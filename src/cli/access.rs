//! `acct access`: global roles.

use crate::error::Result;
use crate::service::access;
use crate::service::session::Ctx;
use clap::Subcommand;
use serde_json::json;

#[derive(Debug, Subcommand)]
pub enum AccessCmd {
    /// Grant a global role (global-admin, global-read-only)
    ///
    /// Gives USER the global role ROLE (needs global:admin). Granting a role the user holds
    /// succeeds and says unchanged. Audited as access.grant; 'acct undo' reverses it.
    Grant {
        #[arg(add = super::complete::users())]
        user: String,
        role: String,
    },
    /// Revoke a global role
    ///
    /// Takes the global role ROLE from USER (needs global:admin). The last active global-admin
    /// keeps the role (exit 5). Audited as access.revoke.
    Revoke {
        #[arg(add = super::complete::users())]
        user: String,
        role: String,
    },
    /// Who holds which global role
    ///
    /// Lists the holders of global roles, one row per user and role, with the user's id and e-mail
    /// address (needs global:admin).
    #[command(alias = "ls")]
    List,
}

pub fn run(cmd: AccessCmd, ctx: &Ctx) -> Result<()> {
    match cmd {
        AccessCmd::List => {
            let rows = access::list(ctx)?;
            super::print_rows(
                ctx,
                &["id", "email", "role"],
                rows.into_iter().map(|r| vec![json!(r.user_id), json!(r.email), json!([r.role])]).collect(),
            )
        }
        AccessCmd::Grant { user, role } => {
            let changed = access::change(ctx, &user, &role, true)?;
            let verb = if ctx.dry_run { "would grant" } else { "granted" };
            let note = if changed { format!("{verb} {role} to {user}") } else { format!("{user} already holds {role}") };
            super::print_outcomes(
                ctx,
                &["user", "role"],
                vec![super::Outcome { values: vec![json!(user), json!([role])], changed, note }],
            )
        }
        AccessCmd::Revoke { user, role } => {
            let changed = access::change(ctx, &user, &role, false)?;
            let verb = if ctx.dry_run { "would revoke" } else { "revoked" };
            let note = if changed { format!("{verb} {role} from {user}") } else { format!("{user} does not hold {role}") };
            super::print_outcomes(
                ctx,
                &["user", "role"],
                vec![super::Outcome { values: vec![json!(user), json!([role])], changed, note }],
            )
        }
    }
}
