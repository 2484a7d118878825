//! Unit tests of the services: the decisions and rules they apply, run
//! against a real (in-memory) SQLite database through the repository
//! traits, with permits from the engine as in production.

mod changes;
mod listing;
mod lookups;
mod members;
mod parsing;
mod roles_groups;
mod transactions;

use crate::authz::{self, PermSet, Request, Status, Subject};
use crate::error::{self, Kind};
use crate::service::record;
use crate::store::sqlite::SqliteStore;
use crate::store::{GroupRole, NewOrg, NewUser, Org, Store, Tx};

/// `acct init --org acme --admin root@example.com`, then whoever a test adds.
pub(super) struct World {
    pub store: SqliteStore,
    pub org: Org,
    pub root: i64,
}

impl World {
    pub fn new() -> World {
        let mut store = SqliteStore::memory().expect("an in-memory database");
        let (org, root) = {
            let mut tx = store.write().unwrap();
            let permit = authz::decide_init(!tx.is_initialized().unwrap()).unwrap();
            let admin = active("root@example.com");
            let ids = record::orgs::init(&mut *tx, &permit, &NewOrg { slug: "acme".into(), display_name: "Acme".into() }, &admin)
                .unwrap();
            tx.commit().unwrap();
            ids
        };
        let org = store.read().unwrap().org_by_id(org).unwrap().expect("the organization");
        World { store, org, root }
    }

    /// A second organization, created by root.
    pub fn other_org(&mut self, slug: &str) -> Org {
        let mut tx = self.store.write().unwrap();
        let root = tx.subject(self.root).unwrap().unwrap();
        let p = authz::decide(&root, &Request::OrgCreate).unwrap();
        record::orgs::create_org(&mut *tx, &p, &NewOrg { slug: slug.into(), display_name: slug.into() }).unwrap();
        let org = tx.org(slug).unwrap().unwrap();
        tx.commit().unwrap();
        org
    }

    /// An active member of `org` with these roles, added by root.
    pub fn member_of(&mut self, org: &Org, email: &str, roles: &[&str]) -> i64 {
        self.join(org, active(email), roles)
    }

    /// An active member of acme with these roles.
    pub fn member(&mut self, email: &str, roles: &[&str]) -> i64 {
        let org = self.org.clone();
        self.member_of(&org, email, roles)
    }

    /// A member of acme who has not accepted their invitation yet.
    pub fn invited(&mut self, email: &str, roles: &[&str]) -> i64 {
        let org = self.org.clone();
        self.join(&org, person(email), roles)
    }

    fn join(&mut self, org: &Org, user: NewUser, roles: &[&str]) -> i64 {
        let mut tx = self.store.write().unwrap();
        let root = tx.subject(self.root).unwrap().unwrap();
        let roles: Vec<crate::store::Role> =
            roles.iter().map(|r| tx.role(Some(org.id), r).unwrap().unwrap_or_else(|| panic!("no role {r}"))).collect();
        let perms = roles.iter().fold(PermSet::EMPTY, |s, r| s.union(r.perms));
        let ids: Vec<i64> = roles.iter().map(|r| r.id).collect();
        let existing = tx.find_user(&crate::store::Selector::EmailKey(user.email_key.clone())).unwrap();
        let id = match existing {
            Some(id) => {
                let p = authz::decide(&root, &Request::UserAdd { org: &org.facts(), roles: perms, target: Some(id) }).unwrap();
                record::members::add_membership(&mut *tx, &p, org.id, id, &ids, None).unwrap();
                id
            }
            None => {
                let p = authz::decide(&root, &Request::UserAdd { org: &org.facts(), roles: perms, target: None }).unwrap();
                record::users::add_user(&mut *tx, &p, org.id, &user, &ids, None).unwrap()
            }
        };
        tx.commit().unwrap();
        id
    }

    /// A group of acme, created by root.
    pub fn group(&mut self, slug: &str) -> crate::store::Group {
        let mut tx = self.store.write().unwrap();
        let root = tx.subject(self.root).unwrap().unwrap();
        let p = authz::decide(&root, &Request::Group { op: authz::Op::GroupCreate, org: &self.org.facts() }).unwrap();
        record::groups::create_group(&mut *tx, &p, self.org.id, slug, slug).unwrap();
        let g = tx.group(self.org.id, slug).unwrap().unwrap();
        tx.commit().unwrap();
        g
    }

    /// Make `user` a manager of `group`.
    pub fn manage(&mut self, group: &crate::store::Group, user: i64) {
        let mut tx = self.store.write().unwrap();
        let root = tx.subject(self.root).unwrap().unwrap();
        let p = authz::decide(&root, &Request::Group { op: authz::Op::GroupAddManager, org: &self.org.facts() }).unwrap();
        record::groups::set_group_person(&mut *tx, &p, group.id, user, GroupRole::Manager, true).unwrap();
        tx.commit().unwrap();
    }

    /// Remove `user` from acme (to the trash when it was their only organization).
    pub fn remove(&mut self, user: i64) {
        let mut tx = self.store.write().unwrap();
        let root = tx.subject(self.root).unwrap().unwrap();
        let target = tx.subject(user).unwrap().unwrap();
        let p = authz::decide(&root, &Request::UserRemove { org: &self.org.facts(), target: &target }).unwrap();
        record::members::remove_membership(&mut *tx, &p, self.org.id, user).unwrap();
        tx.commit().unwrap();
    }

    pub fn read(&mut self) -> Box<dyn Tx + '_> {
        self.store.read().unwrap()
    }

    pub fn write(&mut self) -> Box<dyn Tx + '_> {
        self.store.write().unwrap()
    }
}

/// Root's permit to read what any organization's readers may (global read).
pub(super) fn seer(tx: &dyn Tx) -> crate::authz::Permit {
    let root = tx.find_user(&crate::store::Selector::EmailKey("root@example.com".into())).unwrap().expect("root");
    authz::decide(&subject(tx, root), &Request::GlobalRead).unwrap()
}

pub(super) fn subject(tx: &dyn Tx, id: i64) -> Subject {
    tx.subject(id).unwrap().unwrap_or_else(|| panic!("no user {id}"))
}

fn person(email: &str) -> NewUser {
    let local = email.split('@').next().unwrap().to_lowercase();
    NewUser { username: local, email: email.into(), email_key: email.to_lowercase(), ..NewUser::default() }
}

fn active(email: &str) -> NewUser {
    NewUser { status: Some(Status::Active), ..person(email) }
}

/// The exit kind and the one-line message of an error.
pub(super) fn refusal<T>(r: crate::error::Result<T>) -> (Kind, String) {
    let Err(e) = r else { panic!("expected a refusal, and it was allowed") };
    let c = error::classify(&e);
    (c.kind, c.message)
}

/// The hint of an error.
pub(super) fn hint<T>(r: crate::error::Result<T>) -> Option<String> {
    let Err(e) = r else { panic!("expected a refusal, and it was allowed") };
    error::classify(&e).hint
}
