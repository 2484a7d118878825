//! `acct role edit`.

use crate::error::Result;
use crate::service::role::{self, RoleEdit};
use crate::service::session::Ctx;
use clap::Args;

#[derive(Debug, Args)]
pub struct EditArgs {
    #[arg(add = crate::cli::complete::roles())]
    pub(super) name: String,
    /// Display name [default: the name]
    #[arg(long, value_name = "DISPLAY")]
    pub(super) display_name: Option<String>,
    /// Replace the permissions with these
    #[arg(long = "permission", value_name = "PERM")]
    pub(super) permissions: Vec<String>,
    /// Add a permission
    #[arg(long = "add-permission", value_name = "PERM")]
    pub(super) add: Vec<String>,
    /// Remove a permission
    #[arg(long = "remove-permission", value_name = "PERM")]
    pub(super) remove: Vec<String>,
}

pub(super) fn run(ctx: &Ctx, a: EditArgs) -> Result<()> {
    let EditArgs { name, display_name, permissions, add, remove } = a;
    let spec = role::edit_spec(&RoleEdit { display_name, set: permissions, add, remove })?;
    let mut session = ctx.session()?;
    let mut t = session.start_transaction()?;
    let org = t.org()?;
    let ch = role::edit(&mut *t.tx, &t.actor, &org, &name, &spec)?;
    t.finish()?;
    crate::cli::print_changes(ctx, &format!("role {name}"), &ch);
    crate::cli::print_change_rows(ctx, &ch)
}
