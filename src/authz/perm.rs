//! The permission catalogue and the built-in roles.

use std::fmt;

/// One permission of the catalogue (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Perm {
    UserRead,
    UserInvite,
    UserRemove,
    UserExport,
    UserReset2fa,
    RoleRead,
    RoleAssign,
    RoleManage,
    GroupRead,
    GroupManage,
    AuditRead,
    OrgAdmin,
    GlobalAdmin,
    GlobalRead,
}

impl Perm {
    pub const ALL: [Perm; 14] = [
        Perm::UserRead,
        Perm::UserInvite,
        Perm::UserRemove,
        Perm::UserExport,
        Perm::UserReset2fa,
        Perm::RoleRead,
        Perm::RoleAssign,
        Perm::RoleManage,
        Perm::GroupRead,
        Perm::GroupManage,
        Perm::AuditRead,
        Perm::OrgAdmin,
        Perm::GlobalAdmin,
        Perm::GlobalRead,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Perm::UserRead => "user:read",
            Perm::UserInvite => "user:invite",
            Perm::UserRemove => "user:remove",
            Perm::UserExport => "user:export",
            Perm::UserReset2fa => "user:reset-2fa",
            Perm::RoleRead => "role:read",
            Perm::RoleAssign => "role:assign",
            Perm::RoleManage => "role:manage",
            Perm::GroupRead => "group:read",
            Perm::GroupManage => "group:manage",
            Perm::AuditRead => "audit:read",
            Perm::OrgAdmin => "org:admin",
            Perm::GlobalAdmin => "global:admin",
            Perm::GlobalRead => "global:read",
        }
    }

    pub fn parse(s: &str) -> Option<Perm> {
        Perm::ALL.into_iter().find(|p| p.name() == s)
    }

    pub fn is_global(self) -> bool {
        matches!(self, Perm::GlobalAdmin | Perm::GlobalRead)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Perm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct PermSet(u16);

impl PermSet {
    pub const EMPTY: PermSet = PermSet(0);

    pub fn of(perms: &[Perm]) -> PermSet {
        perms.iter().fold(PermSet::EMPTY, |s, p| s.with(*p))
    }
    pub fn with(self, p: Perm) -> PermSet {
        PermSet(self.0 | p.bit())
    }
    pub fn union(self, o: PermSet) -> PermSet {
        PermSet(self.0 | o.0)
    }
    pub fn has(self, p: Perm) -> bool {
        self.0 & p.bit() != 0
    }
    #[cfg(test)]
    pub fn contains_all(self, o: PermSet) -> bool {
        self.0 & o.0 == o.0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = Perm> {
        Perm::ALL.into_iter().filter(move |p| self.has(*p))
    }
    /// What `o` has that `self` lacks.
    pub fn missing(self, o: PermSet) -> PermSet {
        PermSet(o.0 & !self.0)
    }
    pub fn org_part(self) -> PermSet {
        PermSet::of(&self.iter().filter(|p| !p.is_global()).collect::<Vec<_>>())
    }
    pub fn global_part(self) -> PermSet {
        PermSet::of(&self.iter().filter(|p| p.is_global()).collect::<Vec<_>>())
    }
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Perm::name).collect()
    }

    /// Expand the implications: `org:admin` implies every organization
    /// permission; `global:admin` implies `org:admin` and `global:read`;
    /// `global:read` implies the read permissions.
    pub fn effective(self) -> PermSet {
        let mut s = self;
        if s.has(Perm::GlobalAdmin) {
            s = s.with(Perm::OrgAdmin).with(Perm::GlobalRead);
        }
        if s.has(Perm::GlobalRead) {
            s = s.union(READ_PERMS);
        }
        if s.has(Perm::OrgAdmin) {
            s = s.union(ALL_ORG_PERMS);
        }
        s
    }
}

impl fmt::Display for PermSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(" "))
    }
}

pub const READ_PERMS: PermSet = PermSet(
    (1 << Perm::UserRead as u16) | (1 << Perm::RoleRead as u16) | (1 << Perm::GroupRead as u16) | (1 << Perm::AuditRead as u16),
);

pub const ALL_ORG_PERMS: PermSet = PermSet(
    (1 << Perm::UserRead as u16)
        | (1 << Perm::UserInvite as u16)
        | (1 << Perm::UserRemove as u16)
        | (1 << Perm::UserExport as u16)
        | (1 << Perm::UserReset2fa as u16)
        | (1 << Perm::RoleRead as u16)
        | (1 << Perm::RoleAssign as u16)
        | (1 << Perm::RoleManage as u16)
        | (1 << Perm::GroupRead as u16)
        | (1 << Perm::GroupManage as u16)
        | (1 << Perm::AuditRead as u16)
        | (1 << Perm::OrgAdmin as u16),
);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Org,
    Global,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Org => "org",
            Scope::Global => "global",
        }
    }
}

/// A role that every database has and nobody may edit or delete.
pub struct BuiltinRole {
    pub name: &'static str,
    pub display_name: &'static str,
    pub scope: Scope,
    pub perms: &'static [Perm],
}

pub const FULL_ADMIN: &str = "full-admin";
pub const GLOBAL_ADMIN: &str = "global-admin";

pub const BUILTIN_ROLES: [BuiltinRole; 5] = [
    BuiltinRole { name: FULL_ADMIN, display_name: "Full Administrator", scope: Scope::Org, perms: &[Perm::OrgAdmin] },
    BuiltinRole {
        name: "read-only",
        display_name: "Read Only",
        scope: Scope::Org,
        perms: &[Perm::UserRead, Perm::RoleRead, Perm::GroupRead, Perm::AuditRead],
    },
    BuiltinRole { name: "helpdesk", display_name: "Helpdesk", scope: Scope::Org, perms: &[Perm::UserRead, Perm::UserReset2fa] },
    BuiltinRole { name: GLOBAL_ADMIN, display_name: "Global Administrator", scope: Scope::Global, perms: &[Perm::GlobalAdmin] },
    BuiltinRole { name: "global-read-only", display_name: "Global Read Only", scope: Scope::Global, perms: &[Perm::GlobalRead] },
];

pub fn builtin(name: &str) -> Option<&'static BuiltinRole> {
    BUILTIN_ROLES.iter().find(|r| r.name == name)
}
