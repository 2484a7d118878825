//! `acct config get`.

use crate::config;
use crate::error::{AppError, Kind, Result};
use crate::service::session::Ctx;
use clap::Args;
use serde_json::json;
use std::io::Write;

#[derive(Debug, Args)]
pub struct GetArgs {
    key: String,
}

fn default_of(key: &str) -> Option<String> {
    match key {
        "mail.from" => Some(config::DEFAULT_FROM.into()),
        "mail.invite_url" => Some(config::DEFAULT_INVITE_URL.into()),
        "mail.transport" => Some("outbox".into()),
        "invite.ttl_days" => Some(config::DEFAULT_TTL_DAYS.to_string()),
        "list.columns" => Some(crate::store::Column::LIST_DEFAULT.iter().map(|c| c.name()).collect::<Vec<_>>().join(",")),
        _ => None,
    }
}

pub(super) fn run(ctx: &Ctx, GetArgs { key }: GetArgs) -> Result<()> {
    super::warn_problems(ctx);
    ctx.config.check_key(&key)?;
    let v = ctx.config.get(&key).or_else(|| default_of(&key)).ok_or_else(|| {
        AppError::new(Kind::Failure, format!("'{key}' is not set")).with_hint(format!("acct config set {key} VALUE"))
    })?;
    if ctx.format_given().is_some_and(|f| f != crate::output::Format::Table) {
        return crate::cli::print_object(ctx, &[("key", json!(key)), ("value", json!(v))]);
    }
    let mut out = ctx.stdout();
    writeln!(out, "{v}")?;
    out.flush()?;
    Ok(())
}
