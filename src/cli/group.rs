//! `acct group`.

use crate::error::Result;
use crate::service::session::Ctx;
use crate::service::{self, group};
use crate::store::GroupRole;
use clap::Subcommand;
use serde_json::json;

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
    Show {
        #[arg(add = super::complete::groups())]
        group: String,
    },
    /// Create a group
    ///
    /// Creates a group in the current organization (needs group:manage). The slug must be unique in
    /// the organization (exit 5 otherwise).
    Create {
        group: String,
        /// Display name [default: the name]
        #[arg(long, value_name = "DISPLAY")]
        display_name: Option<String>,
    },
    /// Delete a group that is nobody's primary group
    ///
    /// Deletes a group of the current organization with its manager and additional-member lists
    /// (needs group:manage). A group that is anyone's primary group, and the organization's
    /// everyone group, cannot be deleted (exit 5). Asks for confirmation on a terminal, --yes
    /// otherwise (exit 2).
    Delete {
        #[arg(add = super::complete::groups())]
        group: String,
    },
    /// Make members managers of a group
    ///
    /// Makes each USER a manager of GROUP. Needs group:manage or org admin in the group's
    /// organization; each user must be a member of that organization. A user who is already a
    /// manager is unchanged.
    AddManager(People),
    /// Take the manager role of a group away
    ///
    /// Takes the manager role of GROUP from each USER (needs group:manage or org admin). A user who
    /// is not a manager is unchanged.
    RemoveManager(People),
    /// Add additional (sharing) members
    ///
    /// Adds each USER to GROUP as an additional member. Needs group:manage or org admin in the
    /// group's organization, or being a manager of the group; each user must be a member of that
    /// organization (exit 5 otherwise).
    AddMember(People),
    /// Remove additional members
    ///
    /// Removes each USER from the additional members of GROUP, under the same rule as add-member. A
    /// primary group is changed with 'acct user edit --primary-group'.
    RemoveMember(People),
}

#[derive(Debug, clap::Args)]
pub struct People {
    #[arg(add = super::complete::groups())]
    group: String,
    #[arg(required = true, value_name = "USER", add = super::complete::users())]
    users: Vec<String>,
    /// Apply what can be applied, report each failure, exit 7
    #[arg(long)]
    keep_going: bool,
}

/// Counts are `*_count`: `group show` gives the same people as lists under
/// the plain names, and one key has one type everywhere.
const NAMES: [&str; 6] = ["slug", "display_name", "primary_members_count", "members_count", "managers_count", "created_at"];

pub fn run(cmd: GroupCmd, ctx: &Ctx) -> Result<()> {
    match cmd {
        GroupCmd::List => {
            let rows = group::list(ctx)?
                .into_iter()
                .map(|g| {
                    vec![
                        json!(g.slug),
                        json!(g.display_name),
                        json!(g.primary_members),
                        json!(g.members),
                        json!(g.managers),
                        json!(g.created_at),
                    ]
                })
                .collect();
            super::print_rows(ctx, &NAMES, rows)
        }
        GroupCmd::Show { group: slug } => {
            let (g, p) = group::show(ctx, &slug)?;
            super::print_object(
                ctx,
                &[
                    ("slug", json!(g.slug)),
                    ("display_name", json!(g.display_name)),
                    ("managers", json!(p.managers)),
                    ("primary_members", json!(p.primary)),
                    ("members", json!(p.members)),
                    ("created_at", json!(g.created_at)),
                ],
            )
        }
        GroupCmd::Create { group: slug, display_name } => {
            let g = group::create(ctx, &slug, display_name.as_deref())?;
            ctx.note(format!("{} group {}", if ctx.dry_run { "would create" } else { "created" }, g.slug));
            super::print_result(ctx, &[("group", json!(g.slug)), ("display_name", json!(g.display_name))])
        }
        GroupCmd::Delete { group: slug } => {
            group::delete(ctx, &slug)?;
            ctx.note(format!("{} group {slug}", if ctx.dry_run { "would delete" } else { "deleted" }));
            super::print_result(ctx, &[("group", json!(slug))])
        }
        GroupCmd::AddManager(p) => people(ctx, p, GroupRole::Manager, true),
        GroupCmd::RemoveManager(p) => people(ctx, p, GroupRole::Manager, false),
        GroupCmd::AddMember(p) => people(ctx, p, GroupRole::Member, true),
        GroupCmd::RemoveMember(p) => people(ctx, p, GroupRole::Member, false),
    }
}

fn people(ctx: &Ctx, p: People, role: GroupRole, present: bool) -> Result<()> {
    let outcomes = group::people(ctx, &p.group, &p.users, role, present, p.keep_going)?;
    let what = if role == GroupRole::Manager { "manager" } else { "member" };
    let mut shown = Vec::new();
    for o in &outcomes {
        if let Ok(changed) = o.result {
            let note = match (present, changed, ctx.dry_run) {
                (true, true, false) => format!("{} is now a {what} of {}", o.target, p.group),
                (true, true, true) => format!("{} would become a {what} of {}", o.target, p.group),
                (true, false, _) => format!("{} already is a {what} of {}", o.target, p.group),
                (false, true, false) => format!("{} is no longer a {what} of {}", o.target, p.group),
                (false, true, true) => format!("{} would no longer be a {what} of {}", o.target, p.group),
                (false, false, _) => format!("{} was not a {what} of {}", o.target, p.group),
            };
            shown.push(super::Outcome { values: vec![json!(o.target), json!(p.group), json!(what)], changed, note });
        }
    }
    super::print_outcomes(ctx, &["user", "group", "as"], shown)?;
    service::report_partial(ctx, &outcomes)
}
