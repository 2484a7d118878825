//! The operations layer: each function validates its input, reads the facts,
//! asks the engine, and makes the change through the repository. Commands call
//! one of these and render what it returns.

pub mod access;
pub mod apply;
pub mod audit;
pub mod can_i;
pub mod csv_records;
pub mod db;
pub mod group;
pub mod import;
pub mod init;
pub mod invite;
pub mod login;
pub mod org;
pub mod record;
pub mod role;
pub mod session;
pub mod twofa;
pub mod undo;
pub mod user;
pub mod user_edit;
pub mod user_list;

#[cfg(test)]
mod tests;

use crate::authz::Subject;
use crate::error::{self, AppError, Result, one_line};
use crate::store::{Group, Org, Role, Selector, Tx};

/// How a command names a user: all digits, an id; with `@`, an e-mail
/// address; else a username.
pub fn user_selector(s: &str) -> Result<Selector, AppError> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().map(Selector::Id).map_err(|_| crate::error::not_found(format!("no user with id {s}")));
    }
    if s.contains('@') {
        return crate::validate::email(s).map(|e| Selector::EmailKey(e.key));
    }
    Ok(Selector::Username(s.to_string()))
}

/// A USER argument: an id, an e-mail or a username.
pub fn user_id(tx: &dyn Tx, s: &str) -> Result<i64> {
    let sel = user_selector(s)?;
    tx.find_user(&sel)?.ok_or_else(|| error::not_found(format!("user '{}' not found", one_line(s))).into())
}

pub fn subject(tx: &dyn Tx, id: i64) -> Result<Subject> {
    tx.subject(id)?.ok_or_else(|| error::not_found(format!("no user with id {id}")).into())
}

/// Decide first, then look (SPEC §3): the actor must hold `perm` in the
/// organization before anything about the command's targets is reported.
pub fn gate(actor: &Subject, org: &Org, perm: crate::authz::Perm) -> Result<()> {
    crate::authz::check(actor, &crate::authz::Request::Has { org: &org.facts(), perm })?;
    Ok(())
}

/// The user whose record the actor asks to see, decided by the engine
/// before anything is told: themself, a member of a group they manage, or
/// anyone with `user:read`. A user who does not exist is refused like one
/// the actor may not read, so that an actor without `user:read` cannot
/// learn who exists.
pub fn viewable(tx: &dyn Tx, actor: &Subject, org: &Org, who: &str) -> Result<(Subject, crate::authz::Permit)> {
    let sel = user_selector(who)?;
    let found = tx.find_user(&sel)?.map(|id| subject(tx, id)).transpose()?;
    let seen = crate::authz::decide(actor, &crate::authz::Request::UserView { org: &org.facts(), target: found.as_ref() })?;
    let found = found.ok_or_else(|| error::not_found(format!("user '{}' not found", one_line(who))))?;
    Ok((found, seen))
}

/// A user who must be a member of the organization.
pub fn member(tx: &dyn Tx, org: &Org, s: &str) -> Result<Subject> {
    let id = user_id(tx, s)?;
    let subj = subject(tx, id)?;
    if subj.trashed {
        // Not 'user add': that is refused while they can be restored.
        return Err(AppError::new(error::Kind::NotFound, format!("{} is in the trash", subj.label))
            .with_hint(trash_hint(tx, &subj)?)
            .into());
    }
    if !subj.is_member(org.id) {
        return Err(AppError::new(error::Kind::NotFound, format!("{} is not a member of {}", subj.label, org.slug))
            .with_hint(format!("add them with 'acct user add {}'", subj.label))
            .into());
    }
    Ok(subj)
}

/// The organization named `slug`, or not found with a `did you mean`.
pub fn org_named(tx: &dyn Tx, slug: &str) -> Result<Org> {
    if let Some(o) = tx.org(slug)? {
        return Ok(o);
    }
    let known = tx.orgs()?;
    let err = error::not_found(format!("organization '{}' not found", one_line(slug)));
    Err(match error::closest(slug, known.iter().map(|o| o.slug.as_str())) {
        Some(c) => err.with_hint(format!("did you mean '{c}'?")),
        None => err,
    }
    .into())
}

/// What brings a trashed user back: `user restore` within the window, a
/// new `user add` after it (the old record is then purged).
pub fn trash_hint(tx: &dyn Tx, subj: &Subject) -> Result<String> {
    let restorable = tx.trash_info(subj.id)?.is_some_and(|i| user::restorable(&i.trashed_at));
    Ok(if restorable {
        format!("bring them back with 'acct user restore {}'", subj.label)
    } else {
        format!("the restore window is over; add them again with 'acct user add {}'", subj.label)
    })
}

pub fn role_in(tx: &dyn Tx, org: Option<&Org>, name: &str) -> Result<Role> {
    if let Some(r) = tx.role(org.map(|o| o.id), name)? {
        return Ok(r);
    }
    let known = tx.roles(org.map(|o| o.id))?;
    let other = match org {
        Some(o) => format!("'acct role list' shows the roles of {}", o.slug),
        None => "'acct role list' shows the roles".to_string(),
    };
    let hint = error::did_you_mean(name, known.iter().map(|r| r.name.as_str()), other);
    Err(error::not_found(format!("role '{}' not found", one_line(name))).with_hint(hint).into())
}

pub fn group_in(tx: &dyn Tx, org: &Org, slug: &str) -> Result<Group> {
    if let Some(g) = tx.group(org.id, slug)? {
        return Ok(g);
    }
    let known = tx.group_slugs(org.id)?;
    let hint = error::did_you_mean(slug, known.iter().map(String::as_str), "'acct group list' shows the groups".into());
    Err(error::not_found(format!("group '{}' not found in {}", one_line(slug), org.slug)).with_hint(hint).into())
}

/// Outcome of one target of a multi-target command.
pub struct Outcome<T> {
    pub target: String,
    pub result: Result<T>,
}

/// Run `f` in a savepoint: what it wrote is kept when it succeeds and
/// undone when it fails, and the transaction goes on either way.
pub fn in_savepoint<T>(tx: &mut dyn Tx, f: impl FnOnce(&mut dyn Tx) -> Result<T>) -> Result<T> {
    tx.step_begin()?;
    let r = f(&mut *tx);
    tx.step_end(r.is_ok())?;
    r
}

/// Run `each` for every target. All-or-nothing by default: the first failure
/// aborts. With `keep_going`, failures are collected and the rest applied.
/// Each target runs in a savepoint, so a failed one leaves no trace.
pub fn for_each_target<T>(
    tx: &mut dyn Tx,
    targets: &[String],
    keep_going: bool,
    mut each: impl FnMut(&mut dyn Tx, &str) -> Result<T>,
) -> Result<Vec<Outcome<T>>> {
    let mut out = Vec::with_capacity(targets.len());
    for t in targets {
        let r = in_savepoint(tx, |tx| each(tx, t));
        if r.is_err() && !keep_going {
            return Err(r.err().unwrap_or_else(|| anyhow::anyhow!("failed")));
        }
        out.push(Outcome { target: t.clone(), result: r });
    }
    Ok(out)
}
