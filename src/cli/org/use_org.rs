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
    let dry_run = ctx.dry_run;
    let s = ctx.config.set("org", &slug, dry_run)?;
    let note = match (s.changed, dry_run) {
        (true, true) => format!("would work in {slug}"),
        (true, false) => format!("now working in {slug}"),
        (false, _) => format!("working in {slug}"),
    };
    crate::cli::config::print_setting(ctx, "org", &s, note)
}
