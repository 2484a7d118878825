//! Completion of values from the current database: users, roles, groups and
//! organizations. Called by the shell scripts through clap_complete's dynamic
//! engine; the database and organization come from the environment and the
//! configuration file. Nothing is offered that the actor may not read.

use crate::authz::{self, Perm, Request};
use crate::context::{Ctx, Globals};
use crate::store::Completion;
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};
use std::ffi::OsStr;

const LIMIT: u64 = 200;

fn candidates(kind: Completion, current: &OsStr) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy();
    let found = (|| -> crate::error::Result<Vec<String>> {
        let g = Globals {
            db: std::env::var_os("ACCT_DB").map(Into::into),
            config: std::env::var_os("ACCT_CONFIG").map(Into::into),
            // An ACCT_ORG that is not UTF-8 offers nothing (the error ends the
            // closure), rather than the candidates of the configured org.
            org: crate::validate::env_text("ACCT_ORG")?,
            ..Default::default()
        };
        let ctx = Ctx::new(g)?;
        let mut store = ctx.open_store()?;
        let tx = store.read()?;
        let actor = ctx.actor(&*tx)?;
        let org = match kind {
            Completion::Orgs => None,
            _ => Some(ctx.org(&*tx)?),
        };
        let perm = match kind {
            Completion::Users => Some(Perm::UserRead),
            Completion::Roles => Some(Perm::RoleRead),
            Completion::Groups => Some(Perm::GroupRead),
            Completion::Orgs => None,
        };
        if let (Some(o), Some(p)) = (&org, perm) {
            let _ = authz::decide(&actor, &Request::Read { org: &o.facts(), perm: p })?;
        }
        let mut names = tx.completions(kind, org.as_ref().map(|o| o.id), &prefix, LIMIT)?;
        if kind == Completion::Orgs && authz::decide(&actor, &Request::GlobalRead).is_err() {
            let mine = tx.memberships_of(actor.id)?;
            names.retain(|n| mine.contains(n));
        }
        Ok(names)
    })();
    found.unwrap_or_default().into_iter().map(CompletionCandidate::new).collect()
}

pub fn users() -> ArgValueCompleter {
    ArgValueCompleter::new(|c: &OsStr| candidates(Completion::Users, c))
}
pub fn roles() -> ArgValueCompleter {
    ArgValueCompleter::new(|c: &OsStr| candidates(Completion::Roles, c))
}
pub fn groups() -> ArgValueCompleter {
    ArgValueCompleter::new(|c: &OsStr| candidates(Completion::Groups, c))
}
pub fn orgs() -> ArgValueCompleter {
    ArgValueCompleter::new(|c: &OsStr| candidates(Completion::Orgs, c))
}
