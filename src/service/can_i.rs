//! `acct can-i`: ask the engine without doing anything.
//!
//! Every answer comes from the very functions the command itself runs (the
//! look-up of the target, the membership and trash checks, the decision), so
//! that `can-i` and the command cannot drift apart. A target that the command
//! would not find is the same error here (exit 3); a denial or a conflict is
//! the answer "no".

use super::{role, user, user_edit};
use crate::authz::{self, EditFacts, Field, Op, Perm, Request, Status, Subject};
use crate::error::{AppError, Kind, Result, one_line};
use crate::store::{Org, Tx};

pub struct Answer {
    pub allowed: bool,
    pub action: String,
    pub target: Option<String>,
    pub reason: String,
    pub relations: Vec<&'static str>,
}

fn unknown_action(action: &str) -> anyhow::Error {
    AppError::new(Kind::Usage, format!("unknown action '{}'", one_line(action)))
        .with_hint(format!(
            "actions: edit, remove, deactivate, reset-2fa, resend, restore, undo, assign:ROLE, unassign:ROLE, or a permission ({})",
            Perm::ALL.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")
        ))
        .into()
}

fn parse_fields(fields: &[String]) -> Result<Vec<Field>> {
    fields
        .iter()
        .map(|f| {
            Field::parse(f).ok_or_else(|| {
                AppError::new(Kind::Usage, format!("unknown field '{}'", one_line(f)))
                    .with_hint(format!("fields: {}", Field::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")))
                    .into()
            })
        })
        .collect()
}

/// The facts of an edit of these fields, as the command would change them:
/// `active` and `sms_auto_send` flip their current state (turning
/// `sms_auto_send` off is always possible, turning it on has conditions),
/// `email` is a change of address.
fn edit_facts(t: &Subject, fields: &[Field], sms_auto_send_now: bool) -> EditFacts {
    EditFacts {
        fields: fields.to_vec(),
        deactivating: fields.contains(&Field::Active) && t.status != Status::Inactive,
        new_primary_group: None,
        phone_after: t.has_phone,
        enabling_sms_auto_send: fields.contains(&Field::SmsAutoSend) && !sms_auto_send_now,
        email_change: fields.contains(&Field::Email),
        groups: vec![],
    }
}

/// What the command would decide, with the target it found.
fn decision(
    tx: &dyn Tx,
    current_org: &CurrentOrg<'_>,
    actor: &Subject,
    action: &str,
    who: Option<&str>,
    fields: &[Field],
) -> Result<(Option<Subject>, Result<String, AppError>)> {
    let need_user = || -> anyhow::Error {
        AppError::new(Kind::Usage, format!("'can-i {action}' needs a USER")).with_hint(format!("acct can-i {action} USER")).into()
    };
    // Refusals that are the answer, not an error of `can-i` itself.
    let answer = |r: Result<authz::Permit>| -> Result<Result<String, AppError>> {
        match r {
            Ok(_) => Ok(Ok(String::new())),
            Err(e) => match e.downcast::<AppError>() {
                Ok(a) if matches!(a.kind, Kind::Denied | Kind::Conflict) => Ok(Err(a)),
                Ok(a) => Err(a.into()),
                Err(e) => Err(e),
            },
        }
    };
    match action {
        "edit" | "deactivate" => {
            let who = who.ok_or_else(need_user)?;
            let t = match user_edit::edit_target(tx, actor, who) {
                Ok(t) => t,
                Err(e) => return Ok((None, answer(Err(e))?)),
            };
            let fields = if action == "deactivate" { vec![Field::Active] } else { fields.to_vec() };
            if fields.is_empty() {
                let rel = authz::relations(actor, &t);
                let allowed: Vec<&str> =
                    Field::ALL.into_iter().filter(|f| authz::field_allowed(&rel, *f).is_ok()).map(Field::name).collect();
                let r = if allowed.is_empty() {
                    Err(authz::field_allowed(&rel, Field::FullName).err().unwrap_or_else(|| AppError::new(Kind::Denied, "no")))
                } else {
                    Ok(format!("you may change {}", allowed.join(", ")))
                };
                return Ok((Some(t), r));
            }
            let sms_now = tx.user(t.id, None)?.is_some_and(|u| u.sms_auto_send);
            let facts = edit_facts(&t, &fields, sms_now);
            let r = answer(authz::decide(actor, &Request::UserEdit { target: &t, edit: &facts }).map_err(Into::into))?;
            Ok((Some(t), r))
        }
        "remove" | "reset-2fa" | "resend" => {
            let who = who.ok_or_else(need_user)?;
            let org = current_org(tx)?;
            let perm = match action {
                "remove" => Perm::UserRemove,
                "reset-2fa" => Perm::UserReset2fa,
                _ => Perm::UserInvite,
            };
            if let Err(e) = super::gate(actor, &org, perm) {
                return Ok((None, answer(Err(e))?));
            }
            let t = super::member(tx, &org, who)?;
            let r = match action {
                "remove" => user::decide_remove(actor, &org, &t),
                "reset-2fa" => user::decide_reset_2fa(actor, &org, &t),
                _ => super::invite::send_decision(tx, actor, &org, who).map(|(_, p)| p),
            };
            Ok((Some(t), answer(r)?))
        }
        "undo" => {
            let id = who.and_then(|w| w.parse::<i64>().ok()).ok_or_else(|| -> anyhow::Error {
                AppError::new(Kind::Usage, "'can-i undo' needs an audit entry ID").with_hint("acct can-i undo ID").into()
            })?;
            let e = match super::undo::entries(tx, actor, &super::undo::Which::Entry(id)) {
                Ok(mut v) => v.remove(0),
                Err(err) => return Ok((None, answer(Err(err))?)),
            };
            let t = e.target_id.map(|t| tx.subject(t)).transpose()?.flatten();
            let r = match super::undo::decide(tx, actor, &e, false) {
                Ok(_) => Ok(String::new()),
                Err(err) => answer(Err(err))?,
            };
            Ok((t, r))
        }
        "restore" => {
            let who = who.ok_or_else(need_user)?;
            let t = super::subject(tx, super::user_id(tx, who)?)?;
            let r = answer(user::restore_decision(tx, actor, who).map(|(_, _, p)| p))?;
            Ok((Some(t), r))
        }
        a if a.starts_with("assign:") || a.starts_with("unassign:") => {
            let (verb, name) = a.split_once(':').unwrap_or((a, ""));
            let who = who.ok_or_else(need_user)?;
            let org = current_org(tx)?;
            if let Err(e) = super::gate(actor, &org, Perm::RoleAssign) {
                return Ok((None, answer(Err(e))?));
            }
            let t = super::member(tx, &org, who)?;
            let op = if verb == "assign" { Op::RoleAssign } else { Op::RoleUnassign };
            let r = answer(role::assign_decision(tx, actor, &org, t.id, name, op).map(|(_, p)| p))?;
            Ok((Some(t), r))
        }
        p => match Perm::parse(p) {
            Some(perm) => {
                let org = current_org(tx)?;
                Ok((None, answer(authz::decide(actor, &Request::Has { org: &org.facts(), perm }).map_err(Into::into))?))
            }
            None => Err(unknown_action(p)),
        },
    }
}

/// The actions about a user (besides `assign:ROLE`, `unassign:ROLE` and the permissions).
pub const ACTIONS: [&str; 7] = ["edit", "deactivate", "remove", "reset-2fa", "resend", "restore", "undo"];

/// The current organization, looked up only by the questions that need it
/// (`restore` and `undo` are answered without one).
pub type CurrentOrg<'a> = dyn Fn(&dyn Tx) -> Result<Org> + 'a;

/// The question checked before any database is opened: the fields of
/// `can-i edit`, and an action that exists.
pub fn question(action: &str, fields: &[String]) -> Result<Vec<Field>> {
    let fields = parse_fields(fields)?;
    if !fields.is_empty() && action != "edit" {
        return Err(AppError::new(Kind::Usage, "--field goes with 'can-i edit'").into());
    }
    if Perm::parse(action).is_none()
        && !ACTIONS.contains(&action)
        && !action.starts_with("assign:")
        && !action.starts_with("unassign:")
    {
        return Err(unknown_action(action));
    }
    Ok(fields)
}

/// Whether the actor may do `action` (to `user`), and why.
pub fn ask(
    tx: &dyn Tx,
    actor: &Subject,
    current_org: &CurrentOrg<'_>,
    action: &str,
    user: Option<&str>,
    fields: &[Field],
) -> Result<Answer> {
    let (target, decided) = decision(tx, current_org, actor, action, user, fields)?;
    let relations = target.as_ref().map(|t| authz::relations(actor, t)).unwrap_or_default();
    let (allowed, reason) = match decided {
        Ok(detail) if !detail.is_empty() => (true, detail),
        Ok(_) if target.is_some() => (true, relations.describe()),
        Ok(_) => (true, "you hold the permission".to_string()),
        Err(e) => (false, e.message),
    };
    Ok(Answer { allowed, action: action.to_string(), target: target.map(|t| t.label), reason, relations: relations.names() })
}
