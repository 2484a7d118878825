//! `acct config`: the subcommands and their dispatch; each lives in its own
//! file. The config commands work on a broken file, to repair it, and the
//! ones that read it say what is wrong with it.

mod get;
mod list;
mod path;
mod set;
mod unset;

use crate::error::Result;
use crate::service::session::Ctx;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Print the value of a key (its default when unset)
    ///
    /// Prints the value of KEY (section.key, such as mail.from), or its default when it is not set.
    /// An unknown key is an error (exit 2), with a suggestion when a close key exists.
    Get(get::GetArgs),
    /// Set a key (list.columns takes a comma-separated list)
    ///
    /// Writes KEY = VALUE into the configuration file, keeping its comments and other keys; the
    /// value is checked first (an unknown key or a bad value is an error and the file is left
    /// alone). Concurrent sets never lose each other's keys.
    Set(set::SetArgs),
    /// Remove a key from the file
    ///
    /// Removes KEY from the configuration file, which returns it to its default. Removing a key
    /// that is not set succeeds.
    Unset(unset::UnsetArgs),
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

pub fn run(cmd: ConfigCmd, ctx: &mut Ctx) -> Result<()> {
    match cmd {
        ConfigCmd::Get(a) => get::run(ctx, a),
        ConfigCmd::Set(a) => set::run(ctx, a),
        ConfigCmd::Unset(a) => unset::run(ctx, a),
        ConfigCmd::Path => path::run(ctx),
        ConfigCmd::List => list::run(ctx),
    }
}

/// What `config set` or `unset` did: a note (`(unchanged)` for a no-op)
/// and, with `--format`, one row of `key`, `old`, `new` (the values in the
/// file, `null` when not set) and `changed`.
pub(crate) fn print_setting(ctx: &Ctx, key: &str, s: &crate::config::Setting, note: String) -> Result<()> {
    use serde_json::json;
    let values = vec![json!(key), json!(s.old), json!(s.new)];
    let outcome = crate::cli::Outcome { values, changed: s.changed, note };
    crate::cli::print_outcomes(ctx, &["key", "old", "new"], vec![outcome])?;
    if ctx.dry_run {
        ctx.note("dry run: nothing was changed");
    }
    Ok(())
}

/// Warn about each problem of the configuration file.
fn warn_problems(ctx: &Ctx) {
    for p in ctx.config.problems() {
        ctx.warn(crate::error::message_line(&p.message));
    }
}
