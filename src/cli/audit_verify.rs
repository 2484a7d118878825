//! `acct audit verify` and `acct audit head`: the hash chain of the audit log.

use crate::error::Result;
use crate::output::Format;
use crate::service::audit;
use crate::service::session::Ctx;
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
#[command(after_help = "Exit 0 when the chain is intact, 1 naming the first entry altered, removed or inserted.

Examples:
  acct audit verify
  acct audit verify --head 1234:5f0c...e9")]
pub struct VerifyArgs {
    /// Also prove that the log still extends this head (as printed by 'acct audit head')
    #[arg(long, value_name = "ID:HASH")]
    head: Option<String>,
}

#[derive(Debug, Args)]
#[command(after_help = "Prints ID:HASH; keep it elsewhere (a CI log, a ticket) and check it later with
'acct audit verify --head ID:HASH'.")]
pub struct HeadArgs {}

pub fn run_verify(a: &VerifyArgs, ctx: &Ctx) -> Result<()> {
    let intact = audit::verify(ctx, a.head.as_deref())?;
    let (id, hash) = intact.head.clone().unwrap_or_default();
    match ctx.format_or(Format::Table) {
        Format::Table => {
            use std::io::Write;
            let mut out = ctx.stdout();
            let extends = a.head.as_deref().map(|h| format!("; extends {h}")).unwrap_or_default();
            writeln!(out, "intact: {} entries; head {id}:{hash}{extends}", intact.entries)?;
            out.flush()?;
        }
        _ => super::print_object(
            ctx,
            &[
                ("intact", json!(true)),
                ("entries", json!(intact.entries)),
                ("id", json!(id)),
                ("hash", json!(hash)),
                ("extends", json!(a.head)),
            ],
        )?,
    }
    Ok(())
}

pub fn run_head(_: &HeadArgs, ctx: &Ctx) -> Result<()> {
    let (id, hash) = audit::head(ctx)?;
    match ctx.format_or(Format::Table) {
        Format::Table => {
            use std::io::Write;
            let mut out = ctx.stdout();
            writeln!(out, "{id}:{hash}")?;
            out.flush()?;
        }
        _ => super::print_object(ctx, &[("id", json!(id)), ("hash", json!(hash))])?,
    }
    Ok(())
}
