//! `acct role`.

use crate::error::Result;
use crate::service::role::{self, RoleEdit, RoleRow};
use crate::service::session::Ctx;
use clap::Subcommand;
use serde_json::json;

#[derive(Debug, Subcommand)]
pub enum RoleCmd {
    /// Roles of the current organization (built-in and custom)
    ///
    /// Lists the organization roles of the current organization, built-in and custom, with their
    /// permissions (needs role:read).
    #[command(alias = "ls")]
    List,
    /// One role and its permissions
    ///
    /// Shows one role of the current organization: its name, display name, scope, whether it is
    /// built in, its permissions and how many members hold it.
    #[command(alias = "get")]
    Show {
        #[arg(add = super::complete::roles())]
        role: String,
    },
    /// Create a custom role in the current organization
    ///
    /// Creates a custom role in the current organization from the permission catalogue (needs
    /// role:manage). It may hold only permissions the actor holds there (exit 4).
    #[command(after_help = "Example:\n  acct role create auditor --permission audit:read --permission user:read")]
    Create {
        name: String,
        /// A permission of the catalogue (repeat, or separate with commas)
        #[arg(long = "permission", value_name = "PERM", required = true)]
        permissions: Vec<String>,
        /// Display name [default: the name]
        #[arg(long, value_name = "DISPLAY")]
        display_name: Option<String>,
    },
    /// Change a custom role
    ///
    /// Changes a custom role's display name or permissions (needs role:manage). The actor needs
    /// every permission the role has, and may add only permissions they hold (exit 4); built-in
    /// roles cannot be edited (exit 5). Audited as role.edit; 'acct undo' reverses it.
    Edit {
        #[arg(add = super::complete::roles())]
        name: String,
        /// Display name [default: the name]
        #[arg(long, value_name = "DISPLAY")]
        display_name: Option<String>,
        /// Replace the permissions with these
        #[arg(long = "permission", value_name = "PERM")]
        permissions: Vec<String>,
        /// Add a permission
        #[arg(long = "add-permission", value_name = "PERM")]
        add: Vec<String>,
        /// Remove a permission
        #[arg(long = "remove-permission", value_name = "PERM")]
        remove: Vec<String>,
    },
    /// Delete a custom role that nobody holds
    ///
    /// Deletes a custom role (needs role:manage and every permission the role has). A role that
    /// someone holds, and a built-in role, cannot be deleted (exit 5). Asks for confirmation on a
    /// terminal, --yes otherwise (exit 2).
    Delete {
        #[arg(add = super::complete::roles())]
        name: String,
    },
    /// Give a member roles in the current organization
    ///
    /// Assigns each ROLE to USER in the current organization (needs role:assign). Only roles whose
    /// permissions the actor holds there can be granted (exit 4); global roles are refused with a
    /// hint to 'acct access grant'. A role the user holds is unchanged.
    #[command(after_help = "Example:\n  acct role assign bob@example.com helpdesk read-only")]
    Assign {
        #[arg(add = super::complete::users())]
        user: String,
        #[arg(required = true, add = super::complete::roles())]
        roles: Vec<String>,
    },
    /// Make a member's roles in the current organization exactly these
    ///
    /// Makes USER's roles in the current organization exactly the ROLEs given, assigning and
    /// unassigning in one transaction, each checked as 'acct role assign' and 'acct role unassign'
    /// would check it.
    #[command(after_help = "Each role missing is assigned and each other role unassigned, in one transaction, \
each step checked as 'role assign' or 'role unassign' would check it.

Example:\n  acct role set bob@example.com helpdesk read-only")]
    Set {
        #[arg(add = super::complete::users())]
        user: String,
        #[arg(required = true, add = super::complete::roles())]
        roles: Vec<String>,
    },
    /// Take roles from a member in the current organization
    ///
    /// Takes each ROLE from USER in the current organization (needs role:assign and the role's
    /// permissions). The last active full-admin keeps the role (exit 5). A role the user does not
    /// hold is unchanged.
    Unassign {
        #[arg(add = super::complete::users())]
        user: String,
        #[arg(required = true, add = super::complete::roles())]
        roles: Vec<String>,
    },
}

const NAMES: [&str; 7] = ["name", "display_name", "scope", "builtin", "permissions", "holders", "org"];

fn values(r: &RoleRow) -> Vec<serde_json::Value> {
    vec![
        json!(r.role.name),
        json!(r.role.display_name),
        json!(r.role.scope.name()),
        json!(r.role.builtin),
        json!(r.role.perms.names()),
        json!(r.holders),
        json!(r.role.org_id.map(|_| "custom").unwrap_or("built-in")),
    ]
}

pub fn run(cmd: RoleCmd, ctx: &Ctx) -> Result<()> {
    match cmd {
        RoleCmd::List => {
            let rows = role::list(ctx)?;
            super::print_rows(ctx, &NAMES[..6], rows.iter().map(|r| values(r)[..6].to_vec()).collect())
        }
        RoleCmd::Show { role: name } => {
            let r = role::show(ctx, &name)?;
            let v = values(&r);
            let fields: Vec<(&str, serde_json::Value)> = NAMES[..6].iter().copied().zip(v).collect();
            super::print_object(ctx, &fields)
        }
        RoleCmd::Create { name, permissions, display_name } => {
            let r = role::create(ctx, &name, &permissions, display_name.as_deref())?;
            let verb = if ctx.dry_run { "would create" } else { "created" };
            ctx.note(format!("{verb} role {} ({})", r.name, r.perms));
            super::print_result(
                ctx,
                &[("name", json!(r.name)), ("display_name", json!(r.display_name)), ("permissions", json!(r.perms.names()))],
            )
        }
        RoleCmd::Edit { name, display_name, permissions, add, remove } => {
            let ch = role::edit(ctx, &name, &RoleEdit { display_name, set: permissions, add, remove })?;
            super::print_changes(ctx, &format!("role {name}"), &ch);
            super::print_change_rows(ctx, &ch)
        }
        RoleCmd::Delete { name } => {
            role::delete(ctx, &name)?;
            ctx.note(format!("{} role {name}", if ctx.dry_run { "would delete" } else { "deleted" }));
            super::print_result(ctx, &[("name", json!(name))])?;
            Ok(())
        }
        RoleCmd::Assign { user, roles } => assign(ctx, &user, &roles, true),
        RoleCmd::Unassign { user, roles } => assign(ctx, &user, &roles, false),
        RoleCmd::Set { user, roles } => {
            let (label, steps) = role::set(ctx, &user, &roles)?;
            if steps.is_empty() {
                ctx.note(format!("{label} already holds exactly {}: unchanged", roles.join(", ")));
            }
            for s in steps {
                let msg = match (s.assigned, ctx.dry_run) {
                    (true, false) => format!("assigned {} to {label}", s.role),
                    (true, true) => format!("would assign {} to {label}", s.role),
                    (false, false) => format!("unassigned {} from {label}", s.role),
                    (false, true) => format!("would unassign {} from {label}", s.role),
                };
                ctx.note(msg);
            }
            Ok(())
        }
    }
}

fn assign(ctx: &Ctx, user: &str, roles: &[String], on: bool) -> Result<()> {
    let outcomes = role::assign(ctx, user, roles, on)?;
    let shown = outcomes
        .into_iter()
        .map(|o| {
            let changed = matches!(o.result, Ok(true));
            let note = match (on, changed, ctx.dry_run) {
                (true, true, false) => format!("assigned {} to {user}", o.target),
                (true, true, true) => format!("would assign {} to {user}", o.target),
                (true, false, _) => format!("{user} already holds {}", o.target),
                (false, true, false) => format!("unassigned {} from {user}", o.target),
                (false, true, true) => format!("would unassign {} from {user}", o.target),
                (false, false, _) => format!("{user} does not hold {}", o.target),
            };
            super::Outcome { values: vec![json!(user), json!([o.target])], changed, note }
        })
        .collect();
    super::print_outcomes(ctx, &["user", "role"], shown)
}
