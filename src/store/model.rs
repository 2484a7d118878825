//! Plain data that crosses the repository boundary. No SQL here.

use crate::authz::{Field, PermSet, Scope, Status};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Org {
    pub id: i64,
    pub slug: String,
    pub display_name: String,
    pub sso: bool,
    pub sms_2fa: bool,
    pub created_at: String,
}

impl Org {
    pub fn facts(&self) -> crate::authz::OrgFacts {
        crate::authz::OrgFacts { id: self.id, slug: self.slug.clone(), sso: self.sso, sms_2fa: self.sms_2fa }
    }
}

#[derive(Debug, Clone)]
pub struct NewOrg {
    pub slug: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Default)]
pub struct OrgChange {
    pub display_name: Option<String>,
    pub sso: Option<bool>,
    pub sms_2fa: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub id: i64,
    pub org_id: Option<i64>,
    pub name: String,
    pub display_name: String,
    pub scope: Scope,
    pub builtin: bool,
    pub perms: PermSet,
}

impl Group {
    /// The group as the engine sees it; `org` is the group's organization.
    pub fn facts(&self, org: &Org) -> crate::authz::GroupFacts {
        crate::authz::GroupFacts { id: self.id, slug: self.slug.clone(), org: org.facts() }
    }
}

impl Role {
    pub fn facts(&self) -> crate::authz::RoleFacts {
        crate::authz::RoleFacts { name: self.name.clone(), scope: self.scope, perms: self.perms, builtin: self.builtin }
    }
}

#[derive(Debug, Clone)]
pub struct NewRole {
    pub name: String,
    pub display_name: String,
    pub perms: PermSet,
}

#[derive(Debug, Clone, Default)]
pub struct RoleChange {
    pub display_name: Option<String>,
    pub perms: Option<PermSet>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: i64,
    pub org_id: i64,
    pub slug: String,
    pub display_name: String,
    pub created_at: String,
    /// Users whose primary group this is.
    pub primary_members: u64,
    /// Additional (sharing) members.
    pub members: u64,
    pub managers: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupRole {
    Manager,
    Member,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupPeople {
    pub managers: Vec<String>,
    pub primary: Vec<String>,
    pub members: Vec<String>,
}

/// A user as shown and exported: every field of SPEC §1.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub initials: Option<String>,
    pub phone: Option<String>,
    pub timezone: Option<String>,
    pub notify: bool,
    pub robot: bool,
    pub active: bool,
    pub sso_disabled: bool,
    pub sms_auto_send: bool,
    pub require_2fa: bool,
    pub status: String,
    pub two_factor: String,
    pub primary_group: Option<String>,
    pub organization: Option<String>,
    /// Roles in the organization asked about.
    pub roles: Vec<String>,
    /// Additional groups (`org/group` when outside the organization asked about).
    pub groups: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub trashed_at: Option<String>,
}

/// A column of `user list` and a field of `user export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Id,
    Username,
    Email,
    FirstName,
    LastName,
    FullName,
    Initials,
    Phone,
    Timezone,
    Notify,
    Robot,
    Active,
    SsoDisabled,
    SmsAutoSend,
    Require2fa,
    Status,
    TwoFactor,
    Role,
    PrimaryGroup,
    Organization,
    Groups,
    CreatedAt,
    UpdatedAt,
}

impl Column {
    pub const ALL: [Column; 23] = [
        Column::Id,
        Column::Email,
        Column::Username,
        Column::FirstName,
        Column::LastName,
        Column::FullName,
        Column::Initials,
        Column::Role,
        Column::TwoFactor,
        Column::Status,
        Column::Phone,
        Column::Timezone,
        Column::Notify,
        Column::Robot,
        Column::Active,
        Column::SsoDisabled,
        Column::SmsAutoSend,
        Column::Require2fa,
        Column::Organization,
        Column::PrimaryGroup,
        Column::Groups,
        Column::CreatedAt,
        Column::UpdatedAt,
    ];
    pub const LIST_DEFAULT: [Column; 6] =
        [Column::Email, Column::FirstName, Column::LastName, Column::Role, Column::TwoFactor, Column::Status];
    pub const EXPORT_DEFAULT: [Column; 6] =
        [Column::Id, Column::Email, Column::FirstName, Column::LastName, Column::Role, Column::TwoFactor];

    pub fn name(self) -> &'static str {
        use Column::*;
        match self {
            Id => "id",
            Username => "username",
            Email => "email",
            FirstName => "first_name",
            LastName => "last_name",
            FullName => "full_name",
            Initials => "initials",
            Phone => "phone",
            Timezone => "timezone",
            Notify => "notify",
            Robot => "robot",
            Active => "active",
            SsoDisabled => "sso_disabled",
            SmsAutoSend => "sms_auto_send",
            Require2fa => "require_2fa",
            Status => "status",
            TwoFactor => "two_factor",
            Role => "role",
            PrimaryGroup => "primary_group",
            Organization => "organization",
            Groups => "groups",
            CreatedAt => "created_at",
            UpdatedAt => "updated_at",
        }
    }

    /// The display label (the export dialog's names where it has one).
    pub fn label(self) -> &'static str {
        use Column::*;
        match self {
            Id => "User ID",
            Username => "Username",
            Email => "Email Address",
            FirstName => "First Name",
            LastName => "Last Name",
            FullName => "Full Name",
            Initials => "Initials",
            Phone => "Phone Number",
            Timezone => "Timezone",
            Notify => "Notifications",
            Robot => "Robot User",
            Active => "Active",
            SsoDisabled => "Disable SSO",
            SmsAutoSend => "Send 2FA Codes via SMS",
            Require2fa => "Require 2FA",
            Status => "Status",
            TwoFactor => "2FA",
            Role => "RBAC Role",
            PrimaryGroup => "Primary Group",
            Organization => "Organization",
            Groups => "Additional Groups",
            CreatedAt => "Created",
            UpdatedAt => "Updated",
        }
    }

    /// Accepts `first_name`, `first-name` and `roles` for `role`.
    pub fn parse(s: &str) -> Option<Column> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        let s = match s.as_str() {
            "roles" => "role",
            "user_id" => "id",
            "2fa" => "two_factor",
            other => other,
        };
        Column::ALL.into_iter().find(|c| c.name() == s)
    }

    /// The cell text of a field (CSV, TSV): no allocation for text fields;
    /// an unset field is empty, lists join with `;`.
    pub fn text(self, u: &User) -> std::borrow::Cow<'_, str> {
        fn opt(o: &Option<String>) -> std::borrow::Cow<'_, str> {
            std::borrow::Cow::Borrowed(o.as_deref().unwrap_or(""))
        }
        use Column::*;
        use std::borrow::Cow::{Borrowed, Owned};
        let flag = |b: bool| Borrowed(if b { "true" } else { "false" });
        match self {
            Id => Owned(u.id.to_string()),
            Username => Borrowed(&u.username),
            Email => Borrowed(&u.email),
            FirstName => opt(&u.first_name),
            LastName => opt(&u.last_name),
            FullName => opt(&u.full_name),
            Initials => opt(&u.initials),
            Phone => opt(&u.phone),
            Timezone => opt(&u.timezone),
            Notify => flag(u.notify),
            Robot => flag(u.robot),
            Active => flag(u.active),
            SsoDisabled => flag(u.sso_disabled),
            SmsAutoSend => flag(u.sms_auto_send),
            Require2fa => flag(u.require_2fa),
            Status => Borrowed(&u.status),
            TwoFactor => Borrowed(&u.two_factor),
            Role => Owned(u.roles.join(";")),
            PrimaryGroup => opt(&u.primary_group),
            Organization => opt(&u.organization),
            Groups => Owned(u.groups.join(";")),
            CreatedAt => Borrowed(&u.created_at),
            UpdatedAt => Borrowed(&u.updated_at),
        }
    }

    pub fn value(self, u: &User) -> Value {
        use Column::*;
        let opt = |o: &Option<String>| o.as_ref().map_or(Value::Null, |s| Value::String(s.clone()));
        match self {
            Id => Value::from(u.id),
            Username => Value::from(u.username.clone()),
            Email => Value::from(u.email.clone()),
            FirstName => opt(&u.first_name),
            LastName => opt(&u.last_name),
            FullName => opt(&u.full_name),
            Initials => opt(&u.initials),
            Phone => opt(&u.phone),
            Timezone => opt(&u.timezone),
            Notify => Value::from(u.notify),
            Robot => Value::from(u.robot),
            Active => Value::from(u.active),
            SsoDisabled => Value::from(u.sso_disabled),
            SmsAutoSend => Value::from(u.sms_auto_send),
            Require2fa => Value::from(u.require_2fa),
            Status => Value::from(u.status.clone()),
            TwoFactor => Value::from(u.two_factor.clone()),
            Role => Value::from(u.roles.clone()),
            PrimaryGroup => opt(&u.primary_group),
            Organization => opt(&u.organization),
            Groups => Value::from(u.groups.clone()),
            CreatedAt => Value::from(u.created_at.clone()),
            UpdatedAt => Value::from(u.updated_at.clone()),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub email_key: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub initials: Option<String>,
    /// `Active` for the first administrator, `Invited` for everyone else.
    pub status: Option<Status>,
}

/// A change to a user: `None` leaves a field alone; `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChange {
    pub full_name: Option<Option<String>>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub initials: Option<Option<String>>,
    /// Record whether `full_name` / `initials` are now explicit values
    /// (`None` leaves the record as it is).
    pub full_name_set: Option<bool>,
    pub initials_set: Option<bool>,
    pub email: Option<(String, String)>,
    pub phone: Option<Option<String>>,
    pub timezone: Option<Option<String>>,
    pub notify: Option<bool>,
    pub robot: Option<bool>,
    pub active: Option<bool>,
    pub sso_disabled: Option<bool>,
    pub sms_auto_send: Option<bool>,
    pub require_2fa: Option<bool>,
    pub primary_group: Option<i64>,
    pub add_groups: Vec<i64>,
    pub remove_groups: Vec<i64>,
}

impl UserChange {
    /// The fields this change touches (those its permit must cover).
    pub fn fields(&self) -> Vec<Field> {
        let mut v = Vec::new();
        let mut add = |set: bool, f: Field| {
            if set {
                v.push(f)
            }
        };
        add(self.full_name.is_some(), Field::FullName);
        add(self.first_name.is_some(), Field::FirstName);
        add(self.last_name.is_some(), Field::LastName);
        add(self.initials.is_some(), Field::Initials);
        add(self.email.is_some(), Field::Email);
        add(self.phone.is_some(), Field::Phone);
        add(self.timezone.is_some(), Field::Timezone);
        add(self.notify.is_some(), Field::Notify);
        add(self.robot.is_some(), Field::Robot);
        add(self.active.is_some(), Field::Active);
        add(self.sso_disabled.is_some(), Field::SsoDisabled);
        add(self.sms_auto_send.is_some(), Field::SmsAutoSend);
        add(self.require_2fa.is_some(), Field::Require2fa);
        add(self.primary_group.is_some(), Field::PrimaryGroup);
        add(!self.add_groups.is_empty() || !self.remove_groups.is_empty(), Field::Groups);
        v
    }
}

#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    pub org: i64,
    /// Only these users (export of selected users).
    pub ids: Option<Vec<i64>>,
    pub status: Option<Status>,
    pub role: Option<i64>,
    pub group: Option<i64>,
    pub two_factor: Option<String>,
    /// Only users with `sms_auto_send` set so.
    pub sms_auto_send: Option<bool>,
    pub search: Option<String>,
    pub sort: Vec<(Column, bool)>,
    pub limit: Option<u64>,
    pub offset: u64,
    /// Leave out the roles (`User::roles` stays empty) when nobody reads them.
    pub without_roles: bool,
    /// Leave out the additional groups likewise.
    pub without_groups: bool,
    /// Read only these fields (the others stay empty); `None` reads all.
    pub columns: Option<Vec<Column>>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<i64>,
    pub target: Option<i64>,
    pub action: Option<String>,
    pub org: Option<String>,
    /// With `org`: also the entries that belong to no organization (global roles).
    pub include_global: bool,
    pub since: Option<String>,
    pub until: Option<String>,
    /// Only the entries of this change.
    pub change: Option<String>,
    /// Only this entry.
    pub id: Option<i64>,
    pub limit: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub org: Option<String>,
    pub action: String,
    pub target_id: Option<i64>,
    pub target: Option<String>,
    pub changes: Value,
    /// The change (command invocation) the entry belongs to.
    pub change: Option<String>,
    /// The entry this one reverses (`acct undo`).
    pub reverts: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRow {
    pub user_id: i64,
    pub email: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: i64,
    pub org: String,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub expires_at: Option<String>,
    /// `pending` (no token yet), `sending` (a token was issued and the
    /// attempt committed; its outcome is not recorded yet), `sent`, `failed`.
    pub delivery: String,
    pub delivery_error: Option<String>,
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrashInfo {
    pub trashed_at: String,
    pub org_id: i64,
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRow {
    pub user_id: i64,
    pub email: String,
    /// The status of the invited user (`invited`, `active`, `inactive`).
    pub user_status: String,
    pub invitation: Invitation,
}

/// Two-factor state of a user; the secret stays inside the service layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TotpState {
    pub method: String,
    pub secret: Option<String>,
    pub last_step: Option<i64>,
    pub enrolled_at: Option<String>,
    pub failures: i64,
    pub locked_until: Option<String>,
    pub recovery_left: i64,
}

/// The outcome of `2fa verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// A TOTP code of this step was accepted.
    Code { step: i64 },
    /// A recovery code (by hash) was used; false when it did not match.
    Recovery { hash: String },
    /// A wrong code; `lock_until` is set when this failure locks verification.
    Failed { lock_until: Option<String> },
}

/// One row of a bulk import, validated.
#[derive(Debug, Clone)]
pub struct ImportRow {
    /// A new identity, or
    pub new: Option<NewUser>,
    /// an existing one that joins the organization.
    pub existing: Option<i64>,
    pub roles: Vec<i64>,
    pub role_names: Vec<String>,
    pub group: Option<i64>,
}

/// What a shell completes: the engine's [`crate::authz::Candidates`].
pub use crate::authz::Candidates as Completion;
