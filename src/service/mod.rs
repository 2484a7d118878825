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
pub mod org;
pub mod role;
pub mod twofa;
pub mod user;
pub mod user_edit;
pub mod user_list;

use crate::authz::Subject;
use crate::error::{self, AppError, Result, one_line};
use crate::store::{Group, Org, Role, Selector, Tx};

/// A USER argument: an id, an e-mail or a username.
pub fn user_id(tx: &dyn Tx, s: &str) -> Result<i64> {
    let sel = Selector::parse(s)?;
    tx.find_user(&sel)?.ok_or_else(|| error::not_found(format!("user '{}' not found", one_line(s))).into())
}

pub fn subject(tx: &dyn Tx, id: i64) -> Result<Subject> {
    tx.subject(id)?.ok_or_else(|| error::not_found(format!("no user with id {id}")).into())
}

/// Decide first, then look (SPEC §3): the actor must hold `perm` in the
/// organization before anything about the command's targets is reported.
pub fn gate(actor: &Subject, org: &Org, perm: crate::authz::Perm) -> Result<()> {
    crate::authz::decide(actor, &crate::authz::Request::Has { org: &org.facts(), perm }).map(drop)?;
    Ok(())
}

/// Look a user up for a command that the actor may run on themself without
/// any permission: anyone else is looked up only once `perm` is held, so
/// that an actor without it cannot learn who exists.
pub fn self_or_gated(tx: &dyn Tx, actor: &Subject, org: &Org, who: &str, perm: crate::authz::Perm) -> Result<i64> {
    let sel = Selector::parse(who)?;
    let found = tx.find_user(&sel)?;
    if found != Some(actor.id) {
        gate(actor, org, perm)?;
    }
    found.ok_or_else(|| error::not_found(format!("user '{}' not found", one_line(who))).into())
}

/// A user who must be a member of the organization.
pub fn member(tx: &dyn Tx, org: &Org, s: &str) -> Result<Subject> {
    let id = user_id(tx, s)?;
    let subj = subject(tx, id)?;
    if !subj.is_member(org.id) {
        return Err(AppError::new(error::Kind::NotFound, format!("{} is not a member of {}", subj.label, org.slug))
            .with_hint(format!("add them with 'acct user add {}'", subj.label))
            .into());
    }
    Ok(subj)
}

pub fn role_in(tx: &dyn Tx, org: Option<&Org>, name: &str) -> Result<Role> {
    tx.role(org.map(|o| o.id), name)?.ok_or_else(|| {
        let err = error::not_found(format!("role '{}' not found", one_line(name)));
        match org {
            Some(o) => err.with_hint(format!("'acct role list' shows the roles of {}", o.slug)),
            None => err.with_hint("'acct role list' shows the roles"),
        }
        .into()
    })
}

pub fn group_in(tx: &dyn Tx, org: &Org, slug: &str) -> Result<Group> {
    tx.group(org.id, slug)?.ok_or_else(|| {
        error::not_found(format!("group '{}' not found in {}", one_line(slug), org.slug))
            .with_hint("'acct group list' shows the groups")
            .into()
    })
}

/// Outcome of one target of a multi-target command.
pub struct Outcome<T> {
    pub target: String,
    pub result: Result<T>,
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
        tx.step_begin()?;
        let r = each(tx, t);
        tx.step_end(r.is_ok())?;
        if r.is_err() && !keep_going {
            return Err(r.err().unwrap_or_else(|| anyhow::anyhow!("failed")));
        }
        out.push(Outcome { target: t.clone(), result: r });
    }
    Ok(out)
}

/// Print failures of a `--keep-going` run and turn them into exit 7.
pub fn report_partial<T>(ctx: &crate::context::Ctx, outcomes: &[Outcome<T>]) -> Result<()> {
    let failed: Vec<&Outcome<T>> = outcomes.iter().filter(|o| o.result.is_err()).collect();
    if failed.is_empty() {
        return Ok(());
    }
    for o in &failed {
        if let Err(e) = &o.result {
            let r = error::classify(e);
            ctx.warn(format!("{}: {}", one_line(&o.target), r.message));
        }
    }
    Err(AppError::new(
        error::Kind::Partial,
        format!("{} of {} targets failed; the others were applied", failed.len(), outcomes.len()),
    )
    .into())
}
