//! `user import`: bulk add from CSV, validated whole before anything is
//! written, applied in one transaction, authorized once for the batch.

use super::invite::{self, PendingMail};
use crate::authz::{self, PermSet, Request};
use crate::context::Ctx;
use crate::error::{self, AppError, Kind, Result, one_line};
use crate::store::{ImportRow, Org, Role, Selector, Tx};
use crate::validate;
use std::collections::{HashMap, HashSet};
use std::io::Read;

pub const COLUMNS: [&str; 6] = ["email", "first_name", "last_name", "username", "role", "group"];

/// What happened (or would happen) to one input row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Add,
    Join,
    Skip,
    Error(String),
}

#[derive(Debug, Clone)]
pub struct Line {
    pub line: u64,
    pub email: String,
    pub outcome: Outcome,
}

pub struct Options {
    pub no_send: bool,
    pub if_missing: bool,
    pub progress: bool,
}

pub struct Imported {
    pub lines: Vec<Line>,
    pub applied: bool,
    pub sent: Vec<invite::Sent>,
}

/// A parsed row before the database is asked.
struct Parsed {
    line: u64,
    email: validate::Email,
    first: Option<String>,
    last: Option<String>,
    username: Option<String>,
    roles: Vec<String>,
    group: Option<String>,
}

fn field(rec: &csv::ByteRecord, idx: Option<usize>, name: &str) -> Result<Option<String>, String> {
    let Some(i) = idx else { return Ok(None) };
    let raw = rec.get(i).unwrap_or_default();
    let s = std::str::from_utf8(raw).map_err(|_| format!("{name} is not valid UTF-8"))?;
    // As typed: the validators that `user add` and `user edit` call decide
    // (surrounding spaces, controls), so one value gets one answer.
    Ok(if s.is_empty() { None } else { Some(s.to_string()) })
}

fn parse_row(rec: &csv::ByteRecord, cols: &HashMap<&str, usize>, width: usize, line: u64) -> Result<Parsed, (String, String)> {
    let email_raw = field(rec, cols.get("email").copied(), "email").unwrap_or(None).unwrap_or_default();
    let fail = |msg: String| (email_raw.clone(), msg);
    if rec.len() != width {
        return Err(fail(format!("{} fields, the header has {width}", rec.len())));
    }
    let get = |name: &str| field(rec, cols.get(name).copied(), name).map_err(fail);
    let email_text = get("email")?.ok_or_else(|| fail("email is empty".into()))?;
    let email = validate::email(&email_text).map_err(|e| fail(e.message))?;
    let first = get("first_name")?.map(|f| validate::name("first name", &f)).transpose().map_err(|e| fail(e.message))?;
    let last = get("last_name")?.map(|l| validate::name("last name", &l)).transpose().map_err(|e| fail(e.message))?;
    let username = get("username")?.map(|u| validate::username(&u)).transpose().map_err(|e| fail(e.message))?;
    let roles: Vec<String> = get("role")?
        .map(|r| r.split(';').map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect())
        .unwrap_or_default();
    let group = get("group")?.map(|g| g.trim().to_string()).filter(|g| !g.is_empty());
    Ok(Parsed { line, email, first, last, username, roles, group })
}

/// Read the whole CSV: the header must name `email`; every other column must
/// be one of [`COLUMNS`].
fn read_csv(mut input: Box<dyn Read>) -> Result<(Vec<Result<Parsed, (u64, String, String)>>, usize)> {
    // The whole input in memory: line numbers are counted on the raw bytes
    // (the csv crate's own count is off for CRLF files).
    let mut data = Vec::new();
    input.read_to_end(&mut data).map_err(|e| error::failure(format!("cannot read the CSV: {e}")))?;
    let mut lines = LineCounter { data: &data, pos: 0, line: 1 };
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&data[..]);
    let mut header = csv::ByteRecord::new();
    let got = rdr
        .read_byte_record(&mut header)
        .map_err(|e| AppError::new(Kind::Invalid, format!("cannot read the CSV: {}", one_line(&e.to_string()))))?;
    if !got {
        return Err(AppError::new(Kind::Invalid, "the CSV is empty: it needs a header row with an 'email' column").into());
    }
    let mut cols: HashMap<&str, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let name =
            std::str::from_utf8(h).map_err(|_| AppError::new(Kind::Invalid, "line 1: the header is not valid UTF-8"))?.trim();
        let known = COLUMNS.iter().find(|c| c.eq_ignore_ascii_case(name)).ok_or_else(|| {
            AppError::new(Kind::Invalid, format!("line 1: unknown column '{}'", one_line(name)))
                .with_hint(format!("columns: {}", COLUMNS.join(", ")))
        })?;
        if cols.insert(known, i).is_some() {
            return Err(AppError::new(Kind::Invalid, format!("line 1: the column '{known}' appears twice")).into());
        }
    }
    if !cols.contains_key("email") {
        return Err(AppError::new(Kind::Invalid, "line 1: the header has no 'email' column")
            .with_hint(format!("columns: {} (email is required)", COLUMNS.join(", ")))
            .into());
    }
    let width = header.len();
    let mut rows = Vec::new();
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let line = lines.at(rec.position().map_or(0, |p| p.byte()));
                if rec.len() == 1 && rec.get(0).is_some_and(|f| f.is_empty()) {
                    continue; // a blank line
                }
                rows.push(parse_row(&rec, &cols, width, line).map_err(|(e, m)| (line, e, m)));
            }
            Err(e) => {
                let line = lines.at(e.position().map_or(0, |p| p.byte()));
                return Err(AppError::new(Kind::Invalid, format!("line {line}: {}", one_line(&e.to_string()))).into());
            }
        }
    }
    Ok((rows, width))
}

/// Line numbers of byte offsets, for offsets that only grow.
struct LineCounter<'a> {
    data: &'a [u8],
    pos: usize,
    line: u64,
}

impl LineCounter<'_> {
    fn at(&mut self, byte: u64) -> u64 {
        let end = (byte as usize).min(self.data.len());
        if end > self.pos {
            self.line += self.data[self.pos..end].iter().filter(|b| **b == b'\n').count() as u64;
            self.pos = end;
        }
        self.line
    }
}

/// Check the rows against each other and the database. Returns the outcome
/// of every line and the rows to apply.
fn plan(
    tx: &dyn Tx,
    org: &Org,
    parsed: Vec<Result<Parsed, (u64, String, String)>>,
    opts: &Options,
) -> Result<(Vec<Line>, Vec<ImportRow>, PermSet)> {
    let mut role_cache: HashMap<String, Option<Role>> = HashMap::new();
    let mut group_cache: HashMap<String, Option<i64>> = HashMap::new();
    let mut seen_email: HashMap<String, u64> = HashMap::new();
    let mut taken: HashSet<String> = HashSet::new();
    let mut lines = Vec::with_capacity(parsed.len());
    let mut rows = Vec::new();
    let mut perms = PermSet::EMPTY;
    for p in parsed {
        let p = match p {
            Ok(p) => p,
            Err((line, email, msg)) => {
                lines.push(Line { line, email, outcome: Outcome::Error(msg) });
                continue;
            }
        };
        let res = (|| -> Result<(Outcome, Option<(ImportRow, PermSet)>), String> {
            if let Some(first) = seen_email.get(&p.email.key) {
                return Err(format!("{} appears again (first on line {first})", p.email.display));
            }
            seen_email.insert(p.email.key.clone(), p.line);
            let mut roles = Vec::new();
            for r in &p.roles {
                let role = match role_cache.get(r) {
                    Some(x) => x.clone(),
                    None => {
                        let x = tx.role(Some(org.id), r).map_err(|e| e.to_string())?;
                        role_cache.insert(r.clone(), x.clone());
                        x
                    }
                };
                let role = role.ok_or_else(|| format!("role '{}' not found", one_line(r)))?;
                if role.scope == authz::Scope::Global {
                    return Err(format!("'{}' is a global role (use 'acct access grant')", role.name));
                }
                roles.push(role);
            }
            let group = match &p.group {
                None => None,
                Some(g) => {
                    let id = match group_cache.get(g) {
                        Some(x) => *x,
                        None => {
                            let x = tx.group(org.id, g).map_err(|e| e.to_string())?.map(|g| g.id);
                            group_cache.insert(g.clone(), x);
                            x
                        }
                    };
                    Some(id.ok_or_else(|| format!("group '{}' not found", one_line(g)))?)
                }
            };
            let existing = tx.find_user(&Selector::EmailKey(p.email.key.clone())).map_err(|e| e.to_string())?;
            let granted = roles.iter().fold(PermSet::EMPTY, |s, r| s.union(r.perms));
            let row = |new, existing| {
                let r = ImportRow {
                    new,
                    existing,
                    roles: roles.iter().map(|r| r.id).collect(),
                    role_names: roles.iter().map(|r| r.name.clone()).collect(),
                    group,
                };
                (r, granted)
            };
            if let Some(id) = existing {
                let s = tx.subject(id).map_err(|e| e.to_string())?.ok_or("user vanished")?;
                if s.trashed {
                    return Err(format!("{} was removed and is in the trash (use 'acct user restore')", s.label));
                }
                if s.is_member(org.id) {
                    if opts.if_missing {
                        return Ok((Outcome::Skip, None));
                    }
                    return Err(format!("{} is already a member of {} (use --if-missing to skip)", s.label, org.slug));
                }
                return Ok((Outcome::Join, Some(row(None, Some(id)))));
            }
            let username = match &p.username {
                Some(u) => {
                    if taken.contains(u) || tx.username_taken(u).map_err(|e| e.to_string())? {
                        return Err(format!("the username '{u}' is taken"));
                    }
                    u.clone()
                }
                None => {
                    let base = validate::username_base(&p.email.display);
                    let mut n = 1;
                    loop {
                        let c = validate::username_candidate(&base, n);
                        if !taken.contains(&c) && !tx.username_taken(&c).map_err(|e| e.to_string())? {
                            break c;
                        }
                        n += 1;
                    }
                }
            };
            taken.insert(username.clone());
            let user = super::init::new_user(&p.email, p.first.clone(), p.last.clone(), username);
            Ok((Outcome::Add, Some(row(Some(user), None))))
        })();
        match res {
            Ok((outcome, row)) => {
                if let Some((r, granted)) = row {
                    perms = perms.union(granted);
                    rows.push(r);
                }
                lines.push(Line { line: p.line, email: p.email.display.clone(), outcome });
            }
            Err(msg) => lines.push(Line { line: p.line, email: p.email.display.clone(), outcome: Outcome::Error(msg) }),
        }
    }
    Ok((lines, rows, perms))
}

pub fn import(ctx: &Ctx, input: Box<dyn Read>, opts: &Options) -> Result<Imported> {
    let (parsed, _) = read_csv(input)?;
    let mut store = ctx.open_store()?;
    store.set_bulk_mode(true)?;
    let mut tx = store.write()?;
    let actor = ctx.actor(&*tx)?;
    let org = ctx.org(&*tx)?;
    let (mut lines, rows, perms) = plan(&*tx, &org, parsed, opts)?;
    let errors = lines.iter().filter(|l| matches!(l.outcome, Outcome::Error(_))).count();
    if errors > 0 || ctx.dry_run {
        return Ok(Imported { lines, applied: false, sent: vec![] });
    }
    let permit = authz::decide(&actor, &Request::UserAdd { org: &org.facts(), roles: perms, target: None })?;
    let bar = if opts.progress && !ctx.quiet {
        let b = indicatif::ProgressBar::new(rows.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {per_sec} eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let ids = tx.import_members(&permit, org.id, &rows, &mut |n| {
        if let Some(b) = &bar {
            b.set_position(n);
        }
    })?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let mut mails: Vec<PendingMail> = Vec::new();
    if !opts.no_send {
        for (r, id) in rows.iter().zip(&ids) {
            if let Some(u) = &r.new {
                mails.push(invite::issue(ctx, &mut *tx, &permit, *id, &u.email, u.full_name.as_deref(), &org.slug)?);
            }
        }
    }
    tx.commit()?;
    store.set_bulk_mode(false)?;
    let sent = invite::deliver(ctx, &mut *store, mails.into_iter().map(|m| (&permit, m)).collect())?;
    // Mark failed deliveries on their lines for the report.
    let failed: HashSet<&str> = sent.iter().filter(|s| s.result.is_err()).map(|s| s.email.as_str()).collect();
    for l in &mut lines {
        if l.outcome == Outcome::Add && failed.contains(l.email.as_str()) {
            l.outcome =
                Outcome::Error("added, but the invitation could not be delivered (retry with 'acct invite resend')".into());
        }
    }
    Ok(Imported { lines, applied: true, sent })
}

impl Outcome {
    /// The word in `--report` and the dry-run plan.
    pub fn text(&self, applied: bool, aborted: bool) -> String {
        match (self, applied, aborted) {
            (Outcome::Error(m), _, _) => format!("error: {m}"),
            (_, _, true) => "error: not imported because other rows have errors".into(),
            (Outcome::Add | Outcome::Join, true, _) => "added".into(),
            (Outcome::Add, false, _) => "to add".into(),
            (Outcome::Join, false, _) => "to add (existing account)".into(),
            (Outcome::Skip, _, _) => "skipped".into(),
        }
    }
}

pub fn open_input(path: &str) -> Result<Box<dyn Read>> {
    if path == "-" {
        return Ok(Box::new(std::io::stdin()));
    }
    let f = std::fs::File::open(path).map_err(|e| error::failure(format!("cannot open {}: {e}", one_line(path))))?;
    Ok(Box::new(std::io::BufReader::with_capacity(1 << 20, f)))
}
