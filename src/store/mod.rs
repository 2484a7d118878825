//! The repository layer: the only part of acct that speaks SQL.
//!
//! [`Store`] opens transactions; [`Tx`] is everything that can be read or
//! written inside one. Reads take plain arguments. Every write takes a
//! [`Permit`] from the authorization engine, checks that the permit covers the
//! operation and its target, makes the change and writes the audit entry, all in
//! the same transaction. A transaction dropped without `commit` rolls back.
//!
//! The SQLite implementation lives in [`sqlite`]. Another backend implements the
//! same two traits and runs the same [`conformance`] suite; commands and
//! services never see which one is behind.

pub mod chain;
pub mod conformance;
pub mod model;
pub mod sqlite;

use crate::authz::{Permit, Subject};
use crate::error::Result;
pub use model::*;

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

/// Everything inside one transaction.
pub trait Tx {
    fn commit(self: Box<Self>) -> Result<()>;
    /// Start one step of a multi-target command (a savepoint).
    fn step_begin(&mut self) -> Result<()>;
    /// End the step: keep its writes, or undo them alone.
    fn step_end(&mut self, keep: bool) -> Result<()>;

    // ---- reads ----
    fn is_initialized(&self) -> Result<bool>;
    fn subject(&self, user: i64) -> Result<Option<Subject>>;
    /// A user by id, e-mail key or username; trashed users included.
    fn find_user(&self, sel: &Selector) -> Result<Option<i64>>;
    fn user(&self, id: i64, org: Option<i64>) -> Result<Option<User>>;
    fn users(&self, q: &UserQuery, sink: &mut UserSink<'_>) -> Result<u64>;
    fn count_users(&self, q: &UserQuery) -> Result<u64>;
    fn username_taken(&self, username: &str) -> Result<bool>;
    fn global_roles_of(&self, user: i64) -> Result<Vec<String>>;
    fn memberships_of(&self, user: i64) -> Result<Vec<String>>;
    fn invitation_of(&self, user: i64) -> Result<Option<Invitation>>;
    /// When and from which organization a trashed user was removed, with the roles they had.
    fn trash_info(&self, user: i64) -> Result<Option<TrashInfo>>;
    /// Users moved to the trash before `cutoff` (RFC 3339), oldest first.
    fn trashed_before(&self, cutoff: &str) -> Result<Vec<i64>>;
    /// Whether the user's full name and initials were set explicitly
    /// (`false`: they follow the names).
    fn name_overrides(&self, user: i64) -> Result<(bool, bool)>;
    /// The users in the trash who were removed from `org`, oldest removal first.
    fn trashed_from(&self, org: i64) -> Result<Vec<i64>>;

    fn orgs(&self) -> Result<Vec<Org>>;
    fn org(&self, slug: &str) -> Result<Option<Org>>;
    fn org_by_id(&self, id: i64) -> Result<Option<Org>>;
    fn org_member_count(&self, org: i64) -> Result<u64>;

    /// Organization roles visible in an org (built-in and its custom ones),
    /// or the global roles when `org` is `None`.
    fn roles(&self, org: Option<i64>) -> Result<Vec<Role>>;
    fn role(&self, org: Option<i64>, name: &str) -> Result<Option<Role>>;
    fn role_holders(&self, role: i64) -> Result<u64>;
    fn user_roles(&self, org: i64, user: i64) -> Result<Vec<String>>;
    fn access_list(&self) -> Result<Vec<AccessRow>>;
    fn active_global_admins(&self) -> Result<u64>;

    fn groups(&self, org: i64) -> Result<Vec<Group>>;
    fn group(&self, org: i64, slug: &str) -> Result<Option<Group>>;
    fn group_by_id(&self, id: i64) -> Result<Option<Group>>;
    fn group_people(&self, group: i64) -> Result<GroupPeople>;

    fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>>;
    /// Every audit entry with its hashed fields, in id order.
    fn audit_chain(&self, sink: &mut dyn FnMut(chain::ChainEntry) -> Result<()>) -> Result<()>;
    /// The newest entry's id and stored hash.
    fn audit_head(&self) -> Result<Option<(i64, Option<String>)>>;
    /// The highest id ever given to an audit entry (0 for none), deleted ones included.
    fn audit_last_assigned(&self) -> Result<i64>;
    /// Names starting with `prefix`, for shell completion.
    fn completions(&self, kind: Completion, org: Option<i64>, prefix: &str, limit: u64) -> Result<Vec<String>>;

    /// Open invitations of an organization's members, oldest first.
    fn invitations(&self, org: i64) -> Result<Vec<InvitationRow>>;
    /// The invitation a token hash belongs to, whatever its state.
    fn invitation_by_token(&self, token_hash: &[u8]) -> Result<Option<InvitationRow>>;
    fn totp_state(&self, user: i64) -> Result<TotpState>;
    fn recovery_code_unused(&self, user: i64, hash: &str) -> Result<bool>;

    /// The audit entries written from now on in this transaction record that
    /// they reverse this entry (`acct undo`); `None` ends that.
    fn set_reverts(&mut self, entry: Option<i64>);

    // ---- writes: each takes the permit that allows it ----
    fn init(&mut self, p: &Permit, org: &NewOrg, admin: &NewUser) -> Result<(i64, i64)>;
    fn create_org(&mut self, p: &Permit, org: &NewOrg) -> Result<i64>;
    fn update_org(&mut self, p: &Permit, org: i64, change: &OrgChange) -> Result<Changes>;

    fn create_role(&mut self, p: &Permit, org: i64, role: &NewRole) -> Result<i64>;
    fn update_role(&mut self, p: &Permit, role: i64, change: &RoleChange) -> Result<Changes>;
    fn delete_role(&mut self, p: &Permit, role: i64) -> Result<()>;
    fn assign_role(&mut self, p: &Permit, org: i64, user: i64, role: i64) -> Result<bool>;
    fn unassign_role(&mut self, p: &Permit, org: i64, user: i64, role: i64) -> Result<bool>;
    fn grant_global(&mut self, p: &Permit, user: i64, role: i64) -> Result<bool>;
    fn revoke_global(&mut self, p: &Permit, user: i64, role: i64) -> Result<bool>;

    fn create_group(&mut self, p: &Permit, org: i64, slug: &str, display_name: &str) -> Result<i64>;
    fn delete_group(&mut self, p: &Permit, group: i64) -> Result<()>;
    /// Add or remove a manager or member; false when nothing changed.
    fn set_group_person(&mut self, p: &Permit, group: i64, user: i64, role: GroupRole, present: bool) -> Result<bool>;

    /// Create an identity (status invited) with a membership and roles.
    fn add_user(&mut self, p: &Permit, org: i64, user: &NewUser, roles: &[i64], group: Option<i64>) -> Result<i64>;
    /// Give an existing identity a membership and roles.
    fn add_membership(&mut self, p: &Permit, org: i64, user: i64, roles: &[i64], group: Option<i64>) -> Result<()>;
    /// Remove a membership; returns true when the user went to the trash.
    fn remove_membership(&mut self, p: &Permit, org: i64, user: i64) -> Result<bool>;
    fn restore_user(&mut self, p: &Permit, user: i64) -> Result<()>;
    fn purge_user(&mut self, p: &Permit, user: i64) -> Result<()>;
    fn update_user(&mut self, p: &Permit, user: i64, change: &UserChange) -> Result<Changes>;
    fn reset_2fa(&mut self, p: &Permit, user: i64) -> Result<()>;

    /// Bulk import, one permit for the batch: new identities are created
    /// invited with a pending invitation, existing ones get the membership.
    /// Returns the user ids in row order. `progress` is called now and then
    /// with the number of rows done.
    fn import_members(&mut self, p: &Permit, org: i64, rows: &[ImportRow], progress: &mut dyn FnMut(u64)) -> Result<Vec<i64>>;
    /// For a bulk load that is large beside the tables: set aside the
    /// secondary indexes that no step of the load reads, to build them once
    /// at the end ([`Tx::resume_indexes`]) instead of inserting into them row
    /// by row. Within the transaction, so a failure restores them too; a
    /// commit resumes them first.
    fn suspend_indexes(&mut self) -> Result<()>;
    fn resume_indexes(&mut self) -> Result<()>;

    /// Record an invitation as pending (no token yet).
    fn queue_invitation(&mut self, p: &Permit, user: i64, org: i64) -> Result<i64>;
    /// Store a new token's hash for a user's open invitation, replacing any older one.
    fn issue_token(&mut self, p: &Permit, user: i64, token_hash: &[u8], expires_at: &str) -> Result<i64>;
    /// Put on record that the message with the current token is about to be
    /// handed to the transport (the delivery becomes `sending`).
    fn begin_delivery(&mut self, p: &Permit, invitation: i64) -> Result<()>;
    fn record_delivery(&mut self, p: &Permit, invitation: i64, error: Option<&str>) -> Result<()>;
    /// Consume the token (it must still be open and unchanged), set the
    /// password hash and activate the user.
    fn accept_invitation(&mut self, p: &Permit, invitation: i64, token_hash: &[u8], password_hash: &str) -> Result<()>;

    /// Store a confirmed TOTP secret and the hashes of new recovery codes.
    fn enroll_totp(&mut self, p: &Permit, secret: &str, step: i64, recovery_hashes: &[String]) -> Result<()>;
    /// Record the outcome of a verification.
    fn record_verification(&mut self, p: &Permit, outcome: &Verification) -> Result<()>;
}

/// How a command names a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Id(i64),
    EmailKey(String),
    Username(String),
}

impl Selector {
    /// All digits: an id; contains `@`: an e-mail; else a username.
    pub fn parse(s: &str) -> Result<Selector, crate::error::AppError> {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return s.parse::<i64>().map(Selector::Id).map_err(|_| crate::error::not_found(format!("no user with id {s}")));
        }
        if s.contains('@') {
            return crate::validate::email(s).map(|e| Selector::EmailKey(e.key));
        }
        Ok(Selector::Username(s.to_string()))
    }
}
