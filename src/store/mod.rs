//! The repository layer: the only part of acct that speaks SQL.
//!
//! [`Store`] opens transactions; [`Tx`] is everything that can be read or
//! written inside one. Reads take plain arguments. Every write takes a
//! [`Permit`] from the authorization engine, checks that the permit covers the
//! operation and its target, makes the change and writes the audit entry, all in
//! the same transaction. A transaction dropped without `commit` rolls back.
//!
//! The SQLite implementation lives in [`sqlite`]; [`open`] and [`create`]
//! are the only places that name it. Another backend implements the same
//! traits and runs the same [`conformance`] suite (`store_conformance!`);
//! commands and services never see which one is behind.

pub mod chain;
pub mod conformance;
pub mod copy;
pub mod model;
pub mod postgres;
pub mod rows;
pub mod shared;
pub mod sqlite;

use crate::authz::{PermSet, Permit, Subject};
use crate::error::Result;
pub use model::*;
pub use rows::*;

/// Open the database at `location`, migrating it when it is older than this
/// binary. The one place that picks a backend: a `postgres://` or
/// `postgresql://` URL is a PostgreSQL database, anything else a SQLite file.
pub fn open(location: &std::path::Path) -> Result<Box<dyn Store>> {
    match postgres_url(location) {
        Some(url) => Ok(Box::new(postgres::PgStore::open(url)?)),
        None => Ok(Box::new(sqlite::SqliteStore::open(location)?)),
    }
}

/// Create a new, empty database at `location` (see [`open`]): a new SQLite
/// file, or acct's schema in an empty PostgreSQL database; a conflict when
/// one exists there.
pub fn create(location: &std::path::Path) -> Result<Box<dyn Store>> {
    match postgres_url(location) {
        Some(url) => Ok(Box::new(postgres::PgStore::create(url)?)),
        None => Ok(Box::new(sqlite::SqliteStore::create(location)?)),
    }
}

pub use crate::location::postgres_url;

/// A database location as messages show it: a URL without its password.
pub fn shown(location: &std::path::Path) -> String {
    match postgres_url(location) {
        Some(url) => postgres::shown_url(url),
        None => location.display().to_string(),
    }
}

/// A database with acct's schema.
pub trait Store {
    /// A read transaction: a consistent snapshot.
    fn read(&mut self) -> Result<Box<dyn Tx + '_>>;
    /// A write transaction: takes the write lock at once (BEGIN IMMEDIATE), so
    /// that the facts read for a decision still hold when the write happens.
    fn write(&mut self) -> Result<Box<dyn Tx + '_>>;
    /// An online copy of the database into a new file.
    fn backup(&mut self, dest: &std::path::Path) -> Result<()>;
    /// Integrity and foreign-key problems, one line each; empty when healthy.
    fn check(&mut self) -> Result<Vec<String>>;
    /// The schema version and the newest this binary knows.
    fn schema_version(&mut self) -> Result<(u32, u32)>;
    /// The change id of the audit entries written from now on: one per
    /// command invocation, shared by every transaction it opens.
    fn set_change_id(&mut self, id: &str);
    /// Allow bulk work more memory for pages.
    fn set_bulk_mode(&mut self, on: bool) -> Result<()>;
}

/// A callback that receives users one by one: streaming, constant memory.
pub type UserSink<'a> = dyn FnMut(&User) -> Result<()> + 'a;

/// Everything inside one transaction: the transaction itself, and the
/// per-area stores it is made of. A write transaction dropped without
/// [`Tx::commit`] rolls back.
pub trait Tx: OrgStore + UserStore + MembershipStore + GroupStore + InvitationStore + AuditStore {
    fn commit(self: Box<Self>) -> Result<()>;
    /// Start one step of a multi-target command (a savepoint).
    fn step_begin(&mut self) -> Result<()>;
    /// End the step: keep its writes, or undo them alone.
    fn step_end(&mut self, keep: bool) -> Result<()>;
    fn is_initialized(&self) -> Result<bool>;
    /// Names starting with `prefix`, for shell completion, under a permit
    /// from [`crate::authz::Request::Candidates`].
    fn completions(&self, p: &Permit, kind: Completion, org: Option<i64>, prefix: &str, limit: u64) -> Result<Vec<String>>;
    /// For a bulk load that is large beside the tables: set aside the
    /// secondary indexes that no step of the load reads, to build them once
    /// at the end ([`Tx::resume_indexes`]) instead of inserting into them row
    /// by row. Within the transaction, so a failure restores them too; a
    /// commit resumes them first.
    fn suspend_indexes(&mut self) -> Result<()>;
    fn resume_indexes(&mut self) -> Result<()>;

    /// `db copy`: every row of `table` (one of [`copy::TABLES`]), its
    /// `columns` in order, read in the order of `key`.
    fn dump(&self, table: &str, columns: &[&str], key: &str, sink: &mut dyn FnMut(Vec<copy::Cell>) -> Result<()>) -> Result<()>;
    /// `db copy`: rows into `table`, under the permit of an initialization.
    fn load(&mut self, p: &Permit, table: &str, columns: &[&str], rows: &[Vec<copy::Cell>]) -> Result<()>;
    /// `db copy`: the highest audit id ever given, so that the copy's next
    /// entry continues the chain's numbering.
    fn set_audit_seq(&mut self, p: &Permit, seq: i64) -> Result<()>;

    /// The login this connection was authenticated as by the server
    /// (PostgreSQL's `session_user`); `None` for a file, which has none.
    fn session_login(&self) -> Result<Option<String>>;
    /// A setting of the whole database (`require_login_binding`).
    fn setting(&self, key: &str) -> Result<Option<String>>;
    fn set_setting(&mut self, p: &Permit, key: &str, value: &str) -> Result<()>;
}

/// Organizations.
pub trait OrgStore {
    fn orgs(&self) -> Result<Vec<Org>>;
    fn org(&self, slug: &str) -> Result<Option<Org>>;
    fn org_by_id(&self, id: i64) -> Result<Option<Org>>;
    fn org_member_count(&self, org: i64) -> Result<u64>;
    /// The number of members, shown under a permit to see the organization
    /// ([`Permit::check_org`]).
    fn member_count(&self, p: &Permit, org: i64) -> Result<u64> {
        p.check_org(org)?;
        self.org_member_count(org)
    }

    /// Put on record when the database was initialized (`acct init`).
    fn mark_created(&mut self, p: &Permit) -> Result<()>;
    /// A new organization with its `everyone` group.
    fn insert_org(&mut self, p: &Permit, org: &NewOrg) -> Result<i64>;
    fn set_org(&mut self, p: &Permit, org: i64, settings: &OrgSettings) -> Result<()>;
}

/// Identities: their rows, the trash, bulk import.
pub trait UserStore {
    fn subject(&self, user: i64) -> Result<Option<Subject>>;
    /// A user by id, e-mail key or username; trashed users included.
    fn find_user(&self, sel: &Selector) -> Result<Option<i64>>;
    fn user(&self, id: i64, org: Option<i64>) -> Result<Option<User>>;
    /// The members `q` selects, under a permit to read them (`user:read`,
    /// `user:export`) in `q.org`.
    fn users(&self, p: &Permit, q: &UserQuery, sink: &mut UserSink<'_>) -> Result<u64>;
    /// How many members `q` selects (also under `role:read`: holders of a role).
    fn count_users(&self, p: &Permit, q: &UserQuery) -> Result<u64>;
    /// One user's record, under a permit to view it ([`Permit::check_view`]).
    fn record(&self, p: &Permit, id: i64, org: Option<i64>) -> Result<Option<User>> {
        p.check_view(id, org)?;
        self.user(id, org)
    }
    fn username_taken(&self, username: &str) -> Result<bool>;
    /// The ids of the users with these e-mail keys (those there are): one
    /// question for many `find_user`s.
    fn ids_by_email_key(&self, keys: &[String]) -> Result<std::collections::HashMap<String, i64>> {
        let mut found = std::collections::HashMap::new();
        for k in keys {
            if let Some(id) = self.find_user(&Selector::EmailKey(k.clone()))? {
                found.insert(k.clone(), id);
            }
        }
        Ok(found)
    }
    /// Which of these usernames are taken: one question for many.
    fn taken_usernames(&self, names: &[String]) -> Result<std::collections::HashSet<String>> {
        let mut taken = std::collections::HashSet::new();
        for n in names {
            if self.username_taken(n)? {
                taken.insert(n.clone());
            }
        }
        Ok(taken)
    }
    /// When and from which organization a trashed user was removed, with the roles they had.
    fn trash_info(&self, user: i64) -> Result<Option<TrashInfo>>;
    /// Users moved to the trash before `cutoff` (RFC 3339), oldest first.
    fn trashed_before(&self, cutoff: &str) -> Result<Vec<i64>>;
    /// Whether the user's full name and initials were set explicitly
    /// (`false`: they follow the names).
    fn name_overrides(&self, user: i64) -> Result<(bool, bool)>;
    /// The users in the trash who were removed from `org`, oldest removal first.
    fn trashed_from(&self, p: &Permit, org: i64) -> Result<Vec<i64>>;
    fn email_of(&self, user: i64) -> Result<String>;
    fn account(&self, user: i64) -> Result<Option<Account>>;
    /// `org/slug` of the user's additional groups, sorted.
    fn additional_groups(&self, user: i64) -> Result<Vec<String>>;

    /// The database login the account is bound to (SPEC §6).
    fn db_login(&self, user: i64) -> Result<Option<String>>;
    /// The account bound to a database login.
    fn user_of_login(&self, login: &str) -> Result<Option<i64>>;
    /// Bind the account to a login, or (`None`) unbind it.
    fn set_db_login(&mut self, p: &Permit, user: i64, login: Option<&str>) -> Result<()>;

    /// A new identity (status invited unless `user.status` says otherwise).
    fn insert_user(&mut self, p: &Permit, user: &NewUser) -> Result<i64>;
    /// Take a user out of the trash (into no organization yet); the primary
    /// group is kept only when `keep_primary`.
    fn untrash(&mut self, p: &Permit, user: i64, keep_primary: bool) -> Result<()>;
    /// Delete a trashed identity and everything that hangs on it.
    fn purge(&mut self, p: &Permit, user: i64) -> Result<Purged>;
    /// Apply the group and name-override parts of an edit; the permit must
    /// cover every field `change` touches.
    fn change_user_groups(&mut self, p: &Permit, user: i64, change: &UserChange) -> Result<()>;
    /// Store the editable columns of a user row.
    fn set_user(&mut self, p: &Permit, user: i64, row: &UserRow) -> Result<()>;

    /// Bulk import, one permit for the batch: new identities are created
    /// invited with a pending invitation, existing ones get the membership.
    /// Returns the user ids in row order. `progress` is called now and then
    /// with the number of rows done.
    fn import_members(&mut self, p: &Permit, org: i64, rows: &[ImportRow], progress: &mut dyn FnMut(u64)) -> Result<Vec<i64>>;
}

/// Memberships, organization roles and global roles.
pub trait MembershipStore {
    fn global_roles_of(&self, user: i64) -> Result<Vec<String>>;
    fn memberships_of(&self, user: i64) -> Result<Vec<String>>;
    /// Organization roles visible in an org (built-in and its custom ones),
    /// or the global roles when `org` is `None`.
    fn roles(&self, org: Option<i64>) -> Result<Vec<Role>>;
    fn role(&self, org: Option<i64>, name: &str) -> Result<Option<Role>>;
    fn role_holders(&self, role: i64) -> Result<u64>;
    fn user_roles(&self, org: i64, user: i64) -> Result<Vec<String>>;
    /// Who holds the global roles, under a `global:admin` read permit.
    fn access_list(&self, p: &Permit) -> Result<Vec<AccessRow>>;
    fn active_global_admins(&self) -> Result<u64>;
    fn role_by_id(&self, role: i64) -> Result<Option<Role>>;
    fn is_member(&self, org: i64, user: i64) -> Result<bool>;

    /// A membership with roles; the user's primary group becomes `group`
    /// (or the organization's `everyone`) when they have none, else `group`
    /// is added as an additional group.
    fn join_org(&mut self, p: &Permit, org: i64, user: i64, roles: &[i64], group: Option<i64>) -> Result<()>;
    /// Remove a membership with its roles and the groups of the organization.
    fn leave_org(&mut self, p: &Permit, org: i64, user: i64) -> Result<Left>;

    /// A role of an organization, or a global one (`org` `None`, at initialization).
    fn insert_role(&mut self, p: &Permit, org: Option<i64>, role: &RoleRow) -> Result<i64>;
    fn set_role(&mut self, p: &Permit, role: i64, display_name: Option<&str>, perms: Option<PermSet>) -> Result<()>;
    fn delete_role(&mut self, p: &Permit, role: i64) -> Result<()>;
    /// Give or take an organization role; false when nothing changed.
    fn set_user_role(&mut self, p: &Permit, org: i64, user: i64, role: i64, present: bool) -> Result<bool>;
    /// Give or take a global role; false when nothing changed.
    fn set_global_role(&mut self, p: &Permit, user: i64, role: i64, present: bool) -> Result<bool>;
}

/// Groups, their managers and additional members.
pub trait GroupStore {
    /// The groups of an organization, under a `group:read` permit there.
    fn groups(&self, p: &Permit, org: i64) -> Result<Vec<Group>>;
    /// The slugs of an organization's groups, sorted.
    fn group_slugs(&self, org: i64) -> Result<Vec<String>>;
    fn group(&self, org: i64, slug: &str) -> Result<Option<Group>>;
    fn group_by_id(&self, id: i64) -> Result<Option<Group>>;
    /// Managers and members, under a `group:read` permit in the group's organization.
    fn group_people(&self, p: &Permit, group: i64) -> Result<GroupPeople>;
    /// Whether the user is a manager (or additional member) of the group.
    fn in_group(&self, group: i64, user: i64, role: GroupRole) -> Result<bool>;
    /// `org/slug` of a group.
    fn group_label(&self, group: i64) -> Result<String>;
    /// The users whose primary group it is, those in the trash included.
    fn primary_users(&self, group: i64) -> Result<u64>;

    fn insert_group(&mut self, p: &Permit, org: i64, slug: &str, display_name: &str) -> Result<i64>;
    fn delete_group(&mut self, p: &Permit, group: i64) -> Result<()>;
    /// Add or remove a manager or member; false when nothing changed.
    fn set_group_person(&mut self, p: &Permit, group: i64, user: i64, role: GroupRole, present: bool) -> Result<bool>;
}

/// Invitations and credentials (password, TOTP, recovery codes).
pub trait InvitationStore {
    fn invitation_of(&self, user: i64) -> Result<Option<Invitation>>;
    /// Open invitations of an organization's members, oldest first.
    fn invitations(&self, p: &Permit, org: i64) -> Result<Vec<InvitationRow>>;
    /// The invitation a token hash belongs to, whatever its state.
    fn invitation_by_token(&self, token_hash: &[u8]) -> Result<Option<InvitationRow>>;
    fn totp_state(&self, user: i64) -> Result<TotpState>;
    fn recovery_code_unused(&self, user: i64, hash: &str) -> Result<bool>;

    /// Record an invitation as pending (no token yet), replacing an open one
    /// unless the user is being restored from the trash.
    fn queue_invitation(&mut self, p: &Permit, user: i64, org: i64) -> Result<i64>;
    /// Store a new token's hash for a user's open invitation, replacing any
    /// older one; `None` when the user has no open invitation.
    fn issue_token(&mut self, p: &Permit, user: i64, token_hash: &[u8], expires_at: &str) -> Result<Option<IssuedToken>>;
    /// Put on record that the message with the current token is about to be
    /// handed to the transport (the delivery becomes `sending`).
    fn begin_delivery(&mut self, p: &Permit, invitation: i64) -> Result<()>;
    fn record_delivery(&mut self, p: &Permit, invitation: i64, error: Option<&str>) -> Result<()>;
    /// Consume the token (it must still be open and unchanged), set the
    /// password hash and activate the user; the user, or `None` when the
    /// token is not (or no longer) valid.
    fn accept_invitation(&mut self, p: &Permit, invitation: i64, token_hash: &[u8], password_hash: &str) -> Result<Option<i64>>;

    /// Store a confirmed TOTP secret and the hashes of new recovery codes;
    /// returns the previous method and how many unused codes there were.
    fn enroll_totp(&mut self, p: &Permit, secret: &str, step: i64, recovery_hashes: &[String]) -> Result<(String, i64)>;
    /// Record the outcome of a verification.
    fn record_verification(&mut self, p: &Permit, outcome: &Verification) -> Result<()>;
    /// Back to e-mail codes; returns the previous method and the number of recovery codes removed.
    fn reset_2fa(&mut self, p: &Permit, user: i64) -> Result<(String, usize)>;
}

/// The audit log and its hash chain.
pub trait AuditStore {
    /// The entries `q` selects, newest first, under a permit to read them
    /// ([`Permit::check_audit`]).
    fn audit(&self, p: &Permit, q: &AuditQuery) -> Result<Vec<AuditEntry>>;
    /// The organization of each entry `q` selects (`None`: an entry of no
    /// organization), each once: what deciding who may read them needs.
    fn audit_orgs(&self, q: &AuditQuery) -> Result<Vec<Option<String>>>;
    /// Every audit entry with its hashed fields, in id order.
    fn audit_chain(&self, sink: &mut dyn FnMut(chain::ChainEntry) -> Result<()>) -> Result<()>;
    /// The newest entry's id and stored hash.
    fn audit_head(&self, p: &Permit) -> Result<Option<(i64, Option<String>)>>;
    /// The highest id ever given to an audit entry (0 for none), deleted ones included.
    fn audit_last_assigned(&self) -> Result<i64>;
    /// The audit entries written from now on in this transaction record that
    /// they reverse this entry (`acct undo`); `None` ends that.
    fn set_reverts(&mut self, entry: Option<i64>);
    /// Append an entry, chained to the last one.
    fn append_audit(&mut self, p: &Permit, record: &AuditRecord) -> Result<()>;
}

/// How a command names a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Id(i64),
    EmailKey(String),
    Username(String),
}
