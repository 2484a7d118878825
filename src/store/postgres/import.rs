//! Bulk import: many members in one transaction, a chunk of rows per
//! statement (arrays unnested by the server).

use super::tx::PgTx;
use super::users::search_key;
use crate::authz::{Op, Permit};
use crate::error::Result;
use crate::store::chain::{self, unix_seconds};
use crate::store::model::ImportRow;
use crate::store::sqlite::now;
use anyhow::Context;
use std::collections::HashMap;

/// Rows per statement; progress is reported after each full chunk, as
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
            let chunk_ids = self.import_chunk(org, everyone, &t, chunk)?;
            // The audit entries of the chunk, chained in row order.
            let mut entries = AuditRows::default();
            for (row, (id, email)) in chunk.iter().zip(chunk_ids) {
                entry.id = next_id;
                entry.target_id = Some(id);
                entry.target = Some(email);
                entry.changes.clone_from(&row.changes);
                let h = chain::hash(&prev, &entry);
                entries.push(&entry, &h);
                prev = h;
                next_id += 1;
                ids.push(id);
            }
            self.insert_audit_rows(&entry, &entries).context("appending the import's audit entries")?;
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

        let mut out = Vec::with_capacity(chunk.len());
        let mut users = NewUsers::default();
        let (mut old_ids, mut old_groups, mut old_given): (Vec<i64>, Vec<i64>, Vec<bool>) = Default::default();
        let (mut m_users, mut m_keys): (Vec<i64>, Vec<String>) = Default::default();
        let (mut r_users, mut r_roles): (Vec<i64>, Vec<i64>) = Default::default();
        for row in chunk {
            let (id, email) = match (&row.new, row.existing) {
                (Some(u), _) => {
                    let id = new_ids.next().ok_or_else(|| anyhow::anyhow!("internal error: too few user ids allocated"))?;
                    users.push(id, u, row.group.unwrap_or(everyone));
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
            m_users.push(id);
            m_keys.push(key.join(";"));
            for r in &row.roles {
                r_users.push(id);
                r_roles.push(*r);
            }
            out.push((id, email));
        }

        if !users.id.is_empty() {
            self.run(
                "INSERT INTO users (id, username, email, email_key, first_name, last_name, full_name, initials, status, accepted,
                                    primary_group_id, created_at, updated_at, search_key)
                 SELECT x.id, x.username, x.email, x.email_key, x.first_name, x.last_name, x.full_name, x.initials,
                        'invited', false, x.grp, $10::text, $10::text, x.search_key
                 FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                             $9::bigint[], $11::text[])
                      AS x(id, username, email, email_key, first_name, last_name, full_name, initials, grp, search_key)",
                &[
                    &users.id,
                    &users.username,
                    &users.email,
                    &users.email_key,
                    &users.first_name,
                    &users.last_name,
                    &users.full_name,
                    &users.initials,
                    &users.group,
                    &t,
                    &users.search_key,
                ],
            )
            .context("inserting the imported users")?;
            self.run(
                "INSERT INTO invitations (user_id, org_id, created_at)
                 SELECT x.user_id, $2::bigint, $3::text FROM unnest($1::bigint[]) WITH ORDINALITY AS x(user_id, n) ORDER BY x.n",
                &[&users.id, &org, &t],
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
        self.run(
            "INSERT INTO memberships (org_id, user_id, created_at, role_key)
             SELECT $1::bigint, x.user_id, $2::text, x.role_key FROM unnest($3::bigint[], $4::text[]) AS x(user_id, role_key)",
            &[&org, &t, &m_users, &m_keys],
        )
        .context("inserting the imported memberships")?;
        if !r_users.is_empty() {
            self.run(
                "INSERT INTO user_roles (org_id, user_id, role_id)
                 SELECT $1::bigint, x.user_id, x.role_id FROM unnest($2::bigint[], $3::bigint[]) AS x(user_id, role_id)
                 ON CONFLICT DO NOTHING",
                &[&org, &r_users, &r_roles],
            )
            .context("giving the imported members their roles")?;
        }
        Ok(out)
    }

    /// Insert chained entries that share the fields of `e` but for their id,
    /// target, changes and hash; their audience; and the highest id given.
    fn insert_audit_rows(&self, e: &chain::ChainEntry, rows: &AuditRows) -> Result<()> {
        let Some(&last) = rows.id.last() else { return Ok(()) };
        self.run(
            "INSERT INTO audit (id, at, actor_id, actor, org, action, target_id, target, changes, change_id, reverts, hash, at_unix)
             SELECT x.id, $1::text, $2::bigint, $3::text, $4::text, $5::text, x.target_id, x.target, x.changes, $6::text,
                    $7::bigint, x.hash, $8::bigint
             FROM unnest($9::bigint[], $10::bigint[], $11::text[], $12::text[], $13::text[])
                  AS x(id, target_id, target, changes, hash)",
            &[
                &e.at,
                &e.actor_id,
                &e.actor,
                &e.org,
                &e.action,
                &e.change_id,
                &e.reverts,
                &unix_seconds(&e.at),
                &rows.id,
                &rows.target_id,
                &rows.target,
                &rows.changes,
                &rows.hash,
            ],
        )?;
        if !e.audience.is_empty() {
            self.run(
                "INSERT INTO audit_orgs (org, audit_id)
                 SELECT o.org, i.id FROM unnest($1::text[]) AS o(org) CROSS JOIN unnest($2::bigint[]) AS i(id)
                 ON CONFLICT DO NOTHING",
                &[&e.audience, &rows.id],
            )?;
        }
        self.run(
            "INSERT INTO acct_meta (key, value) VALUES ('audit_seq', $1::text) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&last.to_string()],
        )?;
        Ok(())
    }
}

/// The new identities of a chunk, a column each.
#[derive(Default)]
struct NewUsers {
    id: Vec<i64>,
    username: Vec<String>,
    email: Vec<String>,
    email_key: Vec<String>,
    first_name: Vec<Option<String>>,
    last_name: Vec<Option<String>>,
    full_name: Vec<Option<String>>,
    initials: Vec<Option<String>>,
    group: Vec<i64>,
    search_key: Vec<String>,
}

impl NewUsers {
    fn push(&mut self, id: i64, u: &crate::store::model::NewUser, group: i64) {
        self.id.push(id);
        self.username.push(u.username.clone());
        self.email.push(u.email.clone());
        self.email_key.push(u.email_key.clone());
        self.first_name.push(u.first_name.clone());
        self.last_name.push(u.last_name.clone());
        self.full_name.push(u.full_name.clone());
        self.initials.push(u.initials.clone());
        self.group.push(group);
        self.search_key.push(search_key(
            &u.email,
            &u.username,
            [u.first_name.as_deref(), u.last_name.as_deref(), u.full_name.as_deref()],
        ));
    }
}

/// The per-entry fields of a chunk's audit entries, a column each.
#[derive(Default)]
struct AuditRows {
    id: Vec<i64>,
    target_id: Vec<Option<i64>>,
    target: Vec<Option<String>>,
    changes: Vec<String>,
    hash: Vec<String>,
}

impl AuditRows {
    fn push(&mut self, e: &chain::ChainEntry, hash: &str) {
        self.id.push(e.id);
        self.target_id.push(e.target_id);
        self.target.push(e.target.clone());
        self.changes.push(e.changes.clone());
        self.hash.push(hash.to_string());
    }
}
