//! What the services hand the store's writes, and what those writes hand
//! back: plain rows, no rule.

use crate::authz::{PermSet, Scope};

/// A finished audit record, as the service shaped it. The store adds the
/// time, the actor and the action (the permit's), the change id, what it
/// reverts, the audience and the chain hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// The organization the entry belongs to (`None`: global).
    pub org: Option<String>,
    pub target_id: Option<i64>,
    pub target: Option<String>,
    /// The JSON text of the changes.
    pub changes: String,
}

/// The settings of an organization, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgSettings {
    pub display_name: String,
    pub sso: bool,
    pub sms_2fa: bool,
}

/// A role to store: built-in ones at initialization, custom ones later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRow {
    pub name: String,
    pub display_name: String,
    pub scope: Scope,
    pub builtin: bool,
    pub perms: PermSet,
}

/// The account state of an identity that no listing shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Whether an invitation was ever accepted.
    pub accepted: bool,
    pub primary_group: Option<i64>,
    pub trashed: bool,
}

/// What leaving an organization took away.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Left {
    /// The roles held in the organization.
    pub roles: Vec<String>,
    /// `org/slug` of the additional groups and managed groups left.
    pub groups: Vec<String>,
    pub managed_groups: Vec<String>,
    /// No membership is left: the identity went to the trash.
    pub trashed: bool,
    /// The primary group moved to the next organization's `everyone`: old and new label.
    pub primary_group: Option<(Option<String>, String)>,
    /// The open invitation moved to the next organization: old and new slug.
    pub invitation: Option<(String, String)>,
}

/// What a purge deleted (which kinds existed, no secret).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purged {
    pub global_roles: Vec<String>,
    /// `org:role`.
    pub roles: Vec<String>,
    pub trash_roles: Vec<String>,
    pub groups: Vec<String>,
    pub managed_groups: Vec<String>,
    /// `password`, `totp`, `recovery_codes`: those that existed.
    pub credentials: Vec<&'static str>,
    pub invitations: i64,
}

/// A token stored for an open invitation, and what it replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub invitation: i64,
    pub old_expiry: Option<String>,
    pub had_token: bool,
}

/// The stored row of a user edit, with a column per plain attribute.
macro_rules! define_user_row {
    ([] $(($kind:ident, $name:ident, $($rest:tt)*),)*) => {
        /// The editable columns of a user row, as they are to be stored.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct UserRow {
            $(pub $name: crate::attributes::attr_type!(row, $kind),)*
            /// A new e-mail and its key; `None` keeps them.
            pub email: Option<(String, String)>,
            pub status: String,
            pub primary_group: Option<i64>,
        }
    };
}
crate::attributes::plain_attributes! { define_user_row }
