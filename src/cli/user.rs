//! `acct user`.

use crate::context::Ctx;
use crate::error::{AppError, Kind, Result, one_line};
use crate::output::Format;
use crate::service::user_edit::EditArgs;
use crate::service::user_list::{self, ExportArgs, Filters, Page};
use crate::service::{self, user};
use crate::store::Column;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

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

#[derive(Debug, Args)]
pub struct AddArgs {
    #[arg(required = true, value_name = "EMAIL")]
    emails: Vec<String>,
    /// Role in the current organization (repeatable); asked on a terminal when missing
    #[arg(long = "role", value_name = "ROLE", add = super::complete::roles())]
    roles: Vec<String>,
    /// First name of new identities
    #[arg(long, value_name = "F")]
    first_name: Option<String>,
    /// Last name of new identities
    #[arg(long, value_name = "L")]
    last_name: Option<String>,
    /// Username [default: derived from the e-mail]
    #[arg(long, value_name = "U")]
    username: Option<String>,
    /// Primary group of new identities (an additional group for existing ones)
    #[arg(long, value_name = "G", add = super::complete::groups())]
    group: Option<String>,
    /// Record the invitation as pending; deliver later with 'acct invite send'
    #[arg(long)]
    no_send: bool,
    /// Skip addresses that are already members instead of failing
    #[arg(long)]
    if_missing: bool,
    /// Apply what can be applied, report each failure, exit 7
    #[arg(long)]
    keep_going: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// CSV file, or - for stdin
    #[arg(value_name = "FILE|-")]
    file: String,
    /// Record invitations as pending; deliver later with 'acct invite send --all'
    #[arg(long)]
    no_send: bool,
    /// Skip rows whose address is already a member
    #[arg(long)]
    if_missing: bool,
    /// Write one CSV line per input row with its outcome
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
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
pub struct ListArgs {
    /// Columns in this order (comma-separated) [columns: see below]
    #[arg(long, visible_alias = "fields", value_name = "C,...", conflicts_with = "all_columns", add = super::complete::field_list())]
    columns: Option<String>,
    /// Every column
    #[arg(long)]
    all_columns: bool,
    /// Pick and order the columns on a terminal; saved as [list] columns
    #[arg(long, conflicts_with_all = ["columns", "all_columns"])]
    choose_columns: bool,
    #[command(flatten)]
    filters: FilterArgs,
    /// At most N rows
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
    /// Skip the first N rows
    #[arg(long, value_name = "N", default_value_t = 0)]
    offset: u64,
    /// Every row (tables show 100 by default)
    #[arg(long, conflicts_with = "limit")]
    all: bool,
    /// CSV/TSV cells as stored, without formula neutralisation
    #[arg(long)]
    raw: bool,
}

#[derive(Debug, Args)]
pub struct EditFlags {
    #[arg(add = super::complete::users())]
    user: String,
    /// Display name
    #[arg(long, value_name = "NAME")]
    full_name: Option<String>,
    #[arg(long, value_name = "NAME")]
    first_name: Option<String>,
    #[arg(long, value_name = "NAME")]
    last_name: Option<String>,
    /// Display initials (at most 8 characters)
    #[arg(long, value_name = "TEXT")]
    initials: Option<String>,
    /// New e-mail address (self or org admin)
    #[arg(long, value_name = "EMAIL")]
    email: Option<String>,
    /// E.164, e.g. +4915112345678
    #[arg(long, value_name = "PHONE")]
    phone: Option<String>,
    /// IANA name, e.g. Europe/Berlin
    #[arg(long, value_name = "TZ", add = super::complete::timezones())]
    timezone: Option<String>,
    /// Receive notification e-mails
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    notify: Option<bool>,
    /// A robot account for automation
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    robot: Option<bool>,
    /// false deactivates the account
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    active: Option<bool>,
    /// Log in with password and 2FA instead of SSO (only when the org has sso on)
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    sso_disabled: Option<bool>,
    /// Send 2FA codes by SMS automatically (needs a phone and an org that allows SMS)
    #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
    sms_auto_send: Option<bool>,
    /// Require two-factor authentication at login (org admin only)
    #[arg(long = "require-2fa", value_name = "BOOL", value_parser = parse_bool)]
    require_2fa: Option<bool>,
    /// A group of the current organization, or ORG/GROUP
    #[arg(long, value_name = "G", add = super::complete::groups())]
    primary_group: Option<String>,
    /// Add an additional (sharing) group
    #[arg(long = "add-group", value_name = "G", add = super::complete::groups())]
    add_groups: Vec<String>,
    /// Remove an additional group
    #[arg(long = "remove-group", value_name = "G", add = super::complete::groups())]
    remove_groups: Vec<String>,
}

fn parse_bool(s: &str) -> Result<bool, String> {
    crate::validate::boolean("the flag", s).map_err(|_| format!("'{s}' is not a boolean: use true or false"))
}

#[derive(Debug, Args)]
pub struct Targets {
    #[arg(required = true, value_name = "USER", add = super::complete::users())]
    users: Vec<String>,
    /// Apply what can be applied, report each failure, exit 7
    #[arg(long)]
    keep_going: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Header {
    Names,
    Labels,
}

#[derive(Debug, Args)]
pub struct ExportFlags {
    /// Only these users [default: every member matching the filters]
    #[arg(value_name = "USER", add = super::complete::users())]
    users: Vec<String>,
    /// Fields in this order (comma-separated) [default: id,email,first_name,last_name,role,two_factor; fields: see below]
    #[arg(long, visible_alias = "columns", value_name = "F,...", add = super::complete::field_list())]
    fields: Option<String>,
    #[command(flatten)]
    filters: FilterArgs,
    /// Write to FILE (atomically) instead of stdout
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Header row: field names or display labels
    #[arg(long, value_enum, default_value = "names")]
    header: Header,
    /// Cells as stored, without formula neutralisation
    #[arg(long)]
    raw: bool,
    /// Start with a UTF-8 byte-order mark (for spreadsheets that otherwise guess a legacy encoding)
    #[arg(long)]
    bom: bool,
    /// At most N rows
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
}

pub fn run(cmd: UserCmd, ctx: &mut Ctx) -> Result<()> {
    match cmd {
        UserCmd::Add(a) => add(ctx, a),
        UserCmd::Import(a) => import(ctx, a),
        UserCmd::List(a) => list(ctx, a),
        UserCmd::Show { user } => show(ctx, &user),
        UserCmd::Edit(a) => edit(ctx, *a),
        UserCmd::Remove(t) => {
            let done = user::remove(ctx, &t.users, t.keep_going)?;
            report(ctx, &done, "trashed", &|trashed| json!(trashed), |target, trashed| {
                let verb = if ctx.dry_run { "would remove" } else { "removed" };
                if trashed {
                    format!(
                        "{verb} {target}; they belong to no organization now and are in the trash (restore within {} days with 'acct user restore {target}')",
                        user::TRASH_DAYS
                    )
                } else {
                    format!("{verb} {target}")
                }
            })
        }
        UserCmd::Restore { user: who } => {
            let r = user::restore(ctx, &who)?;
            let roles = if r.roles.is_empty() { "no roles".to_string() } else { r.roles.join(", ") };
            let verb = if ctx.dry_run { "would restore" } else { "restored" };
            ctx.note(format!("{verb} {} into {} with {roles}", r.label, r.org));
            super::print_result(ctx, &[("user", json!(r.label)), ("org", json!(r.org)), ("role", json!(r.roles))])?;
            if r.never_accepted {
                ctx.note(format!(
                    "{} never accepted their invitation; a new one is pending: send it with 'acct invite send {}'",
                    r.label, r.label
                ));
            }
            Ok(())
        }
        UserCmd::Export(a) => export(ctx, a),
        UserCmd::Reset2fa(t) => {
            let done = user::reset_2fa(ctx, &t.users, t.keep_going)?;
            report(ctx, &done, "two_factor", &|_| json!("email"), |target, _| {
                if ctx.dry_run {
                    format!("would reset the 2FA of {target}")
                } else {
                    format!("reset the 2FA of {target}; they now use e-mail codes")
                }
            })
        }
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
        super::print_rows(ctx, &["user", key, "changed"], rows)?;
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
    service::report_partial(ctx, &outcomes)
}

fn add(ctx: &Ctx, a: AddArgs) -> Result<()> {
    let r = user::add(
        ctx,
        &user::AddArgs {
            emails: a.emails,
            roles: a.roles,
            first_name: a.first_name,
            last_name: a.last_name,
            username: a.username,
            group: a.group,
            no_send: a.no_send,
            if_missing: a.if_missing,
            keep_going: a.keep_going,
        },
    )?;
    let org = ctx.org_slug().unwrap_or_default();
    for row in &r.rows {
        if let Ok(outcome) = &row.outcome {
            let dry = if ctx.dry_run { "would be " } else { "" };
            let msg = match outcome {
                user::Added::Invited if a.no_send => {
                    format!("{} {dry}invited to {org}; the invitation is pending (send it with 'acct invite send')", row.email)
                }
                user::Added::Invited => format!("{} {dry}invited to {org}", row.email),
                user::Added::Joined => format!("{} {dry}added to {org} (existing account: no invitation)", row.email),
                user::Added::Skipped => format!("{} is already a member of {org}: skipped", row.email),
            };
            ctx.note(msg);
        }
    }
    if let Some(format) = ctx.format_given() {
        let rows = r
            .rows
            .iter()
            .map(|row| {
                let outcome = match &row.outcome {
                    Ok(o) => o.name().to_string(),
                    Err(e) => format!("error: {}", crate::error::classify(e).message),
                };
                vec![json!(row.email), json!(row.id), json!(row.username), json!(outcome)]
            })
            .collect();
        let _ = format;
        super::print_rows(ctx, &["email", "id", "username", "outcome"], rows)?;
    }
    service::invite::report(ctx, &r.sent)?;
    let outcomes: Vec<service::Outcome<()>> =
        r.rows.into_iter().map(|row| service::Outcome { target: row.email, result: row.outcome.map(|_| ()) }).collect();
    service::report_partial(ctx, &outcomes)
}

/// Columns: --columns, --all-columns, config [list] columns, the default.
fn list_columns(ctx: &Ctx, a: &ListArgs) -> Result<Vec<Column>> {
    if let Some(c) = &a.columns {
        return Ok(crate::config::columns(c)?);
    }
    // JSON objects carry every field unless columns are asked for; the
    // configured columns are a preference for people, not for programs.
    let json = matches!(ctx.format_given(), Some(Format::Json | Format::Jsonl));
    if a.all_columns || json {
        return Ok(Column::ALL.to_vec());
    }
    if let Some(c) = ctx.config.value("list.columns")? {
        return Ok(crate::config::columns(&c)?);
    }
    Ok(Column::LIST_DEFAULT.to_vec())
}

/// Tick and order columns on a terminal; saves `list.columns`.
fn choose_columns(ctx: &mut Ctx, current: &[Column]) -> Result<Vec<Column>> {
    if !ctx.interactive() {
        return Err(AppError::new(Kind::Usage, "--choose-columns needs a terminal")
            .with_hint("use --columns C,... or 'acct config set list.columns C,...'")
            .into());
    }
    let all = Column::ALL;
    let checked: Vec<bool> = all.iter().map(|c| current.contains(c)).collect();
    let names: Vec<&str> = all.iter().map(|c| c.name()).collect();
    let picked = dialoguer::MultiSelect::new()
        .with_prompt("Columns to show (space toggles, enter accepts)")
        .items(&names)
        .defaults(&checked)
        .interact()?;
    if picked.is_empty() {
        return Err(AppError::new(Kind::Usage, "no column chosen; nothing was saved").into());
    }
    // Keep the current order for columns already shown, then the new ones.
    let mut chosen: Vec<Column> = current.iter().copied().filter(|c| picked.iter().any(|i| all[*i] == *c)).collect();
    chosen.extend(picked.iter().map(|i| all[*i]).filter(|c| !current.contains(c)));
    let chosen_names: Vec<&str> = chosen.iter().map(|c| c.name()).collect();
    let order = dialoguer::Sort::new()
        .with_prompt("Order the columns (space picks up/drops, arrows move, enter accepts)")
        .items(&chosen_names)
        .interact()?;
    let ordered: Vec<Column> = order.into_iter().map(|i| chosen[i]).collect();
    let value = ordered.iter().map(|c| c.name()).collect::<Vec<_>>().join(",");
    ctx.config.set("list.columns", &value)?;
    ctx.note(format!("saved list.columns = {value}"));
    Ok(ordered)
}

fn list(ctx: &mut Ctx, a: ListArgs) -> Result<()> {
    let mut columns = list_columns(ctx, &a)?;
    if a.choose_columns {
        columns = choose_columns(ctx, &columns)?;
    }
    let page = Page { limit: a.limit, offset: a.offset, all: a.all };
    user_list::list(ctx, &a.filters.clone().into(), &columns, &page, a.raw)?;
    Ok(())
}

fn show(ctx: &Ctx, who: &str) -> Result<()> {
    let s = user::show(ctx, who)?;
    let u = &s.user;
    let mut fields: Vec<(&str, serde_json::Value)> =
        Column::ALL.iter().filter(|c| !matches!(c, Column::Role)).map(|c| (c.name(), c.value(u))).collect();
    // The key is `role`, as in `user list` (SPEC §4), a list in JSON.
    fields.insert(7, ("role", json!(u.roles)));
    fields.push(("global_roles", json!(s.global_roles)));
    fields.push(("organizations", json!(s.organizations)));
    let trash = s.trash.as_ref();
    fields.push(("removed_at", json!(trash.map(|t| &t.info.trashed_at))));
    fields.push(("purge_at", json!(trash.and_then(|t| t.purge_at.as_ref()))));
    let invitation = s.invitation.map(|i| {
        json!({"state": i.state, "org": i.org, "delivery": i.delivery, "error": i.delivery_error,
               "created_at": i.created_at, "sent_at": i.sent_at, "expires_at": i.expires_at})
    });
    let flat = matches!(ctx.format_or(Format::Table), Format::Table | Format::Csv | Format::Tsv);
    match (invitation, flat) {
        (None, _) => fields.push(("invitation", serde_json::Value::Null)),
        (Some(i), false) => fields.push(("invitation", i)),
        (Some(i), true) => {
            let summary = format!(
                "{} (delivery {}{}; sent {}; expires {})",
                i["state"].as_str().unwrap_or(""),
                i["delivery"].as_str().unwrap_or(""),
                i["error"].as_str().map(|e| format!(": {e}")).unwrap_or_default(),
                i["sent_at"].as_str().unwrap_or("never"),
                i["expires_at"].as_str().unwrap_or("-"),
            );
            fields.push(("invitation", json!(summary)));
        }
    }
    super::print_object(ctx, &fields)?;
    if let Some(t) = &s.trash {
        ctx.note(format!("{} is in the trash (removed at {})", u.email, t.info.trashed_at));
        ctx.note(format!("hint: {}", t.hint));
    }
    Ok(())
}

fn edit(ctx: &Ctx, a: EditFlags) -> Result<()> {
    let args = EditArgs {
        full_name: a.full_name,
        first_name: a.first_name,
        last_name: a.last_name,
        initials: a.initials,
        email: a.email,
        phone: a.phone,
        timezone: a.timezone,
        notify: a.notify,
        robot: a.robot,
        active: a.active,
        sso_disabled: a.sso_disabled,
        sms_auto_send: a.sms_auto_send,
        require_2fa: a.require_2fa,
        primary_group: a.primary_group,
        add_groups: a.add_groups,
        remove_groups: a.remove_groups,
    };
    let result = if args.is_empty() && ctx.interactive() {
        service::user_edit::edit_in_editor(ctx, &a.user)?
    } else {
        Some(service::user_edit::edit(ctx, &a.user, &args)?)
    };
    match result {
        None => {
            ctx.note("nothing changed");
            super::print_change_rows(ctx, &Default::default())
        }
        Some((label, ch)) => {
            super::print_changes(ctx, &label, &ch);
            super::print_change_rows(ctx, &ch)
        }
    }
}

/// The fields: --fields, a checkbox list on a terminal, or the defaults.
fn export_fields(ctx: &Ctx, given: Option<&str>) -> Result<Vec<Column>> {
    if let Some(f) = given {
        return Ok(crate::config::columns(f)?);
    }
    if !ctx.interactive() {
        return Ok(Column::EXPORT_DEFAULT.to_vec());
    }
    let items: Vec<String> = Column::EXPORT_DEFAULT.iter().map(|c| format!("{} ({})", c.label(), c.name())).collect();
    let picked = dialoguer::MultiSelect::new()
        .with_prompt("Fields to export (space toggles, enter accepts)")
        .items(&items)
        .defaults(&[true; 6])
        .interact()?;
    if picked.is_empty() {
        return Err(AppError::new(Kind::Usage, "no field chosen; nothing was exported").into());
    }
    Ok(picked.into_iter().map(|i| Column::EXPORT_DEFAULT[i]).collect())
}

fn export(ctx: &Ctx, a: ExportFlags) -> Result<()> {
    let format = ctx.format_or(Format::Csv);
    if format == Format::Table {
        return Err(AppError::new(Kind::Usage, "export writes csv, tsv, json or jsonl, not tables").into());
    }
    if a.bom && !matches!(format, Format::Csv | Format::Tsv) {
        return Err(AppError::new(Kind::Usage, "--bom goes with csv or tsv").into());
    }
    let fields = export_fields(ctx, a.fields.as_deref())?;
    let filters: Filters = a.filters.into();
    let args = ExportArgs {
        users: &a.users,
        fields: &fields,
        filters: &filters,
        labels: matches!(a.header, Header::Labels),
        raw: a.raw,
        format,
        limit: a.limit,
    };
    let bom = a.bom;
    let write = |w: &mut dyn Write| -> Result<u64> {
        if bom {
            w.write_all("\u{feff}".as_bytes())?;
        }
        user_list::export(ctx, &args, w)
    };
    let n = match &a.output {
        None => {
            let mut out = ctx.stdout();
            write(&mut out)?
        }
        Some(path) => output_file(ctx, path, None)?.write(|w| write(w))?,
    };
    if let Some(p) = &a.output {
        ctx.note(format!("exported {n} users to {}", p.display()));
    }
    Ok(())
}

fn import(ctx: &Ctx, a: ImportArgs) -> Result<()> {
    use crate::service::import::{self, Outcome};
    // The report's path is checked, and its file created, before anything is read or imported.
    let report = a.report.as_deref().map(|p| output_file(ctx, p, Some(&a.file))).transpose()?;
    let input = import::open_input(&a.file)?;
    let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut r = import::import(ctx, input, &import::Options { no_send: a.no_send, if_missing: a.if_missing, progress })?;
    let errors = r.counts.errors;
    let aborted = !r.applied && !ctx.dry_run;
    if let Some(file) = report {
        let written = file.write(|w| {
            let names = vec!["line".to_string(), "email".to_string(), "outcome".to_string()];
            let mut sink = crate::output::Sink::new(Box::new(w), Format::Csv, ctx.style(), names.clone(), names, false);
            r.lines.each(|l| sink.row(&[json!(l.line), json!(l.email), json!(l.outcome.text(r.applied, aborted))]))?;
            sink.finish()
        });
        match written {
            Err(e) if r.applied => {
                let e = crate::error::classify(&e);
                return Err(AppError::new(
                    Kind::Failure,
                    format!("the import was committed, but the report was not written: {}", e.message),
                )
                .with_hint("do not import the file again: its rows are members now ('acct user list' shows them)")
                .into());
            }
            other => {
                other?;
            }
        }
    }
    let (add, join, skip) = (r.counts.add, r.counts.join, r.counts.skip);
    if ctx.dry_run {
        super::print_rows_from(ctx, &["line", "email", "plan"], |sink| {
            r.lines.each(|l| sink.row(&[json!(l.line), json!(l.email), json!(l.outcome.text(false, false))]))
        })?;
        ctx.note(format!(
            "plan: {} to add ({add} new, {join} existing accounts), {skip} already present, {errors} in error",
            add + join
        ));
        ctx.note("dry run: nothing was changed");
        if errors > 0 {
            // The plan on stdout has the rows in error; scripts get them in the JSON error too.
            if !matches!(ctx.format_given(), Some(Format::Json | Format::Jsonl)) {
                return Err(AppError::new(Kind::Invalid, format!("{errors} row(s) have errors")).into());
            }
            let mut rows = super::ErrorRows::new(ctx, false);
            r.lines.each(|l| match &l.outcome {
                Outcome::Error(m) => rows.row(Some(l.line), &l.email, m),
                _ => Ok(()),
            })?;
            let details = rows.finish()?;
            return Err(AppError::new(Kind::Invalid, format!("{errors} row(s) have errors")).with_details(details).into());
        }
        return Ok(());
    }
    if aborted {
        // One error for the command; the rows in error are data (SPEC §5).
        let mut not_utf8 = false;
        let mut rows = super::ErrorRows::new(ctx, true);
        r.lines.each(|l| match &l.outcome {
            Outcome::Error(m) => {
                not_utf8 |= m.ends_with(import::NOT_UTF8);
                rows.row(Some(l.line), &l.email, m)
            }
            _ => Ok(()),
        })?;
        let details = rows.finish()?;
        return Err(AppError::new(
            Kind::Invalid,
            format!("{errors} of {} row(s) have errors; nothing was imported", r.counts.total()),
        )
        .with_hint(if not_utf8 {
            format!("the file is not UTF-8: {}", import::UTF8_HINT)
        } else {
            "fix them, or see each row's outcome with --report FILE".to_string()
        })
        .with_details(details)
        .into());
    }
    ctx.note(format!("imported {} row(s): {add} invited, {join} existing accounts added, {skip} skipped", add + join + skip));
    service::invite::report(ctx, &r.sent)
}

/// An output file (`-o`, `--report`), refused when it is the database, one of
/// its side files or the command's input (`-` is standard input).
pub(super) fn output_file(ctx: &Ctx, path: &std::path::Path, input: Option<&str>) -> Result<crate::safe_file::OutputFile> {
    let mut forbidden = crate::safe_file::Forbidden::new().database(&ctx.db_path()?);
    forbidden = match input {
        Some("-") => forbidden.stdin(),
        Some(file) => forbidden.input(std::path::Path::new(file)),
        None => forbidden,
    };
    crate::safe_file::OutputFile::create(path, forbidden)
}
