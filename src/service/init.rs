//! `acct init` and `acct whoami`.

use crate::authz;
use crate::error::{self, Result};
use crate::service::record;
use crate::service::session::Ctx;
use crate::store::{self, NewOrg, NewUser};
use crate::validate;
use std::path::PathBuf;

pub struct Initialized {
    pub db: PathBuf,
    pub org: String,
    pub admin: String,
    pub config_keys: Vec<&'static str>,
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

pub fn init(ctx: &mut Ctx, org: &str, admin: &str, display: Option<&str>) -> Result<Initialized> {
    let slug = validate::slug("organization", org)?;
    let email = validate::email(admin)?;
    let display = validate::display_name(display, &slug)?;
    let mut db = ctx.db_path()?;
    if db.is_relative() {
        db = std::env::current_dir()?.join(db);
    }
    if db.exists() {
        return Err(error::conflict(format!("a database already exists at {}", db.display()))
            .with_hint("acct init runs once; use --db to create another database")
            .into());
    }
    let username = validate::username_base(&email.display);
    let user = new_user(&email, None, None, username);
    if ctx.dry_run {
        ctx.note(format!("would create {} with organization {slug} and administrator {}", db.display(), email.display));
        ctx.note("dry run: nothing was changed");
        return Ok(Initialized { db, org: slug, admin: email.display, config_keys: vec![] });
    }
    let mut store = store::create(&db)?;
    let result = (|| -> Result<()> {
        store.set_change_id(ctx.change_id());
        let mut tx = store.write()?;
        let permit = authz::decide_init(!tx.is_initialized()?)?;
        record::orgs::init(&mut *tx, &permit, &NewOrg { slug: slug.clone(), display_name: display }, &user)?;
        tx.commit()
    })();
    if let Err(e) = result {
        drop(store);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        return Err(e);
    }
    let mut written = Vec::new();
    for (key, value) in [("actor", email.display.clone()), ("org", slug.clone()), ("database", db.display().to_string())] {
        if ctx.config.get(key).is_none() {
            ctx.config.set(key, &value)?;
            written.push(key);
        }
    }
    Ok(Initialized { db, org: slug, admin: email.display, config_keys: written })
}

pub struct WhoAmI {
    pub id: i64,
    pub email: String,
    pub username: String,
    pub org: Option<String>,
    pub roles: Vec<String>,
    pub global_roles: Vec<String>,
    pub organizations: Vec<String>,
}

pub fn whoami(ctx: &Ctx) -> Result<WhoAmI> {
    let mut store = ctx.open_store()?;
    let tx = store.read()?;
    let actor = ctx.actor(&*tx)?;
    let user = tx.user(actor.id, None)?.ok_or_else(|| error::not_found("the actor vanished"))?;
    let org = match ctx.org_slug() {
        Ok(_) => Some(ctx.org(&*tx)?),
        Err(_) => None,
    };
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
    })
}
