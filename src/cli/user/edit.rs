//! `acct user edit`.

use super::*;
// The table's flag arguments name completers of this module by their path here.
use crate::cli::complete;

/// The flags of `user edit`, in the order of SPEC §3: each plain attribute
/// of the table as its row says, the others as written here.
macro_rules! edit_flags {
    ([] $($rows:tt)*) => { edit_flags! { @emit [] $($rows)* } };
    (@emit [$($f:tt)*]) => {
        #[derive(Debug, Args)]
        pub struct EditFlags {
            #[arg(add = crate::cli::complete::users())]
            user: String,
            $($f)*
        }
    };
    (@emit [$($f:tt)*] (text, $name:ident, $v:ident, $l:literal, $p:tt, $c:tt, $w:tt, $s:ident, $k:tt, [$($arg:tt)*]), $($rest:tt)*) => {
        edit_flags! { @emit [$($f)* #[arg(long, $($arg)*)] $name: Option<String>,] $($rest)* }
    };
    (@emit [$($f:tt)*] (flag, $name:ident, $v:ident, $l:literal, $p:tt, $c:tt, $w:tt, $s:ident, $k:tt, [$($arg:tt)*]), $($rest:tt)*) => {
        edit_flags! { @emit [$($f)* #[arg(long, value_name = "BOOL", value_parser = parse_bool, $($arg)*)] $name: Option<bool>,] $($rest)* }
    };
    (@emit [$($f:tt)*] (special, email, $($r:tt)*), $($rest:tt)*) => {
        edit_flags! { @emit [$($f)*
            /// New e-mail address (self or org admin)
            #[arg(long, value_name = "EMAIL")]
            email: Option<String>,
        ] $($rest)* }
    };
    (@emit [$($f:tt)*] (special, active, $($r:tt)*), $($rest:tt)*) => {
        edit_flags! { @emit [$($f)*
            /// false deactivates the account
            #[arg(long, value_name = "BOOL", value_parser = parse_bool)]
            active: Option<bool>,
        ] $($rest)* }
    };
    (@emit [$($f:tt)*] (special, primary_group, $($r:tt)*), $($rest:tt)*) => {
        edit_flags! { @emit [$($f)*
            /// A group of the current organization, or ORG/GROUP
            #[arg(long, value_name = "G", add = crate::cli::complete::groups())]
            primary_group: Option<String>,
        ] $($rest)* }
    };
    (@emit [$($f:tt)*] (special, groups, $($r:tt)*), $($rest:tt)*) => {
        edit_flags! { @emit [$($f)*
            /// Add an additional (sharing) group
            #[arg(long = "add-group", value_name = "G", add = crate::cli::complete::groups())]
            add_groups: Vec<String>,
            /// Remove an additional group
            #[arg(long = "remove-group", value_name = "G", add = crate::cli::complete::groups())]
            remove_groups: Vec<String>,
        ] $($rest)* }
    };
    // Read-only fields (username, id, organization) have no flag.
    (@emit [$($f:tt)*] ($kind:ident, $name:ident, $($r:tt)*), $($rest:tt)*) => {
        edit_flags! { @emit [$($f)*] $($rest)* }
    };
}

/// The service's edit arguments from the flags.
macro_rules! copy_flags {
    ([] $(($kind:ident, $name:ident, $($rest:tt)*),)*) => {
        fn edit_args(a: EditFlags) -> EditArgs {
            EditArgs {
                $($name: a.$name,)*
                email: a.email,
                active: a.active,
                primary_group: a.primary_group,
                add_groups: a.add_groups,
                remove_groups: a.remove_groups,
            }
        }
    };
}

crate::attributes::field_attributes! { edit_flags }
crate::attributes::plain_attributes! { copy_flags }

pub(super) fn parse_bool(s: &str) -> Result<bool, String> {
    crate::validate::boolean("the flag", s).map_err(|_| format!("'{s}' is not a boolean: use true or false"))
}

pub(super) fn edit(ctx: &Ctx, a: EditFlags) -> Result<()> {
    let user = a.user.clone();
    let args = edit_args(a);
    let result = if args.is_empty() && ctx.interactive() {
        service::user_edit::edit_in_editor(ctx, &user)?
    } else {
        Some(service::user_edit::edit(ctx, &user, &args)?)
    };
    match result {
        None => {
            ctx.note("nothing changed");
            crate::cli::print_change_rows(ctx, &Default::default())
        }
        Some((label, ch)) => {
            crate::cli::print_changes(ctx, &label, &ch);
            crate::cli::print_change_rows(ctx, &ch)
        }
    }
}
