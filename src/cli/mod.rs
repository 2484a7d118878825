//! The command tree. This module holds the top-level parser and the dispatch;
//! each group lives in its own module with its `Args` and a thin `run`.

pub mod access;
pub mod apply;
pub mod assets;
pub mod audit;
pub mod can_i;
pub mod complete;
pub mod config;
pub mod db;
pub mod group;
pub mod init;
pub mod invite;
pub mod org;
pub mod role;
pub mod twofa;
pub mod undo;
pub mod user;

use crate::error::Result;
use crate::output::Format;
use crate::service::session::{Ctx, Globals};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// The environment variables that clap reads into text (not path) values;
/// one that is not UTF-8 is named in the usage error.
pub const STRING_ENV: &[&str] = &["ACCT_ORG"];

#[derive(Debug, Parser)]
#[command(
    name = "acct",
    version,
    about = "Administer the user accounts of an organization",
    long_about = "acct administers the user accounts of an organization: users, organizations, roles, groups, \
invitations and two-factor authentication, all kept in one local SQLite file. Every change is checked by one \
authorization engine, acting as the user named by the config key 'actor' (or ACCT_ACTOR), and written to an \
audit log in the same transaction.",
    after_long_help = crate::error::exit_status_help(),
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The heading of the global options in `--help` and the man pages.
pub const GLOBAL: &str = "Global options";

#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Database file [default: config 'database', else acct.db in the data directory]
    #[arg(long, global = true, help_heading = GLOBAL, env = "ACCT_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Configuration file [default: $XDG_CONFIG_HOME/acct/config.toml]
    #[arg(long, global = true, help_heading = GLOBAL, env = "ACCT_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// The organization to work in [default: config 'org']
    #[arg(long, global = true, help_heading = GLOBAL, env = "ACCT_ORG", value_name = "SLUG", add = complete::orgs())]
    pub org: Option<String>,
    /// Output format for data
    #[arg(long, global = true, help_heading = GLOBAL, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// Do everything inside a transaction, print what would change, roll back
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub dry_run: bool,
    /// Answer yes to confirmations
    #[arg(short = 'y', long, global = true, help_heading = GLOBAL)]
    pub yes: bool,
    /// Print no notes on stderr (errors and warnings still)
    #[arg(short, long, global = true, help_heading = GLOBAL)]
    pub quiet: bool,
    /// No colour (NO_COLOR is honoured too)
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub no_color: bool,
}

impl From<&GlobalArgs> for Globals {
    fn from(g: &GlobalArgs) -> Globals {
        Globals {
            db: g.db.clone(),
            config: g.config.clone(),
            org: g.org.clone(),
            format: g.format,
            dry_run: g.dry_run,
            yes: g.yes,
            quiet: g.quiet,
            no_color: g.no_color,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database, the first organization and its administrator
    ///
    /// Creates the database file (mode 0600, its directory made if needed), the organization SLUG
    /// with its everyone group, the built-in roles, and the first user ADMIN, who is active and
    /// holds full-admin and global-admin. Writes actor, org and database into the configuration
    /// file unless they are set. On an existing database it fails with exit 5 and changes nothing.
    Init(init::InitArgs),
    /// Show the acting user, their organization and roles
    ///
    /// Shows the actor (config key actor, or ACCT_ACTOR), the current organization, the roles the
    /// actor holds there and their global roles. A member without a role is told to ask an
    /// administrator. An actor that does not exist, is inactive or is still invited is refused
    /// (exit 4).
    Whoami,
    /// Read and write the configuration file
    ///
    /// Reads and writes the TOML configuration file ($XDG_CONFIG_HOME/acct/config.toml, or
    /// ACCT_CONFIG, or --config). Keys are addressed as section.key; an unknown key is an error.
    /// Comments are kept, a symlinked file is written through the link, and the file is replaced
    /// atomically. A bad value elsewhere in the file never stops these commands.
    #[command(subcommand)]
    Config(config::ConfigCmd),
    /// Users of the current organization: add, list, show, edit, remove, export
    ///
    /// Commands on the users of the current organization (--org, ACCT_ORG or config org). A USER is
    /// an id (all digits), an e-mail address (contains @) or a username. Each change is decided by
    /// the authorization engine for the actor's relation to the target (self, manager, org admin)
    /// and written to the audit log.
    #[command(subcommand)]
    User(user::UserCmd),
    /// Make the members of the current organization match a file (plan, converge, prune)
    ///
    /// Reads a CSV file with a header (or JSON Lines), keyed by email, and makes the current
    /// organization's members match it: absent columns are left alone, an empty cell clears, the
    /// groups and role columns are exact sets, an address that is not a member is invited. With
    /// --prune, members missing from the file are removed (confirmation on a terminal, --yes
    /// otherwise). The plan is printed first; every row is validated and decided by the engine
    /// before anything is written, and the whole apply is one transaction (all or nothing unless
    /// --keep-going, which exits 7 when rows were refused). A file that already matches changes
    /// nothing. The apply is one change in the audit log, which 'acct undo --change ID' reverses as
    /// a whole.
    #[command(after_help = apply::AFTER_HELP)]
    Apply(apply::ApplyArgs),
    /// Organizations
    ///
    /// An account holds one or more organizations, named by a slug, each with a display name and
    /// the policies sso (on/off) and sms_2fa (allowed/disallowed). Commands work in the current
    /// organization: --org, ACCT_ORG, or config org (set by 'acct org use').
    #[command(subcommand)]
    Org(org::OrgCmd),
    /// Organization roles and their assignment
    ///
    /// Roles are named sets of permissions of one organization. The built-in roles full-admin,
    /// read-only and helpdesk cannot be edited or deleted; custom roles are made from the
    /// permission catalogue. Nobody may grant a role, or give a role a permission, that they do not
    /// hold themselves (exit 4), and an organization always keeps an active full-admin (exit 5).
    /// Global roles are managed by 'acct access'.
    #[command(subcommand)]
    Role(role::RoleCmd),
    /// Global (account-level) roles
    ///
    /// The global roles global-admin (org admin in every organization, and the management of
    /// organizations and global access) and global-read-only. Every access command needs
    /// global:admin. The last active global-admin cannot be revoked (exit 5).
    #[command(subcommand)]
    Access(access::AccessCmd),
    /// Groups, their managers and members
    ///
    /// Groups belong to one organization; every organization has the group everyone. A user has one
    /// primary group (whose organization is theirs) and any number of additional groups. Managers
    /// of a group may manage its members and their attributes as the authorization matrix allows.
    #[command(subcommand)]
    Group(group::GroupCmd),
    /// The audit log
    ///
    /// Every successful change writes an audit entry in its own transaction: time, actor,
    /// organization, action, target, the changed fields (old and new, null when unset, never a
    /// secret) and the change (one id per command invocation). The entries form a SHA-256 hash
    /// chain, so that an altered, removed or inserted entry is found by 'acct audit verify'.
    /// Reading the log needs audit:read.
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// The database file: backup, check, migrate, restore, purge
    ///
    /// Commands on the SQLite database file itself. They act on the file and need only access to
    /// it, like sqlite3 would: no actor is asked for.
    #[command(subcommand)]
    Db(db::DbCmd),
    /// Invitations: list, send, resend, accept
    ///
    /// A new identity is invited: a token of 256 random bits, stored only as its SHA-256 hash, is
    /// made when the mail is sent, is used once and expires after invite.ttl_days (default 7).
    /// Every send or resend makes a new token and invalidates the older one. Mail goes through
    /// config mail.transport: outbox (default: .eml files in the data directory), smtp://, smtps://
    /// or sendmail.
    #[command(subcommand)]
    Invite(invite::InviteCmd),
    /// Your own two-factor authentication
    ///
    /// Two-factor authentication of the actor themself: TOTP (RFC 6238, SHA-1, 6 digits, 30 s) with
    /// ten single-use recovery codes. Codes are checked only for real: enroll and verify refuse
    /// --dry-run (exit 2).
    #[command(subcommand, name = "2fa")]
    TwoFa(twofa::TwoFaCmd),
    /// Reverse an audit entry, or every entry of one change, as a new change
    ///
    /// Reverses the change recorded by audit entry ID, or with --change every entry of one
    /// invocation (newest first), as a new change made by the actor. Every reversal is decided by
    /// the engine like the command that would make it, so the actor needs its permission (exit 4)
    /// and the invariants hold (exit 5); the undo is all or nothing and each of its entries names
    /// the entry it reverses. It is refused (exit 5, naming the field and its value now) when the
    /// target has changed since the entry, unless --force. Reversible: user edits, adds, removals
    /// and restores, role assign, unassign and set, group managers and members, org set, role edit,
    /// access grant and revoke, and a whole apply or import; not reversible (exit 5): invitations
    /// sent or accepted, passwords, two-factor enrolment and resets, purges. More than one entry
    /// asks for confirmation on a terminal, --yes otherwise (exit 2).
    Undo(undo::UndoArgs),
    /// Ask whether the actor may do something
    ///
    /// Asks the authorization engine, without changing anything, whether the actor may do ACTION
    /// (to USER, or with --field to those attributes), and gives the answer the command itself
    /// would give: yes (exit 0) or no with the reason (exit 4), and the relations found (self,
    /// manager, org admin).
    CanI(can_i::CanIArgs),
    /// Print the shell completion script (bash, zsh, fish, elvish, powershell)
    ///
    /// Prints the completion script for SHELL on stdout. Besides commands and options it completes
    /// field names, statuses, two-factor methods, time zones and can-i actions, and users, roles,
    /// groups and organizations read from the database.
    #[command(
        after_help = "Examples:\n  source <(acct completions bash)\n  acct completions fish > ~/.config/fish/completions/acct.fish"
    )]
    Completions {
        #[arg(value_parser = assets::SHELLS)]
        shell: String,
    },
}

pub fn dispatch(cli: Cli) -> Result<()> {
    if let Command::Completions { shell } = &cli.command {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        out.write_all(assets::completion(shell)?.as_bytes())?;
        return Ok(out.flush()?);
    }
    let mut ctx = Ctx::new(Globals::from(&cli.global))?;
    // The config commands stay usable with a broken file, to repair it.
    if !matches!(cli.command, Command::Config(_)) {
        ctx.config.ensure_known()?;
    }
    let result = run_command(cli.command, &mut ctx);
    if result.is_ok() {
        ctx.close();
    }
    result
}

fn run_command(command: Command, ctx: &mut Ctx) -> Result<()> {
    match command {
        Command::Init(a) => init::run_init(&a, ctx),
        Command::Whoami => init::run_whoami(ctx),
        Command::Config(c) => config::run(c, ctx),
        Command::User(c) => user::run(c, ctx),
        Command::Apply(a) => apply::run(a, ctx),
        Command::Org(c) => org::run(c, ctx),
        Command::Role(c) => role::run(c, ctx),
        Command::Access(c) => access::run(c, ctx),
        Command::Group(c) => group::run(c, ctx),
        Command::Audit(c) => audit::run(c, ctx),
        Command::Db(c) => db::run(c, ctx),
        Command::Invite(c) => invite::run(c, ctx),
        Command::TwoFa(c) => twofa::run(c, ctx),
        Command::Undo(a) => undo::run(&a, ctx),
        Command::CanI(a) => can_i::run(&a, ctx),
        Command::Completions { .. } => Ok(()),
    }
}

/// Print a list of records in the chosen format (table by default).
pub fn print_rows(ctx: &Ctx, names: &[&str], rows: Vec<Vec<serde_json::Value>>) -> Result<()> {
    print_rows_from(ctx, names, |sink| {
        for r in rows {
            sink.row(&r)?;
        }
        Ok(())
    })
}

/// Print the records that `fill` gives the sink, as they come.
pub fn print_rows_from(ctx: &Ctx, names: &[&str], fill: impl FnOnce(&mut crate::output::Sink) -> Result<()>) -> Result<()> {
    let format = ctx.format_or(Format::Table);
    let mut out = ctx.stdout();
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut sink = crate::output::Sink::new(Box::new(&mut out), format, ctx.style(), names.clone(), names, false);
    fill(&mut sink)?;
    sink.finish()?;
    Ok(())
}

/// One line of stdin (a password, a code), without its line ending. Stops
/// after [`STDIN_LINE_MAX`] characters (at most four bytes each): an endless
/// input is an error, not a memory exhaustion. `None` when stdin is empty.
pub fn stdin_line(what: &str) -> Result<Option<String>> {
    use std::io::{BufRead, Read};
    let too_long = || crate::error::invalid(format!("the {what} is too long: at most {STDIN_LINE_MAX} characters"));
    let mut buf = Vec::new();
    // Room for the longest value and a CRLF: one byte more proves it too long.
    let limit = 4 * STDIN_LINE_MAX as u64 + 2;
    std::io::stdin().lock().take(limit).read_until(b'\n', &mut buf)?;
    if buf.is_empty() {
        return Ok(None);
    }
    let ended = buf.last() == Some(&b'\n');
    if ended {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    } else if buf.len() as u64 == limit {
        return Err(too_long().into());
    }
    let line = String::from_utf8(buf).map_err(|_| crate::error::invalid(format!("the {what} on stdin is not valid UTF-8")))?;
    if line.chars().count() > STDIN_LINE_MAX {
        return Err(too_long().into());
    }
    Ok(Some(line))
}

/// The longest line [`stdin_line`] accepts, in characters.
pub const STDIN_LINE_MAX: usize = 1024;

/// Print one record.
pub fn print_object(ctx: &Ctx, fields: &[(&str, serde_json::Value)]) -> Result<()> {
    let mut out = ctx.stdout();
    crate::output::object(&mut out, ctx.format_or(Format::Table), ctx.style(), fields)?;
    use std::io::Write;
    out.flush()?;
    Ok(())
}

/// The outcome of a mutation that may find nothing to do (assigning a held
/// role, adding a member who is one): a note for people on stderr, where a
/// no-op says `(unchanged)`, and with `--format` the outcomes as data on
/// stdout, each with `changed` (SPEC §5).
pub struct Outcome {
    pub values: Vec<serde_json::Value>,
    pub changed: bool,
    pub note: String,
}

pub fn print_outcomes(ctx: &Ctx, names: &[&str], outcomes: Vec<Outcome>) -> Result<()> {
    for o in &outcomes {
        ctx.note(if o.changed { o.note.clone() } else { format!("{} (unchanged)", o.note) });
    }
    if ctx.format_given().is_none() || outcomes.is_empty() {
        return Ok(());
    }
    let mut all: Vec<&str> = names.to_vec();
    all.push("changed");
    let rows = outcomes
        .into_iter()
        .map(|o| {
            let mut v = o.values;
            v.push(serde_json::Value::Bool(o.changed));
            v
        })
        .collect();
    print_rows(ctx, &all, rows)
}

/// Print the changed fields of an update, old → new, as notes.
pub fn print_changes(ctx: &Ctx, what: &str, ch: &crate::service::record::Changes) {
    if ch.is_empty() {
        ctx.note(format!("{what}: nothing changed"));
        return;
    }
    let verb = if ctx.dry_run { "would change" } else { "changed" };
    for (f, o, n) in &ch.0 {
        ctx.note(format!("{what}: {verb} {f}: {} → {}", show(o), show(n)));
    }
}

/// With `--format`, the result of a mutation on one thing as data (what it
/// created, deleted or changed; `changed` is true: a mutation that found
/// nothing to do says so through [`print_outcomes`]).
pub fn print_result(ctx: &Ctx, fields: &[(&str, serde_json::Value)]) -> Result<()> {
    if ctx.format_given().is_none() {
        return Ok(());
    }
    let mut all = fields.to_vec();
    all.push(("changed", serde_json::Value::Bool(true)));
    print_object(ctx, &all)
}

/// With `--format`, the changes of an update as data: one row per changed
/// field (`field`, `old`, `new`), an empty list when nothing changed.
pub fn print_change_rows(ctx: &Ctx, ch: &crate::service::record::Changes) -> Result<()> {
    if ctx.format_given().is_none() {
        return Ok(());
    }
    let rows = ch.0.iter().map(|(f, o, n)| vec![serde_json::json!(f), o.clone(), n.clone()]).collect();
    print_rows(ctx, &["field", "old", "new"], rows)
}

fn show(v: &serde_json::Value) -> String {
    match v {
        // The audit text's symbol for an unset value (`acct audit list`).
        serde_json::Value::Null => "∅".into(),
        serde_json::Value::String(s) => crate::error::one_line(s),
        other => other.to_string(),
    }
}

/// How many rows in error a JSON error object lists; `rows_omitted` counts
/// the rest (the `--report` file has every row).
pub const ERROR_ROWS_SHOWN: usize = 100;

/// The rows in error of a bulk command (`user import`, `apply`), as data:
/// for people a table or CSV of `line, email, error` (on stdout when the
/// command has no other output, else on stderr so that stdout stays one data
/// set), and for scripts (`--format json|jsonl`) the `rows` and
/// `rows_omitted` keys of the JSON error object, which this returns.
pub struct ErrorRows<'a> {
    sink: Option<crate::output::Sink<'a>>,
    shown: Vec<serde_json::Value>,
    omitted: u64,
}

impl<'a> ErrorRows<'a> {
    pub fn new(ctx: &'a Ctx, on_stdout: bool) -> ErrorRows<'a> {
        let format = ctx.format_or(Format::Table);
        let sink = (!matches!(format, Format::Json | Format::Jsonl)).then(|| {
            let out: Box<dyn std::io::Write> =
                if on_stdout { Box::new(ctx.stdout()) } else { Box::new(std::io::BufWriter::new(std::io::stderr().lock())) };
            let names: Vec<String> = ["line", "email", "error"].iter().map(|s| s.to_string()).collect();
            let style = if on_stdout { ctx.style() } else { crate::output::Style { terminal: ctx.stderr_tty, color: false } };
            crate::output::Sink::new(out, format, style, names.clone(), names, false)
        });
        ErrorRows { sink, shown: Vec::new(), omitted: 0 }
    }

    /// One row in error; `line` is `None` for a row that is not in the file
    /// (a member that `apply --prune` would remove), `email` empty when the
    /// row has none. The address is echoed as errors echo values: cut and
    /// escaped.
    pub fn row(&mut self, line: Option<u64>, email: &str, error: &str) -> Result<()> {
        // An echo in an error: cut and escaped like every other (SPEC §5).
        let email = if email.is_empty() { serde_json::Value::Null } else { serde_json::json!(crate::error::one_line(email)) };
        if let Some(s) = &mut self.sink {
            return s.row(&[serde_json::json!(line), email, serde_json::json!(error)]);
        }
        if self.shown.len() < ERROR_ROWS_SHOWN {
            self.shown.push(serde_json::json!({"line": line, "email": email, "error": error}));
        } else {
            self.omitted += 1;
        }
        Ok(())
    }

    /// Finish the table, or give the keys for the JSON error object.
    pub fn finish(self) -> Result<serde_json::Map<String, serde_json::Value>> {
        let mut details = serde_json::Map::new();
        match self.sink {
            Some(s) => {
                s.finish()?;
            }
            None => {
                details.insert("rows".into(), serde_json::Value::Array(self.shown));
                details.insert("rows_omitted".into(), serde_json::json!(self.omitted));
            }
        }
        Ok(details)
    }
}

/// An output file (`-o`, `--report`), refused when it is the database, one of
/// its side files or the command's input (`-` is standard input).
pub(crate) fn output_file(ctx: &Ctx, path: &std::path::Path, input: Option<&str>) -> Result<crate::safe_file::OutputFile> {
    let mut forbidden = crate::safe_file::Forbidden::new().database(&ctx.db_path()?);
    forbidden = match input {
        Some("-") => forbidden.stdin(),
        Some(file) => forbidden.input(std::path::Path::new(file)),
        None => forbidden,
    };
    crate::safe_file::OutputFile::create(path, forbidden)
}

/// A `--report` file that could not be written after a commit (`what`:
/// "the import was committed"): a failure (exit 1) that says the work is
/// done, with what to do next.
pub(crate) fn report_not_written(e: &anyhow::Error, what: &str, hint: &str) -> anyhow::Error {
    let e = crate::error::classify(e);
    crate::error::AppError::new(crate::error::Kind::Failure, format!("{what}, but the report was not written: {}", e.message))
        .with_hint(hint)
        .into()
}

/// Print failures of a `--keep-going` run and turn them into exit 7.
pub fn report_partial<T>(ctx: &Ctx, outcomes: &[crate::service::Outcome<T>]) -> Result<()> {
    let failed: Vec<&crate::service::Outcome<T>> = outcomes.iter().filter(|o| o.result.is_err()).collect();
    if failed.is_empty() {
        return Ok(());
    }
    for o in &failed {
        if let Err(e) = &o.result {
            let r = crate::error::classify(e);
            ctx.warn(format!("{}: {}", crate::error::one_line(&o.target), r.message));
        }
    }
    Err(crate::error::AppError::new(
        crate::error::Kind::Partial,
        format!("{} of {} targets failed; the others were applied", failed.len(), outcomes.len()),
    )
    .into())
}
