//! `acct audit head`: the newest entry's id and hash, to keep elsewhere.

use crate::error::Result;
use crate::output::Format;
use crate::service::audit;
use crate::service::session::Ctx;
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
#[command(after_help = "Prints ID:HASH; keep it elsewhere (a CI log, a ticket) and check it later with
'acct audit verify --head ID:HASH'.")]
pub struct HeadArgs {}

pub(super) fn run(ctx: &Ctx, _: HeadArgs) -> Result<()> {
    let mut session = ctx.session()?;
    let t = session.read()?;
    let (id, hash) = audit::head(&*t.tx, &t.actor, &t.org()?)?;
    match ctx.format_or(Format::Table) {
        Format::Table => {
            use std::io::Write;
            let mut out = ctx.stdout();
            writeln!(out, "{id}:{hash}")?;
            out.flush()?;
        }
        _ => crate::cli::print_object(ctx, &[("id", json!(id)), ("hash", json!(hash))])?,
    }
    Ok(())
}
