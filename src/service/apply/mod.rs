//! `apply`: make the members of the current organization match a file.
//!
//! One pass over the input, inside one write transaction: every row is
//! validated, decided by the engine as the single command that makes its
//! change would decide it (`user add`, `user edit`, `group add-member`,
//! `role set`, `user remove`), and written in a savepoint of its own, so
//! that each row is decided against the organization as the rows before it
//! left it (two rows cannot together take away the last full-admin). The
//! plan is shown before the transaction commits; any refused row rolls the
//! whole transaction back unless `--keep-going`, and a dry run always
//! rolls it back. What the pass keeps per row (the plan and each row's
//! outcome) goes to unnamed temporary files, not to memory; memory holds
//! the members' ids and the addresses seen, for the duplicate check and
//! `--prune`.

mod adds;
use adds::NewMember;
pub mod input;
pub mod row;

use super::invite::PendingMail;
use super::user::{self, Joining};
use crate::authz::{self, Perm, Permit, Request};
use crate::config::Config;
use crate::error::{self, Result, one_line};
use crate::service::record;
use crate::store::{Column, Org, Selector, Tx, UserQuery};
use crate::validate;
pub use row::Change;
use serde::{Serialize, de::DeserializeOwned};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Seek, SeekFrom, Write};

pub struct Options {
    pub prune: bool,
    pub keep_going: bool,
    pub no_send: bool,
}

/// Records of one kind, kept in an unnamed temporary file as JSON lines.
pub struct Spool<T> {
    out: std::io::BufWriter<std::fs::File>,
    _kind: std::marker::PhantomData<T>,
}

impl<T: Serialize + DeserializeOwned> Spool<T> {
    fn new() -> Result<Spool<T>> {
        let f = tempfile::tempfile().map_err(|e| error::failure(format!("cannot create a temporary file: {e}")))?;
        Ok(Spool { out: std::io::BufWriter::new(f), _kind: std::marker::PhantomData })
    }

    fn push(&mut self, v: &T) -> Result<()> {
        serde_json::to_writer(&mut self.out, v)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    /// Every record in the order pushed.
    pub fn each(&mut self, mut f: impl FnMut(T) -> Result<()>) -> Result<()> {
        self.out.flush()?;
        let file = self.out.get_mut();
        file.seek(SeekFrom::Start(0))?;
        for line in std::io::BufReader::new(&*file).lines() {
            f(serde_json::from_str(&line?)?)?;
        }
        self.out.get_mut().seek(SeekFrom::End(0))?;
        Ok(())
    }
}

/// The outcome of one input row (or of one member pruned: no line).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RowLine {
    pub line: Option<u64>,
    pub email: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Outcome {
    Unchanged,
    Changed(Vec<String>),
    Added,
    Removed,
    /// The message and the exit status of the refusal.
    Error(String, u8),
}

impl Outcome {
    /// The word of `--report`. Rows that would have changed say so when
    /// the refusal of others stopped them.
    pub fn text(&self, aborted: bool) -> String {
        match (self, aborted) {
            (Outcome::Error(m, _), _) => format!("error: {m}"),
            (Outcome::Unchanged, _) => "unchanged".into(),
            (_, true) => "error: not applied because other rows were refused".into(),
            (Outcome::Changed(f), false) => format!("changed: {}", f.join(",")),
            (Outcome::Added, false) => "added".into(),
            (Outcome::Removed, false) => "removed".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub add: usize,
    pub change: usize,
    pub remove: usize,
    pub unchanged: usize,
    pub errors: usize,
}

impl Counts {
    pub fn changes(&self) -> usize {
        self.add + self.change + self.remove
    }
    pub fn total(&self) -> usize {
        self.changes() + self.unchanged + self.errors
    }
}

/// The plan: every change, every row's outcome.
pub struct Plan {
    pub changes: Spool<Change>,
    pub rows: Spool<RowLine>,
    pub counts: Counts,
    /// Columns (keys) of the input that `apply` does not set.
    pub ignored: Vec<String>,
    /// The exit status of the first refused row.
    pub first_error: Option<u8>,
}

struct Pass<'a> {
    config: &'a Config,
    opts: &'a Options,
    actor: authz::Subject,
    org: Org,
    /// The organization's members as they were (each taken out when its
    /// row is read), and those the file added.
    members: HashMap<i64, Option<crate::store::User>>,
    /// The users the file names (not to prune).
    named: HashSet<i64>,
    /// The usernames the run has given, per base.
    usernames: user::Usernames,
    /// Addresses seen, by key, with their line.
    seen: HashMap<Box<str>, u64>,
    plan: Plan,
    adds: usize,
    /// New identities decided and not yet written.
    batch: adds::Batch,
    /// What the database said about the addresses of the rows read ahead
    /// (their user), asked once for them all; and the roles and groups
    /// the rows named (apply changes neither).
    known_users: HashMap<String, Option<i64>>,
    roles: HashMap<String, crate::store::Role>,
    groups: HashMap<String, crate::store::Group>,
    mails: Vec<(Permit, PendingMail)>,
}

impl Pass<'_> {
    fn record(&mut self, line: Option<u64>, email: String, r: Result<(Outcome, Vec<Change>)>) -> Result<()> {
        let outcome = match r {
            Ok((outcome, changes)) => {
                for c in &changes {
                    self.plan.changes.push(c)?;
                }
                match &outcome {
                    Outcome::Unchanged => self.plan.counts.unchanged += 1,
                    Outcome::Changed(_) => self.plan.counts.change += 1,
                    Outcome::Added => self.plan.counts.add += 1,
                    Outcome::Removed => self.plan.counts.remove += 1,
                    Outcome::Error(..) => self.plan.counts.errors += 1,
                }
                outcome
            }
            Err(e) => {
                let r = error::classify(&e);
                let code = r.kind.exit_code();
                self.plan.counts.errors += 1;
                self.plan.first_error.get_or_insert(code);
                Outcome::Error(r.message, code)
            }
        };
        self.plan.rows.push(&RowLine { line, email, outcome })
    }

    fn row(&mut self, tx: &mut dyn Tx, row: input::Row, email: Option<validate::Email>) -> Result<()> {
        let line = row.line;
        let shown = row.email.clone();
        let r = self.decide(tx, row, email);
        self.record(Some(line), shown, r)
    }

    /// `email` is the row's address as validated when it was read ahead.
    fn decide(&mut self, tx: &mut dyn Tx, row: input::Row, email: Option<validate::Email>) -> Result<(Outcome, Vec<Change>)> {
        if let Some(e) = row.error {
            return Err(e.into());
        }
        if row.email.trim().is_empty() {
            return Err(error::invalid("email is empty").into());
        }
        let email = match email {
            Some(e) => e,
            None => validate::email(&row.email)?,
        };
        if let Some(first) = self.seen.get(email.key.as_str()) {
            return Err(error::invalid(format!("{} appears again (first on line {first})", email.display)).into());
        }
        self.seen.insert(email.key.as_str().into(), row.line);
        let d = row::desired(&row, &self.org)?;
        let existing = match self.known_users.get(email.key.as_str()) {
            Some(id) => *id,
            None => tx.find_user(&Selector::EmailKey(email.key.clone()))?,
        };
        if let Some(id) = existing {
            self.named.insert(id);
        }
        match existing.filter(|id| self.members.contains_key(id)) {
            Some(id) => {
                let user = match self.members.get_mut(&id).and_then(Option::take) {
                    Some(u) => u,
                    None => tx.user(id, Some(self.org.id))?.ok_or_else(|| error::not_found("user vanished"))?,
                };
                row::check_identity(&d, Some(&user), &user.email)?;
                let diff = row::diff(&user, &self.org, &d, row.line);
                if diff.changes.is_empty() {
                    return Ok((Outcome::Unchanged, vec![]));
                }
                let fields = diff.changes.iter().filter_map(|c| c.field.clone()).collect();
                self.flush(tx)?;
                let r = super::in_savepoint(tx, |tx| row::write(tx, &self.actor, &self.org, id, &diff));
                r.map(|_| (Outcome::Changed(fields), diff.changes))
            }
            None => {
                self.adds += 1;
                let decided = self.decide_add(tx, &email, &d, existing)?;
                if existing.is_none() && adds::batchable(&d) {
                    return self.add_later(tx, &email, &d, decided, row.line);
                }
                self.flush(tx)?;
                let r = super::in_savepoint(tx, |tx| self.add(tx, &email, &d, decided, row.line));
                let (id, changes, mail) = r?;
                self.members.insert(id, None);
                self.named.insert(id);
                self.mails.extend(mail);
                Ok((Outcome::Added, changes))
            }
        }
    }

    /// Write the new identities waiting in the batch; also before a write
    /// of another kind, which goes after them. Either way, what the
    /// database said about the usernames of the rows read ahead may no
    /// longer hold.
    fn flush(&mut self, tx: &mut dyn Tx) -> Result<()> {
        self.batch.flush(tx, &self.actor, &self.org, self.config, self.opts.no_send, &mut self.mails)?;
        self.usernames.written();
        Ok(())
    }

    /// A new member, added as `user add` adds them, then given the rest of
    /// the row.
    #[allow(clippy::type_complexity)]
    fn add(
        &mut self,
        tx: &mut dyn Tx,
        email: &validate::Email,
        d: &row::Desired,
        m: NewMember,
        line: u64,
    ) -> Result<(i64, Vec<Change>, Option<(Permit, PendingMail)>)> {
        let org = &self.org;
        let NewMember { roles, group, permit, identity, .. } = m;
        let role_ids: Vec<i64> = roles.iter().map(|r| r.id).collect();
        let joining = Joining {
            first: d.text_of(Column::FirstName),
            last: d.text_of(Column::LastName),
            username: if identity { None } else { d.username.as_deref() },
            roles: &role_ids,
            group,
            if_missing: false,
            no_send: self.opts.no_send,
        };
        let (added, mail) = user::add_one(tx, &self.actor, self.config, &permit, org, email, &joining, &mut self.usernames)?;
        let id = added.id.ok_or_else(|| anyhow::anyhow!("internal error: an added member without an id"))?;
        let mut changes = vec![Self::added(email, &roles, line)];
        let user = tx.user(id, Some(org.id))?.ok_or_else(|| error::not_found("user vanished"))?;
        let diff = row::diff(&user, org, d, line);
        row::write(tx, &self.actor, org, id, &diff)?;
        changes.extend(diff.changes);
        Ok((id, changes, mail.map(|m| (permit, m))))
    }

    /// `--prune`: members the file does not name are removed, each decided
    /// as `user remove` decides it.
    fn prune(&mut self, tx: &mut dyn Tx) -> Result<()> {
        let mut gone: Vec<i64> = self.members.keys().filter(|id| !self.named.contains(id)).copied().collect();
        gone.sort_unstable();
        for id in gone {
            let t = super::subject(tx, id)?;
            let r = super::in_savepoint(tx, |tx| {
                user::decide_remove(&self.actor, &self.org, &t)
                    .and_then(|p| record::members::remove_membership(&mut *tx, &p, self.org.id, id))
            });
            let change = Change {
                line: None,
                action: "remove".into(),
                email: t.label.clone(),
                field: None,
                old: serde_json::Value::Null,
                new: serde_json::Value::Null,
            };
            self.record(None, t.label.clone(), r.map(|_| (Outcome::Removed, vec![change])))?;
        }
        Ok(())
    }
}

/// The invitations to deliver after commit, each with the permit of its addition.
pub type Mails = Vec<(Permit, PendingMail)>;

/// What a reading of the input tells the one who runs it: the plan before
/// anything is committed, the confirmation of `--prune` after it, and the
/// rows read so far.
pub struct Hooks<'a, 'b> {
    pub show: &'a mut dyn FnMut(&mut Plan) -> Result<()>,
    pub ask: &'a mut crate::service::session::Ask<'b>,
    pub progress: &'a mut dyn FnMut(u64),
}

/// One reading of the input (and the columns of it that `apply` ignores) in
/// the write transaction: the plan (shown through the hooks), the writes,
/// and the mails to send after commit; `false` when nothing is to be
/// committed (no change, or errors without --keep-going).
pub fn apply(
    tx: &mut dyn Tx,
    actor: &authz::Subject,
    org: &Org,
    config: &Config,
    (mut source, ignored): (input::Source, Vec<String>),
    opts: &Options,
    hooks: Hooks<'_, '_>,
) -> Result<(Plan, Mails, bool)> {
    let (actor, org) = (actor.clone(), org.clone());
    // Decide first, then look: the plan shows the members as they are.
    let seen = authz::decide(&actor, &Request::Read { org: &org.facts(), perm: Perm::UserRead })?;
    if opts.prune {
        super::gate(&actor, &org, Perm::UserRemove)?;
    }
    // The members as they are, read in one pass (one statement, rather
    // than one lookup per row), with only the fields the input can name.
    let columns = source.columns().map(|mut c| {
        c.extend([Column::Id, Column::Email, Column::Username, Column::Organization]);
        c
    });
    let wants = |c: Column| columns.as_ref().is_none_or(|cols| cols.contains(&c));
    let q = UserQuery {
        org: org.id,
        without_roles: !wants(Column::Role),
        without_groups: !wants(Column::Groups),
        columns: columns.clone(),
        ..Default::default()
    };
    let mut members = HashMap::new();
    tx.users(&seen, &q, &mut |u| {
        members.insert(u.id, Some(u.clone()));
        Ok(())
    })?;
    let plan = Plan { changes: Spool::new()?, rows: Spool::new()?, counts: Counts::default(), ignored, first_error: None };
    let mut pass = Pass {
        config,
        opts,
        actor,
        org,
        members,
        named: HashSet::new(),
        usernames: user::Usernames::default(),
        seen: HashMap::new(),
        plan,
        adds: 0,
        batch: adds::Batch::default(),
        known_users: HashMap::new(),
        roles: HashMap::new(),
        groups: HashMap::new(),
        mails: Vec::new(),
    };
    let mut n = 0u64;
    let mut ahead: Vec<input::Row> = Vec::with_capacity(adds::BATCH);
    loop {
        // The rows are read ahead a batch at a time, so that the database
        // is asked once about them all.
        while ahead.len() < adds::BATCH {
            match source.next(&mut pass.plan.ignored)? {
                Some(row) => ahead.push(row),
                None => break,
            }
        }
        if ahead.is_empty() {
            break;
        }
        let emails = pass.prefetch(&*tx, &ahead)?;
        for (row, email) in ahead.drain(..).zip(emails) {
            pass.row(&mut *tx, row, email)?;
            n += 1;
            (hooks.progress)(n);
        }
    }
    pass.flush(&mut *tx)?;
    if opts.prune {
        pass.prune(&mut *tx)?;
    }
    if pass.adds > 0 {
        super::gate(&pass.actor, &pass.org, Perm::UserInvite)?;
    }
    let Pass { mut plan, mails, org, .. } = pass;
    (hooks.show)(&mut plan)?;
    let refused = plan.counts.errors > 0 && !opts.keep_going;
    if refused || plan.counts.changes() == 0 {
        // Nothing to write (or nothing may be): the transaction rolls back.
        return Ok((plan, mails, false));
    }
    if plan.counts.remove > 0 {
        (hooks.ask)(&format!("Remove {} member(s) of {} who are not in the file?", plan.counts.remove, org.slug))?;
    }
    Ok((plan, mails, true))
}

/// `+ add ada@x.com roles read-only`, `~ bob@x.com last_name: Builder →
/// Baumeister`, `~ bob@x.com role: +helpdesk -read-only`, `- remove carol@x.com`.
pub fn plan_line(c: &Change) -> String {
    let email = one_line(&c.email);
    let list = |v: &serde_json::Value| -> Vec<String> {
        v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(one_line)).collect()).unwrap_or_default()
    };
    match c.action.as_str() {
        "add" => format!("+ add {email} roles {}", list(&c.new).join(", ")),
        "remove" => format!("- remove {email}"),
        _ => {
            let field = c.field.as_deref().unwrap_or("");
            if matches!(field, "role" | "groups") {
                let (old, new) = (list(&c.old), list(&c.new));
                let mut parts: Vec<String> = new.iter().filter(|n| !old.contains(n)).map(|n| format!("+{n}")).collect();
                parts.extend(old.iter().filter(|o| !new.contains(o)).map(|o| format!("-{o}")));
                format!("~ {email} {field}: {}", parts.join(" "))
            } else {
                format!("~ {email} {field}: {} → {}", shown(&c.old), shown(&c.new))
            }
        }
    }
}

fn shown(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "(none)".into(),
        serde_json::Value::String(s) => one_line(s),
        other => other.to_string(),
    }
}
