//! The facts the engine decides on: the actor, the target, the organization,
//! the role or group asked about, and an edit's particulars.

use super::{Field, Perm, PermSet, Scope};

/// An organization as the engine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgFacts {
    pub id: i64,
    pub slug: String,
    pub sso: bool,
    pub sms_2fa: bool,
}

/// Account status as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Invited,
    Active,
    Inactive,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Invited => "invited",
            Status::Active => "active",
            Status::Inactive => "inactive",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "invited" => Some(Status::Invited),
            "active" => Some(Status::Active),
            "inactive" => Some(Status::Inactive),
            _ => None,
        }
    }
}

/// What the engine knows about a user: as the actor or as the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub id: i64,
    pub label: String,
    pub status: Status,
    pub trashed: bool,
    /// The organization of the primary group.
    pub org: Option<OrgFacts>,
    pub primary_group: Option<i64>,
    /// Permissions of the global roles held.
    pub global: PermSet,
    /// Every membership with the union of the permissions of its roles
    /// (an empty set for a member without roles).
    pub memberships: Vec<(i64, PermSet)>,
    /// Groups this user manages.
    pub managed_groups: Vec<i64>,
    pub sso_disabled: bool,
    pub has_phone: bool,
    /// Organizations in which this user is the only active holder of full-admin.
    pub last_admin_of: Vec<i64>,
    /// The slugs of the organizations of `memberships`, for messages.
    pub org_slugs: Vec<(i64, String)>,
}

impl Subject {
    /// An active user in no organization, with no role and no group.
    pub fn bare(id: i64, label: &str) -> Subject {
        Subject {
            id,
            label: label.to_string(),
            status: Status::Active,
            trashed: false,
            org: None,
            primary_group: None,
            global: PermSet::EMPTY,
            memberships: vec![],
            managed_groups: vec![],
            sso_disabled: false,
            has_phone: false,
            last_admin_of: vec![],
            org_slugs: vec![],
        }
    }

    pub fn is_member(&self, org: i64) -> bool {
        self.memberships.iter().any(|(o, _)| *o == org)
    }

    /// Permissions held in an organization, implications expanded; global
    /// permissions count everywhere.
    pub fn perms_in(&self, org: i64) -> PermSet {
        let local = self.memberships.iter().find(|(o, _)| *o == org).map(|(_, p)| *p).unwrap_or_default();
        local.union(self.global).effective()
    }

    pub fn global_perms(&self) -> PermSet {
        self.global.effective()
    }

    /// The slug of one of this user's organizations (for messages).
    pub fn org_slug(&self, org: i64) -> String {
        if let Some(o) = self.org.as_ref().filter(|o| o.id == org) {
            return o.slug.clone();
        }
        self.org_slugs.iter().find(|(id, _)| *id == org).map(|(_, s)| s.clone()).unwrap_or_else(|| format!("organization #{org}"))
    }

    /// The organizations this user belongs to.
    pub fn org_ids(&self) -> Vec<i64> {
        self.memberships.iter().map(|(o, _)| *o).collect()
    }
}

/// The relations of an actor to a target user (SPEC §3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Relations {
    pub is_self: bool,
    pub manager: bool,
    pub org_admin: bool,
    pub org_slug: Option<String>,
}

impl Relations {
    pub fn names(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.is_self {
            v.push("self");
        }
        if self.manager {
            v.push("manager");
        }
        if self.org_admin {
            v.push("org admin");
        }
        v
    }

    /// "you are org admin of acme", for denial messages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.is_self {
            parts.push("the user themself".to_string());
        }
        if self.manager {
            parts.push("manager of the user's primary group".to_string());
        }
        if self.org_admin {
            match &self.org_slug {
                Some(s) => parts.push(format!("org admin of {s}")),
                None => parts.push("global admin".to_string()),
            }
        }
        if parts.is_empty() {
            "you are not the user, their manager or an org admin".to_string()
        } else {
            format!("you are {}", parts.join(" and "))
        }
    }
}

pub fn relations(actor: &Subject, target: &Subject) -> Relations {
    let org_admin = match &target.org {
        Some(o) => actor.perms_in(o.id).has(Perm::OrgAdmin),
        None => actor.global_perms().has(Perm::GlobalAdmin),
    };
    Relations {
        is_self: actor.id == target.id,
        manager: target.primary_group.is_some_and(|g| actor.managed_groups.contains(&g)),
        org_admin,
        org_slug: target.org.as_ref().map(|o| o.slug.clone()),
    }
}

/// A role as the engine sees it when it is assigned, granted or created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleFacts {
    pub name: String,
    pub scope: Scope,
    pub perms: PermSet,
    pub builtin: bool,
}

/// A group as the engine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFacts {
    pub id: i64,
    pub slug: String,
    pub org: OrgFacts,
}

/// What an edit asks for, beyond the field names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditFacts {
    pub fields: Vec<Field>,
    /// `active` goes from true to false.
    pub deactivating: bool,
    /// The new primary group and its organization.
    pub new_primary_group: Option<(i64, i64)>,
    /// Whether the user will have a phone once the edit is applied.
    pub phone_after: bool,
    /// `sms_auto_send` is being turned on (its conditions apply only then).
    pub enabling_sms_auto_send: bool,
    /// The e-mail address changes.
    pub email_change: bool,
    /// Additional groups the user is put into or taken out of.
    pub groups: Vec<GroupFacts>,
}
