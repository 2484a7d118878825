//! The user lifecycle: add, show, remove, restore, reset-2fa.

use super::invite::{self, PendingMail};
use super::{group_in, member, role_in, subject, user_id};
use crate::authz::{self, PermSet, Request, Subject};
use crate::config::Config;
use crate::error::{self, AppError, Result};
use crate::service::record;
use crate::service::session::Ask;
use crate::store::{Invitation, Org, Tx, User};
use crate::validate;

/// Days a removed user stays restorable.
pub const TRASH_DAYS: i64 = 30;

pub struct AddArgs {
    pub emails: Vec<String>,
    pub roles: Vec<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub group: Option<String>,
    pub no_send: bool,
    pub if_missing: bool,
    pub keep_going: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// A new identity, invited.
    Invited,
    /// An existing identity got the membership (no mail).
    Joined,
    /// Already a member (`--if-missing`).
    Skipped,
}

impl Added {
    pub fn name(&self) -> &'static str {
        match self {
            Added::Invited => "invited",
            Added::Joined => "added",
            Added::Skipped => "skipped",
        }
    }
}

pub struct AddRow {
    pub email: String,
    pub id: Option<i64>,
    pub username: Option<String>,
    pub outcome: Result<Added>,
}

pub struct AddResult {
    pub rows: Vec<AddRow>,
    /// The invitations to deliver once the transaction has committed.
    pub mails: Vec<PendingMail>,
    /// The engine's permit for the addition, under which they are recorded.
    pub permit: authz::Permit,
}

/// The moment before which a trashed user can no longer be restored.
pub fn trash_cutoff() -> String {
    (chrono::Utc::now() - chrono::TimeDelta::days(TRASH_DAYS)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// What a purge of expired trash did.
#[derive(Debug, Default)]
pub struct Purged {
    /// The users purged.
    pub purged: Vec<PurgedUser>,
    /// Expired records the actor may not purge, with the reason.
    pub left: Vec<(String, String)>,
}

/// A user purged from the trash.
#[derive(Debug)]
pub struct PurgedUser {
    pub id: i64,
    pub email: String,
    /// The organization they were removed from.
    pub org: String,
    /// When they went to the trash.
    pub removed_at: String,
}

/// Purge every trash record past the restore window that the actor may
/// purge (SPEC §4: after 30 days nothing of a removed person remains but
/// the audit entries). Each purge is decided by the engine and audited as
/// `user.purge`; records the actor may not purge are left, with the reason.
pub fn purge_expired(tx: &mut dyn Tx, actor: &Subject) -> Result<Purged> {
    let mut done = Purged::default();
    for id in tx.trashed_before(&trash_cutoff())? {
        let target = subject(tx, id)?;
        let Some(info) = tx.trash_info(id)? else { continue };
        let Some(org) = tx.org_by_id(info.org_id)? else { continue };
        match authz::decide(actor, &Request::UserPurge { org: &org.facts(), target: &target }) {
            Ok(permit) => {
                record::users::purge_user(&mut *tx, &permit, id)?;
                done.purged.push(PurgedUser { id, email: target.label, org: org.slug, removed_at: info.trashed_at });
            }
            Err(e) => done.left.push((target.label, e.message)),
        }
    }
    Ok(done)
}

/// How many trash records are past the restore window (for `db check`).
pub fn expired_trash(tx: &dyn Tx) -> Result<usize> {
    Ok(tx.trashed_before(&trash_cutoff())?.len())
}

/// When a user trashed at `trashed_at` is purged.
pub fn purge_at(trashed_at: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(trashed_at)
        .ok()
        .map(|t| (t + chrono::TimeDelta::days(TRASH_DAYS)).to_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Whether a trashed user can still be restored.
pub fn restorable(trashed_at: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(trashed_at)
        .map(|t| chrono::Utc::now().signed_duration_since(t) <= chrono::TimeDelta::days(TRASH_DAYS))
        .unwrap_or(false)
}

/// The numbers a transaction found taken after each username base: a run
/// that adds many addresses of one base (`info@a.example`, `info@b.example`,
/// ...) probes every number once, not again from 1 for every address.
#[derive(Default)]
pub struct Usernames {
    taken_below: std::collections::HashMap<String, u64>,
    /// Names given to additions not written yet (`apply` writes new
    /// identities a batch at a time): taken as if they were.
    given: std::collections::HashSet<String>,
    /// What the database said about some names, asked in one question for
    /// many rows (`apply`); forgotten whenever anything is written.
    known: std::collections::HashMap<String, bool>,
}

impl Usernames {
    /// `name` is given to an addition not written yet.
    pub fn give(&mut self, name: &str) {
        self.given.insert(name.to_string());
    }

    /// The additions are written (or something else is about to be): the
    /// database knows their names now, and what it said before may no
    /// longer hold.
    pub fn written(&mut self) {
        self.given.clear();
        self.known.clear();
    }

    /// Ask the database once whether each of `names` is taken.
    pub fn prefetch(&mut self, tx: &dyn Tx, names: &[String]) -> Result<()> {
        let taken = tx.taken_usernames(names)?;
        self.known = names.iter().map(|n| (n.clone(), taken.contains(n))).collect();
        Ok(())
    }

    fn taken(&self, tx: &dyn Tx, name: &str) -> Result<bool> {
        if self.given.contains(name) {
            return Ok(true);
        }
        match self.known.get(name) {
            Some(t) => Ok(*t),
            None => tx.username_taken(name),
        }
    }
}

/// A free username: the requested one, or one derived from the address (the
/// base, then base2, base3, ...: the first free one at or after the numbers
/// `names` saw taken).
pub fn free_username(tx: &dyn Tx, names: &mut Usernames, email: &str, requested: Option<&str>) -> Result<String> {
    if let Some(u) = requested {
        let u = validate::username(u)?;
        if names.taken(tx, &u)? {
            return Err(error::conflict(format!("the username '{u}' is taken")).into());
        }
        return Ok(u);
    }
    let base = validate::username_base(email);
    let from = names.taken_below.get(&base).copied().unwrap_or(1);
    for n in from.. {
        let candidate = validate::username_candidate(&base, n);
        if !names.taken(tx, &candidate)? {
            // The candidate is given to this address: the next one starts after it.
            names.taken_below.insert(base, n + 1);
            return Ok(candidate);
        }
    }
    Err(anyhow::anyhow!("no free username for {email}"))
}

/// The roles of the organization a new member may be given, least
/// privileged first (what `user add` offers on a terminal).
pub fn offered_roles(tx: &dyn Tx, org: &Org) -> Result<Vec<crate::store::Role>> {
    let mut roles: Vec<crate::store::Role> =
        tx.roles(Some(org.id))?.into_iter().filter(|r| r.scope == authz::Scope::Org).collect();
    roles.sort_by_key(|r| privilege_rank(r.perms));
    Ok(roles)
}

/// How much a role allows, for listing the least privileged first: roles
/// that only read, then by the number of permissions that change something,
/// then by the number of permissions; `org:admin` (everything) last.
pub fn privilege_rank(perms: PermSet) -> (bool, usize, usize) {
    let all = perms.effective();
    let writes = crate::authz::READ_PERMS.missing(all).iter().count();
    (all.has(authz::Perm::OrgAdmin), writes, all.iter().count())
}

/// The addresses and names of `user add`, checked before anything is
/// opened. With --keep-going an invalid address is a failed target (SPEC
/// §5), reported in its place; without, it aborts before anything changes.
/// A single address has no others to go on with: its error is the command's.
pub struct Additions {
    emails: Vec<Result<validate::Email, (String, AppError)>>,
    first: Option<String>,
    last: Option<String>,
}

pub fn additions(a: &AddArgs) -> Result<Additions> {
    if a.username.is_some() && a.emails.len() > 1 {
        return Err(error::usage("--username goes with a single EMAIL").into());
    }
    // Names belong to one person: several addresses would all get them.
    if (a.first_name.is_some() || a.last_name.is_some()) && a.emails.len() > 1 {
        return Err(error::usage("--first-name and --last-name go with a single EMAIL")
            .with_hint("add each person with their own 'acct user add', or import a CSV with 'acct user import'")
            .into());
    }
    let mut emails: Vec<Result<validate::Email, (String, AppError)>> = Vec::with_capacity(a.emails.len());
    for e in &a.emails {
        match validate::email(e) {
            Ok(v) => emails.push(Ok(v)),
            Err(err) if a.keep_going && a.emails.len() > 1 => emails.push(Err((e.clone(), err))),
            Err(err) => return Err(err.into()),
        }
    }
    let first = a.first_name.as_deref().map(|f| validate::name("first name", f)).transpose()?;
    let last = a.last_name.as_deref().map(|l| validate::name("last name", l)).transpose()?;
    if let Some(u) = &a.username {
        validate::username(u)?;
    }
    Ok(Additions { emails, first, last })
}

/// `user add`: each address joins the organization with the roles named in
/// `a.roles`, each in a savepoint of its own; the invitation mails come
/// back, to deliver after commit under the permit.
pub fn add(tx: &mut dyn Tx, actor: &Subject, org: &Org, config: &Config, a: &AddArgs, checked: Additions) -> Result<AddResult> {
    let roles: Vec<crate::store::Role> = a.roles.iter().map(|r| role_in(&*tx, Some(org), r)).collect::<Result<_>>()?;
    let group = a.group.as_deref().map(|g| group_in(&*tx, org, g)).transpose()?;
    let perms = roles.iter().fold(PermSet::EMPTY, |s, r| s.union(r.perms));
    if let Some(g) = roles.iter().find(|r| r.scope == authz::Scope::Global) {
        return Err(error::conflict(format!("'{}' is a global role", g.name)).with_hint("use 'acct access grant'").into());
    }
    let permit = authz::decide(actor, &Request::UserAdd { org: &org.facts(), roles: perms, target: None })?;
    let role_ids: Vec<i64> = roles.iter().map(|r| r.id).collect();
    let group_id = group.as_ref().map(|g| g.id);

    let mut rows = Vec::new();
    let mut mails: Vec<PendingMail> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut names = Usernames::default();
    for email in checked.emails {
        let email = match email {
            Ok(v) => v,
            Err((raw, err)) => {
                rows.push(AddRow { email: raw, id: None, username: None, outcome: Err(err.into()) });
                continue;
            }
        };
        let email = &email;
        if !seen.insert(email.key.clone()) {
            continue;
        }
        let joining = Joining {
            first: checked.first.clone(),
            last: checked.last.clone(),
            username: a.username.as_deref(),
            roles: &role_ids,
            group: group_id,
            if_missing: a.if_missing,
            no_send: a.no_send,
        };
        let r = super::in_savepoint(&mut *tx, |tx| add_one(tx, actor, config, &permit, org, email, &joining, &mut names));
        match r {
            Ok((row, mail)) => {
                rows.push(row);
                mails.extend(mail);
            }
            Err(e) if a.keep_going => {
                rows.push(AddRow { email: email.display.clone(), id: None, username: None, outcome: Err(e) })
            }
            Err(e) => return Err(e),
        }
    }
    Ok(AddResult { rows, mails, permit })
}

/// How one address joins the organization (`user add`, and `apply` for a
/// new address).
pub struct Joining<'a> {
    pub first: Option<String>,
    pub last: Option<String>,
    pub username: Option<&'a str>,
    pub roles: &'a [i64],
    pub group: Option<i64>,
    pub if_missing: bool,
    pub no_send: bool,
}

/// Add one address under the permit of `user add`: a new identity is
/// invited (its mail returned, to send after commit), an existing one joins.
pub fn add_one(
    tx: &mut dyn Tx,
    actor: &Subject,
    config: &Config,
    permit: &authz::Permit,
    org: &Org,
    email: &validate::Email,
    j: &Joining<'_>,
    names: &mut Usernames,
) -> Result<(AddRow, Option<PendingMail>)> {
    let (roles, group) = (j.roles, j.group);
    let existing = tx.find_user(&crate::store::Selector::EmailKey(email.key.clone()))?;
    if let Some(id) = existing {
        let s = subject(tx, id)?;
        if s.trashed {
            let info = tx.trash_info(id)?;
            if info.as_ref().is_some_and(|i| restorable(&i.trashed_at)) {
                return Err(error::conflict(format!("{} was removed and is in the trash", s.label))
                    .with_hint(format!("bring them back with 'acct user restore {}'", s.label))
                    .into());
            }
            // Past the restore window: the old record is purged and a new identity made.
            let purge = authz::decide(actor, &Request::UserPurge { org: &org.facts(), target: &s })?;
            record::users::purge_user(&mut *tx, &purge, id)?;
        } else if s.is_member(org.id) {
            if j.if_missing {
                return Ok((AddRow { email: s.label.clone(), id: Some(id), username: None, outcome: Ok(Added::Skipped) }, None));
            }
            return Err(error::conflict(format!("{} is already a member of {}", s.label, org.slug))
                .with_hint("pass --if-missing to skip existing members")
                .into());
        } else {
            record::members::add_membership(&mut *tx, permit, org.id, id, roles, group)?;
            return Ok((AddRow { email: s.label.clone(), id: Some(id), username: None, outcome: Ok(Added::Joined) }, None));
        }
    }
    let username = free_username(tx, names, &email.display, j.username)?;
    let user = super::init::new_user(email, j.first.clone(), j.last.clone(), username.clone());
    let id = record::users::add_user(&mut *tx, permit, org.id, &user, roles, group)?;
    tx.queue_invitation(permit, id, org.id)?;
    let mail = if j.no_send {
        None
    } else {
        Some(invite::issue(config, tx, permit, id, &email.display, user.full_name.as_deref(), &org.slug)?)
    };
    Ok((AddRow { email: email.display.clone(), id: Some(id), username: Some(username), outcome: Ok(Added::Invited) }, mail))
}

/// Everything `user show` prints.
pub struct Shown {
    pub user: User,
    pub global_roles: Vec<String>,
    pub organizations: Vec<String>,
    pub invitation: Option<Invitation>,
    /// Set when the user is in the trash of the current organization.
    pub trash: Option<Trashed>,
}

/// A user in the trash: when, with which roles, and what brings them back.
pub struct Trashed {
    pub info: crate::store::TrashInfo,
    pub purge_at: Option<String>,
    pub hint: String,
}

/// The actor may read a member of the current organization with `user:read`,
/// a member of a group they manage, and always themself.
pub fn show(tx: &dyn Tx, actor: &Subject, org: &Org, who: &str) -> Result<Shown> {
    let (subj, seen) = super::viewable(tx, actor, org, who)?;
    let id = subj.id;
    // A user in the trash of this organization is shown as such.
    let trash = match tx.trash_info(id)? {
        Some(info) if subj.trashed && info.org_id == org.id => {
            super::gate(actor, org, authz::Perm::UserRead)?;
            Some(Trashed { hint: super::trash_hint(tx, &subj)?, purge_at: purge_at(&info.trashed_at), info })
        }
        _ => None,
    };
    let target = if trash.is_some() { subj } else { member(tx, org, &id.to_string())? };
    let mut user = tx.record(&seen, target.id, Some(org.id))?.ok_or_else(|| error::not_found("user vanished"))?;
    if let Some(t) = &trash {
        user.roles = t.info.roles.clone();
        user.status = "removed".into();
    }
    Ok(Shown {
        user,
        global_roles: tx.global_roles_of(target.id)?,
        organizations: tx.memberships_of(target.id)?,
        invitation: tx.invitation_of(target.id)?.map(|mut i| {
            i.state = invite::shown_state(&i, target.status.name(), chrono::Utc::now()).to_string();
            i
        }),
        trash,
    })
}

/// What a multi-target destructive command did to one target.
pub struct Done {
    pub target: String,
    pub result: Result<bool>,
}

/// Shared shape of `user remove` and `user reset-2fa`: decide every target
/// first, ask once, then apply with fresh facts (an earlier target may change
/// the facts of a later one, e.g. the last admin).
/// Run `op` on each of `users`, after one question.
pub fn destructive(
    tx: &mut dyn Tx,
    actor: &Subject,
    org: &Org,
    users: &[String],
    keep_going: bool,
    ask: &mut Ask<'_>,
    op: &Destructive,
) -> Result<Vec<Done>> {
    super::gate(actor, org, op.gate)?;
    let mut targets: Vec<(String, Result<Subject>)> = Vec::new();
    for u in users {
        match member(tx, org, u).and_then(|t| (op.decide)(actor, org, &t).map(|_| t)) {
            Err(e) if !keep_going => return Err(e),
            r => targets.push((u.clone(), r)),
        }
    }
    let allowed: Vec<String> = targets.iter().filter(|(_, r)| r.is_ok()).map(|(u, _)| u.clone()).collect();
    if !allowed.is_empty() {
        ask(&(op.question)(&allowed, org))?;
    }
    let mut done = Vec::new();
    for (u, r) in targets {
        let result = match r {
            Err(e) => Err(e),
            Ok(t) => {
                let r = super::in_savepoint(&mut *tx, |tx| {
                    let fresh = subject(&*tx, t.id)?;
                    let permit = (op.decide)(actor, org, &fresh)?;
                    (op.apply)(&mut *tx, &permit, org, &fresh)
                });
                match r {
                    Err(e) if !keep_going => return Err(e),
                    r => r,
                }
            }
        };
        done.push(Done { target: u, result });
    }
    Ok(done)
}

/// A command that takes something from each of several members, after one
/// question: the permission it needs, the question, each target's decision
/// and the write.
pub struct Destructive {
    gate: authz::Perm,
    question: fn(&[String], &Org) -> String,
    decide: fn(&Subject, &Org, &Subject) -> Result<authz::Permit>,
    apply: fn(&mut dyn Tx, &authz::Permit, &Org, &Subject) -> Result<bool>,
}

/// The decision of `user remove` for one member (also `can-i remove`).
pub fn decide_remove(actor: &Subject, org: &Org, t: &Subject) -> Result<authz::Permit> {
    Ok(authz::decide(actor, &Request::UserRemove { org: &org.facts(), target: t })?)
}

/// The decision of `user reset-2fa` for one member (also `can-i reset-2fa`).
pub fn decide_reset_2fa(actor: &Subject, _org: &Org, t: &Subject) -> Result<authz::Permit> {
    Ok(authz::decide(actor, &Request::UserReset2fa { target: t })?)
}

/// `user remove`: memberships taken; `Ok(true)` when the user went to the trash.
pub const REMOVE: Destructive = Destructive {
    gate: authz::Perm::UserRemove,
    question: |names, org| format!("Remove {} from {}?", names.join(", "), org.slug),
    decide: decide_remove,
    apply: |tx, permit, org, t| record::members::remove_membership(&mut *tx, permit, org.id, t.id),
};

/// `user reset-2fa`: every second factor of the user cleared.
pub const RESET_2FA: Destructive = Destructive {
    gate: authz::Perm::UserReset2fa,
    question: |names, _| format!("Reset two-factor authentication of {}?", names.join(", ")),
    decide: decide_reset_2fa,
    apply: |tx, permit, _, t| record::credentials::reset_2fa(&mut *tx, permit, t.id).map(|_| true),
};

/// The decision of `user restore` (also `can-i restore`): the user must be
/// in the trash and still restorable, and the actor may add them back with
/// their roles.
pub fn restore_decision(tx: &dyn Tx, actor: &Subject, who: &str) -> Result<(Subject, Org, authz::Permit)> {
    let id = user_id(tx, who)?;
    let target = subject(tx, id)?;
    let info = tx.trash_info(id)?.ok_or_else(|| {
        error::conflict(format!("{} is not in the trash", target.label)).with_hint("only removed users can be restored")
    })?;
    let org = tx.org_by_id(info.org_id)?.ok_or_else(|| error::not_found("the organization of the removed user is gone"))?;
    super::gate(actor, &org, authz::Perm::UserInvite)?;
    if !restorable(&info.trashed_at) {
        return Err(error::conflict(format!(
            "{} was removed at {}, more than {TRASH_DAYS} days ago, and can no longer be restored",
            target.label, info.trashed_at
        ))
        .with_hint(format!("add them again with 'acct user add {}'", target.label))
        .into());
    }
    let mut perms = PermSet::EMPTY;
    for r in &info.roles {
        if let Some(role) = tx.role(Some(org.id), r)? {
            perms = perms.union(role.perms);
        }
    }
    let permit = authz::decide(actor, &Request::UserRestore { org: &org.facts(), target: &target, roles: perms })?;
    Ok((target, org, permit))
}

/// Bring a trashed user back into the organization they were removed from.
/// Bring a user back from the trash into the organization they were
/// removed from (which need not be the current one).
pub fn restore(tx: &mut dyn Tx, actor: &Subject, who: &str) -> Result<Restored> {
    let (target, org, permit) = restore_decision(tx, actor, who)?;
    record::users::restore_user(&mut *tx, &permit, target.id)?;
    let roles = tx.user_roles(org.id, target.id)?;
    let never_accepted = subject(tx, target.id)?.status == authz::Status::Invited;
    Ok(Restored { label: target.label, org: org.slug, roles, never_accepted })
}

/// What `user restore` did.
pub struct Restored {
    pub label: String,
    pub org: String,
    pub roles: Vec<String>,
    /// They never accepted their invitation: a new one is pending.
    pub never_accepted: bool,
}
