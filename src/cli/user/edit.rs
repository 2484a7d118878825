//! `acct user edit`.

use super::*;
// The table's flag arguments name completers of this module by their path here.
use crate::cli::complete;
use crate::error;
use crate::service::record::Changes;
use crate::service::user_edit;

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
            /// Bind the account to this PostgreSQL login ('' unbinds; org or global admin)
            #[arg(long, value_name = "LOGIN")]
            db_login: Option<String>,
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

pub(super) fn edit(ctx: &Ctx, mut a: EditFlags) -> Result<()> {
    let user = a.user.clone();
    let login = a.db_login.take().map(|l| crate::service::login::login_name(&l)).transpose()?;
    let args = edit_args(a);
    let result = if let Some(login) = login {
        // The attributes and the binding in one transaction.
        let mut session = ctx.session()?;
        let mut t = session.start_transaction()?;
        let org = t.org()?;
        let edited = if args.is_empty() { None } else { Some(user_edit::edit(&mut *t.tx, &t.actor, &org, &user, &args)?) };
        let (label, before) = crate::service::login::bind(&mut *t.tx, &t.actor, &org, &user, login.as_deref())?;
        t.finish()?;
        let mut ch = edited.map(|(_, ch)| ch).unwrap_or_default();
        if let Some(before) = before {
            ch.push("db_login", before, login);
        }
        (!ch.0.is_empty()).then_some((label, ch))
    } else if args.is_empty() && ctx.interactive() {
        in_editor(ctx, &user)?
    } else {
        user_edit::require_change(&args)?;
        let mut session = ctx.session()?;
        let mut t = session.start_transaction()?;
        let org = t.org()?;
        let done = user_edit::edit(&mut *t.tx, &t.actor, &org, &user, &args)?;
        t.finish()?;
        Some(done)
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

/// `user edit USER` with no flags on a terminal: the record as TOML in
/// `$EDITOR`, with no transaction open while the editor runs; what was
/// changed is then applied as flags would be, on the record as it is now.
fn in_editor(ctx: &Ctx, who: &str) -> Result<Option<(String, Changes)>> {
    let mut session = ctx.session()?;
    let (user, org) = {
        let t = session.read()?;
        let org = t.org()?;
        (user_edit::editable(&*t.tx, &t.actor, &org, who)?, org)
    };
    let text = user_edit::to_toml(&user, &org.slug);
    let edited = run_editor(&text)?;
    let args = user_edit::diff_toml(&user, &org.slug, &edited)?;
    if args.is_empty() {
        return Ok(None);
    }
    let mut t = session.start_transaction()?;
    let org = t.org()?;
    let done = user_edit::edit(&mut *t.tx, &t.actor, &org, &user.id.to_string(), &args)?;
    t.finish()?;
    Ok(Some(done))
}

/// Write the text to a private temporary file, run `$VISUAL`/`$EDITOR` on it
/// (through the shell, so that `EDITOR="code --wait"` works), read it back.
fn run_editor(text: &str) -> Result<String> {
    use std::io::Write;
    // The editor is a command line for the shell: bytes that are not UTF-8
    // are passed on as they are (and shown escaped in errors).
    let editor =
        ["VISUAL", "EDITOR"].iter().find_map(|v| std::env::var_os(v).filter(|s| !s.is_empty())).unwrap_or_else(|| "vi".into());
    let shown = error::one_line_os(&editor);
    let mut script = editor;
    script.push(" \"$1\"");
    let mut file = tempfile::Builder::new().prefix("acct-edit-").suffix(".toml").tempfile()?;
    file.write_all(text.as_bytes())?;
    file.flush()?;
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("sh")
        .arg(file.path())
        .status()
        .map_err(|e| error::failure(format!("cannot run the editor '{shown}': {e}")))?;
    if !status.success() {
        return Err(error::failure(format!("the editor '{shown}' failed; nothing was changed")).into());
    }
    Ok(std::fs::read_to_string(file.path())?)
}
