//! `acct org use`: the current organization, written to the config file.

use crate::error::Result;
use crate::service::org;
use crate::service::session::Ctx;
use crate::validate;
use clap::Args;

#[derive(Debug, Args)]
pub struct UseArgs {
    #[arg(add = crate::cli::complete::orgs())]
    slug: String,
}

pub(super) fn run(ctx: &mut Ctx, a: UseArgs) -> Result<()> {
    let slug = validate::slug("organization", &a.slug)?;
    {
        let mut session = ctx.session()?;
        let t = session.read()?;
        org::check_usable(&*t.tx, &t.actor, &slug)?;
    }
    if ctx.dry_run {
        ctx.note("dry run: nothing was changed");
        return Ok(());
    }
    ctx.config.set("org", &slug)?;
    ctx.note(format!("now working in {}", a.slug));
    Ok(())
}
