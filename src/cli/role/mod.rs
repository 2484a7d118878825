//! `acct role`: the subcommands and their dispatch; each lives in its own file.

mod assign;
mod create;
mod delete;
mod edit;
mod list;
mod set;
mod show;
mod unassign;

use crate::error::Result;
use crate::service::role::RoleRow;
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
    Show(show::ShowArgs),
    /// Create a custom role in the current organization
    ///
    /// Creates a custom role in the current organization from the permission catalogue (needs
    /// role:manage). It may hold only permissions the actor holds there (exit 4).
    #[command(after_help = "Example:\n  acct role create auditor --permission audit:read --permission user:read")]
    Create(create::CreateArgs),
    /// Change a custom role
    ///
    /// Changes a custom role's display name or permissions (needs role:manage). The actor needs
    /// every permission the role has, and may add only permissions they hold (exit 4); built-in
    /// roles cannot be edited (exit 5). Audited as role.edit; 'acct undo' reverses it.
    Edit(edit::EditArgs),
    /// Delete a custom role that nobody holds
    ///
    /// Deletes a custom role (needs role:manage and every permission the role has). A role that
    /// someone holds, and a built-in role, cannot be deleted (exit 5). Asks for confirmation on a
    /// terminal, --yes otherwise (exit 2).
    Delete(delete::DeleteArgs),
    /// Give a member roles in the current organization
    ///
    /// Assigns each ROLE to USER in the current organization (needs role:assign). Only roles whose
    /// permissions the actor holds there can be granted (exit 4); global roles are refused with a
    /// hint to 'acct access grant'. A role the user holds is unchanged.
    #[command(after_help = "Example:\n  acct role assign bob@example.com helpdesk read-only")]
    Assign(assign::AssignArgs),
    /// Make a member's roles in the current organization exactly these
    ///
    /// Makes USER's roles in the current organization exactly the ROLEs given, assigning and
    /// unassigning in one transaction, each checked as 'acct role assign' and 'acct role unassign'
    /// would check it.
    #[command(after_help = "Each role missing is assigned and each other role unassigned, in one transaction, \
each step checked as 'role assign' or 'role unassign' would check it.

Example:\n  acct role set bob@example.com helpdesk read-only")]
    Set(set::SetArgs),
    /// Take roles from a member in the current organization
    ///
    /// Takes each ROLE from USER in the current organization (needs role:assign and the role's
    /// permissions). The last active full-admin keeps the role (exit 5). A role the user does not
    /// hold is unchanged.
    Unassign(assign::AssignArgs),
}

pub(super) const NAMES: [&str; 7] = ["name", "display_name", "scope", "builtin", "permissions", "holders", "org"];

pub(super) fn values(r: &RoleRow) -> Vec<serde_json::Value> {
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
        RoleCmd::List => list::run(ctx),
        RoleCmd::Show(a) => show::run(ctx, a),
        RoleCmd::Create(a) => create::run(ctx, a),
        RoleCmd::Edit(a) => edit::run(ctx, a),
        RoleCmd::Delete(a) => delete::run(ctx, a),
        RoleCmd::Assign(a) => assign::run(ctx, a),
        RoleCmd::Set(a) => set::run(ctx, a),
        RoleCmd::Unassign(a) => unassign::run(ctx, a),
    }
}
