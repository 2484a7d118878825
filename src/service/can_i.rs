//! `acct can-i`: ask the engine without doing anything.

use super::{subject, user_id};
use crate::authz::{self, EditFacts, Field, Op, Perm, Request};
use crate::context::Ctx;
use crate::error::{AppError, Kind, Result, one_line};

pub struct Answer {
    pub allowed: bool,
    pub action: String,
    pub target: Option<String>,
    pub reason: String,
    pub relations: Vec<&'static str>,
}

pub const ACTIONS: &[&str] = &["edit", "remove", "deactivate", "reset-2fa", "resend", "restore", "assign ROLE"];

pub fn ask(ctx: &Ctx, action: &str, user: Option<&str>, fields: &[String]) -> Result<Answer> {
    let mut store = ctx.open_store()?;
    let tx = store.read()?;
    let actor = ctx.actor(&*tx)?;
    let target = match user {
        Some(u) => Some(subject(&*tx, user_id(&*tx, u)?)?),
        None => None,
    };
    let need_user =
        || AppError::new(Kind::Usage, format!("'can-i {action}' needs a USER")).with_hint(format!("acct can-i {action} USER"));
    let relations = target.as_ref().map(|t| authz::relations(&actor, t)).unwrap_or_default();
    let fields: Vec<Field> = fields
        .iter()
        .map(|f| {
            Field::parse(f).ok_or_else(|| {
                AppError::new(Kind::Usage, format!("unknown field '{}'", one_line(f)))
                    .with_hint(format!("fields: {}", Field::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")))
            })
        })
        .collect::<Result<_, _>>()?;
    if !fields.is_empty() && action != "edit" {
        return Err(AppError::new(Kind::Usage, "--field goes with 'can-i edit'").into());
    }
    let mut detail = String::new();
    let decision: Result<(), AppError> = match action {
        "edit" => {
            let t = target.as_ref().ok_or_else(need_user)?;
            if fields.is_empty() {
                let allowed: Vec<&str> =
                    Field::ALL.into_iter().filter(|f| authz::field_allowed(&relations, *f).is_ok()).map(Field::name).collect();
                if allowed.is_empty() {
                    Err(authz::field_allowed(&relations, Field::FullName)
                        .err()
                        .unwrap_or_else(|| AppError::new(Kind::Denied, "no")))
                } else {
                    detail = format!("you may change {}", allowed.join(", "));
                    Ok(())
                }
            } else {
                let edit = EditFacts {
                    fields: fields.clone(),
                    deactivating: false,
                    new_primary_group: None,
                    phone_after: t.has_phone,
                    // Asking about sms_auto_send asks whether it can be turned on.
                    enabling_sms_auto_send: fields.contains(&Field::SmsAutoSend),
                };
                authz::decide(&actor, &Request::UserEdit { target: t, edit: &edit }).map(|_| ())
            }
        }
        "deactivate" => {
            let t = target.as_ref().ok_or_else(need_user)?;
            let edit = EditFacts { fields: vec![Field::Active], deactivating: true, ..Default::default() };
            authz::decide(&actor, &Request::UserEdit { target: t, edit: &edit }).map(|_| ())
        }
        "remove" => {
            let t = target.as_ref().ok_or_else(need_user)?;
            let org = ctx.org(&*tx)?;
            authz::decide(&actor, &Request::UserRemove { org: &org.facts(), target: t }).map(|_| ())
        }
        "reset-2fa" => {
            let t = target.as_ref().ok_or_else(need_user)?;
            authz::decide(&actor, &Request::UserReset2fa { target: t }).map(|_| ())
        }
        "resend" => {
            let t = target.as_ref().ok_or_else(need_user)?;
            authz::decide(&actor, &Request::InviteSend { target: t }).map(|_| ())
        }
        a if a.starts_with("assign:") || a.starts_with("unassign:") => {
            let (verb, role) = a.split_once(':').unwrap_or((a, ""));
            let t = target.as_ref().ok_or_else(need_user)?;
            let org = ctx.org(&*tx)?;
            let role = super::role_in(&*tx, Some(&org), role)?;
            let op = if verb == "assign" { Op::RoleAssign } else { Op::RoleUnassign };
            authz::decide(&actor, &Request::Assign { op, org: &org.facts(), target: t, role: &role.facts() }).map(|_| ())
        }
        p => match Perm::parse(p) {
            Some(perm) => {
                let org = ctx.org(&*tx)?;
                authz::decide(&actor, &Request::Has { org: &org.facts(), perm }).map(|_| ())
            }
            None => {
                return Err(AppError::new(Kind::Usage, format!("unknown action '{}'", one_line(p)))
                    .with_hint(format!(
                        "actions: edit, remove, deactivate, reset-2fa, resend, assign:ROLE, unassign:ROLE, or a permission ({})",
                        Perm::ALL.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")
                    ))
                    .into());
            }
        },
    };
    let (allowed, reason) = match decision {
        Ok(()) => (true, if detail.is_empty() { relations_reason(&relations, target.is_some()) } else { detail }),
        Err(e) if matches!(e.kind, Kind::Denied | Kind::Conflict) => (false, e.message),
        Err(e) => return Err(e.into()),
    };
    Ok(Answer { allowed, action: action.to_string(), target: target.map(|t| t.label), reason, relations: relations.names() })
}

fn relations_reason(rel: &authz::Relations, has_target: bool) -> String {
    if has_target { rel.describe() } else { "you hold the permission".to_string() }
}
