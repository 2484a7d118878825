//! `acct access`: global roles. The subcommands and their dispatch; each
//! lives in its own file.

mod grant;
mod list;
mod revoke;

use crate::error::Result;
use crate::service::session::Ctx;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum AccessCmd {
    /// Grant a global role (global-admin, global-read-only)
    ///
    /// Gives USER the global role ROLE (needs global:admin). Granting a role the user holds
    /// succeeds and says unchanged. Audited as access.grant; 'acct undo' reverses it.
    Grant(grant::GrantArgs),
    /// Revoke a global role
    ///
    /// Takes the global role ROLE from USER (needs global:admin). The last active global-admin
    /// keeps the role (exit 5). Audited as access.revoke.
    Revoke(grant::GrantArgs),
    /// Who holds which global role
    ///
    /// Lists the holders of global roles, one row per user and role, with the user's id and e-mail
    /// address (needs global:admin).
    #[command(alias = "ls")]
    List,
}

pub fn run(cmd: AccessCmd, ctx: &Ctx) -> Result<()> {
    match cmd {
        AccessCmd::List => list::run(ctx),
        AccessCmd::Grant(a) => grant::run(ctx, a),
        AccessCmd::Revoke(a) => revoke::run(ctx, a),
    }
}
