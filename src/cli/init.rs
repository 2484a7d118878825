//! `acct init` and `acct whoami`.

use crate::error::Result;
use crate::service::init;
use crate::service::session::Ctx;
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  acct init --org acme --admin ada@example.com --name \"Acme Corp\"")]
pub struct InitArgs {
    /// Slug of the first organization ([a-z0-9][a-z0-9-]{0,62})
    #[arg(long, value_name = "SLUG")]
    pub org: String,
    /// E-mail of the first administrator (full-admin and global-admin)
    #[arg(long, value_name = "EMAIL")]
    pub admin: String,
    /// Display name of the organization [default: the slug]
    #[arg(long, value_name = "DISPLAY")]
    pub name: Option<String>,
}

pub fn run_init(a: &InitArgs, ctx: &mut Ctx) -> Result<()> {
    // `--org` is also a global flag; here it names the new organization.
    let done = init::init(ctx, &a.org, &a.admin, a.name.as_deref())?;
    if ctx.dry_run {
        return Ok(());
    }
    ctx.note(format!("created {} with organization {} and administrator {}", done.db.display(), done.org, done.admin));
    if !done.config_keys.is_empty() {
        ctx.note(format!("wrote {} to {}", done.config_keys.join(", "), ctx.config.path.display()));
    }
    Ok(())
}

pub fn run_whoami(ctx: &Ctx) -> Result<()> {
    let w = init::whoami(ctx)?;
    super::print_object(
        ctx,
        &[
            ("id", json!(w.id)),
            ("email", json!(w.email)),
            ("username", json!(w.username)),
            ("org", json!(w.org)),
            ("role", json!(w.roles)),
            ("global_roles", json!(w.global_roles)),
            ("organizations", json!(w.organizations)),
        ],
    )?;
    if let Some(org) = &w.org
        && w.roles.is_empty()
        && w.global_roles.is_empty()
    {
        ctx.note(format!("you have no role in {org}: you can do nothing there yet; ask an administrator to assign you a role"));
    }
    Ok(())
}
