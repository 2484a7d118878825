//! The fields of a user and who may change each (SPEC §3).

use super::{Refusal, Relations, conflict, deny};

/// The engine's fields, from the attribute table.
macro_rules! define_fields {
    ([] $(($kind:ident, $name:ident, $var:ident, $label:literal, $cpos:literal, $chg:literal, $who:expr, $($rest:tt)*),)*) => {
        /// The fields of a user (SPEC §1) that `user edit` and `can-i --field` name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Field {
            $($var,)*
        }

        /// Who may change a field: (self, manager, org admin) — SPEC §3.
        pub fn matrix(field: Field) -> (bool, bool, bool) {
            match field {
                $(Field::$var => $who,)*
            }
        }

        impl Field {
            /// In the order of SPEC §3.
            pub const ALL: [Field; [$(Field::$var),*].len()] = [$(Field::$var),*];

            pub fn name(self) -> &'static str {
                match self {
                    $(Field::$var => stringify!($name),)*
                }
            }
        }
    };
}
crate::attributes::field_attributes! { define_fields }

impl Field {
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
