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

/// The list/export columns, from the attribute table.
macro_rules! define_columns {
    ([] $(($kind:ident, $name:ident, $var:ident, $label:literal, $cpos:literal, $chg:literal, $($rest:tt)*),)*) => {
        /// A column of `user list` and a field of `user export`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Column {
            $($var,)*
        }

        impl Column {
            /// In the order of SPEC §1.
            pub const ALL: [Column; [$(Column::$var),*].len()] = crate::attributes::sorted([$(($cpos, Column::$var)),*]);

            pub fn name(self) -> &'static str {
                match self {
                    $(Column::$var => stringify!($name),)*
                }
            }

            /// The display label (the export dialog's names where it has one).
            pub fn label(self) -> &'static str {
                match self {
                    $(Column::$var => $label,)*
                }
            }

            /// The cell text of a field (CSV, TSV): no allocation for text fields;
            /// an unset field is empty, lists join with `;`.
            pub fn text(self, u: &User) -> std::borrow::Cow<'_, str> {
                use std::borrow::Cow::Borrowed;
                match self {
                    $(Column::$var => crate::store::model::cell_text!($kind, $name, u, self),)*
                }
            }

            pub fn value(self, u: &User) -> Value {
                match self {
                    $(Column::$var => crate::store::model::cell_value!($kind, $name, u, self),)*
                }
            }
        }
    };
}

/// A plain attribute's cell; the others are [`Column::special_text`]'s.
macro_rules! cell_text {
    (text, $name:ident, $u:ident, $c:ident) => {
        Borrowed($u.$name.as_deref().unwrap_or(""))
    };
    (flag, $name:ident, $u:ident, $c:ident) => {
        Borrowed(if $u.$name { "true" } else { "false" })
    };
    ($kind:ident, $name:ident, $u:ident, $c:ident) => {
        $c.special_text($u)
    };
}
pub(crate) use cell_text;

/// A plain attribute's JSON value; the others are [`Column::special_value`]'s.
macro_rules! cell_value {
    (text, $name:ident, $u:ident, $c:ident) => {
        $u.$name.as_ref().map_or(Value::Null, |s| Value::String(s.clone()))
    };
    (flag, $name:ident, $u:ident, $c:ident) => {
        Value::from($u.$name)
    };
    ($kind:ident, $name:ident, $u:ident, $c:ident) => {
        $c.special_value($u)
    };
}
pub(crate) use cell_value;

crate::attributes::user_attributes! { define_columns }

impl Column {
    pub const LIST_DEFAULT: [Column; 6] =
        [Column::Email, Column::FirstName, Column::LastName, Column::Role, Column::TwoFactor, Column::Status];
    pub const EXPORT_DEFAULT: [Column; 6] =
        [Column::Id, Column::Email, Column::FirstName, Column::LastName, Column::Role, Column::TwoFactor];

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

    /// The cell text of a column that is not a plain attribute.
    fn special_text(self, u: &User) -> std::borrow::Cow<'_, str> {
        use Column::*;
        use std::borrow::Cow::{Borrowed, Owned};
        match self {
            Id => Owned(u.id.to_string()),
            Username => Borrowed(&u.username),
            Email => Borrowed(&u.email),
            Active => Borrowed(if u.active { "true" } else { "false" }),
            Status => Borrowed(&u.status),
            TwoFactor => Borrowed(&u.two_factor),
            Role => Owned(u.roles.join(";")),
            PrimaryGroup => Borrowed(u.primary_group.as_deref().unwrap_or("")),
            Organization => Borrowed(u.organization.as_deref().unwrap_or("")),
            Groups => Owned(u.groups.join(";")),
            CreatedAt => Borrowed(&u.created_at),
            UpdatedAt => Borrowed(&u.updated_at),
            // The plain attributes' cells come from the table (`cell_text!`).
            _ => Borrowed(""),
        }
    }

    /// The JSON value of a column that is not a plain attribute.
    fn special_value(self, u: &User) -> Value {
        use Column::*;
        let opt = |o: &Option<String>| o.as_ref().map_or(Value::Null, |s| Value::String(s.clone()));
        match self {
            Id => Value::from(u.id),
            Username => Value::from(u.username.clone()),
            Email => Value::from(u.email.clone()),
            Active => Value::from(u.active),
            Status => Value::from(u.status.clone()),
            TwoFactor => Value::from(u.two_factor.clone()),
            Role => Value::from(u.roles.clone()),
            PrimaryGroup => opt(&u.primary_group),
            Organization => opt(&u.organization),
            Groups => Value::from(u.groups.clone()),
            CreatedAt => Value::from(u.created_at.clone()),
            UpdatedAt => Value::from(u.updated_at.clone()),
            // The plain attributes' values come from the table (`cell_value!`).
            _ => Value::Null,
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

/// The user and change structs, with a field per plain attribute of the table.
macro_rules! define_user {
    ([] $(($kind:ident, $name:ident, $var:ident, $($rest:tt)*),)*) => {
        /// A user as shown and exported: every field of SPEC §1.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct User {
            pub id: i64,
            pub username: String,
            pub email: String,
            $(pub $name: crate::attributes::attr_type!(row, $kind),)*
            pub active: bool,
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

        /// A change to a user: `None` leaves a field alone; `Some(None)` clears it.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct UserChange {
            $(pub $name: crate::attributes::attr_type!(change, $kind),)*
            /// Record whether `full_name` / `initials` are now explicit values
            /// (`None` leaves the record as it is).
            pub full_name_set: Option<bool>,
            pub initials_set: Option<bool>,
            pub email: Option<(String, String)>,
            pub active: Option<bool>,
            pub primary_group: Option<i64>,
            pub add_groups: Vec<i64>,
            pub remove_groups: Vec<i64>,
        }

        impl UserChange {
            /// The fields this change touches (those its permit must cover), in
            /// the order of [`Field::ALL`].
            pub fn fields(&self) -> Vec<Field> {
                let mut v = Vec::new();
                $(if self.$name.is_some() {
                    v.push(Field::$var);
                })*
                for (set, f) in [
                    (self.email.is_some(), Field::Email),
                    (self.active.is_some(), Field::Active),
                    (self.primary_group.is_some(), Field::PrimaryGroup),
                    (!self.add_groups.is_empty() || !self.remove_groups.is_empty(), Field::Groups),
                ] {
                    if set {
                        v.push(f);
                    }
                }
                v.sort_by_key(|f| Field::ALL.iter().position(|x| x == f));
                v
            }
        }
    };
}
crate::attributes::plain_attributes! { define_user }

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
    /// The finished audit change of the row (`service::record::users::joined`).
    pub changes: String,
}

/// What a shell completes: the engine's [`crate::authz::Candidates`].
pub use crate::authz::Candidates as Completion;
