//! acct: administration of the user accounts of an organization.
//!
//! Layers, top to bottom: `cli` (parse flags, render results), `service`
//! (one function per operation), `authz` (the decision engine), `store` (the
//! repository layer; the only SQL). `main` only calls [`run`].

pub(crate) mod attributes;
pub(crate) mod authz;
pub(crate) mod cli;
pub(crate) mod config;
pub(crate) mod error;
pub(crate) mod location;
pub(crate) mod mail;
pub(crate) mod output;
pub(crate) mod safe_file;
pub(crate) mod secret;
pub(crate) mod service;
pub(crate) mod store;
pub(crate) mod text;
pub(crate) mod twofactor;
pub mod validate;

// What the integration tests read of the crate besides `run`: the command
// tree, the generated completion scripts and man pages, the list/export
// columns and the e-mail rule.
pub use cli::{Cli, assets};
pub use store::Column;

use std::io::Write;
use std::process::ExitCode;

/// Parse, dispatch, and turn the outcome into an exit status. The only place
/// where errors are printed.
pub fn run() -> ExitCode {
    // `acct --version` is answered before the command tree is built: scripts
    // call it to probe for acct, and it should cost no more than a process.
    {
        let mut args = std::env::args_os().skip(1);
        if let (Some(a), None) = (args.next(), args.next())
            && (a == "--version" || a == "-V")
        {
            let _ = writeln!(std::io::stdout(), "acct {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
    }
    // Shell completion requests (COMPLETE=bash acct -- ...) are answered here.
    clap_complete::CompleteEnv::with_factory(<cli::Cli as clap::CommandFactory>::command)
        .bin("acct")
        .completer("acct")
        .complete();
    let cli = match parse() {
        Ok(c) => c,
        Err(e) => return clap_error(e),
    };
    let json_errors = matches!(cli.global.format, Some(output::Format::Json | output::Format::Jsonl));
    let color = !cli.global.no_color
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::IsTerminal::is_terminal(&std::io::stderr());
    match cli::dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            let r = error::classify(&e);
            let mut err = std::io::stderr().lock();
            if r.kind == error::Kind::Cancelled {
                // An answer, not an error: said once, exit 0.
                let _ = writeln!(err, "{}", error::message_line(&r.message));
                return ExitCode::SUCCESS;
            }
            if !r.message.is_empty() {
                let prefix = if color { "\x1b[1;31merror:\x1b[0m" } else { "error:" };
                let _ = writeln!(err, "{prefix} {}", error::message_line(&r.message));
                if let Some(h) = &r.hint {
                    let _ = writeln!(err, "hint: {}", error::message_line(h));
                }
                if json_errors {
                    let mut obj = serde_json::json!({"kind": r.kind.name(), "message": r.message, "hint": r.hint, "exit": r.kind.exit_code()});
                    if let (Some(o), Some(d)) = (obj.as_object_mut(), r.details) {
                        o.extend(*d);
                    }
                    let obj = serde_json::json!({ "error": obj });
                    let _ = writeln!(err, "{obj}");
                }
            }
            ExitCode::from(r.kind.exit_code())
        }
    }
}

/// A closed pipe, however deep in the chain (the serde_json and csv writers
/// wrap the I/O error in their own).
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>().and_then(|j| j.io_error_kind()) == Some(std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<csv::Error>()
                .is_some_and(|x| matches!(x.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe))
    })
}

/// clap's errors in acct's shape: one `error:` line (with what clap lists
/// below it, such as the missing arguments), tips and possible values as
/// `hint:` lines, exit 2; with `--format json|jsonl` also a JSON object. Help
/// and version go to stdout with exit 0.
/// Whether `--no-color` is among the raw arguments (clap colours its own
/// help and errors before acct's flags are read).
fn no_color_requested() -> bool {
    std::env::args_os().skip(1).take_while(|a| a != "--").any(|a| a == "--no-color")
}

/// The command tree as parsed: with `--no-color`, clap's own help and
/// errors are plain too (as with `NO_COLOR`).
fn command() -> clap::Command {
    let cmd = <cli::Cli as clap::CommandFactory>::command();
    if no_color_requested() { cmd.color(clap::ColorChoice::Never) } else { cmd }
}

fn parse() -> Result<cli::Cli, clap::Error> {
    use clap::FromArgMatches;
    let matches = command().try_get_matches_from(std::env::args_os())?;
    cli::Cli::from_arg_matches(&matches)
}

/// The usage of the subcommand the arguments name, as `--help` shows it:
/// clap's error usage also lists the options that were given (from the
/// environment too, e.g. `--db` when `ACCT_DB` is set), as if they were
/// required.
fn usage_of_named_command() -> Option<String> {
    let mut cmd = command();
    cmd.build();
    let mut leaf = &cmd;
    for a in std::env::args_os().skip(1) {
        let Some(a) = a.to_str() else { continue };
        if let Some(sub) = leaf.find_subcommand(a) {
            leaf = sub;
        }
    }
    let usage = leaf.clone().render_usage().to_string();
    usage.lines().next().map(|l| l.trim().trim_start_matches("Usage: ").to_string())
}

fn clap_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
        _ => {}
    }
    let text = e.render().to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut message = lines.next().unwrap_or("error: invalid usage").trim_start_matches("error: ").to_string();
    if e.kind() == ErrorKind::InvalidUtf8 {
        message = invalid_utf8_message();
    }
    let mut hints = Vec::new();
    let mut usage = None;
    for l in lines {
        if let Some(tip) = l.strip_prefix("tip: ") {
            hints.push(tip.to_string());
        } else if let Some(u) = l.strip_prefix("Usage: ") {
            usage = Some(u.to_string());
        } else if l.starts_with("[possible values:") {
            hints.push(l.trim_matches(|c| c == '[' || c == ']').to_string());
        } else if !l.starts_with("For more information") {
            message = if message.ends_with(':') { format!("{message} {l}") } else { format!("{message}, {l}") };
        }
    }
    if let Some(u) = usage {
        // A missing argument: the usage of the command as --help shows it.
        let own = (e.kind() == ErrorKind::MissingRequiredArgument).then(usage_of_named_command).flatten();
        hints.push(format!("usage: {}", own.unwrap_or(u)));
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "error: {message}");
    for h in &hints {
        let _ = writeln!(err, "hint: {h}");
    }
    if json_requested() {
        let hint = if hints.is_empty() { serde_json::Value::Null } else { serde_json::Value::from(hints.join("; ")) };
        let obj = serde_json::json!({"error": {"kind": "usage", "message": message, "hint": hint, "exit": 2}});
        let _ = writeln!(err, "{obj}");
    }
    ExitCode::from(2)
}

/// `--format json` or `jsonl` among the raw arguments (for errors found
/// before the arguments could be parsed). The arguments are read as they
/// are: one that is not UTF-8 is simply not `--format`.
fn json_requested() -> bool {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    args.iter().enumerate().any(|(i, a)| {
        a == "--format=json"
            || a == "--format=jsonl"
            || (a == "--format" && args.get(i + 1).is_some_and(|v| v == "json" || v == "jsonl"))
    })
}

/// clap's "invalid UTF-8 was detected in one or more arguments", made
/// precise: which argument (or which environment variable clap read) it was,
/// shown with its bad bytes escaped.
fn invalid_utf8_message() -> String {
    let bad = std::env::args_os().enumerate().skip(1).find(|(_, a)| a.to_str().is_none());
    if let Some((i, a)) = bad {
        return format!("argument {i} is not valid UTF-8: '{}'", error::one_line_os(&a));
    }
    for var in cli::STRING_ENV {
        if let Some(v) = std::env::var_os(var).filter(|v| v.to_str().is_none()) {
            return format!("{var} is not valid UTF-8: '{}'", error::one_line_os(&v));
        }
    }
    "an argument is not valid UTF-8".to_string()
}
