//! `user import`: bulk add from CSV, validated whole before anything is
//! written, applied in one transaction, authorized once for the batch.
//!
//! The input is streamed once: the first pass validates every row, keeping
//! in memory only hashes of what the duplicate checks need (see
//! [`keys`]) and on disk the outcome of each line and the rows to write;
//! the second pass writes those rows a chunk at a time, so memory does not
//! grow with the rows.

use super::csv_records::{self, Record};
use super::invite::{self, PendingMail};
use crate::authz::{self, PermSet, Request};
use crate::config::Config;
use crate::error::{AppError, Kind, Result, one_line};
use crate::store::{ImportRow, NewUser, Org, Role, Selector, Tx};
use crate::validate;
use keys::SeenKeys;
use std::collections::HashMap;
use std::io::Read;

pub use super::csv_records::{NOT_UTF8, UTF8_HINT};
pub use files::{Lines, Source, open_input};

mod files;
mod keys;

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
    /// Validate and plan only (`--dry-run`): nothing is written.
    pub plan_only: bool,
}

pub struct Imported {
    pub lines: Lines,
    pub counts: Counts,
    /// Every row was written (none in error, not `plan_only`).
    pub applied: bool,
    /// The invitations to deliver once the transaction has committed.
    pub mails: Vec<PendingMail>,
    /// The engine's permit for the batch, under which they are recorded.
    pub permit: authz::Permit,
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

fn field(rec: &Record, idx: Option<usize>, name: &str) -> Result<Option<String>, String> {
    let Some(i) = idx else { return Ok(None) };
    let (raw, _) = rec.get(i).unwrap_or_default();
    let s = std::str::from_utf8(raw).map_err(|_| format!("{name} {}", csv_records::NOT_UTF8))?;
    // What `user export` neutralised reads back as it was.
    let s = csv_records::restore(s);
    // As typed: the validators that `user add` and `user edit` call decide
    // (surrounding spaces, controls), so one value gets one answer.
    Ok(if s.is_empty() { None } else { Some(s.to_string()) })
}

fn parse_row(rec: &Record, cols: &HashMap<&str, usize>, width: usize, line: u64) -> Result<Parsed, (String, String)> {
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
    // Only the first bytes of a huge field are kept; the validators above
    // refuse such a value with their own message, the rest are refused here.
    if let Some(c) = COLUMNS.iter().find(|c| cols.get(*c).and_then(|&i| rec.get(i)).is_some_and(|(_, cut)| cut)) {
        return Err(fail(format!("{c} is longer than {} KiB", csv_records::FIELD_KEEP >> 10)));
    }
    Ok(Parsed { line, email, first, last, username, roles, group })
}

/// The header: it must name `email`; every other column must be one of
/// [`COLUMNS`] or a field that `user export` writes (ignored, and returned
/// so that the caller notes them once). Returns each column's index, the
/// header's width and the ignored columns.
pub(super) fn read_header<R: Read>(
    rdr: &mut csv_records::Reader<R>,
) -> Result<(HashMap<&'static str, usize>, usize, Vec<String>)> {
    rdr.sniff_delimiter()?;
    let (names, width) = csv_records::header_names(rdr)?;
    let mut cols: HashMap<&'static str, usize> = HashMap::new();
    let (mut ignored, mut unknown) = (Vec::new(), Vec::new());
    for (i, name) in names.iter().enumerate() {
        let known = if name.eq_ignore_ascii_case("group") {
            Some("group")
        } else {
            match csv_records::header_column(name) {
                Some(c) => match COLUMNS.iter().find(|k| **k == c.name()) {
                    Some(k) => Some(*k),
                    None => {
                        ignored.push(name.clone());
                        continue;
                    }
                },
                None => None,
            }
        };
        let Some(known) = known else {
            unknown.push(name.clone());
            continue;
        };
        if cols.insert(known, i).is_some() {
            return Err(AppError::new(Kind::Invalid, format!("line 1: the column '{known}' appears twice")).into());
        }
    }
    if !unknown.is_empty() {
        return Err(csv_records::unknown_columns(&unknown, &COLUMNS.join(", ")));
    }
    if !cols.contains_key("email") {
        return Err(AppError::new(Kind::Invalid, "line 1: the header has no 'email' column")
            .with_hint(format!("columns: {} (email is required)", COLUMNS.join(", ")))
            .into());
    }
    Ok((cols, width, ignored))
}

/// How many lines had each outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Counts {
    pub add: usize,
    pub join: usize,
    pub skip: usize,
    pub errors: usize,
}

impl Counts {
    pub fn total(&self) -> usize {
        self.add + self.join + self.skip + self.errors
    }

    fn count(&mut self, o: &Outcome) {
        match o {
            Outcome::Add => self.add += 1,
            Outcome::Join => self.join += 1,
            Outcome::Skip => self.skip += 1,
            Outcome::Error(_) => self.errors += 1,
        }
    }
}

/// Decides each row against the rows before it and the database. Of the
/// rows before, it keeps only what the duplicate checks need: the e-mail
/// keys (with their lines) and the usernames given out, as hashes.
struct Planner<'a> {
    opts: &'a Options,
    role_cache: HashMap<String, Option<Role>>,
    group_cache: HashMap<String, Option<i64>>,
    seen_email: SeenKeys<u64>,
    taken: SeenKeys<()>,
    /// What the database said, in one question per chunk of rows, about
    /// the chunk's addresses (their user) and usernames (taken or not).
    known_users: HashMap<String, Option<i64>>,
    known_taken: HashMap<String, bool>,
    /// For the username bases that collided in this pass, the number to try
    /// next (the others are not kept: memory stays with the collisions).
    next_number: HashMap<Box<str>, u64>,
}

/// A record parsed, or its address and why it is refused.
type Parse = Result<Parsed, (String, String)>;

impl<'a> Planner<'a> {
    fn new(opts: &'a Options) -> Self {
        let state = std::hash::RandomState::new();
        Planner {
            opts,
            role_cache: HashMap::new(),
            group_cache: HashMap::new(),
            seen_email: SeenKeys::new(state.clone()),
            taken: SeenKeys::new(state),
            known_users: HashMap::new(),
            known_taken: HashMap::new(),
            next_number: HashMap::new(),
        }
    }

    /// After a pass, whether a refusal rested on a hash that two keys may
    /// share; if so, the next pass keeps those keys exactly (see [`keys`]).
    fn needs_exact_pass(&mut self) -> bool {
        let e = self.seen_email.take_hits();
        let t = self.taken.take_hits();
        !(e.is_empty() && t.is_empty())
    }

    /// A new pass over the input decides every row from the start again.
    fn start_pass(&mut self) {
        self.seen_email.clear();
        self.taken.clear();
        self.known_users.clear();
        self.known_taken.clear();
        self.next_number.clear();
    }

    /// Ask the database once about a chunk's addresses and the usernames
    /// its new members would get first, instead of once per row (a
    /// server's round trip costs more than SQLite's look-up).
    fn prefetch(&mut self, tx: &dyn Tx, chunk: &[Parse]) -> Result<()> {
        self.known_users.clear();
        self.known_taken.clear();
        let parsed = || chunk.iter().filter_map(|p| p.as_ref().ok());
        let keys: Vec<String> = parsed().map(|p| p.email.key.clone()).collect();
        let found = tx.ids_by_email_key(&keys)?;
        for k in keys {
            let id = found.get(&k).copied();
            self.known_users.insert(k, id);
        }
        let names: Vec<String> = parsed()
            .map(|p| {
                p.username.clone().unwrap_or_else(|| validate::username_candidate(&validate::username_base(&p.email.display), 1))
            })
            .collect();
        let taken = tx.taken_usernames(&names)?;
        for n in names {
            let t = taken.contains(&n);
            self.known_taken.insert(n, t);
        }
        Ok(())
    }

    fn user_with_key(&self, tx: &dyn Tx, key: &str) -> Result<Option<i64>, String> {
        match self.known_users.get(key) {
            Some(id) => Ok(*id),
            None => tx.find_user(&Selector::EmailKey(key.to_string())).map_err(|e| e.to_string()),
        }
    }

    /// Whether `name` is given out already. With `refuses`, taken means the
    /// row is refused; without, the next number is tried.
    fn username_taken(&mut self, tx: &dyn Tx, name: &str, refuses: bool) -> Result<bool, String> {
        if self.taken.get(name, refuses).is_some() {
            return Ok(true);
        }
        match self.known_taken.get(name) {
            Some(t) => Ok(*t),
            None => tx.username_taken(name).map_err(|e| e.to_string()),
        }
    }

    /// The next chunk of records (empty at the end of the input), decided:
    /// each line's outcome and, for a row to apply, what to write and the
    /// permissions its roles grant.
    fn chunk<R: Read>(
        &mut self,
        tx: &dyn Tx,
        org: &Org,
        rdr: &mut csv_records::Reader<R>,
        pool: &mut Vec<Record>,
        cols: &HashMap<&str, usize>,
        width: usize,
    ) -> Result<Vec<(Line, Option<(ImportRow, PermSet)>)>> {
        let (at, rows): (Vec<u64>, Vec<Parse>) = read_chunk(rdr, pool, cols, width)?.into_iter().unzip();
        if !rows.is_empty() {
            self.prefetch(tx, &rows)?;
        }
        Ok(at.into_iter().zip(rows).map(|(n, p)| self.row(tx, org, n, p)).collect())
    }

    /// The outcome of one parsed record and, for a row to apply, what to
    /// write and the permissions its roles grant.
    fn row(&mut self, tx: &dyn Tx, org: &Org, line: u64, parsed: Parse) -> (Line, Option<(ImportRow, PermSet)>) {
        let p = match parsed {
            Ok(p) => p,
            Err((email, msg)) => return (Line { line, email, outcome: Outcome::Error(msg) }, None),
        };
        let res = self.decide(tx, org, &p);
        let email = p.email.display.clone();
        match res {
            Ok((outcome, row)) => (Line { line: p.line, email, outcome }, row),
            Err(msg) => (Line { line: p.line, email, outcome: Outcome::Error(msg) }, None),
        }
    }

    fn decide(&mut self, tx: &dyn Tx, org: &Org, p: &Parsed) -> Result<(Outcome, Option<(ImportRow, PermSet)>), String> {
        if let Some(first) = self.seen_email.get(&p.email.key, true) {
            return Err(format!("{} appears again (first on line {first})", p.email.display));
        }
        self.seen_email.insert(&p.email.key, p.line);
        let mut roles = Vec::new();
        for r in &p.roles {
            let role = match self.role_cache.get(r) {
                Some(x) => x.clone(),
                None => {
                    let x = tx.role(Some(org.id), r).map_err(|e| e.to_string())?;
                    self.role_cache.insert(r.clone(), x.clone());
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
                let id = match self.group_cache.get(g) {
                    Some(x) => *x,
                    None => {
                        let x = tx.group(org.id, g).map_err(|e| e.to_string())?.map(|g| g.id);
                        self.group_cache.insert(g.clone(), x);
                        x
                    }
                };
                Some(id.ok_or_else(|| format!("group '{}' not found", one_line(g)))?)
            }
        };
        let existing = self.user_with_key(tx, &p.email.key)?;
        let granted = roles.iter().fold(PermSet::EMPTY, |s, r| s.union(r.perms));
        let row = |new: Option<NewUser>, existing| {
            let role_names: Vec<String> = roles.iter().map(|r| r.name.clone()).collect();
            let changes = super::record::users::joined(new.as_ref().map(|u| u.email.as_str()), &role_names).to_string();
            let r = ImportRow { new, existing, roles: roles.iter().map(|r| r.id).collect(), role_names, group, changes };
            (r, granted)
        };
        if let Some(id) = existing {
            let s = tx.subject(id).map_err(|e| e.to_string())?.ok_or("user vanished")?;
            if s.trashed {
                // Past the restore window (a record the actor may purge is gone by now).
                let info = tx.trash_info(id).map_err(|e| e.to_string())?;
                if info.is_some_and(|i| i.trashed_at < super::user::trash_cutoff()) {
                    return Err(format!(
                        "{} was removed more than 30 days ago; an administrator of the organization it was removed from must purge it first ('acct db purge')",
                        s.label
                    ));
                }
                return Err(format!("{} was removed and is in the trash (use 'acct user restore')", s.label));
            }
            if s.is_member(org.id) {
                if self.opts.if_missing {
                    return Ok((Outcome::Skip, None));
                }
                return Err(format!("{} is already a member of {} (use --if-missing to skip)", s.label, org.slug));
            }
            return Ok((Outcome::Join, Some(row(None, Some(id)))));
        }
        let username = match &p.username {
            Some(u) => {
                if self.username_taken(tx, u, true)? {
                    return Err(format!("the username '{u}' is taken"));
                }
                u.clone()
            }
            None => {
                // A base that collided before goes on from the number after
                // the last one given in this pass: every number below is
                // taken (3,000 rows of ann@… asked 4.5 million times).
                let base = validate::username_base(&p.email.display);
                let mut n = self.next_number.get(base.as_str()).copied().unwrap_or(1);
                let c = loop {
                    let c = validate::username_candidate(&base, n);
                    if !self.username_taken(tx, &c, false)? {
                        break c;
                    }
                    n += 1;
                };
                if n > 1 {
                    self.next_number.insert(base.into(), n + 1);
                }
                c
            }
        };
        self.taken.insert(&username, ());
        let user = super::init::new_user(&p.email, p.first.clone(), p.last.clone(), username);
        Ok((Outcome::Add, Some(row(Some(user), None))))
    }
}

/// Rows written per call of the repository (what pass two holds at once).
const CHUNK: usize = 2048;

/// Read up to [`CHUNK`] records that are not blank into `pool`, and parse
/// them; empty at the end of the input.
fn read_chunk<R: Read>(
    rdr: &mut csv_records::Reader<R>,
    pool: &mut Vec<Record>,
    cols: &HashMap<&str, usize>,
    width: usize,
) -> Result<Vec<(u64, Parse)>> {
    let mut n = 0;
    while n < CHUNK {
        if n == pool.len() {
            pool.push(Record::default());
        }
        if !rdr.read(&mut pool[n])? {
            break;
        }
        if !pool[n].is_blank() {
            n += 1;
        }
    }
    Ok(pool[..n].iter().map(|r| (r.line, parse_row(r, cols, width, r.line))).collect())
}

/// From how many rows a batch sets the secondary indexes aside (when it is
/// also at least half the size of the organization).
const BULK_INDEX_ROWS: u64 = 20_000;

/// What a first pass found: every line's outcome, the rows to write (unless
/// a row is refused or nothing is to be written) and the permissions the
/// rows' roles grant.
struct Planned {
    lines: Lines,
    counts: Counts,
    perms: PermSet,
    rows: Option<files::Decisions>,
}

/// Decide every row of `rdr`, from its first record on.
fn plan<R: Read>(
    planner: &mut Planner,
    tx: &dyn Tx,
    org: &Org,
    rdr: &mut csv_records::Reader<R>,
    cols: &HashMap<&str, usize>,
    width: usize,
) -> Result<Planned> {
    let mut lines = Lines::new()?;
    let mut counts = Counts::default();
    let mut perms = PermSet::EMPTY;
    let mut rows = if planner.opts.plan_only { None } else { Some(files::Decisions::new()?) };
    let mut pool = Vec::new();
    loop {
        let decided = planner.chunk(tx, org, rdr, &mut pool, cols, width)?;
        if decided.is_empty() {
            break;
        }
        for (line, row) in decided {
            if let Some((r, granted)) = row {
                perms = perms.union(granted);
                if let Some(d) = &mut rows {
                    d.push(&r)?;
                }
            }
            counts.count(&line.outcome);
            if counts.errors > 0 {
                // Nothing will be written: the rows are not kept.
                rows = None;
            }
            lines.push(&line)?;
        }
    }
    Ok(Planned { lines, counts, perms, rows })
}

/// `user import`: validate every row of `source`, then, when none is in
/// error and this is not `plan_only`, write them all in the transaction;
/// `progress` hears of the rows written (and of how many there are to
/// write). The invitations come back, to deliver after commit.
pub fn import(
    tx: &mut dyn Tx,
    actor: &authz::Subject,
    org: &Org,
    config: &Config,
    source: Source,
    opts: &Options,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Imported> {
    let Source { mut input, mut rdr, cols, width, .. } = source;
    // Pass one: validate every row, keep each line's outcome and the rows
    // to write on disk, and only hashes of the keys the duplicate checks
    // need in memory.
    // Decide first, then look: nothing about the rows (which addresses are
    // accounts or members) is reported to an actor who may not import, and
    // the roles of the whole batch are decided before the plan is shown.
    super::gate(actor, org, authz::Perm::UserInvite)?;
    // An address removed more than 30 days ago is added anew: its expired
    // trash record is purged first (where the actor may), as `user add` does.
    super::user::purge_expired(&mut *tx, actor)?;
    let mut planner = Planner::new(opts);
    let mut planned = plan(&mut planner, &*tx, org, &mut rdr, &cols, width)?;
    drop(rdr);
    // A refusal that rested on a shared hash: the input is decided again,
    // keeping those keys exactly (a file is read twice only then).
    while planner.needs_exact_pass() {
        planner.start_pass();
        let mut again = csv_records::Reader::new(input.second_pass()?);
        read_header(&mut again)?;
        planned = plan(&mut planner, &*tx, org, &mut again, &cols, width)?;
    }
    drop(planner);
    let Planned { lines, counts, perms, rows } = planned;
    let permit = authz::decide(actor, &Request::UserAdd { org: &org.facts(), roles: perms, target: None })?;
    let rows = match rows {
        Some(rows) if counts.errors == 0 && !opts.plan_only => rows,
        _ => return Ok(Imported { lines, counts, applied: false, mails: vec![], permit }),
    };
    // A batch large beside the organization builds its secondary indexes
    // once at the end: sorting once beats inserting into them a row at a time.
    let batch = rows.len();
    let suspended = batch >= BULK_INDEX_ROWS && batch * 2 >= tx.org_member_count(org.id)?;
    if suspended {
        tx.suspend_indexes()?;
    }
    // Pass two: the rows as decided, written a chunk at a time in the one
    // transaction.
    let mut invitees: Vec<(i64, String, Option<String>)> = Vec::new();
    let mut written = 0u64;
    rows.each_chunk(CHUNK, |chunk| {
        let ids = tx.import_members(&permit, org.id, chunk, &mut |_| {})?;
        if !opts.no_send {
            for (r, id) in chunk.iter().zip(&ids) {
                if let Some(u) = &r.new {
                    invitees.push((*id, u.email.clone(), u.full_name.clone()));
                }
            }
        }
        written += chunk.len() as u64;
        progress(written, batch);
        Ok(())
    })?;
    if suspended {
        tx.resume_indexes()?;
    }
    let mut mails: Vec<PendingMail> = Vec::new();
    for (id, email, name) in &invitees {
        mails.push(invite::issue(config, &mut *tx, &permit, *id, email, name.as_deref(), &org.slug)?);
    }
    Ok(Imported { lines, counts, applied: true, mails, permit })
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
