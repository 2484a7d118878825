//! `acct user`.

use crate::error::{AppError, Kind, Result, one_line};
use crate::output::{Format, Sink};
use crate::service::session::{Ctx, Session};
use crate::service::user_edit::EditArgs;
use crate::service::user_list::{self, ExportArgs, Filters, Page};
use crate::service::{self, user};
use crate::store::Column;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

mod add;
mod edit;
mod export;
mod import;
mod list;
mod remove;
mod reset_2fa;
mod restore;
mod show;

use add::AddArgs;
use edit::EditFlags;
use export::ExportFlags;
use import::ImportArgs;
use list::ListArgs;

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Add people to the current organization (new identities are invited)
    ///
    /// Each address joins the current organization with the given roles. A new identity is created
    /// with the status invited and receives an invitation e-mail (with --no-send it is recorded as
    /// pending, for 'acct invite send'); an identity that already exists gets the membership and no
    /// mail. Without --role on a terminal, a list of the roles is shown, least privileged first,
    /// starting on read-only. --first-name, --last-name and --username go with a single address.
    #[command(after_help = "Examples:
  acct user add ada@example.com --role full-admin
  acct user add bob@example.com carol@example.com --role helpdesk --no-send
  acct user add dave@example.com --role read-only --if-missing      # idempotent, for CI")]
    Add(AddArgs),
    /// Add many people from a CSV file (all or nothing)
    ///
    /// Adds the rows of a CSV file (or - for stdin) to the current organization. Every row is
    /// validated first and each bad row is reported with its line number; nothing is imported when
    /// one fails, unless --keep-going, which imports the valid rows and exits 7. Files written by
    /// 'acct user export', Google Workspace and GAM import as they are. The import is one change in
    /// the audit log; invitation mails go out after it commits.
    #[command(after_help = "The CSV has a header row: email (required), first_name, last_name, username,
role (several separated by ;), group. Every row is checked before anything is written.

Examples:
  acct user import people.csv --dry-run
  acct user import people.csv --no-send --report outcome.csv
  cat people.csv | acct user import - --if-missing")]
    Import(ImportArgs),
    /// Members of the current organization
    ///
    /// Lists the members of the current organization, filtered and sorted in the database. A table
    /// shows 100 rows unless --limit or --all says otherwise; csv, tsv, json and jsonl return every
    /// match. When rows are left out, or nothing matches, stderr says so. On a terminal the table fits
    /// its width: long cells are cut with '…'. --status removed lists the users in the trash.
    #[command(after_help = with_fields(
        "Examples:
  acct user list --sort last_name --status active
  acct user list --columns id,email,role --format csv --all
  acct user list --search lovelace
  acct user list --status removed      # the trash: removed_at and purge_at columns"
    ))]
    #[command(alias = "ls")]
    List(ListArgs),
    /// Every attribute of a user
    ///
    /// Shows every attribute, the roles in the current organization (key role), the global roles,
    /// the organizations, the groups and the invitation. A user in the trash is shown as such, with
    /// the command that restores them.
    #[command(alias = "get")]
    Show {
        #[arg(add = super::complete::users())]
        user: String,
    },
    /// Change attributes (with no flags on a terminal: in $EDITOR)
    ///
    /// Changes the attributes of USER. Each attribute may be changed when one of the actor's
    /// relations to the user (self, manager, org admin) allows it, as the matrix in the README
    /// says; all requested changes are checked first, and if any is denied (exit 4) nothing
    /// changes. full_name and initials follow the names until set explicitly; an empty value clears
    /// a field. With no flag on a terminal, the editable fields open in $EDITOR and the difference
    /// is applied.
    #[command(after_help = "Examples:
  acct user edit bob --first-name Robert --timezone Europe/Berlin
  acct user edit bob --active false
  acct user edit bob --add-group eng --primary-group support
An empty value clears a text field: --phone \"\".")]
    Edit(Box<EditFlags>),
    /// Remove users from the current organization
    ///
    /// Removes the membership in the current organization (roles and groups there). A user left in
    /// no organization goes to the trash, from which 'acct user restore' brings them back within 30
    /// days. Asks for confirmation on a terminal; without one, --yes is needed.
    #[command(alias = "rm")]
    Remove(Targets),
    /// Bring back a removed user (within 30 days)
    ///
    /// Restores a user from the trash into the organization they were removed from, with the roles
    /// they had there. Someone who never accepted their invitation gets a new pending one, to be
    /// delivered with 'acct invite send'.
    Restore { user: String },
    /// Write members as CSV (or TSV, JSON, JSONL) for spreadsheets
    ///
    /// Streams the selected members (all when none is given) as RFC 4180 CSV with a header row of
    /// field names (--header labels for display labels). Cells a spreadsheet would run as a formula
    /// get a leading ' unless --raw; --bom starts the file with a UTF-8 byte-order mark.
    #[command(after_help = with_fields(
        "Examples:
  acct user export -o users.csv
  acct user export --fields id,email,role --header labels --status active > active.csv
  acct user export --bom -o for-excel.csv
  acct user export --format jsonl | jq .email"
    ))]
    Export(ExportFlags),
    /// Clear the two-factor enrolment of users; they fall back to e-mail codes
    ///
    /// Clears each USER's TOTP secret and recovery codes; their method becomes email. Needs
    /// user:reset-2fa and every permission the user holds in each of their organizations (exit 4);
    /// refused while the organization has sso on and the user is not sso_disabled (exit 5). Cannot
    /// be undone. Asks for confirmation on a terminal, --yes otherwise (exit 2).
    #[command(name = "reset-2fa")]
    Reset2fa(Targets),
}

/// The field names (for `--columns`, `--fields` and `--sort`), then `rest`.
fn with_fields(rest: &str) -> String {
    let names = super::complete::field_names().join(", ");
    let wrapped = textwrap_names(&names, 96);
    format!("Columns and fields (--columns, --fields, --sort):\n{wrapped}\n\n{rest}")
}

/// `names` (comma-separated) as indented lines of at most `width` characters.
fn textwrap_names(names: &str, width: usize) -> String {
    let mut lines = vec![String::from(" ")];
    for n in names.split(' ') {
        if lines.last().is_some_and(|l| l.len() + n.len() + 1 > width) {
            lines.push(String::from(" "));
        }
        if let Some(l) = lines.last_mut() {
            l.push(' ');
            l.push_str(n);
        }
    }
    lines.join("\n")
}

#[derive(Debug, Args, Clone, Default)]
pub struct FilterArgs {
    /// invited, active, inactive, or removed (the trash)
    #[arg(long, value_name = "S", add = super::complete::statuses())]
    status: Option<String>,
    /// Holders of a role
    #[arg(long, value_name = "R", add = super::complete::roles())]
    role: Option<String>,
    /// Members of a group (primary or additional)
    #[arg(long, value_name = "G", add = super::complete::groups())]
    group: Option<String>,
    /// none, email, sms or app
    #[arg(long = "two-factor", value_name = "M", add = super::complete::two_factor_methods())]
    two_factor: Option<String>,
    /// Substring of e-mail, username or name (case-insensitive)
    #[arg(long, value_name = "TEXT")]
    search: Option<String>,
    /// Sort key FIELD[:desc] (repeatable); FIELD is a column name (see --columns)
    #[arg(long, value_name = "FIELD[:desc]", add = super::complete::sort_keys())]
    sort: Vec<String>,
}

impl From<FilterArgs> for Filters {
    fn from(f: FilterArgs) -> Filters {
        Filters { status: f.status, role: f.role, group: f.group, two_factor: f.two_factor, search: f.search, sort: f.sort }
    }
}

#[derive(Debug, Args)]
pub struct Targets {
    #[arg(required = true, value_name = "USER", add = super::complete::users())]
    users: Vec<String>,
    /// Apply what can be applied, report each failure, exit 7
    #[arg(long)]
    keep_going: bool,
}

pub fn run(cmd: UserCmd, ctx: &mut Ctx) -> Result<()> {
    match cmd {
        UserCmd::Add(a) => add::add(ctx, a),
        UserCmd::Import(a) => import::import(ctx, a),
        UserCmd::List(a) => list::list(ctx, a),
        UserCmd::Show { user } => show::run(ctx, &user),
        UserCmd::Edit(a) => edit::edit(ctx, *a),
        UserCmd::Remove(t) => remove::run(ctx, t),
        UserCmd::Restore { user } => restore::run(ctx, &user),
        UserCmd::Export(a) => export::export(ctx, a),
        UserCmd::Reset2fa(t) => reset_2fa::run(ctx, t),
    }
}

/// The targets done: a note each, and with `--format` a row each (`user`,
/// the one fact `key` that `value` gives, `changed`).
fn report(
    ctx: &Ctx,
    done: &[user::Done],
    key: &str,
    value: &dyn Fn(bool) -> serde_json::Value,
    msg: impl Fn(&str, bool) -> String,
) -> Result<()> {
    for d in done {
        if let Ok(flag) = d.result {
            ctx.note(msg(&one_line(&d.target), flag));
        }
    }
    if ctx.format_given().is_some() {
        let rows =
            done.iter().filter_map(|d| d.result.as_ref().ok().map(|f| vec![json!(d.target), value(*f), json!(true)])).collect();
        crate::cli::print_rows(ctx, &["user", key, "changed"], rows)?;
    }
    let outcomes: Vec<service::Outcome<bool>> = done
        .iter()
        .map(|d| service::Outcome {
            target: d.target.clone(),
            result: match &d.result {
                Ok(b) => Ok(*b),
                Err(e) => Err(anyhow::anyhow!("{}", crate::error::classify(e).message)),
            },
        })
        .collect();
    crate::cli::report_partial(ctx, &outcomes)
}
