//! New identities, written a batch at a time.
//!
//! A row that adds a new identity with nothing but what an import row
//! carries (first and last name, username, roles, primary group) is decided
//! as `user add` decides it, like every row, and then waits in a batch
//! instead of being written at once. The batch goes through the bulk path of
//! `user import` (COPY on PostgreSQL, multi-row INSERTs on SQLite): the same
//! rows and audit entries as one addition at a time, in row order. It is
//! written before anything else is (a change of a member, another kind of
//! addition, a removal), so every row is still decided against the
//! organization as the rows before it left it, and the audit log keeps the
//! order of the file.

use super::row::{self, Change, Desired};
use super::{Mails, Outcome, Pass, input};
use crate::authz::{self, PermSet, Permit, Request};
use crate::config::Config;
use crate::error::{self, AppError, Kind, Result};
use crate::service::{invite, record, user};
use crate::store::{Column, ImportRow, Org, Tx};
use crate::validate;

/// Rows per write, as `user import` writes them.
pub(super) const BATCH: usize = 4096;

/// What a batched row adds beyond the import row: the permit of its own
/// decision (its invitation is issued under it) and the permissions its
/// roles grant (the batch's write is decided for all of them together).
struct Pending {
    row: ImportRow,
    permit: Permit,
    perms: PermSet,
}

#[derive(Default)]
pub(super) struct Batch {
    pending: Vec<Pending>,
}

/// Whether the row asks for nothing a new identity does not get from the
/// addition itself, so that nothing is left to write after it.
pub(super) fn batchable(d: &Desired) -> bool {
    d.values.iter().all(|(c, _)| matches!(c, Column::FirstName | Column::LastName))
        && d.groups.as_ref().is_none_or(Vec::is_empty)
        && d.id.is_none()
}

impl Batch {
    pub(super) fn len(&self) -> usize {
        self.pending.len()
    }

    pub(super) fn push(&mut self, row: ImportRow, permit: Permit, perms: PermSet) {
        self.pending.push(Pending { row, permit, perms });
    }

    /// Write the waiting rows; the invitations of the new members are
    /// issued unless `no_send`, each under its row's permit.
    pub(super) fn flush(
        &mut self,
        tx: &mut dyn Tx,
        actor: &authz::Subject,
        org: &Org,
        config: &Config,
        no_send: bool,
        mails: &mut Mails,
    ) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        // Every row was allowed on its own; the write is allowed for their
        // roles together, as an import's is.
        let perms = pending.iter().fold(PermSet::EMPTY, |s, p| s.union(p.perms));
        let permit = authz::decide(actor, &Request::UserAdd { org: &org.facts(), roles: perms, target: None })?;
        let (rows, permits): (Vec<ImportRow>, Vec<Permit>) = pending.into_iter().map(|p| (p.row, p.permit)).unzip();
        let ids = tx.import_members(&permit, org.id, &rows, &mut |_| {})?;
        if !no_send {
            for ((row, permit), id) in rows.iter().zip(permits).zip(ids) {
                if let Some(u) = &row.new {
                    let mail = invite::issue(config, &mut *tx, &permit, id, &u.email, u.full_name.as_deref(), &org.slug)?;
                    mails.push((permit, mail));
                }
            }
        }
        Ok(())
    }
}

/// What `user add` decided about a new member.
pub(super) struct NewMember {
    pub(super) roles: Vec<crate::store::Role>,
    pub(super) perms: PermSet,
    pub(super) group: Option<i64>,
    pub(super) permit: Permit,
    /// The address is an account already (it joins; its username stays).
    pub(super) identity: bool,
}

impl Pass<'_> {
    /// The decisions of `user add` about a new member: the roles (each
    /// checked), the primary group and the permit.
    pub(super) fn decide_add(
        &mut self,
        tx: &mut dyn Tx,
        email: &validate::Email,
        d: &row::Desired,
        existing: Option<i64>,
    ) -> Result<NewMember> {
        let org = &self.org;
        let names = d.roles.clone().filter(|r| !r.is_empty()).ok_or_else(|| {
            AppError::new(Kind::Invalid, format!("{} is not a member of {}: a new member needs a role", email.display, org.slug))
                .with_hint("give the row a 'role' (for instance read-only)")
        })?;
        let identity = existing.map(|id| tx.user(id, None)).transpose()?.flatten();
        row::check_identity(d, identity.as_ref(), &email.display)?;
        let mut roles = Vec::new();
        let mut perms = PermSet::EMPTY;
        for n in &names {
            let r = match self.roles.get(n) {
                Some(r) => r.clone(),
                None => {
                    let r = crate::service::role_in(tx, Some(org), n)?;
                    self.roles.insert(n.clone(), r.clone());
                    r
                }
            };
            if r.scope == authz::Scope::Global {
                return Err(error::conflict(format!("'{}' is a global role", r.name))
                    .with_hint("use 'acct access grant'")
                    .into());
            }
            perms = perms.union(r.perms);
            roles.push(r);
        }
        let group = match d.primary_group.as_deref() {
            None => None,
            Some(g) => Some(match self.groups.get(g) {
                Some(x) => x.id,
                None => {
                    let x = crate::service::group_in(tx, org, g)?;
                    self.groups.insert(g.to_string(), x.clone());
                    x.id
                }
            }),
        };
        let permit = authz::decide(&self.actor, &Request::UserAdd { org: &org.facts(), roles: perms, target: None })?;
        Ok(NewMember { roles, perms, group, permit, identity: identity.is_some() })
    }

    /// The change a new member's row shows: the addition with its roles.
    pub(super) fn added(email: &validate::Email, roles: &[crate::store::Role], line: u64) -> Change {
        let mut added_roles: Vec<String> = roles.iter().map(|r| r.name.clone()).collect();
        added_roles.sort();
        Change {
            line: Some(line),
            action: "add".into(),
            email: email.display.clone(),
            field: Some("role".into()),
            old: serde_json::Value::Null,
            new: serde_json::json!(added_roles),
        }
    }

    /// A new identity that nothing but its addition is asked of: it waits
    /// in the batch, with its username given now.
    pub(super) fn add_later(
        &mut self,
        tx: &mut dyn Tx,
        email: &validate::Email,
        d: &row::Desired,
        m: NewMember,
        line: u64,
    ) -> Result<(Outcome, Vec<Change>)> {
        let username = user::free_username(tx, &mut self.usernames, &email.display, d.username.as_deref())?;
        self.usernames.give(&username);
        let new = crate::service::init::new_user(email, d.text_of(Column::FirstName), d.text_of(Column::LastName), username);
        let role_names: Vec<String> = m.roles.iter().map(|r| r.name.clone()).collect();
        let changes = record::users::joined(Some(&new.email), &role_names).to_string();
        let change = Self::added(email, &m.roles, line);
        let row = crate::store::ImportRow {
            new: Some(new),
            existing: None,
            roles: m.roles.iter().map(|r| r.id).collect(),
            role_names,
            group: m.group,
            changes,
        };
        self.batch.push(row, m.permit, m.perms);
        if self.batch.len() >= BATCH {
            self.flush(tx)?;
        }
        Ok((Outcome::Added, vec![change]))
    }

    /// Ask the database once about the rows read ahead: their addresses'
    /// users and the usernames their new members would get first.
    /// Each row's address, validated (`None`: not valid).
    pub(super) fn prefetch(&mut self, tx: &dyn Tx, rows: &[input::Row]) -> Result<Vec<Option<validate::Email>>> {
        let emails: Vec<Option<validate::Email>> = rows.iter().map(|r| validate::email(&r.email).ok()).collect();
        let valid: Vec<(&input::Row, &validate::Email)> =
            rows.iter().zip(&emails).filter_map(|(r, e)| e.as_ref().map(|e| (r, e))).collect();
        let keys: Vec<String> = valid.iter().map(|(_, e)| e.key.clone()).collect();
        let found = tx.ids_by_email_key(&keys)?;
        self.known_users = keys.into_iter().map(|k| (found.get(&k).copied(), k)).map(|(id, k)| (k, id)).collect();
        // Only an address that is no account yet gets a username.
        let names: Vec<String> = valid
            .iter()
            .filter(|(_, e)| !found.contains_key(&e.key))
            .map(|(r, e)| {
                r.cells
                    .iter()
                    .find(|(c, _)| *c == Column::Username)
                    .map(|(_, v)| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| validate::username_candidate(&validate::username_base(&e.display), 1))
            })
            .collect();
        self.usernames.prefetch(tx, &names)?;
        Ok(emails)
    }
}
