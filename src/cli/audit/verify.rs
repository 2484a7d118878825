//! `acct audit verify`: the hash chain of the audit log, recomputed.

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

pub(super) fn run(ctx: &Ctx, a: VerifyArgs) -> Result<()> {
    let head = a.head.as_deref().map(audit::parse_head).transpose()?;
    let mut session = ctx.session()?;
    let t = session.read()?;
    let intact = audit::verify(&*t.tx, &t.actor, &t.org()?, head.as_ref())?;
    let (id, hash) = intact.head.clone().unwrap_or_default();
    match ctx.format_or(Format::Table) {
        Format::Table => {
            use std::io::Write;
            let mut out = ctx.stdout();
            let extends = a.head.as_deref().map(|h| format!("; extends {h}")).unwrap_or_default();
            writeln!(out, "intact: {} entries; head {id}:{hash}{extends}", intact.entries)?;
            out.flush()?;
        }
        _ => crate::cli::print_object(
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
