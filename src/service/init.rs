//! `acct init` and `acct whoami`.

use crate::authz::{self, Subject};
use crate::error::{self, Result};
use crate::service::record;
use crate::store::{self, NewOrg, NewUser, Org, Tx};
use crate::validate;
use std::path::{Path, PathBuf};

/// The first organization and its administrator, checked.
pub struct Founding {
    pub org: NewOrg,
    pub admin: NewUser,
}

impl Founding {
    pub fn new(org: &str, admin: &str, display: Option<&str>) -> Result<Founding> {
        let slug = validate::slug("organization", org)?;
        let email = validate::email(admin)?;
        let display = validate::display_name(display, &slug)?;
        let username = validate::username_base(&email.display);
        Ok(Founding { org: NewOrg { slug, display_name: display }, admin: new_user(&email, None, None, username) })
    }
}

/// Where `acct init` creates the database: `db` made absolute; refused when
/// something is there already.
pub fn new_database(mut db: PathBuf) -> Result<PathBuf> {
    if store::postgres_url(&db).is_some() {
        // A server's database: `init` finds out whether it is empty.
        return Ok(db);
    }
    if db.is_relative() {
        db = std::env::current_dir()?.join(db);
    }
    if db.exists() {
        return Err(error::conflict(format!("a database already exists at {}", db.display()))
            .with_hint("acct init runs once; use --db to create another database")
            .into());
    }
    Ok(db)
}

/// A new user record with derived username, full name and initials.
pub fn new_user(email: &validate::Email, first: Option<String>, last: Option<String>, username: String) -> NewUser {
    let full = validate::default_full_name(first.as_deref(), last.as_deref());
    let initials = validate::default_initials(full.as_deref());
    NewUser {
        username,
        email: email.display.clone(),
        email_key: email.key.clone(),
        first_name: first,
        last_name: last,
        full_name: full,
        initials,
        status: None,
    }
}

/// Create the database at `db` with the first organization and its
/// administrator; nothing is left behind when that fails.
pub fn init(db: &Path, f: &Founding, change_id: &str) -> Result<()> {
    let mut store = store::create(db)?;
    let result = (|| -> Result<()> {
        store.set_change_id(change_id);
        let mut tx = store.write()?;
        let permit = authz::decide_init(!tx.is_initialized()?)?;
        record::orgs::init(&mut *tx, &permit, &f.org, &f.admin)?;
        tx.commit()
    })();
    if let Err(e) = result {
        drop(store);
        if store::postgres_url(db).is_some() {
            // Nothing was committed; the schema stays, ready for another init.
            return Err(e);
        }
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        return Err(e);
    }
    Ok(())
}

pub struct WhoAmI {
    pub id: i64,
    pub email: String,
    pub username: String,
    pub org: Option<String>,
    pub roles: Vec<String>,
    pub global_roles: Vec<String>,
    pub organizations: Vec<String>,
    /// The database login the account is bound to (PostgreSQL).
    pub db_login: Option<String>,
}

/// The acting user, with their roles in `org` (the current organization,
/// when there is one).
pub fn whoami(tx: &dyn Tx, actor: &Subject, org: Option<Org>) -> Result<WhoAmI> {
    let user = tx.user(actor.id, None)?.ok_or_else(|| error::not_found("the actor vanished"))?;
    let roles = match &org {
        Some(o) => tx.user_roles(o.id, actor.id)?,
        None => vec![],
    };
    Ok(WhoAmI {
        id: actor.id,
        email: user.email,
        username: user.username,
        org: org.map(|o| o.slug),
        roles,
        global_roles: tx.global_roles_of(actor.id)?,
        organizations: tx.memberships_of(actor.id)?,
        db_login: tx.db_login(actor.id)?,
    })
}
