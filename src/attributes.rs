//! The one table of a user's attributes (SPEC §1).
//!
//! Every row describes one attribute: its kind, its name (the column,
//! field, flag, TOML key and audit key), its `Column` and `Field` variant,
//! its display label, its place among the list/export columns and among
//! the changes an edit records, who may change it (self, manager, org
//! admin — SPEC §3), how it sorts, how its value is checked, and its
//! `user edit` flag. The rows are in the order of SPEC §3: the engine's
//! fields, the flags of `user edit` and the keys of its `$EDITOR` document.
//!
//! The kinds:
//! - `text`: an optional text (`Option<String>`), stored in a column of the
//!   same name; an empty value clears it. Everything about it is derived
//!   from its row: the struct fields, the flag, the `$EDITOR` key, the SQL
//!   column lists, the audit change, the list/export cell, `apply`.
//! - `flag`: a boolean (`bool`), the same way.
//! - `special`: an edit field with rules of its own (e-mail, status,
//!   groups, read-only identifiers); each place that handles it says how.
//! - `column`: shown and exported, never edited.
//!
//! The places that read the table invoke [`user_attributes!`] with a
//! macro of their own; [`plain_attributes!`] hands over the `text` and
//! `flag` rows only. The positions are sort keys (gaps are fine): a new
//! attribute takes a free number where it should appear.

/// Calls `$then! { [$($extra)*] rows }`, each row
/// `(kind, name, Variant, "Label", column position, change position,
/// (self, manager, admin), sort, (check), [flag arguments]),`;
/// sort is how the repository orders by it: `caseless` (the column of the
/// same name, ignoring case), `exact` (that column as stored) or `joined`
/// (an expression of the repository's own, named after the attribute);
/// a flag's `(check)` is its default, what an empty `apply` cell sets.
/// A `column` row has `_` for its matrix; the change position of an
/// attribute an edit never changes is 0 (`organization` is not edited, but
/// changes with the primary group, after which an edit records it).
macro_rules! user_attributes {
    ($then:path $(, $($extra:tt)*)?) => {
        $then! { [$($($extra)*)?]
            (text, full_name, FullName, "Full Name", 50, 30, (true, true, true), caseless,
                (|s: &str| $crate::validate::name("full name", s)), [value_name = "NAME", help = "Display name"]),
            (text, first_name, FirstName, "First Name", 30, 10, (true, true, true), caseless,
                (|s: &str| $crate::validate::name("first name", s)), [value_name = "NAME"]),
            (text, last_name, LastName, "Last Name", 40, 20, (true, true, true), caseless,
                (|s: &str| $crate::validate::name("last name", s)), [value_name = "NAME"]),
            (text, initials, Initials, "Initials", 60, 40, (true, true, true), caseless,
                ($crate::validate::initials), [value_name = "TEXT", help = "Display initials (at most 8 characters)"]),
            (special, username, Username, "Username", 20, 0, (false, false, false), exact, (), []),
            (special, id, Id, "User ID", 0, 0, (false, false, false), exact, (), []),
            (special, organization, Organization, "Organization", 180, 155, (false, false, false), joined, (), []),
            (special, email, Email, "Email Address", 10, 50, (true, false, true), caseless, (), []),
            (text, phone, Phone, "Phone Number", 100, 60, (true, false, false), exact,
                ($crate::validate::phone), [value_name = "PHONE", help = "E.164, e.g. +4915112345678"]),
            (text, timezone, Timezone, "Timezone", 110, 70, (true, true, true), exact,
                ($crate::validate::timezone),
                [value_name = "TZ", add = complete::timezones(), help = "IANA name, e.g. Europe/Berlin"]),
            (flag, notify, Notify, "Notifications", 120, 80, (true, false, true), exact, (true),
                [help = "Receive notification e-mails"]),
            (flag, robot, Robot, "Robot User", 130, 90, (false, true, true), exact, (false),
                [help = "A robot account for automation"]),
            (special, active, Active, "Active", 140, 130, (false, true, true), joined, (), []),
            (flag, sso_disabled, SsoDisabled, "Disable SSO", 150, 100, (false, true, true), exact, (false),
                [help = "Log in with password and 2FA instead of SSO (only when the org has sso on)"]),
            (flag, sms_auto_send, SmsAutoSend, "Send 2FA Codes via SMS", 160, 110, (true, true, true), exact, (false),
                [help = "Send 2FA codes by SMS automatically (needs a phone and an org that allows SMS)"]),
            (flag, require_2fa, Require2fa, "Require 2FA", 170, 120, (false, false, true), exact, (false),
                [help = "Require two-factor authentication at login (org admin only)"]),
            (special, primary_group, PrimaryGroup, "Primary Group", 190, 150, (false, true, true), joined, (), []),
            (special, groups, Groups, "Additional Groups", 200, 160, (false, true, true), joined, (), []),
            (column, status, Status, "Status", 90, 140, _, exact, (), []),
            (column, role, Role, "RBAC Role", 70, 0, _, joined, (), []),
            (column, two_factor, TwoFactor, "2FA", 80, 0, _, exact, (), []),
            (column, created_at, CreatedAt, "Created", 210, 0, _, exact, (), []),
            (column, updated_at, UpdatedAt, "Updated", 220, 0, _, exact, (), []),
        }
    };
}
pub(crate) use user_attributes;

/// [`user_attributes!`] with the `text` and `flag` rows only:
/// `plain_attributes!(then, extra…)` calls `then! { [extra…] rows }`.
macro_rules! plain_attributes {
    ($then:path $(, $($extra:tt)*)?) => {
        $crate::attributes::user_attributes! { $crate::attributes::keep_plain, [$then] [$($($extra)*)?] [] }
    };
}
pub(crate) use plain_attributes;

/// [`user_attributes!`] without the `column` rows: the engine's fields.
macro_rules! field_attributes {
    ($then:path $(, $($extra:tt)*)?) => {
        $crate::attributes::user_attributes! { $crate::attributes::keep_fields, [$then] [$($($extra)*)?] [] }
    };
}
pub(crate) use field_attributes;

/// The rows of the kinds `text` and `flag`, handed to the macro named first.
macro_rules! keep_plain {
    ([[$then:path] [$($x:tt)*] [$($acc:tt)*]]) => { $then! { [$($x)*] $($acc)* } };
    ([[$then:path] [$($x:tt)*] [$($acc:tt)*]] (text, $($r:tt)*), $($rest:tt)*) => {
        $crate::attributes::keep_plain! { [[$then] [$($x)*] [$($acc)* (text, $($r)*),]] $($rest)* }
    };
    ([[$then:path] [$($x:tt)*] [$($acc:tt)*]] (flag, $($r:tt)*), $($rest:tt)*) => {
        $crate::attributes::keep_plain! { [[$then] [$($x)*] [$($acc)* (flag, $($r)*),]] $($rest)* }
    };
    ([[$then:path] [$($x:tt)*] [$($acc:tt)*]] ($k:ident, $($r:tt)*), $($rest:tt)*) => {
        $crate::attributes::keep_plain! { [[$then] [$($x)*] [$($acc)*]] $($rest)* }
    };
}
pub(crate) use keep_plain;

/// The rows that are fields of an edit (every kind but `column`).
macro_rules! keep_fields {
    ([[$then:path] [$($x:tt)*] [$($acc:tt)*]]) => { $then! { [$($x)*] $($acc)* } };
    ([[$then:path] [$($x:tt)*] [$($acc:tt)*]] (column, $($r:tt)*), $($rest:tt)*) => {
        $crate::attributes::keep_fields! { [[$then] [$($x)*] [$($acc)*]] $($rest)* }
    };
    ([[$then:path] [$($x:tt)*] [$($acc:tt)*]] ($k:ident, $($r:tt)*), $($rest:tt)*) => {
        $crate::attributes::keep_fields! { [[$then] [$($x)*] [$($acc)* ($k, $($r)*),]] $($rest)* }
    };
}
pub(crate) use keep_fields;

/// The type of a plain attribute in a user row (`text`: `Option<String>`,
/// `flag`: `bool`), or in a change (`Option` of that).
macro_rules! attr_type {
    (row, text) => { Option<String> };
    (row, flag) => { bool };
    (change, text) => { Option<Option<String>> };
    (change, flag) => { Option<bool> };
    (given, text) => { Option<String> };
    (given, flag) => { Option<bool> };
}
pub(crate) use attr_type;

/// `values` in the order of `key` (a const sort: the tables are small).
pub(crate) const fn sorted<T: Copy, const N: usize>(mut values: [(u32, T); N]) -> [T; N] {
    let mut i = 1;
    while i < N {
        let mut j = i;
        while j > 0 && values[j - 1].0 > values[j].0 {
            let t = values[j - 1];
            values[j - 1] = values[j];
            values[j] = t;
            j -= 1;
        }
        i += 1;
    }
    let mut out = [values[0].1; N];
    let mut k = 0;
    while k < N {
        out[k] = values[k].1;
        k += 1;
    }
    out
}
