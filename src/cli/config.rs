//! `acct config`.

use crate::config;
use crate::error::{AppError, Kind, Result};
use crate::service::session::Ctx;
use clap::Subcommand;
use serde_json::json;
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Print the value of a key (its default when unset)
    ///
    /// Prints the value of KEY (section.key, such as mail.from), or its default when it is not set.
    /// An unknown key is an error (exit 2), with a suggestion when a close key exists.
    Get { key: String },
    /// Set a key (list.columns takes a comma-separated list)
    ///
    /// Writes KEY = VALUE into the configuration file, keeping its comments and other keys; the
    /// value is checked first (an unknown key or a bad value is an error and the file is left
    /// alone). Concurrent sets never lose each other's keys.
    Set { key: String, value: String },
    /// Remove a key from the file
    ///
    /// Removes KEY from the configuration file, which returns it to its default. Removing a key
    /// that is not set succeeds.
    Unset { key: String },
    /// Print the path of the configuration file
    ///
    /// Prints the path of the configuration file in use: --config, ACCT_CONFIG, or the platform
    /// default. The file need not exist.
    Path,
    /// List the keys that are set
    ///
    /// Lists the keys set in the configuration file with their values, in the file's order. Keys
    /// left at their default are not listed; 'acct config get KEY' shows a default.
    #[command(alias = "ls")]
    List,
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

pub fn run(cmd: ConfigCmd, ctx: &mut Ctx) -> Result<()> {
    // The config commands work on a broken file, to repair it, and say what
    // is wrong with it.
    if matches!(cmd, ConfigCmd::Get { .. } | ConfigCmd::List) {
        for p in ctx.config.problems() {
            ctx.warn(crate::error::message_line(&p.message));
        }
    }
    let mut out = ctx.stdout();
    match cmd {
        ConfigCmd::Get { key } => {
            ctx.config.check_key(&key)?;
            let v = ctx.config.get(&key).or_else(|| default_of(&key)).ok_or_else(|| {
                AppError::new(Kind::Failure, format!("'{key}' is not set")).with_hint(format!("acct config set {key} VALUE"))
            })?;
            if ctx.format_given().is_some_and(|f| f != crate::output::Format::Table) {
                drop(out);
                return super::print_object(ctx, &[("key", json!(key)), ("value", json!(v))]);
            }
            writeln!(out, "{v}")?;
        }
        ConfigCmd::Set { key, value } => {
            if ctx.dry_run {
                ctx.config.check_key(&key)?;
                ctx.note("dry run: nothing was changed");
            } else {
                ctx.config.set(&key, &value)?;
            }
        }
        ConfigCmd::Unset { key } => {
            if ctx.dry_run {
                ctx.config.check_key(&key)?;
                ctx.note("dry run: nothing was changed");
            } else if !ctx.config.unset(&key)? {
                ctx.note(format!("'{key}' was not set"));
            }
        }
        ConfigCmd::Path => {
            if ctx.format_given().is_some_and(|f| f != crate::output::Format::Table) {
                drop(out);
                return super::print_object(ctx, &[("path", json!(ctx.config.path.display().to_string()))]);
            }
            writeln!(out, "{}", ctx.config.path.display())?
        }
        ConfigCmd::List => {
            drop(out);
            let rows = ctx.config.list().into_iter().map(|(k, v)| vec![json!(k), json!(v)]).collect();
            super::print_rows(ctx, &["key", "value"], rows)?;
            return Ok(());
        }
    }
    out.flush()?;
    Ok(())
}
