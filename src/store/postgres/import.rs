//! Bulk import: many members in one transaction, the rows of a chunk
//! streamed into each table with `COPY … FROM STDIN (FORMAT binary)`.

use super::audit::{AUDIT_COLUMNS, audit_values};
use super::tx::PgTx;
use super::users::new_user_search_key;
use crate::authz::{Op, Permit};
use crate::error::Result;
use crate::store::chain::{self, unix_seconds};
use crate::store::model::{ImportRow, NewUser};
use crate::store::sqlite::now;
use anyhow::Context;
use postgres::types::Type;
use std::collections::HashMap;

/// Rows per round of COPYs; progress is reported after each full chunk, as
/// SQLite's import reports it every 4096 rows.
const CHUNK: usize = 4096;

impl PgTx<'_> {
    pub(super) fn bulk_import(
        &mut self,
        p: &Permit,
        org: i64,
        rows: &[ImportRow],
        progress: &mut dyn FnMut(u64),
    ) -> Result<Vec<i64>> {
        p.check(Op::UserAdd, None)?;
        if p.org_id() != Some(org) {
            return Err(anyhow::anyhow!("internal error: the permit is for another organization"));
        }
        let t = now();
        let everyone = self.everyone_group(org)?;
        let mut ids = Vec::with_capacity(rows.len());
        // Every entry is chained like any other: the tail once, then in memory.
        let mut entry = self.chain_entry(p, p.org_slug(), None, None, String::new());
        entry.at = t.clone();
        entry.audience = self.audience(p, p.org_slug())?;
        let (mut next_id, mut prev) = self.tail().context("reading the end of the audit chain")?;
        for (c, chunk) in rows.chunks(CHUNK).enumerate() {
            let chunk_users = self.import_chunk(org, everyone, &t, chunk)?;
            // The audit entries of the chunk, chained in row order.
            self.insert_audit_rows(&mut entry, chunk, &chunk_users, &mut next_id, &mut prev)
                .context("appending the import's audit entries")?;
            ids.extend(chunk_users.iter().map(|(id, _)| *id));
            if chunk.len() == CHUNK {
                progress(((c + 1) * CHUNK) as u64);
            }
        }
        progress(rows.len() as u64);
        Ok(ids)
    }

    /// Write the users, invitations, memberships, roles and groups of a
    /// chunk; the id and e-mail of each row's user, in row order.
    fn import_chunk(&self, org: i64, everyone: i64, t: &str, chunk: &[ImportRow]) -> Result<Vec<(i64, String)>> {
        // New identities: ids taken from the sequence in row order.
        let new_count = chunk.iter().filter(|r| r.new.is_some()).count() as i64;
        let mut new_ids: Vec<i64> = if new_count > 0 {
            self.all(
                "SELECT nextval(pg_get_serial_sequence('users', 'id')) AS id FROM generate_series(1, $1::bigint)",
                &[&new_count],
                |r| r.try_get("id"),
            )
            .context("allocating user ids")?
        } else {
            Vec::new()
        };
        new_ids.sort_unstable();
        let mut new_ids = new_ids.into_iter();
        // The e-mails of the existing identities.
        let existing: Vec<i64> = chunk.iter().filter(|r| r.new.is_none()).filter_map(|r| r.existing).collect();
        let emails: HashMap<i64, String> = if existing.is_empty() {
            HashMap::new()
        } else {
            self.all("SELECT id, email FROM users WHERE id = ANY($1::bigint[])", &[&existing], |r| {
                Ok((r.try_get("id")?, r.try_get("email")?))
            })
            .context("reading the e-mails of existing users")?
            .into_iter()
            .collect()
        };

        // Each row's user, and the rows of the tables it adds to, in row order.
        let mut out = Vec::with_capacity(chunk.len());
        let mut users: Vec<(i64, &NewUser, i64)> = Vec::new();
        let (mut old_ids, mut old_groups, mut old_given): (Vec<i64>, Vec<i64>, Vec<bool>) = Default::default();
        let mut members: Vec<(i64, String)> = Vec::with_capacity(chunk.len());
        let mut roles: Vec<(i64, i64)> = Vec::with_capacity(chunk.len());
        for row in chunk {
            let (id, email) = match (&row.new, row.existing) {
                (Some(u), _) => {
                    let id = new_ids.next().ok_or_else(|| anyhow::anyhow!("internal error: too few user ids allocated"))?;
                    users.push((id, u, row.group.unwrap_or(everyone)));
                    (id, u.email.clone())
                }
                (None, Some(id)) => {
                    let email = emails
                        .get(&id)
                        .cloned()
                        .ok_or_else(|| anyhow::anyhow!("reading the e-mail of user {id}: no such user"))?;
                    old_ids.push(id);
                    old_groups.push(row.group.unwrap_or(everyone));
                    old_given.push(row.group.is_some());
                    (id, email)
                }
                (None, None) => return Err(anyhow::anyhow!("internal error: an import row without a user")),
            };
            let mut key: Vec<&str> = row.role_names.iter().map(String::as_str).collect();
            key.sort_unstable();
            key.dedup();
            members.push((id, key.join(";")));
            // A role named twice is given once (the key is the whole row).
            for (i, r) in row.roles.iter().enumerate() {
                if !row.roles[..i].contains(r) {
                    roles.push((id, *r));
                }
            }
            out.push((id, email));
        }

        if !users.is_empty() {
            self.copy_in(
                "COPY users (id, username, email, email_key, first_name, last_name, full_name, initials, status, accepted,
                             primary_group_id, created_at, updated_at, search_key) FROM STDIN (FORMAT binary)",
                &[
                    Type::INT8,
                    Type::TEXT,
                    Type::TEXT,
                    Type::TEXT,
                    Type::TEXT,
                    Type::TEXT,
                    Type::TEXT,
                    Type::TEXT,
                    Type::TEXT,
                    Type::BOOL,
                    Type::INT8,
                    Type::TEXT,
                    Type::TEXT,
                    Type::TEXT,
                ],
                |w| {
                    for (id, u, group) in &users {
                        let key = new_user_search_key(u);
                        w.write(&[
                            id,
                            &u.username,
                            &u.email,
                            &u.email_key,
                            &u.first_name,
                            &u.last_name,
                            &u.full_name,
                            &u.initials,
                            &"invited",
                            &false,
                            group,
                            &t,
                            &t,
                            &key,
                        ])?;
                    }
                    Ok(())
                },
            )
            .context("inserting the imported users")?;
            // Invitation ids are given in row order, as the rows arrive.
            self.copy_in(
                "COPY invitations (user_id, org_id, created_at) FROM STDIN (FORMAT binary)",
                &[Type::INT8, Type::INT8, Type::TEXT],
                |w| users.iter().try_for_each(|(id, _, _)| w.write(&[id, &org, &t])),
            )
            .context("queueing the imported users' invitations")?;
        }
        if !old_ids.is_empty() {
            // The group becomes the primary group of a user who has none;
            // a group given for a user who has one is an additional group.
            let set: Vec<i64> = self
                .all(
                    "UPDATE users SET primary_group_id = x.grp FROM unnest($1::bigint[], $2::bigint[]) AS x(id, grp)
                     WHERE users.id = x.id AND users.primary_group_id IS NULL RETURNING users.id",
                    &[&old_ids, &old_groups],
                    |r| r.try_get("id"),
                )
                .context("setting the primary groups of existing users")?;
            let (mut g_groups, mut g_users): (Vec<i64>, Vec<i64>) = Default::default();
            for ((id, g), given) in old_ids.iter().zip(&old_groups).zip(&old_given) {
                if *given && !set.contains(id) {
                    g_groups.push(*g);
                    g_users.push(*id);
                }
            }
            if !g_users.is_empty() {
                self.run(
                    "INSERT INTO group_members (group_id, user_id)
                     SELECT x.group_id, x.user_id FROM unnest($1::bigint[], $2::bigint[]) AS x(group_id, user_id)
                     ON CONFLICT DO NOTHING",
                    &[&g_groups, &g_users],
                )
                .context("adding existing users to their groups")?;
            }
        }
        self.copy_in(
            "COPY memberships (org_id, user_id, created_at, role_key) FROM STDIN (FORMAT binary)",
            &[Type::INT8, Type::INT8, Type::TEXT, Type::TEXT],
            |w| members.iter().try_for_each(|(id, key)| w.write(&[&org, id, &t, key])),
        )
        .context("inserting the imported memberships")?;
        if !roles.is_empty() {
            // Every membership is new, so none of these rows is there yet.
            self.copy_in(
                "COPY user_roles (org_id, user_id, role_id) FROM STDIN (FORMAT binary)",
                &[Type::INT8, Type::INT8, Type::INT8],
                |w| roles.iter().try_for_each(|(id, role)| w.write(&[&org, id, role])),
            )
            .context("giving the imported members their roles")?;
        }
        Ok(out)
    }

    /// Append the chained entries of a chunk's rows, which share the fields
    /// of `e` but for their id, target, changes and hash; their audience;
    /// and the highest id given. `next_id` and `prev` move past them.
    fn insert_audit_rows(
        &self,
        e: &mut chain::ChainEntry,
        rows: &[ImportRow],
        users: &[(i64, String)],
        next_id: &mut i64,
        prev: &mut String,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let first = *next_id;
        let at_unix = unix_seconds(&e.at);
        self.copy_in(
            &format!("COPY audit ({AUDIT_COLUMNS}) FROM STDIN (FORMAT binary)"),
            &[
                Type::INT8,
                Type::TEXT,
                Type::INT8,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::INT8,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::INT8,
                Type::TEXT,
                Type::INT8,
            ],
            |w| {
                for (row, (id, email)) in rows.iter().zip(users) {
                    e.id = *next_id;
                    e.target_id = Some(*id);
                    e.target = Some(email.clone());
                    e.changes.clone_from(&row.changes);
                    let h = chain::hash(prev, e);
                    w.write(&audit_values(e, &h, &at_unix))?;
                    *prev = h;
                    *next_id += 1;
                }
                Ok(())
            },
        )?;
        let last = *next_id - 1;
        if !e.audience.is_empty() {
            let mut audience: Vec<&String> = e.audience.iter().collect();
            audience.sort_unstable();
            audience.dedup();
            self.copy_in("COPY audit_orgs (org, audit_id) FROM STDIN (FORMAT binary)", &[Type::TEXT, Type::INT8], |w| {
                (first..=last).try_for_each(|id| audience.iter().try_for_each(|org| w.write(&[org, &id])))
            })?;
        }
        self.appended.set(self.appended.get().max(last));
        *self.chain_end.borrow_mut() = Some((*next_id, prev.clone()));
        Ok(())
    }
}
