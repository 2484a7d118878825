//! The fields of a user and who may change each (SPEC §3).

use super::{Refusal, Relations, conflict, deny};

/// The fields of a user (SPEC §1) that `user edit` and `can-i --field` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    FullName,
    FirstName,
    LastName,
    Initials,
    Username,
    Id,
    Organization,
    Email,
    Phone,
    Timezone,
    Notify,
    Robot,
    Active,
    SsoDisabled,
    SmsAutoSend,
    Require2fa,
    PrimaryGroup,
    Groups,
}

/// Who may change a field: (self, manager, org admin) — SPEC §3.
pub fn matrix(field: Field) -> (bool, bool, bool) {
    use Field::*;
    match field {
        FullName | FirstName | LastName | Initials | Timezone | SmsAutoSend => (true, true, true),
        Username | Id | Organization => (false, false, false),
        Email | Notify => (true, false, true),
        Phone => (true, false, false),
        Robot | Active | SsoDisabled | PrimaryGroup | Groups => (false, true, true),
        Require2fa => (false, false, true),
    }
}

impl Field {
    pub const ALL: [Field; 18] = [
        Field::FullName,
        Field::FirstName,
        Field::LastName,
        Field::Initials,
        Field::Username,
        Field::Id,
        Field::Organization,
        Field::Email,
        Field::Phone,
        Field::Timezone,
        Field::Notify,
        Field::Robot,
        Field::Active,
        Field::SsoDisabled,
        Field::SmsAutoSend,
        Field::Require2fa,
        Field::PrimaryGroup,
        Field::Groups,
    ];

    pub fn name(self) -> &'static str {
        use Field::*;
        match self {
            FullName => "full_name",
            FirstName => "first_name",
            LastName => "last_name",
            Initials => "initials",
            Username => "username",
            Id => "id",
            Organization => "organization",
            Email => "email",
            Phone => "phone",
            Timezone => "timezone",
            Notify => "notify",
            Robot => "robot",
            Active => "active",
            SsoDisabled => "sso_disabled",
            SmsAutoSend => "sms_auto_send",
            Require2fa => "require_2fa",
            PrimaryGroup => "primary_group",
            Groups => "groups",
        }
    }

    /// Accepts `full_name` and `full-name`.
    pub fn parse(s: &str) -> Option<Field> {
        let s = s.replace('-', "_");
        Field::ALL.into_iter().find(|f| f.name() == s)
    }
}

/// Who may change a field, in words.
fn who_may(field: Field) -> &'static str {
    match matrix(field) {
        (true, true, true) => "the user themself, a manager of their primary group or an org admin",
        (false, false, false) => "nobody",
        (true, false, true) => "the user themself or an org admin",
        (true, false, false) => "the user themself",
        (false, true, true) => "a manager of the user's primary group or an org admin",
        (false, false, true) => "an org admin",
        (true, true, false) => "the user themself or a manager",
        (false, true, false) => "a manager",
    }
}

/// Decide one field for `can-i --field` and for edits.
pub fn field_allowed(rel: &Relations, field: Field) -> Result<(), Refusal> {
    let (s, m, a) = matrix(field);
    if (s && rel.is_self) || (m && rel.manager) || (a && rel.org_admin) {
        return Ok(());
    }
    if !s && !m && !a {
        return Err(conflict(format!("'{}' cannot be changed", field.name())));
    }
    Err(deny(format!("'{}' can be changed only by {} ({})", field.name(), who_may(field), rel.describe())))
}
