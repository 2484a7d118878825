//! One row of `apply`: what it asks for, how that differs from the member
//! as they are, and the change made through the single commands' decisions.

use super::input::Row;
use crate::authz::Subject;
use crate::error::{self, AppError, Kind, Result, one_line};
use crate::service::record;
use crate::service::user_edit::{self, EditArgs};
use crate::service::{group, group_in, role, subject};
use crate::store::{Column, Org, Tx, User};
use crate::validate;
use serde_json::{Value, json};

/// The values a row asks for, validated. A field not in the row is `None`.
#[derive(Debug, Default)]
pub struct Desired {
    /// Text fields (`null` clears) and flags, as the values of [`Column::value`].
    pub values: Vec<(Column, Value)>,
    pub primary_group: Option<String>,
    pub groups: Option<Vec<String>>,
    pub roles: Option<Vec<String>>,
    pub id: Option<String>,
    pub username: Option<String>,
}

impl Desired {
    pub fn text_of(&self, c: Column) -> Option<String> {
        self.values.iter().find(|(k, _)| *k == c).and_then(|(_, v)| v.as_str().map(str::to_string))
    }
}

/// A `;`-separated list of names, each once, in the given order.
fn names(cell: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in cell.split(';').map(str::trim).filter(|n| !n.is_empty()) {
        if !out.iter().any(|o| o == n) {
            out.push(n.to_string());
        }
    }
    out
}

/// `slug` for a group of the organization, written `slug` or `org/slug`.
fn in_org(org: &Org, name: &str) -> Result<String, AppError> {
    match name.split_once('/') {
        None => Ok(name.to_string()),
        Some((o, g)) if o == org.slug => Ok(g.to_string()),
        Some(_) => Err(error::invalid(format!(
            "'{}' is not a group of {}: apply sets the groups of the current organization",
            one_line(name),
            org.slug
        ))),
    }
}

pub fn desired(row: &Row, org: &Org) -> Result<Desired, AppError> {
    let mut d = Desired::default();
    for (c, v) in &row.cells {
        let c = *c;
        // The plain attributes as the table checks them.
        if let Some(value) = user_edit::plain_cell(c, v) {
            d.values.push((c, value?));
            continue;
        }
        match c {
            Column::Active => {
                // An empty cell clears the flag back to its default.
                let b = v.trim().is_empty()
                    || validate::boolean(c.name(), v.trim()).map_err(|e| AppError { kind: Kind::Invalid, ..e })?;
                d.values.push((c, Value::Bool(b)));
            }
            Column::PrimaryGroup if v.trim().is_empty() => {
                return Err(error::invalid("primary_group cannot be cleared: every member has one"));
            }
            Column::PrimaryGroup => d.primary_group = Some(in_org(org, v.trim())?),
            Column::Groups => d.groups = Some(names(v).iter().map(|g| in_org(org, g)).collect::<Result<_, _>>()?),
            Column::Role => d.roles = Some(names(v)),
            Column::Id => d.id = Some(v.trim().to_string()).filter(|s| !s.is_empty()),
            Column::Username => d.username = Some(v.trim().to_string()).filter(|s| !s.is_empty()),
            _ => {}
        }
    }
    Ok(d)
}

/// `id` and `username` are checked, not applied: they must be the row's
/// address's own.
pub fn check_identity(d: &Desired, user: Option<&User>, email: &str) -> Result<(), AppError> {
    let wrong = |what: &str, v: &str| {
        error::invalid(format!("the {what} '{}' is not the {what} of {email}", one_line(v)))
            .with_hint("id and username are not applied: leave them as 'acct user export' wrote them, or drop the column")
    };
    if let Some(id) = &d.id
        && user.is_none_or(|u| u.id.to_string() != *id)
    {
        return Err(wrong("id", id));
    }
    if let (Some(name), Some(u)) = (&d.username, user)
        && u.username != *name
    {
        return Err(wrong("username", name));
    }
    Ok(())
}

/// One changed field, as the plan shows it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Change {
    pub line: Option<u64>,
    pub action: String,
    pub email: String,
    pub field: Option<String>,
    pub old: Value,
    pub new: Value,
}

/// What a row changes on a member, and through which single command.
#[derive(Debug, Default)]
pub struct Diff {
    pub edit: EditArgs,
    pub add_groups: Vec<String>,
    pub remove_groups: Vec<String>,
    /// The exact set of roles, when it differs.
    pub roles: Option<Vec<String>>,
    pub changes: Vec<Change>,
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

pub fn diff(user: &User, org: &Org, d: &Desired, line: u64) -> Diff {
    let mut out = Diff::default();
    let mut change = |field: &str, old: Value, new: Value| {
        out.changes.push(Change {
            line: Some(line),
            action: "change".into(),
            email: user.email.clone(),
            field: Some(field.into()),
            old,
            new,
        })
    };
    let mut edit = EditArgs::default();
    for (c, new) in &d.values {
        let old = c.value(user);
        if old != *new {
            change(c.name(), old, new.clone());
            set(&mut edit, *c, new);
        }
    }
    if let Some(g) = &d.primary_group {
        let current = match (&user.primary_group, &user.organization) {
            (Some(pg), Some(o)) if *o == org.slug => Some(pg.clone()),
            (Some(pg), Some(o)) => Some(format!("{o}/{pg}")),
            _ => None,
        };
        if current.as_ref() != Some(g) {
            change("primary_group", json!(current), json!(g));
            edit.primary_group = Some(g.clone());
        }
    }
    if let Some(want) = &d.groups {
        let have: Vec<String> = user.groups.iter().filter(|g| !g.contains('/')).cloned().collect();
        let add: Vec<String> = want.iter().filter(|g| !have.contains(g)).cloned().collect();
        let remove: Vec<String> = have.iter().filter(|g| !want.contains(g)).cloned().collect();
        if !add.is_empty() || !remove.is_empty() {
            change("groups", json!(sorted(&have)), json!(sorted(want)));
            out.add_groups = add;
            out.remove_groups = remove;
        }
    }
    if let Some(want) = &d.roles
        && sorted(want) != sorted(&user.roles)
    {
        change("role", json!(sorted(&user.roles)), json!(sorted(want)));
        out.roles = Some(want.clone());
    }
    out.edit = edit;
    out
}

/// The `user edit` flag of a field, from its new value.
fn set(edit: &mut EditArgs, c: Column, v: &Value) {
    if !user_edit::set_plain_from(edit, c.name(), v) && c == Column::Active {
        edit.active = v.as_bool();
    }
}

/// Make the changes of a diff, each decided as its single command decides
/// it: `user edit` for the attributes, `group add-member`/`remove-member`
/// for the groups, `role set` for the roles.
pub fn write(tx: &mut dyn Tx, actor: &Subject, org: &Org, id: i64, diff: &Diff) -> Result<()> {
    if !diff.edit.is_empty() {
        let target = user_edit::edit_target(tx, actor, &id.to_string())?;
        let (change, permit) = user_edit::edit_decision(tx, actor, org, &target, &diff.edit)?;
        record::users::update_user(&mut *tx, &permit, id, &change)?;
    }
    for (names, present) in [(&diff.add_groups, true), (&diff.remove_groups, false)] {
        for g in names {
            let g = group_in(tx, org, g)?;
            let target = subject(tx, id)?;
            group::set_member(tx, actor, org, &g, &target, present)?;
        }
    }
    if let Some(roles) = &diff.roles {
        role::set_roles(tx, actor, org, id, roles)?;
    }
    Ok(())
}
