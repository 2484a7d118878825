//! Accounts bound to database logins (SPEC §6): on PostgreSQL the server
//! authenticates the connection (password, certificate, Kerberos,
//! `pg_hba.conf`), and an account bound to a login acts only on a
//! connection of that login, so the server proves who acts. With
//! `require-login-binding on`, every actor needs a binding.

use super::{member, subject};
use crate::authz::{self, Request, Subject};
use crate::error::{self, AppError, Kind, Result, one_line};
use crate::service::record;
use crate::store::{Org, Tx};

/// The `acct_meta` key of `db set require-login-binding`.
pub const REQUIRE_KEY: &str = "require_login_binding";

/// Whether every actor needs a login binding.
pub fn required(tx: &dyn Tx) -> Result<bool> {
    Ok(tx.setting(REQUIRE_KEY)?.as_deref() == Some("on"))
}

/// The actor may act on this connection: a bound actor only on its own
/// login; an unbound one only while bindings are not required. A file
/// (SQLite) has no logins: nothing to check.
pub fn check(tx: &dyn Tx, actor: &Subject) -> Result<()> {
    let Some(session) = tx.session_login()? else { return Ok(()) };
    match tx.db_login(actor.id)? {
        Some(login) if login == session => Ok(()),
        Some(login) => Err(AppError::new(
            Kind::Denied,
            format!(
                "permission denied: {} acts only on the database login '{}'; this connection is the login '{}'",
                actor.label,
                one_line(&login),
                one_line(&session)
            ),
        )
        .with_hint(format!("connect as '{}' (the user in the database URL)", one_line(&login)))
        .into()),
        None if required(tx)? => Err(AppError::new(
            Kind::Denied,
            format!("permission denied: {} is bound to no database login, and this database requires one", actor.label),
        )
        .with_hint("an administrator binds it with 'acct user edit USER --db-login NAME'")
        .into()),
        None => Ok(()),
    }
}

/// A login name as PostgreSQL takes it: 1 to 63 bytes, no control
/// characters; `""` unbinds.
pub fn login_name(name: &str) -> Result<Option<String>, AppError> {
    if name.is_empty() {
        return Ok(None);
    }
    if name.len() > 63 || name.chars().any(char::is_control) || name.trim() != name {
        return Err(AppError::new(Kind::Invalid, format!("invalid database login '{}'", one_line(name)))
            .with_hint("a PostgreSQL login name: 1 to 63 bytes, no spaces around it, no control characters"));
    }
    Ok(Some(name.to_string()))
}

/// `user edit USER --db-login NAME`: bind the member to `login` (or unbind
/// with `None`); returns the member's label and the login before, or
/// `None` when nothing changed.
pub fn bind(
    tx: &mut dyn Tx,
    actor: &Subject,
    org: &Org,
    who: &str,
    login: Option<&str>,
) -> Result<(String, Option<Option<String>>)> {
    if tx.session_login()?.is_none() {
        return Err(AppError::new(Kind::Usage, "database logins exist only on PostgreSQL; this database is a file")
            .with_hint("a file's actor is whoever can open the file: protect it with its mode (0600)")
            .into());
    }
    let target = member(&*tx, org, who)?;
    let permit = authz::decide(actor, &Request::UserBindLogin { target: &target })?;
    let before = tx.db_login(target.id)?;
    if before.as_deref() == login {
        return Ok((target.label, None));
    }
    if login.is_none() && target.id == actor.id && required(&*tx)? {
        return Err(error::conflict(format!(
            "{} cannot unbind their own login while this database requires one: it would lock them out",
            target.label
        ))
        .with_hint("turn the requirement off first ('acct db set require-login-binding off'), or bind another login")
        .into());
    }
    if let Some(l) = login
        && let Some(other) = tx.user_of_login(l)?
    {
        let holder = subject(&*tx, other)?;
        return Err(error::conflict(format!("the database login '{}' is bound to {} already", one_line(l), holder.label))
            .with_hint("one login proves one account: unbind it there first with --db-login ''")
            .into());
    }
    record::users::bind_login(tx, &permit, target.id, &target.label, before.as_deref(), login)?;
    Ok((target.label, Some(before)))
}

/// `db set require-login-binding on|off`; `false` when it was so already.
/// Turning it on needs the acting global admin to be bound already, or
/// nobody could turn it off again.
pub fn set_required(tx: &mut dyn Tx, actor: &Subject, on: bool) -> Result<bool> {
    let permit = authz::decide(actor, &Request::DbSet)?;
    if tx.session_login()?.is_none() {
        return Err(AppError::new(Kind::Usage, "database logins exist only on PostgreSQL; this database is a file").into());
    }
    if required(tx)? == on {
        return Ok(false);
    }
    if on && tx.db_login(actor.id)?.is_none() {
        return Err(error::conflict(format!(
            "{} is bound to no database login: requiring bindings now would lock you out",
            actor.label
        ))
        .with_hint("bind your own account first: acct user edit YOU --db-login YOUR_LOGIN")
        .into());
    }
    record::users::set_setting(tx, &permit, REQUIRE_KEY, if on { "on" } else { "off" }, if on { "off" } else { "on" })?;
    Ok(true)
}
