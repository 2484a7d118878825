//! `acct group`: the subcommands and their dispatch; each lives in its own file.

mod create;
mod delete;
mod list;
mod people;
mod show;

use crate::error::Result;
use crate::service::session::Ctx;
use crate::store::GroupRole;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum GroupCmd {
    /// Groups of the current organization
    ///
    /// Lists the groups of the current organization with their display names, the numbers of
    /// primary members, additional members and managers, and when they were made (needs
    /// group:read).
    #[command(alias = "ls")]
    List,
    /// One group with its managers and members
    ///
    /// Shows one group of the current organization: its display name, its managers, and its primary
    /// and additional members.
    #[command(alias = "get")]
    Show(show::ShowArgs),
    /// Create a group
    ///
    /// Creates a group in the current organization (needs group:manage). The slug must be unique in
    /// the organization (exit 5 otherwise).
    Create(create::CreateArgs),
    /// Delete a group that is nobody's primary group
    ///
    /// Deletes a group of the current organization with its manager and additional-member lists
    /// (needs group:manage). A group that is anyone's primary group, and the organization's
    /// everyone group, cannot be deleted (exit 5). Asks for confirmation on a terminal, --yes
    /// otherwise (exit 2).
    Delete(delete::DeleteArgs),
    /// Make members managers of a group
    ///
    /// Makes each USER a manager of GROUP. Needs group:manage or org admin in the group's
    /// organization; each user must be a member of that organization. A user who is already a
    /// manager is unchanged.
    AddManager(people::People),
    /// Take the manager role of a group away
    ///
    /// Takes the manager role of GROUP from each USER (needs group:manage or org admin). A user who
    /// is not a manager is unchanged.
    RemoveManager(people::People),
    /// Add additional (sharing) members
    ///
    /// Adds each USER to GROUP as an additional member. Needs group:manage or org admin in the
    /// group's organization, or being a manager of the group; each user must be a member of that
    /// organization (exit 5 otherwise).
    AddMember(people::People),
    /// Remove additional members
    ///
    /// Removes each USER from the additional members of GROUP, under the same rule as add-member. A
    /// primary group is changed with 'acct user edit --primary-group'.
    RemoveMember(people::People),
}

pub fn run(cmd: GroupCmd, ctx: &Ctx) -> Result<()> {
    match cmd {
        GroupCmd::List => list::run(ctx),
        GroupCmd::Show(a) => show::run(ctx, a),
        GroupCmd::Create(a) => create::run(ctx, a),
        GroupCmd::Delete(a) => delete::run(ctx, a),
        GroupCmd::AddManager(p) => people::run(ctx, p, GroupRole::Manager, true),
        GroupCmd::RemoveManager(p) => people::run(ctx, p, GroupRole::Manager, false),
        GroupCmd::AddMember(p) => people::run(ctx, p, GroupRole::Member, true),
        GroupCmd::RemoveMember(p) => people::run(ctx, p, GroupRole::Member, false),
    }
}
