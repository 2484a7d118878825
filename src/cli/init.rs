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
    let f = init::Founding::new(&a.org, &a.admin, a.name.as_deref())?;
    let db = init::new_database(ctx.db_path()?)?;
    let (slug, admin) = (f.org.slug.clone(), f.admin.email.clone());
    if ctx.dry_run {
        ctx.note(format!("would create {} with organization {slug} and administrator {admin}", crate::store::shown(&db)));
        ctx.note("dry run: nothing was changed");
        return Ok(());
    }
    init::init(&db, &f, ctx.change_id())?;
    // The new database becomes this configuration's, where nothing else is set.
    let mut written = Vec::new();
    // A connection URL is written without its password (PGPASSWORD or
    // ~/.pgpass give it, as to psql).
    for (key, value) in [("actor", admin.clone()), ("org", slug.clone()), ("database", crate::store::shown(&db))] {
        if ctx.config.get(key).is_none() {
            ctx.config.set(key, &value, false)?;
            written.push(key);
        }
    }
    ctx.note(format!("created {} with organization {slug} and administrator {admin}", crate::store::shown(&db)));
    if !written.is_empty() {
        ctx.note(format!("wrote {} to {}", written.join(", "), ctx.config.path.display()));
    }
    Ok(())
}

pub fn run_whoami(ctx: &Ctx) -> Result<()> {
    let mut session = ctx.session()?;
    let t = session.read()?;
    let org = match ctx.org_slug() {
        Ok(_) => Some(t.org()?),
        Err(_) => None,
    };
    let w = init::whoami(&*t.tx, &t.actor, org)?;
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
            ("db_login", json!(w.db_login)),
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
