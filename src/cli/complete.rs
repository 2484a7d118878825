//! Completion of values from the current database: users, roles, groups and
//! organizations. Called by the shell scripts through clap_complete's dynamic
//! engine; the database and organization come from the environment and the
//! configuration file. Nothing is offered that the actor may not read.

use crate::authz::{self, Request};
use crate::service::session::{Ctx, Globals};
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
        let facts = org.as_ref().map(|o| o.facts());
        let seen = authz::decide(&actor, &Request::Candidates { org: facts.as_ref(), of: kind })?;
        tx.completions(&seen, kind, org.as_ref().map(|o| o.id), &prefix, LIMIT)
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

// ---- fixed sets of values (no database needed) ----

/// Candidates among `values` for the word being completed.
fn among(current: &OsStr, values: impl IntoIterator<Item = String>) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy();
    values.into_iter().filter(|v| v.starts_with(prefix.as_ref())).map(CompletionCandidate::new).collect()
}

/// The field names of `user list` and `user export`.
pub fn field_names() -> Vec<&'static str> {
    crate::store::Column::ALL.iter().map(|c| c.name()).collect()
}

/// A comma-separated list of field names (`--columns`, `--fields`): the
/// last name after the commas is completed, the ones before it kept.
pub fn field_list() -> ArgValueCompleter {
    ArgValueCompleter::new(|c: &OsStr| {
        let word = c.to_string_lossy();
        let (done, last) = match word.rsplit_once(',') {
            Some((d, l)) => (format!("{d},"), l.to_string()),
            None => (String::new(), word.to_string()),
        };
        let given: Vec<&str> = done.split(',').collect();
        field_names()
            .into_iter()
            .filter(|n| n.starts_with(&last) && !given.contains(n))
            .map(|n| CompletionCandidate::new(format!("{done}{n}")))
            .collect()
    })
}

/// `--sort FIELD[:desc]`.
pub fn sort_keys() -> ArgValueCompleter {
    ArgValueCompleter::new(|c: &OsStr| {
        let keys = field_names().into_iter().flat_map(|n| [n.to_string(), format!("{n}:desc")]);
        if c.to_string_lossy().contains(':') { among(c, keys) } else { among(c, field_names().into_iter().map(String::from)) }
    })
}

pub const STATUSES: [&str; 4] = ["invited", "active", "inactive", "removed"];
pub const TWO_FACTOR: [&str; 4] = ["none", "email", "sms", "app"];

pub fn statuses() -> ArgValueCompleter {
    ArgValueCompleter::new(|c: &OsStr| among(c, STATUSES.map(String::from)))
}
pub fn two_factor_methods() -> ArgValueCompleter {
    ArgValueCompleter::new(|c: &OsStr| among(c, TWO_FACTOR.map(String::from)))
}
/// IANA time zone names (the database compiled in).
pub fn timezones() -> ArgValueCompleter {
    ArgValueCompleter::new(|c: &OsStr| among(c, chrono_tz::TZ_VARIANTS.iter().map(|t| t.name().to_string())))
}

/// The actions of `can-i`: the commands, `assign:`/`unassign:` with the
/// roles of the database, and the permissions.
pub fn can_i_actions() -> ArgValueCompleter {
    ArgValueCompleter::new(|c: &OsStr| {
        let mut values: Vec<String> = crate::service::can_i::ACTIONS
            .iter()
            .map(|a| a.to_string())
            .chain(crate::authz::Perm::ALL.iter().map(|p| p.name().to_string()))
            .collect();
        let word = c.to_string_lossy();
        if let Some((verb @ ("assign" | "unassign"), role)) = word.split_once(':') {
            let roles = candidates(Completion::Roles, OsStr::new(role));
            values.extend(roles.into_iter().map(|r| format!("{verb}:{}", r.get_value().to_string_lossy())));
        } else {
            values.extend(["assign:".to_string(), "unassign:".to_string()]);
        }
        among(c, values)
    })
}
