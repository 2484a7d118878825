//! Table-driven tests of the authorization engine against SPEC §1 and §3.
//!
//! The expected outcomes below are written from the SPEC, not derived from the
//! engine's own tables (`matrix`, `who_may`), so that a change to the engine that
//! disagrees with the SPEC fails here.

use super::*;
use crate::error::{AppError, Kind};

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

const ACME: i64 = 1;
const GLOBEX: i64 = 2;

/// Groups of acme.
const ACME_EVERYONE: i64 = 10;
const ACME_ENG: i64 = 11;
const ACME_SALES: i64 = 12;
/// A group of globex.
const GLOBEX_EVERYONE: i64 = 20;

fn org(id: i64, slug: &str, sso: bool, sms_2fa: bool) -> OrgFacts {
    OrgFacts { id, slug: slug.to_string(), sso, sms_2fa }
}

/// acme: sso off, sms 2FA allowed.
fn acme() -> OrgFacts {
    org(ACME, "acme", false, true)
}

fn globex() -> OrgFacts {
    org(GLOBEX, "globex", false, true)
}

fn builtin_perms(name: &str) -> PermSet {
    PermSet::of(builtin(name).unwrap_or_else(|| panic!("no built-in role {name}")).perms)
}

fn role_facts(name: &str) -> RoleFacts {
    let b = builtin(name).unwrap_or_else(|| panic!("no built-in role {name}"));
    RoleFacts { name: b.name.to_string(), scope: b.scope, perms: PermSet::of(b.perms), builtin: true }
}

fn custom_role(name: &str, perms: &[Perm]) -> RoleFacts {
    RoleFacts { name: name.to_string(), scope: Scope::Org, perms: PermSet::of(perms), builtin: false }
}

/// Builds a [`Subject`]: an active user in no organization, with no role.
struct UserBuilder(Subject);

fn user(id: i64, label: &str) -> UserBuilder {
    UserBuilder(Subject::bare(id, label))
}

impl UserBuilder {
    /// Primary group `group` of `org` (which makes `org` the user's
    /// organization) and a membership there.
    fn primary(mut self, org: &OrgFacts, group: i64) -> Self {
        self.0.org = Some(org.clone());
        self.0.primary_group = Some(group);
        self.member(org.id)
    }
    /// A membership (with no role yet).
    fn member(mut self, org: i64) -> Self {
        if !self.0.is_member(org) {
            self.0.memberships.push((org, PermSet::EMPTY));
            let slug = match org {
                ACME => "acme".to_string(),
                GLOBEX => "globex".to_string(),
                other => format!("org{other}"),
            };
            self.0.org_slugs.push((org, slug));
        }
        self
    }
    /// Add permissions to the membership in `org` (a custom role).
    fn perms(mut self, org: i64, perms: &[Perm]) -> Self {
        self = self.member(org);
        for (o, p) in &mut self.0.memberships {
            if *o == org {
                *p = p.union(PermSet::of(perms));
            }
        }
        self
    }
    /// A built-in organization role in `org`.
    fn role(self, org: i64, name: &str) -> Self {
        let b = builtin(name).unwrap();
        assert_eq!(b.scope, Scope::Org, "{name} is not an organization role");
        self.perms(org, b.perms)
    }
    /// A built-in global role.
    fn global(mut self, name: &str) -> Self {
        let b = builtin(name).unwrap();
        assert_eq!(b.scope, Scope::Global, "{name} is not a global role");
        self.0.global = self.0.global.union(PermSet::of(b.perms));
        self
    }
    fn manages(mut self, group: i64) -> Self {
        self.0.managed_groups.push(group);
        self
    }
    fn status(mut self, s: Status) -> Self {
        self.0.status = s;
        self
    }
    fn trashed(mut self) -> Self {
        self.0.trashed = true;
        self
    }
    fn sso_disabled(mut self) -> Self {
        self.0.sso_disabled = true;
        self
    }
    fn phone(mut self) -> Self {
        self.0.has_phone = true;
        self
    }
    fn last_admin_of(mut self, org: i64) -> Self {
        self.0.last_admin_of.push(org);
        self
    }
    fn build(self) -> Subject {
        self.0
    }
}

fn edit(fields: &[Field]) -> EditFacts {
    EditFacts {
        fields: fields.to_vec(),
        deactivating: false,
        new_primary_group: None,
        phone_after: true,
        enabling_sms_auto_send: fields.contains(&Field::SmsAutoSend),
        email_change: fields.contains(&Field::Email),
        groups: vec![],
    }
}

// ---------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------

fn show(r: &Result<Permit, Refusal>) -> String {
    match r {
        Ok(p) => format!("allowed ({})", p.op().name()),
        Err(e) => format!("{:?}: {} (hint: {:?})", e.kind, e.message, e.hint),
    }
}

#[track_caller]
fn expect_allowed(r: Result<Permit, Refusal>) -> Permit {
    match r {
        Ok(p) => p,
        Err(e) => panic!("expected allowed, got {:?}: {} (hint: {:?})", e.kind, e.message, e.hint),
    }
}

/// Allowed, and the permit is not looked at.
#[track_caller]
fn allow(r: Result<Permit, Refusal>) {
    let _ = expect_allowed(r);
}

#[track_caller]
fn expect_refused(r: Result<Permit, Refusal>, kind: Kind) -> AppError {
    match r {
        Ok(p) => panic!("expected {kind:?}, got allowed ({})", p.op().name()),
        Err(e) => {
            assert_eq!(e.kind, kind, "wrong kind for refusal: {}", e.message);
            e
        }
    }
}

/// Denied (exit 4) with exactly this message.
#[track_caller]
fn expect_denied(r: Result<Permit, Refusal>, message: &str) -> AppError {
    let e = expect_refused(r, Kind::Denied);
    assert_eq!(e.message, message);
    e
}

/// Denied (exit 4) with a message containing every one of `parts`.
#[track_caller]
fn expect_denied_with(r: Result<Permit, Refusal>, parts: &[&str]) -> AppError {
    let e = expect_refused(r, Kind::Denied);
    assert!(e.message.starts_with("permission denied: "), "denial without the prefix: {}", e.message);
    for p in parts {
        assert!(e.message.contains(p), "denial {:?} does not contain {:?}", e.message, p);
    }
    e
}

/// Conflict (exit 5) with a message containing every one of `parts`.
#[track_caller]
fn expect_conflict(r: Result<Permit, Refusal>, parts: &[&str]) -> AppError {
    let e = expect_refused(r, Kind::Conflict);
    for p in parts {
        assert!(e.message.contains(p), "conflict {:?} does not contain {:?}", e.message, p);
    }
    e
}

#[test]
fn refusal_kinds_map_to_the_spec_exit_codes() {
    assert_eq!(Kind::Denied.exit_code(), 4);
    assert_eq!(Kind::Conflict.exit_code(), 5);
}

// ---------------------------------------------------------------------------
// 1. The attribute matrix (SPEC §3 table)
// ---------------------------------------------------------------------------

/// One row of the SPEC table: who may change the field, and how a denial
/// names who may.
struct MatrixRow {
    field: Field,
    by_self: bool,
    by_manager: bool,
    by_org_admin: bool,
    who: &'static str,
}

const fn row(field: Field, by_self: bool, by_manager: bool, by_org_admin: bool, who: &'static str) -> MatrixRow {
    MatrixRow { field, by_self, by_manager, by_org_admin, who }
}

const Y: bool = true;
const N: bool = false;

const ANYONE: &str = "the user themself, a manager of their primary group or an org admin";
const SELF_OR_ADMIN: &str = "the user themself or an org admin";
const MANAGER_OR_ADMIN: &str = "a manager of the user's primary group or an org admin";

/// SPEC §3, transcribed row by row.
const SPEC_MATRIX: [MatrixRow; 18] = [
    row(Field::FullName, Y, Y, Y, ANYONE),
    row(Field::FirstName, Y, Y, Y, ANYONE),
    row(Field::LastName, Y, Y, Y, ANYONE),
    row(Field::Initials, Y, Y, Y, ANYONE),
    row(Field::Username, N, N, N, ""),
    row(Field::Id, N, N, N, ""),
    row(Field::Organization, N, N, N, ""),
    row(Field::Email, Y, N, Y, SELF_OR_ADMIN),
    row(Field::Phone, Y, N, N, "the user themself"),
    row(Field::Timezone, Y, Y, Y, ANYONE),
    row(Field::Notify, Y, N, Y, SELF_OR_ADMIN),
    row(Field::Robot, N, Y, Y, MANAGER_OR_ADMIN),
    row(Field::Active, N, Y, Y, MANAGER_OR_ADMIN),
    row(Field::SsoDisabled, N, Y, Y, MANAGER_OR_ADMIN),
    row(Field::SmsAutoSend, Y, Y, Y, ANYONE),
    row(Field::Require2fa, N, N, Y, "an org admin"),
    row(Field::PrimaryGroup, N, Y, Y, MANAGER_OR_ADMIN),
    row(Field::Groups, N, Y, Y, MANAGER_OR_ADMIN),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rel {
    SelfOnly,
    ManagerOnly,
    OrgAdminOnly,
    NoRelation,
}

const RELS: [Rel; 4] = [Rel::SelfOnly, Rel::ManagerOnly, Rel::OrgAdminOnly, Rel::NoRelation];

/// The world of the matrix test: bob in acme's eng group; acme has sso on and
/// allows sms 2FA, so that the conditional attributes are not in the way.
struct MatrixWorld {
    target: Subject,
    manager: Subject,
    admin: Subject,
    stranger: Subject,
}

fn matrix_world() -> MatrixWorld {
    let acme = org(ACME, "acme", true, true);
    MatrixWorld {
        // bob: a member with no role who manages nothing.
        target: user(2, "bob").primary(&acme, ACME_ENG).phone().build(),
        // carol: a member with no role who manages bob's primary group.
        manager: user(3, "carol").primary(&acme, ACME_EVERYONE).manages(ACME_ENG).build(),
        // alice: full-admin of acme, manages no group.
        admin: user(1, "alice").primary(&acme, ACME_EVERYONE).role(ACME, "full-admin").build(),
        // dave: read-only in acme (he may read bob), but no relation to bob.
        stranger: user(4, "dave").primary(&acme, ACME_EVERYONE).role(ACME, "read-only").build(),
    }
}

impl MatrixWorld {
    fn actor(&self, rel: Rel) -> &Subject {
        match rel {
            Rel::SelfOnly => &self.target,
            Rel::ManagerOnly => &self.manager,
            Rel::OrgAdminOnly => &self.admin,
            Rel::NoRelation => &self.stranger,
        }
    }
}

fn describe(rel: Rel) -> &'static str {
    match rel {
        Rel::SelfOnly => "you are the user themself",
        Rel::ManagerOnly => "you are manager of the user's primary group",
        Rel::OrgAdminOnly => "you are org admin of acme",
        Rel::NoRelation => "you are not the user, their manager or an org admin",
    }
}

#[test]
fn spec_matrix_covers_every_field_once() {
    let mut fields: Vec<Field> = SPEC_MATRIX.iter().map(|r| r.field).collect();
    fields.sort();
    let mut all = Field::ALL.to_vec();
    all.sort();
    assert_eq!(fields, all);
}

#[test]
fn matrix_world_has_exactly_one_relation_per_actor() {
    let w = matrix_world();
    let expect = [
        (Rel::SelfOnly, vec!["self"]),
        (Rel::ManagerOnly, vec!["manager"]),
        (Rel::OrgAdminOnly, vec!["org admin"]),
        (Rel::NoRelation, vec![]),
    ];
    for (rel, names) in expect {
        let r = relations(w.actor(rel), &w.target);
        assert_eq!(r.names(), names, "{rel:?}");
        assert_eq!(r.describe(), describe(rel), "{rel:?}");
        assert_eq!(r.org_slug.as_deref(), Some("acme"));
    }
}

#[test]
fn attribute_matrix_via_decide() {
    let w = matrix_world();
    let mut failures = Vec::new();
    for row in &SPEC_MATRIX {
        for rel in RELS {
            let allowed = match rel {
                Rel::SelfOnly => row.by_self,
                Rel::ManagerOnly => row.by_manager,
                Rel::OrgAdminOnly => row.by_org_admin,
                Rel::NoRelation => false,
            };
            let immutable = !row.by_self && !row.by_manager && !row.by_org_admin;
            let e = edit(&[row.field]);
            let got = decide(w.actor(rel), &Request::UserEdit { target: &w.target, edit: &e });
            let name = row.field.name();
            let ok = match (&got, allowed, immutable) {
                (Ok(p), true, _) => p.op() == Op::UserEdit && p.target() == Some(2) && p.fields() == [row.field],
                (Err(err), false, true) => err.kind == Kind::Conflict && err.message == format!("'{name}' cannot be changed"),
                (Err(err), false, false) => {
                    err.kind == Kind::Denied
                        && err.message
                            == format!("permission denied: '{name}' can be changed only by {} ({})", row.who, describe(rel))
                }
                _ => false,
            };
            if !ok {
                let want = if allowed {
                    "allowed"
                } else if immutable {
                    "conflict"
                } else {
                    "denied"
                };
                failures.push(format!("{name} by {rel:?}: expected {want}, got {}", show(&got)));
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn attribute_matrix_via_field_allowed_and_matrix() {
    let w = matrix_world();
    for row in &SPEC_MATRIX {
        assert_eq!(matrix(row.field), (row.by_self, row.by_manager, row.by_org_admin), "{}", row.field.name());
        for rel in RELS {
            let r = relations(w.actor(rel), &w.target);
            let allowed = match rel {
                Rel::SelfOnly => row.by_self,
                Rel::ManagerOnly => row.by_manager,
                Rel::OrgAdminOnly => row.by_org_admin,
                Rel::NoRelation => false,
            };
            assert_eq!(field_allowed(&r, row.field).is_ok(), allowed, "{} by {rel:?}", row.field.name());
        }
    }
}

#[test]
fn phone_by_org_admin_is_denied_with_the_spec_message() {
    let w = matrix_world();
    let e = edit(&[Field::Phone]);
    let err = expect_denied(
        decide(&w.admin, &Request::UserEdit { target: &w.target, edit: &e }),
        "permission denied: 'phone' can be changed only by the user themself (you are org admin of acme)",
    );
    assert_eq!(err.kind.exit_code(), 4);
}

#[test]
fn immutable_fields_are_refused_even_to_a_global_admin_editing_themself() {
    let acme = acme();
    let root = user(1, "root")
        .primary(&acme, ACME_EVERYONE)
        .role(ACME, "full-admin")
        .global("global-admin")
        .manages(ACME_EVERYONE)
        .build();
    for f in [Field::Username, Field::Id, Field::Organization] {
        let e = edit(&[f]);
        let err = expect_conflict(decide(&root, &Request::UserEdit { target: &root, edit: &e }), &[]);
        assert_eq!(err.message, format!("'{}' cannot be changed", f.name()));
        assert_eq!(err.kind.exit_code(), 5);
    }
}

#[test]
fn any_one_relation_is_enough() {
    let acme = org(ACME, "acme", true, true);
    // carol is in the group she manages: self and manager at once.
    let carol = user(3, "carol").primary(&acme, ACME_ENG).manages(ACME_ENG).phone().build();
    let r = relations(&carol, &carol);
    assert_eq!(r.names(), vec!["self", "manager"]);
    // phone: only self allows; robot: only manager allows. Both in one edit.
    let e = edit(&[Field::Phone, Field::Robot, Field::Groups]);
    allow(decide(&carol, &Request::UserEdit { target: &carol, edit: &e }));
    // require_2fa is for an org admin only: neither relation helps.
    let e = edit(&[Field::Require2fa]);
    expect_denied(
        decide(&carol, &Request::UserEdit { target: &carol, edit: &e }),
        "permission denied: 'require_2fa' can be changed only by an org admin (you are the user themself and manager of the user's primary group)",
    );
}

#[test]
fn one_denied_field_refuses_the_whole_edit() {
    let w = matrix_world();
    let e = edit(&[Field::FullName, Field::Email, Field::Timezone]);
    expect_denied(
        decide(&w.manager, &Request::UserEdit { target: &w.target, edit: &e }),
        "permission denied: 'email' can be changed only by the user themself or an org admin (you are manager of the user's primary group)",
    );
}

#[test]
fn global_admin_is_org_admin_of_every_organization() {
    let w = matrix_world();
    let root = user(99, "root").global("global-admin").build();
    let r = relations(&root, &w.target);
    assert_eq!(r.names(), vec!["org admin"]);
    let e = edit(&[Field::Require2fa, Field::Email, Field::Notify]);
    allow(decide(&root, &Request::UserEdit { target: &w.target, edit: &e }));
    let e = edit(&[Field::Phone]);
    expect_denied(
        decide(&root, &Request::UserEdit { target: &w.target, edit: &e }),
        "permission denied: 'phone' can be changed only by the user themself (you are org admin of acme)",
    );
}

#[test]
fn org_admin_elsewhere_is_no_relation() {
    let w = matrix_world();
    // full-admin of globex, member of acme without a role.
    let other = user(5, "erin").primary(&globex(), GLOBEX_EVERYONE).role(GLOBEX, "full-admin").member(ACME).build();
    assert!(relations(&other, &w.target).names().is_empty());
    let e = edit(&[Field::FullName]);
    expect_denied(
        decide(&other, &Request::UserEdit { target: &w.target, edit: &e }),
        "permission denied: 'full_name' can be changed only by the user themself, a manager of their primary group or an org admin (you are not the user, their manager or an org admin)",
    );
}

#[test]
fn global_read_only_is_not_org_admin() {
    let w = matrix_world();
    let auditor = user(6, "gro").global("global-read-only").build();
    assert!(relations(&auditor, &w.target).names().is_empty());
    let e = edit(&[Field::Email]);
    expect_refused(decide(&auditor, &Request::UserEdit { target: &w.target, edit: &e }), Kind::Denied);
}

// ---------------------------------------------------------------------------
// 2. Conditional attributes
// ---------------------------------------------------------------------------

#[test]
fn sso_disabled_needs_sso_on() {
    for sso in [false, true] {
        let acme = org(ACME, "acme", sso, true);
        let bob = user(2, "bob").primary(&acme, ACME_ENG).build();
        let carol = user(3, "carol").primary(&acme, ACME_EVERYONE).manages(ACME_ENG).build();
        let alice = user(1, "alice").primary(&acme, ACME_EVERYONE).role(ACME, "full-admin").build();
        let e = edit(&[Field::SsoDisabled]);
        for actor in [&carol, &alice] {
            let got = decide(actor, &Request::UserEdit { target: &bob, edit: &e });
            if sso {
                allow(got);
            } else {
                let err = expect_conflict(got, &[]);
                assert_eq!(err.message, "'sso_disabled' applies only when the organization has sso on (acme has it off)");
            }
        }
        // The user themself may never change it: the relation decides first.
        expect_refused(decide(&bob, &Request::UserEdit { target: &bob, edit: &e }), Kind::Denied);
    }
}

#[test]
fn sms_auto_send_needs_sms_allowed_and_a_phone() {
    struct Case {
        sms_2fa: bool,
        phone_after: bool,
        conflict: Option<&'static str>,
    }
    let cases = [
        Case { sms_2fa: true, phone_after: true, conflict: None },
        Case { sms_2fa: false, phone_after: true, conflict: Some("'sms_auto_send' needs an organization that allows sms_2fa") },
        Case { sms_2fa: true, phone_after: false, conflict: Some("'sms_auto_send' needs a phone number") },
        Case { sms_2fa: false, phone_after: false, conflict: Some("'sms_auto_send' needs an organization that allows sms_2fa") },
    ];
    for c in cases {
        let acme = org(ACME, "acme", false, c.sms_2fa);
        let bob = user(2, "bob").primary(&acme, ACME_ENG).build();
        let carol = user(3, "carol").primary(&acme, ACME_EVERYONE).manages(ACME_ENG).build();
        let alice = user(1, "alice").primary(&acme, ACME_EVERYONE).role(ACME, "full-admin").build();
        let e = EditFacts { phone_after: c.phone_after, ..edit(&[Field::SmsAutoSend]) };
        // Every relation may change it (SPEC: yes/yes/yes).
        for actor in [&bob, &carol, &alice] {
            let got = decide(actor, &Request::UserEdit { target: &bob, edit: &e });
            match c.conflict {
                None => {
                    allow(got);
                }
                Some(msg) => {
                    let err = expect_conflict(got, &[]);
                    assert_eq!(err.message, msg, "sms_2fa={} phone_after={} by {}", c.sms_2fa, c.phone_after, actor.label);
                }
            }
        }
    }
}

#[test]
fn setting_a_phone_in_the_same_edit_satisfies_sms_auto_send() {
    let acme = acme();
    let bob = user(2, "bob").primary(&acme, ACME_ENG).build();
    let e = EditFacts { phone_after: true, ..edit(&[Field::Phone, Field::SmsAutoSend]) };
    // Turning it off needs neither a phone nor the org's permission: clearing
    // the phone turns it off with it.
    let off = EditFacts { phone_after: false, enabling_sms_auto_send: false, ..edit(&[Field::Phone, Field::SmsAutoSend]) };
    allow(decide(&bob, &Request::UserEdit { target: &bob, edit: &off }));
    allow(decide(&bob, &Request::UserEdit { target: &bob, edit: &e }));
}

// ---------------------------------------------------------------------------
// 3. Every action × built-in role
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    FullAdmin,
    ReadOnly,
    Helpdesk,
    NoRole,
    NonMember,
    GlobalAdmin,
    GlobalReadOnly,
}

/// Column order of [`ROLE_TABLE`].
const WHO: [Who; 7] =
    [Who::FullAdmin, Who::ReadOnly, Who::Helpdesk, Who::NoRole, Who::NonMember, Who::GlobalAdmin, Who::GlobalReadOnly];

const ACTOR: i64 = 100;

fn actor_as(who: Who) -> Subject {
    let b = user(ACTOR, "actor");
    match who {
        Who::FullAdmin => b.primary(&acme(), ACME_EVERYONE).role(ACME, "full-admin"),
        Who::ReadOnly => b.primary(&acme(), ACME_EVERYONE).role(ACME, "read-only"),
        Who::Helpdesk => b.primary(&acme(), ACME_EVERYONE).role(ACME, "helpdesk"),
        Who::NoRole => b.primary(&acme(), ACME_EVERYONE),
        // Full admin of another organization: nothing may leak into acme.
        Who::NonMember => b.primary(&globex(), GLOBEX_EVERYONE).role(GLOBEX, "full-admin"),
        Who::GlobalAdmin => b.global("global-admin"),
        Who::GlobalReadOnly => b.global("global-read-only"),
    }
    .build()
}

/// How the engine describes what the actor has in acme, per SPEC wording.
fn you_have(who: Who) -> &'static str {
    match who {
        Who::FullAdmin => unreachable!("a full-admin lacks no organization permission"),
        Who::ReadOnly | Who::GlobalReadOnly => "you have user:read role:read group:read audit:read",
        Who::Helpdesk => "you have user:read user:reset-2fa",
        Who::NoRole => "you have no role in acme; ask an administrator",
        Who::NonMember => "you are not a member of acme",
        Who::GlobalAdmin => unreachable!("a global admin lacks nothing"),
    }
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Read(Perm),
    GlobalRead,
    OrgCreate,
    OrgSet,
    Role(Op),
    Assign(Op),
    Access(Op),
    Group(Op),
    UserAdd,
    UserRemove,
    UserRestore,
    UserReset2fa,
    UserBindLogin,
    DbSet,
    InviteSend,
}

const BOB: i64 = 2;
const IVY: i64 = 3;

/// The targets and roles every action of the table uses.
struct World {
    acme: OrgFacts,
    /// An active member of acme with no role.
    bob: Subject,
    /// An invited member of acme with no role.
    ivy: Subject,
    custom: RoleFacts,
    read_only: RoleFacts,
    global_read_only: RoleFacts,
}

fn world() -> World {
    let acme = acme();
    World {
        bob: user(BOB, "bob").primary(&acme, ACME_ENG).build(),
        ivy: user(IVY, "ivy").primary(&acme, ACME_EVERYONE).status(Status::Invited).build(),
        acme,
        custom: custom_role("auditor", &[Perm::AuditRead, Perm::UserRead]),
        read_only: role_facts("read-only"),
        global_read_only: role_facts("global-read-only"),
    }
}

fn perform(actor: &Subject, action: Action, w: &World) -> Result<Permit, Refusal> {
    let req = match action {
        Action::Read(perm) => Request::Read { org: &w.acme, perm },
        Action::GlobalRead => Request::GlobalRead,
        Action::OrgCreate => Request::OrgCreate,
        Action::OrgSet => Request::OrgSet { org: &w.acme },
        Action::Role(op) => Request::Role { op, org: &w.acme, role: &w.custom, next: None },
        Action::Assign(op) => Request::Assign { op, org: &w.acme, target: &w.bob, role: &w.read_only },
        Action::Access(op) => Request::Access { op, target: &w.bob, role: &w.global_read_only, last_global_admin: false },
        Action::Group(op) => Request::Group { op, org: &w.acme },
        Action::UserAdd => Request::UserAdd { org: &w.acme, roles: PermSet::EMPTY, target: None },
        Action::UserRemove => Request::UserRemove { org: &w.acme, target: &w.bob },
        Action::UserRestore => Request::UserRestore { org: &w.acme, target: &w.bob, roles: PermSet::EMPTY },
        Action::UserReset2fa => Request::UserReset2fa { target: &w.bob },
        Action::UserBindLogin => Request::UserBindLogin { target: &w.bob },
        Action::DbSet => Request::DbSet,
        Action::InviteSend => Request::InviteSend { target: &w.ivy },
    };
    decide(actor, &req)
}

/// The operation, organization and target a permit for `action` must carry.
fn expected_permit(action: Action) -> (Op, Option<i64>, Option<i64>) {
    match action {
        Action::Read(_) => (Op::Read, Some(ACME), None),
        Action::GlobalRead => (Op::Read, None, None),
        Action::OrgCreate => (Op::OrgCreate, None, None),
        Action::OrgSet => (Op::OrgSet, Some(ACME), None),
        Action::Role(op) | Action::Group(op) => (op, Some(ACME), None),
        Action::Assign(op) => (op, Some(ACME), Some(BOB)),
        Action::Access(op) => (op, None, Some(BOB)),
        Action::UserAdd => (Op::UserAdd, Some(ACME), None),
        Action::UserRemove => (Op::UserRemove, Some(ACME), Some(BOB)),
        Action::UserRestore => (Op::UserRestore, Some(ACME), Some(BOB)),
        Action::UserReset2fa => (Op::UserReset2fa, Some(ACME), Some(BOB)),
        Action::UserBindLogin => (Op::UserBindLogin, Some(ACME), Some(BOB)),
        Action::DbSet => (Op::DbSet, None, None),
        Action::InviteSend => (Op::InviteSend, Some(ACME), Some(IVY)),
    }
}

/// (action, the permission it needs, allowed for
/// [full-admin, read-only, helpdesk, no role, non-member, global-admin, global-read-only]).
const ROLE_TABLE: &[(Action, &str, [bool; 7])] = &[
    // Columns: FA RO HD NR NM GA GRO.
    (Action::Read(Perm::UserRead), "user:read", [Y, Y, Y, N, N, Y, Y]),
    (Action::Read(Perm::UserInvite), "user:invite", [Y, N, N, N, N, Y, N]),
    (Action::Read(Perm::UserRemove), "user:remove", [Y, N, N, N, N, Y, N]),
    (Action::Read(Perm::UserExport), "user:export", [Y, N, N, N, N, Y, N]),
    (Action::Read(Perm::UserReset2fa), "user:reset-2fa", [Y, N, Y, N, N, Y, N]),
    (Action::Read(Perm::RoleRead), "role:read", [Y, Y, N, N, N, Y, Y]),
    (Action::Read(Perm::RoleAssign), "role:assign", [Y, N, N, N, N, Y, N]),
    (Action::Read(Perm::RoleManage), "role:manage", [Y, N, N, N, N, Y, N]),
    (Action::Read(Perm::GroupRead), "group:read", [Y, Y, N, N, N, Y, Y]),
    (Action::Read(Perm::GroupManage), "group:manage", [Y, N, N, N, N, Y, N]),
    (Action::Read(Perm::AuditRead), "audit:read", [Y, Y, N, N, N, Y, Y]),
    (Action::Read(Perm::OrgAdmin), "org:admin", [Y, N, N, N, N, Y, N]),
    (Action::Read(Perm::GlobalRead), "global:read", [N, N, N, N, N, Y, Y]),
    (Action::Read(Perm::GlobalAdmin), "global:admin", [N, N, N, N, N, Y, N]),
    (Action::GlobalRead, "global:read", [N, N, N, N, N, Y, Y]),
    (Action::OrgCreate, "global:admin", [N, N, N, N, N, Y, N]),
    (Action::OrgSet, "org:admin", [Y, N, N, N, N, Y, N]),
    (Action::Role(Op::RoleCreate), "role:manage", [Y, N, N, N, N, Y, N]),
    (Action::Role(Op::RoleEdit), "role:manage", [Y, N, N, N, N, Y, N]),
    (Action::Role(Op::RoleDelete), "role:manage", [Y, N, N, N, N, Y, N]),
    (Action::Assign(Op::RoleAssign), "role:assign", [Y, N, N, N, N, Y, N]),
    (Action::Assign(Op::RoleUnassign), "role:assign", [Y, N, N, N, N, Y, N]),
    (Action::Access(Op::AccessGrant), "global:admin", [N, N, N, N, N, Y, N]),
    (Action::Access(Op::AccessRevoke), "global:admin", [N, N, N, N, N, Y, N]),
    (Action::Group(Op::GroupCreate), "group:manage", [Y, N, N, N, N, Y, N]),
    (Action::Group(Op::GroupDelete), "group:manage", [Y, N, N, N, N, Y, N]),
    (Action::Group(Op::GroupAddManager), "group:manage", [Y, N, N, N, N, Y, N]),
    (Action::Group(Op::GroupRemoveManager), "group:manage", [Y, N, N, N, N, Y, N]),
    (Action::Group(Op::GroupAddMember), "group:manage", [Y, N, N, N, N, Y, N]),
    (Action::Group(Op::GroupRemoveMember), "group:manage", [Y, N, N, N, N, Y, N]),
    (Action::UserAdd, "user:invite", [Y, N, N, N, N, Y, N]),
    (Action::UserRemove, "user:remove", [Y, N, N, N, N, Y, N]),
    (Action::UserRestore, "user:invite", [Y, N, N, N, N, Y, N]),
    (Action::UserReset2fa, "user:reset-2fa", [Y, N, Y, N, N, Y, N]),
    (Action::InviteSend, "user:invite", [Y, N, N, N, N, Y, N]),
    (Action::UserBindLogin, "org:admin", [Y, N, N, N, N, Y, N]),
    (Action::DbSet, "global:admin", [N, N, N, N, N, Y, N]),
];

fn is_global_perm(name: &str) -> bool {
    name.starts_with("global:")
}

#[test]
fn role_table_covers_every_permission() {
    for p in Perm::ALL {
        assert!(ROLE_TABLE.iter().any(|(a, _, _)| matches!(a, Action::Read(q) if *q == p)), "no Read row for {}", p.name());
    }
}

#[test]
fn every_action_by_every_builtin_role() {
    let w = world();
    let mut failures = Vec::new();
    let mut cases = 0;
    for (action, needed, allowed) in ROLE_TABLE {
        for (i, who) in WHO.iter().enumerate() {
            cases += 1;
            let actor = actor_as(*who);
            let got = perform(&actor, *action, &w);
            let problem = match (&got, allowed[i]) {
                (Ok(p), true) => {
                    let (op, org, target) = expected_permit(*action);
                    let seen = (p.op(), p.org_id(), p.target());
                    let ok = seen == (op, org, target) && p.actor_id() == Some(ACTOR) && p.actor_label() == "actor";
                    (!ok).then(|| format!("permit {seen:?}, expected {:?}", (op, org, target)))
                }
                (Err(e), false) => {
                    let want = if is_global_perm(needed) {
                        format!("permission denied: '{needed}' is needed (global roles are granted with 'acct access grant')")
                    } else {
                        format!("permission denied: '{needed}' is needed in acme ({})", you_have(*who))
                    };
                    (e.kind != Kind::Denied || e.message != want).then(|| format!("expected denial {want:?}, got {}", show(&got)))
                }
                (_, true) => Some(format!("expected allowed, got {}", show(&got))),
                (_, false) => Some(format!("expected denied, got {}", show(&got))),
            };
            if let Some(p) = problem {
                failures.push(format!("{action:?} by {who:?}: {p}"));
            }
        }
    }
    assert_eq!(cases, ROLE_TABLE.len() * WHO.len());
    assert!(failures.is_empty(), "{} of {cases} cases wrong:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn builtin_roles_hold_the_spec_permissions() {
    let names = |n: &str| builtin_perms(n).names();
    assert_eq!(names("full-admin"), vec!["org:admin"]);
    assert_eq!(names("read-only"), vec!["user:read", "role:read", "group:read", "audit:read"]);
    assert_eq!(names("helpdesk"), vec!["user:read", "user:reset-2fa"]);
    assert_eq!(names("global-admin"), vec!["global:admin"]);
    assert_eq!(names("global-read-only"), vec!["global:read"]);
    for (n, scope) in [
        ("full-admin", Scope::Org),
        ("read-only", Scope::Org),
        ("helpdesk", Scope::Org),
        ("global-admin", Scope::Global),
        ("global-read-only", Scope::Global),
    ] {
        assert_eq!(builtin(n).unwrap().scope, scope, "{n}");
    }
    // org:admin implies every organization permission, and no global one.
    let fa = builtin_perms("full-admin").effective();
    for p in Perm::ALL {
        assert_eq!(fa.has(p), !p.is_global(), "full-admin and {}", p.name());
    }
    // global:admin implies everything.
    let ga = builtin_perms("global-admin").effective();
    assert!(Perm::ALL.iter().all(|p| ga.has(*p)));
}

#[test]
fn builtin_roles_cannot_be_edited_or_deleted() {
    let admin = actor_as(Who::FullAdmin);
    let acme = acme();
    for name in ["full-admin", "read-only", "helpdesk"] {
        let role = role_facts(name);
        for op in [Op::RoleEdit, Op::RoleDelete] {
            let err = expect_conflict(decide(&admin, &Request::Role { op, org: &acme, role: &role, next: None }), &[]);
            assert_eq!(err.message, format!("'{name}' is a built-in role and cannot be changed"));
        }
    }
}

#[test]
fn custom_roles_hold_organization_permissions_only() {
    let admin = actor_as(Who::GlobalAdmin);
    let acme = acme();
    let role = custom_role("sneaky", &[Perm::UserRead, Perm::GlobalRead]);
    let err = expect_conflict(decide(&admin, &Request::Role { op: Op::RoleCreate, org: &acme, role: &role, next: None }), &[]);
    assert_eq!(err.message, "a custom role holds organization permissions only");
    assert!(err.hint.as_deref().unwrap_or("").contains("acct access"));
}

#[test]
fn access_grant_of_an_organization_role_is_a_conflict() {
    let root = actor_as(Who::GlobalAdmin);
    let w = world();
    let role = role_facts("full-admin");
    for op in [Op::AccessGrant, Op::AccessRevoke] {
        let err = expect_conflict(
            decide(&root, &Request::Access { op, target: &w.bob, role: &role, last_global_admin: false }),
            &["'full-admin' is an organization role"],
        );
        assert!(err.hint.as_deref().unwrap_or("").contains("acct role assign"), "{:?}", err.hint);
    }
}

#[test]
fn revoking_the_last_global_admin_is_a_conflict() {
    let root = actor_as(Who::GlobalAdmin);
    let w = world();
    let role = role_facts("global-admin");
    expect_conflict(
        decide(&root, &Request::Access { op: Op::AccessRevoke, target: &w.bob, role: &role, last_global_admin: true }),
        &["bob is the last active global-admin"],
    );
    allow(decide(&root, &Request::Access { op: Op::AccessRevoke, target: &w.bob, role: &role, last_global_admin: false }));
    // Granting is never blocked by the last-admin rule.
    allow(decide(&root, &Request::Access { op: Op::AccessGrant, target: &w.bob, role: &role, last_global_admin: true }));
}

/// SPEC §4: "`acct access grant USER ROLE` / `revoke` / `list` — global roles;
/// requires `global:admin`." The engine documents `Request::GlobalRead` as the
/// request for `access list` (and `service::access::list` uses it), but it only
/// needs `global:read`, so a global-read-only user may list the global roles.
#[test]
fn access_list_requires_global_admin() {
    let gro = actor_as(Who::GlobalReadOnly);
    expect_denied(
        decide(&gro, &Request::AccessList),
        "permission denied: 'global:admin' is needed (global roles are granted with 'acct access grant')",
    );
}

// ---------------------------------------------------------------------------
// 4. Invariants
// ---------------------------------------------------------------------------

// --- the last active full-admin ---

struct LastAdminWorld {
    acme: OrgFacts,
    /// The only active full-admin of acme.
    alice: Subject,
    /// A global admin who is not a member of acme.
    root: Subject,
}

fn last_admin_world() -> LastAdminWorld {
    let acme = acme();
    LastAdminWorld {
        alice: user(1, "alice").primary(&acme, ACME_EVERYONE).role(ACME, "full-admin").last_admin_of(ACME).build(),
        root: user(99, "root").global("global-admin").build(),
        acme,
    }
}

#[test]
fn removing_the_last_full_admin_is_a_conflict() {
    let w = last_admin_world();
    for actor in [&w.root, &w.alice] {
        let err = expect_conflict(
            decide(actor, &Request::UserRemove { org: &w.acme, target: &w.alice }),
            &["alice is the last active full-admin of acme"],
        );
        assert_eq!(err.message, "alice is the last active full-admin of acme");
        assert!(err.hint.is_some());
    }
    // Removing her from another organization is not blocked by acme's rule.
    let globex = globex();
    let alice_in_both =
        user(1, "alice").primary(&w.acme, ACME_EVERYONE).role(ACME, "full-admin").member(GLOBEX).last_admin_of(ACME).build();
    allow(decide(&w.root, &Request::UserRemove { org: &globex, target: &alice_in_both }));
}

#[test]
fn removing_a_full_admin_who_is_not_the_last_is_allowed() {
    let w = last_admin_world();
    let alice = user(1, "alice").primary(&w.acme, ACME_EVERYONE).role(ACME, "full-admin").build();
    let p = expect_allowed(decide(&w.root, &Request::UserRemove { org: &w.acme, target: &alice }));
    assert_eq!((p.op(), p.target()), (Op::UserRemove, Some(1)));
}

#[test]
fn unassigning_full_admin_from_the_last_one_is_a_conflict() {
    let w = last_admin_world();
    let fa = role_facts("full-admin");
    for actor in [&w.root, &w.alice] {
        expect_conflict(
            decide(actor, &Request::Assign { op: Op::RoleUnassign, org: &w.acme, target: &w.alice, role: &fa }),
            &["alice is the last active full-admin of acme"],
        );
    }
    // Other roles may be unassigned from her, and full-admin may be assigned.
    let ro = role_facts("read-only");
    allow(decide(&w.root, &Request::Assign { op: Op::RoleUnassign, org: &w.acme, target: &w.alice, role: &ro }));
    allow(decide(&w.root, &Request::Assign { op: Op::RoleAssign, org: &w.acme, target: &w.alice, role: &fa }));
    // Not the last one: fine.
    let alice = user(1, "alice").primary(&w.acme, ACME_EVERYONE).role(ACME, "full-admin").build();
    allow(decide(&w.root, &Request::Assign { op: Op::RoleUnassign, org: &w.acme, target: &alice, role: &fa }));
}

#[test]
fn deactivating_the_last_full_admin_is_a_conflict() {
    let w = last_admin_world();
    let e = EditFacts { deactivating: true, ..edit(&[Field::Active]) };
    for actor in [&w.root, &w.alice] {
        expect_conflict(
            decide(actor, &Request::UserEdit { target: &w.alice, edit: &e }),
            &["alice is the last active full-admin of an organization"],
        );
    }
    let alice = user(1, "alice").primary(&w.acme, ACME_EVERYONE).role(ACME, "full-admin").build();
    allow(decide(&w.root, &Request::UserEdit { target: &alice, edit: &e }));
    // Editing `active` without deactivating (reactivation) is not blocked.
    let e = edit(&[Field::Active]);
    allow(decide(&w.root, &Request::UserEdit { target: &w.alice, edit: &e }));
}

// --- no privilege escalation ---

/// A helpdesk member of acme who was also given `role:assign` and
/// `user:invite` through a custom role.
fn helpdesk_plus() -> Subject {
    user(7, "hank")
        .primary(&acme(), ACME_EVERYONE)
        .role(ACME, "helpdesk")
        .perms(ACME, &[Perm::RoleAssign, Perm::UserInvite])
        .build()
}

#[test]
fn helpdesk_with_role_assign_cannot_assign_full_admin() {
    let w = world();
    let hank = helpdesk_plus();
    let fa = role_facts("full-admin");
    expect_denied(
        decide(&hank, &Request::Assign { op: Op::RoleAssign, org: &w.acme, target: &w.bob, role: &fa }),
        "permission denied: assigning 'full-admin' would grant \
         user:remove user:export role:read role:manage group:read group:manage audit:read org:admin \
         in acme, which you do not hold",
    );
    let ro = role_facts("read-only");
    expect_denied(
        decide(&hank, &Request::Assign { op: Op::RoleAssign, org: &w.acme, target: &w.bob, role: &ro }),
        "permission denied: assigning 'read-only' would grant role:read group:read audit:read in acme, which you do not hold",
    );
    // A role within his own permissions is fine.
    let hd = role_facts("helpdesk");
    allow(decide(&hank, &Request::Assign { op: Op::RoleAssign, org: &w.acme, target: &w.bob, role: &hd }));
    let custom = custom_role("inviter", &[Perm::UserInvite, Perm::UserRead]);
    allow(decide(&hank, &Request::Assign { op: Op::RoleAssign, org: &w.acme, target: &w.bob, role: &custom }));
}

#[test]
fn permissions_held_elsewhere_do_not_count_for_escalation() {
    let w = world();
    // role:assign in acme, full-admin only in globex.
    let erin =
        user(8, "erin").primary(&acme(), ACME_EVERYONE).perms(ACME, &[Perm::RoleAssign]).role(GLOBEX, "full-admin").build();
    let fa = role_facts("full-admin");
    expect_denied_with(
        decide(&erin, &Request::Assign { op: Op::RoleAssign, org: &w.acme, target: &w.bob, role: &fa }),
        &["assigning 'full-admin' would grant", "org:admin in acme"],
    );
}

#[test]
fn user_add_with_roles_beyond_the_actor_is_denied() {
    let w = world();
    let hank = helpdesk_plus();
    expect_denied(
        decide(&hank, &Request::UserAdd { org: &w.acme, roles: builtin_perms("read-only"), target: None }),
        "permission denied: adding a user with these roles would grant role:read group:read audit:read in acme, which you do not hold",
    );
    expect_denied_with(
        decide(&hank, &Request::UserAdd { org: &w.acme, roles: builtin_perms("full-admin"), target: None }),
        &["adding a user with these roles would grant", "org:admin in acme"],
    );
    let p = expect_allowed(decide(&hank, &Request::UserAdd { org: &w.acme, roles: builtin_perms("helpdesk"), target: Some(42) }));
    assert_eq!((p.op(), p.target(), p.org_slug()), (Op::UserAdd, Some(42), Some("acme")));
    // An org admin may add anybody with any organization role.
    let alice = actor_as(Who::FullAdmin);
    allow(decide(&alice, &Request::UserAdd { org: &w.acme, roles: builtin_perms("full-admin"), target: None }));
}

#[test]
fn user_restore_with_roles_beyond_the_actor_is_denied() {
    let w = world();
    let hank = helpdesk_plus();
    expect_denied_with(
        decide(&hank, &Request::UserRestore { org: &w.acme, target: &w.bob, roles: builtin_perms("full-admin") }),
        &["restoring this user's roles would grant", "org:admin in acme"],
    );
    allow(decide(&hank, &Request::UserRestore { org: &w.acme, target: &w.bob, roles: builtin_perms("helpdesk") }));
}

#[test]
fn unassigning_a_role_beyond_the_actor_is_denied() {
    // Otherwise a helpdesk member with role:assign could strip an org admin.
    let w = world();
    let hank = helpdesk_plus();
    let alice = user(1, "alice").primary(&w.acme, ACME_EVERYONE).role(ACME, "full-admin").build();
    let fa = role_facts("full-admin");
    expect_denied_with(
        decide(&hank, &Request::Assign { op: Op::RoleUnassign, org: &w.acme, target: &alice, role: &fa }),
        &["unassigning 'full-admin'", "org:admin in acme"],
    );
    let ro = role_facts("read-only");
    expect_denied_with(
        decide(&hank, &Request::Assign { op: Op::RoleUnassign, org: &w.acme, target: &w.bob, role: &ro }),
        &["unassigning 'read-only'", "role:read group:read audit:read in acme"],
    );
    let hd = role_facts("helpdesk");
    allow(decide(&hank, &Request::Assign { op: Op::RoleUnassign, org: &w.acme, target: &w.bob, role: &hd }));
}

// --- no acting on a more privileged user ---

#[test]
fn helpdesk_cannot_reset_the_2fa_of_an_org_admin() {
    let acme = acme();
    let helen = user(5, "helen").primary(&acme, ACME_EVERYONE).role(ACME, "helpdesk").build();
    let alice = user(1, "alice").primary(&acme, ACME_EVERYONE).role(ACME, "full-admin").build();
    expect_denied(
        decide(&helen, &Request::UserReset2fa { target: &alice }),
        "permission denied: cannot reset the 2FA of alice: they hold \
         user:invite user:remove user:export role:read role:assign role:manage group:read group:manage audit:read org:admin \
         in acme, which you do not",
    );
}

#[test]
fn reset_2fa_against_target_privileges() {
    let acme = acme();
    let helen = user(5, "helen").primary(&acme, ACME_EVERYONE).role(ACME, "helpdesk").build();
    let alice = user(1, "alice").primary(&acme, ACME_EVERYONE).role(ACME, "full-admin").build();
    let other_helpdesk = user(6, "harry").primary(&acme, ACME_ENG).role(ACME, "helpdesk").build();
    let reader = user(7, "rita").primary(&acme, ACME_ENG).role(ACME, "read-only").build();
    let plain = user(8, "paul").primary(&acme, ACME_ENG).build();
    let global_admin_member = user(9, "gus").primary(&acme, ACME_ENG).global("global-admin").build();

    // (actor, target, allowed)
    let cases: [(&Subject, &Subject, bool); 9] = [
        (&alice, &helen, true),
        (&alice, &reader, true),
        (&alice, &plain, true),
        (&helen, &other_helpdesk, true),
        (&helen, &plain, true),
        (&helen, &helen, true),
        (&helen, &alice, false),
        // read-only holds role:read group:read audit:read, which helpdesk lacks.
        (&helen, &reader, false),
        // A global admin holds global:admin there too, which an org admin lacks.
        (&alice, &global_admin_member, false),
    ];
    for (actor, target, allowed) in cases {
        let got = decide(actor, &Request::UserReset2fa { target });
        if allowed {
            let p = expect_allowed(got);
            assert_eq!((p.op(), p.target(), p.org_id()), (Op::UserReset2fa, Some(target.id), Some(ACME)));
        } else {
            expect_denied_with(got, &[&format!("cannot reset the 2FA of {}: they hold", target.label), "which you do not"]);
        }
    }
}

#[test]
fn removing_or_deactivating_a_more_privileged_user_is_denied() {
    let acme = acme();
    let alice = user(1, "alice").primary(&acme, ACME_ENG).role(ACME, "full-admin").build();
    // rob may remove users but holds nothing else.
    let rob = user(5, "rob").primary(&acme, ACME_EVERYONE).perms(ACME, &[Perm::UserRead, Perm::UserRemove]).build();
    expect_denied_with(
        decide(&rob, &Request::UserRemove { org: &acme, target: &alice }),
        &["cannot remove alice: they hold", "org:admin in acme, which you do not"],
    );
    let plain = user(8, "paul").primary(&acme, ACME_ENG).build();
    allow(decide(&rob, &Request::UserRemove { org: &acme, target: &plain }));

    // carol manages alice's primary group but holds no role.
    let carol = user(3, "carol").primary(&acme, ACME_EVERYONE).manages(ACME_ENG).build();
    let e = EditFacts { deactivating: true, ..edit(&[Field::Active]) };
    expect_denied_with(
        decide(&carol, &Request::UserEdit { target: &alice, edit: &e }),
        &["cannot deactivate alice: they hold", "org:admin in acme, which you do not"],
    );
    allow(decide(&carol, &Request::UserEdit { target: &plain, edit: &e }));
}

#[test]
fn resending_an_invitation_to_a_more_privileged_user_is_denied() {
    let acme = acme();
    let inviter = user(5, "ingrid").primary(&acme, ACME_EVERYONE).perms(ACME, &[Perm::UserRead, Perm::UserInvite]).build();
    let invited_admin = user(6, "ada").primary(&acme, ACME_ENG).role(ACME, "full-admin").status(Status::Invited).build();
    let invited_plain = user(7, "ivy").primary(&acme, ACME_ENG).status(Status::Invited).build();
    expect_denied_with(
        decide(&inviter, &Request::InviteSend { target: &invited_admin }),
        &["cannot send an invitation to ada: they hold", "org:admin in acme, which you do not"],
    );
    allow(decide(&inviter, &Request::InviteSend { target: &invited_plain }));
    // An accepted invitation cannot be re-sent.
    let active = user(8, "paul").primary(&acme, ACME_ENG).build();
    expect_conflict(decide(&inviter, &Request::InviteSend { target: &active }), &["paul has already accepted their invitation"]);
}

// --- global roles are not assigned with `acct role` ---

#[test]
fn global_roles_via_assign_are_a_conflict_with_an_access_hint() {
    let w = world();
    for name in ["global-admin", "global-read-only"] {
        let role = role_facts(name);
        for who in [Who::FullAdmin, Who::GlobalAdmin, Who::Helpdesk] {
            let actor = actor_as(who);
            for op in [Op::RoleAssign, Op::RoleUnassign] {
                let err = expect_conflict(
                    decide(&actor, &Request::Assign { op, org: &w.acme, target: &w.bob, role: &role }),
                    &[&format!("'{name}' is a global role")],
                );
                let hint = err.hint.as_deref().unwrap_or("");
                assert!(hint.contains("acct access grant"), "{who:?} {op:?}: hint {hint:?}");
            }
        }
    }
}

// --- reset-2fa under SSO ---

#[test]
fn reset_2fa_is_refused_while_sso_manages_2fa() {
    let acme_sso = org(ACME, "acme", true, true);
    let alice = user(1, "alice").primary(&acme_sso, ACME_EVERYONE).role(ACME, "full-admin").build();
    let bob = user(2, "bob").primary(&acme_sso, ACME_ENG).build();
    let err = expect_conflict(decide(&alice, &Request::UserReset2fa { target: &bob }), &["2FA is managed by your SSO provider"]);
    assert!(err.hint.as_deref().unwrap_or("").contains("sso-disabled"), "{:?}", err.hint);
    // Also for a global admin, and for the user themself.
    expect_conflict(
        decide(&actor_as(Who::GlobalAdmin), &Request::UserReset2fa { target: &bob }),
        &["2FA is managed by your SSO provider"],
    );
    // With sso_disabled the reset goes ahead.
    let bob_local = user(2, "bob").primary(&acme_sso, ACME_ENG).sso_disabled().build();
    allow(decide(&alice, &Request::UserReset2fa { target: &bob_local }));
    // Without sso the flag does not matter.
    let acme_plain = acme();
    let bob_plain = user(2, "bob").primary(&acme_plain, ACME_ENG).build();
    let alice_plain = user(1, "alice").primary(&acme_plain, ACME_EVERYONE).role(ACME, "full-admin").build();
    allow(decide(&alice_plain, &Request::UserReset2fa { target: &bob_plain }));
}

#[test]
fn reset_2fa_permission_is_checked_before_sso() {
    // Someone who may not reset 2FA at all is told so, not about SSO.
    let acme_sso = org(ACME, "acme", true, true);
    let reader = user(7, "rita").primary(&acme_sso, ACME_EVERYONE).role(ACME, "read-only").build();
    let bob = user(2, "bob").primary(&acme_sso, ACME_ENG).build();
    expect_denied(
        decide(&reader, &Request::UserReset2fa { target: &bob }),
        "permission denied: 'user:reset-2fa' is needed in acme (you have user:read role:read group:read audit:read)",
    );
}

// --- an actor who may do nothing ---

/// Every action of the table, plus an edit and the actor's own 2FA.
fn every_request_kind(actor: &Subject, w: &World) -> Vec<(String, Result<Permit, Refusal>)> {
    let mut out: Vec<(String, Result<Permit, Refusal>)> =
        ROLE_TABLE.iter().map(|(a, _, _)| (format!("{a:?}"), perform(actor, *a, w))).collect();
    let e = edit(&[Field::FullName]);
    out.push(("UserEdit".into(), decide(actor, &Request::UserEdit { target: &w.bob, edit: &e })));
    out.push(("UserEdit(self)".into(), decide(actor, &Request::UserEdit { target: actor, edit: &e })));
    out.push(("Has".into(), decide(actor, &Request::Has { org: &w.acme, perm: Perm::UserRead })));
    out.push(("OrgView".into(), decide(actor, &Request::OrgView { org: &w.acme })));
    out.push(("2fa enroll".into(), decide(actor, &Request::OwnTwoFactor { op: Op::TwoFactorEnroll })));
    out.push(("2fa verify".into(), decide(actor, &Request::OwnTwoFactor { op: Op::TwoFactorVerify })));
    out
}

/// The most privileged actor there is: full-admin of acme and global admin.
fn super_actor() -> UserBuilder {
    user(ACTOR, "zed").primary(&acme(), ACME_EVERYONE).role(ACME, "full-admin").global("global-admin").manages(ACME_ENG)
}

#[test]
fn the_super_actor_may_do_everything_while_active() {
    let w = world();
    let zed = super_actor().build();
    for (what, got) in every_request_kind(&zed, &w) {
        assert!(got.is_ok(), "{what}: {}", show(&got));
    }
}

#[test]
fn inactive_invited_or_trashed_actors_may_do_nothing() {
    let w = world();
    let cases = [
        (super_actor().status(Status::Inactive).build(), "permission denied: the actor zed is inactive"),
        (super_actor().status(Status::Invited).build(), "permission denied: the actor zed has not accepted their invitation yet"),
        (super_actor().trashed().build(), "permission denied: the actor zed has been removed from every organization"),
    ];
    for (actor, message) in cases {
        assert_eq!(check_actor(&actor).unwrap_err().message, message);
        for (what, got) in every_request_kind(&actor, &w) {
            let e = match got {
                Ok(p) => panic!("{what} by a {:?} actor: allowed ({})", actor.status, p.op().name()),
                Err(e) => e,
            };
            assert_eq!((e.kind, e.message.as_str()), (Kind::Denied, message), "{what}");
        }
    }
}

// --- the primary group ---

#[test]
fn manager_may_set_only_a_primary_group_they_also_manage() {
    let acme = acme();
    let bob = user(2, "bob").primary(&acme, ACME_ENG).build();
    let carol = user(3, "carol").primary(&acme, ACME_EVERYONE).manages(ACME_ENG).build();
    let to_sales = EditFacts { new_primary_group: Some((ACME_SALES, ACME)), ..edit(&[Field::PrimaryGroup]) };
    expect_denied(
        decide(&carol, &Request::UserEdit { target: &bob, edit: &to_sales }),
        "permission denied: a manager may set a primary group only to a group they also manage \
         (you are manager of the user's primary group)",
    );
    // When she manages the new group too, she may.
    let carol_both = user(3, "carol").primary(&acme, ACME_EVERYONE).manages(ACME_ENG).manages(ACME_SALES).build();
    let p = expect_allowed(decide(&carol_both, &Request::UserEdit { target: &bob, edit: &to_sales }));
    assert_eq!(p.fields(), [Field::PrimaryGroup]);
    // Managing only the new group is no relation to bob.
    let carol_sales = user(3, "carol").primary(&acme, ACME_EVERYONE).manages(ACME_SALES).build();
    expect_denied_with(
        decide(&carol_sales, &Request::UserEdit { target: &bob, edit: &to_sales }),
        &["'primary_group' can be changed only by"],
    );
}

#[test]
fn org_admin_may_set_any_primary_group() {
    let acme = acme();
    let bob = user(2, "bob").primary(&acme, ACME_ENG).build();
    let to_sales = EditFacts { new_primary_group: Some((ACME_SALES, ACME)), ..edit(&[Field::PrimaryGroup]) };
    let alice = user(1, "alice").primary(&acme, ACME_EVERYONE).role(ACME, "full-admin").build();
    allow(decide(&alice, &Request::UserEdit { target: &bob, edit: &to_sales }));
    let root = actor_as(Who::GlobalAdmin);
    allow(decide(&root, &Request::UserEdit { target: &bob, edit: &to_sales }));
}

#[test]
fn primary_group_in_an_organization_the_user_is_not_in_is_a_conflict() {
    let acme = acme();
    let bob = user(2, "bob").primary(&acme, ACME_ENG).build();
    let root = actor_as(Who::GlobalAdmin);
    let to_globex = EditFacts { new_primary_group: Some((GLOBEX_EVERYONE, GLOBEX)), ..edit(&[Field::PrimaryGroup]) };
    expect_conflict(
        decide(&root, &Request::UserEdit { target: &bob, edit: &to_globex }),
        &["bob is not a member of the new primary group's organization"],
    );
    // A member of globex may be moved there by someone who is org admin on both sides.
    let bob_both = user(2, "bob").primary(&acme, ACME_ENG).member(GLOBEX).build();
    allow(decide(&root, &Request::UserEdit { target: &bob_both, edit: &to_globex }));
}

// ---------------------------------------------------------------------------
// 5. Permits
// ---------------------------------------------------------------------------

#[test]
fn a_permit_covers_only_its_operation_and_target() {
    let w = world();
    let alice = actor_as(Who::FullAdmin);
    let p = expect_allowed(decide(&alice, &Request::UserRemove { org: &w.acme, target: &w.bob }));
    assert_eq!(p.op(), Op::UserRemove);
    assert_eq!(p.actor_id(), Some(ACTOR));
    assert_eq!(p.org_id(), Some(ACME));
    assert_eq!(p.org_slug(), Some("acme"));
    assert_eq!(p.target(), Some(BOB));

    assert!(p.check(Op::UserRemove, Some(BOB)).is_ok());
    // Another target.
    let e = p.check(Op::UserRemove, Some(IVY)).unwrap_err();
    assert_eq!(e.kind, Kind::Failure);
    assert!(e.message.starts_with("internal error: a permit for user.remove"), "{}", e.message);
    // Another operation on the same target.
    for op in [Op::UserEdit, Op::UserReset2fa, Op::RoleAssign, Op::RoleUnassign, Op::UserRestore, Op::Read] {
        let e = p.check(op, Some(BOB)).unwrap_err();
        assert_eq!(e.kind, Kind::Failure);
        assert_eq!(e.message, format!("internal error: a permit for user.remove does not cover {}", op.name()));
    }
}

#[test]
fn a_read_permit_covers_no_write() {
    let w = world();
    let reader = actor_as(Who::ReadOnly);
    let p = expect_allowed(decide(&reader, &Request::Read { org: &w.acme, perm: Perm::UserRead }));
    assert_eq!(p.op(), Op::Read);
    assert!(p.check(Op::Read, None).is_ok());
    for op in [Op::UserEdit, Op::UserRemove, Op::GroupCreate, Op::OrgSet, Op::RoleCreate] {
        assert_eq!(p.check(op, None).unwrap_err().kind, Kind::Failure, "{}", op.name());
    }
}

#[test]
fn a_permit_without_target_refuses_a_targeted_check() {
    let w = world();
    let alice = actor_as(Who::FullAdmin);
    let p = expect_allowed(decide(&alice, &Request::Group { op: Op::GroupCreate, org: &w.acme }));
    assert!(p.check(Op::GroupCreate, None).is_ok());
    assert_eq!(p.check(Op::GroupDelete, None).unwrap_err().kind, Kind::Failure);
    assert_eq!(p.check(Op::GroupCreate, Some(BOB)).unwrap_err().kind, Kind::Failure);
}

#[test]
fn an_edit_permit_carries_its_fields() {
    let w = world();
    let alice = actor_as(Who::FullAdmin);
    let e = edit(&[Field::Email, Field::Require2fa]);
    let p = expect_allowed(decide(&alice, &Request::UserEdit { target: &w.bob, edit: &e }));
    assert_eq!((p.op(), p.target(), p.org_id()), (Op::UserEdit, Some(BOB), Some(ACME)));
    assert_eq!(p.fields(), [Field::Email, Field::Require2fa]);
    assert!(p.check(Op::UserEdit, Some(BOB)).is_ok());
    assert!(p.check(Op::UserEdit, Some(IVY)).is_err());
    assert!(p.check(Op::UserRemove, Some(BOB)).is_err());
}

#[test]
fn init_and_accept_permits() {
    let p = decide_init(true).unwrap();
    assert_eq!((p.op(), p.actor_id()), (Op::Init, None));
    assert!(p.check(Op::Init, None).is_ok());
    assert!(p.check(Op::OrgCreate, None).is_err());
    let e = decide_init(false).unwrap_err();
    assert_eq!((e.kind, e.message.as_str()), (Kind::Conflict, "the database is already initialized"));

    let ivy = user(IVY, "ivy").status(Status::Invited).build();
    let p = decide_accept(&ivy, None, true).unwrap();
    assert_eq!((p.op(), p.actor_id(), p.target()), (Op::InviteAccept, Some(IVY), Some(IVY)));
    assert!(p.check(Op::InviteAccept, Some(IVY)).is_ok());
    assert!(p.check(Op::InviteAccept, Some(BOB)).is_err());
    assert!(p.check(Op::UserEdit, Some(IVY)).is_err());
    assert_eq!(decide_accept(&ivy, None, false).unwrap_err().kind, Kind::Denied);
    // A deactivated account cannot be activated by accepting its invitation.
    let gone = user(IVY, "ivy").status(Status::Inactive).build();
    let e = decide_accept(&gone, None, true).unwrap_err();
    assert_eq!((e.kind, e.message.as_str()), (Kind::Conflict, "this account has been deactivated"));
}

// ---------------------------------------------------------------------------
// 6. Properties over random custom roles
// ---------------------------------------------------------------------------

mod properties {
    use super::*;
    use proptest::prelude::*;

    const ORG_PERMS: [Perm; 12] = [
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
    ];

    fn perm_set() -> impl Strategy<Value = Vec<Perm>> {
        proptest::sample::subsequence(ORG_PERMS.to_vec(), 0..=ORG_PERMS.len())
    }

    fn role_of(perms: &[Perm]) -> RoleFacts {
        RoleFacts { name: "custom".into(), scope: Scope::Org, perms: PermSet::of(perms), builtin: false }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// No sequence of `role assign` (to oneself or to an accomplice whose
        /// roles the actor then borrows) gives the actor a permission it
        /// lacked: an allowed assignment only grants what the actor holds.
        #[test]
        fn role_assign_never_escalates(start in perm_set(), roles in proptest::collection::vec(perm_set(), 1..12)) {
            let acme = acme();
            let mut actor = user(1, "mallory").primary(&acme, ACME_EVERYONE).perms(ACME, &start).build();
            let initial = actor.perms_in(ACME);
            for r in &roles {
                let role = role_of(r);
                let me = actor.clone();
                if decide(&actor, &Request::Assign { op: Op::RoleAssign, org: &acme, target: &me, role: &role }).is_ok() {
                    prop_assert!(initial.contains_all(role.perms.effective()), "assigned {} beyond {}", role.perms, initial);
                    for (o, p) in &mut actor.memberships {
                        if *o == ACME {
                            *p = p.union(role.perms);
                        }
                    }
                }
            }
            prop_assert_eq!(actor.perms_in(ACME), initial);
        }

        /// No sequence of `role create`, `role edit` and `role assign` lets
        /// an actor gain a permission it lacked: roles are created and
        /// edited only with held permissions, edits of a role the actor
        /// holds cannot widen it, and assignments grant only held ones. The
        /// world is modelled (the roles and what the actor holds) and every
        /// step the engine allows is applied to it.
        #[test]
        fn role_create_edit_assign_never_escalate(
            start in perm_set(),
            steps in proptest::collection::vec((0u8..3, perm_set(), 0usize..4), 1..16),
        ) {
            let acme = acme();
            // Roles in the org: (perms, held by the actor). Role 0 is what
            // the actor starts with.
            let mut roles: Vec<(PermSet, bool)> = vec![(PermSet::of(&start), true)];
            let actor_of = |roles: &Vec<(PermSet, bool)>| {
                let held = roles.iter().filter(|(_, h)| *h).fold(PermSet::EMPTY, |a, (p, _)| a.union(*p));
                user(1, "mallory").primary(&acme, ACME_EVERYONE).perms(ACME, &held.iter().collect::<Vec<_>>()).build()
            };
            let initial = actor_of(&roles).perms_in(ACME);
            for (kind, perms, pick) in &steps {
                let actor = actor_of(&roles);
                let wanted = PermSet::of(perms);
                let i = pick % roles.len();
                match kind {
                    0 => {
                        let role = RoleFacts { perms: wanted, ..role_of(&[]) };
                        if decide(&actor, &Request::Role { op: Op::RoleCreate, org: &acme, role: &role, next: None }).is_ok() {
                            roles.push((wanted, false));
                        }
                    }
                    1 => {
                        let role = RoleFacts { perms: roles[i].0, ..role_of(&[]) };
                        if decide(&actor, &Request::Role { op: Op::RoleEdit, org: &acme, role: &role, next: Some(wanted) }).is_ok() {
                            roles[i].0 = wanted;
                        }
                    }
                    _ => {
                        let role = RoleFacts { perms: roles[i].0, ..role_of(&[]) };
                        let me = actor.clone();
                        if decide(&actor, &Request::Assign { op: Op::RoleAssign, org: &acme, target: &me, role: &role }).is_ok() {
                            roles[i].1 = true;
                        }
                    }
                }
                let now = actor_of(&roles).perms_in(ACME);
                prop_assert!(initial.contains_all(now), "gained {} (had {})", initial.missing(now), initial);
            }
        }

        /// Acting on a user (remove, reset 2FA, resend) needs every permission
        /// the target holds; so a member without org:admin never acts on an
        /// org admin.
        #[test]
        fn no_acting_on_a_more_privileged_user(actor_perms in perm_set(), target_perms in perm_set()) {
            let acme = acme();
            let actor = user(1, "a").primary(&acme, ACME_EVERYONE).perms(ACME, &actor_perms).build();
            let target = user(2, "t").primary(&acme, ACME_EVERYONE).perms(ACME, &target_perms).build();
            let holds_all = actor.perms_in(ACME).contains_all(target.perms_in(ACME));
            for req in [
                Request::UserRemove { org: &acme, target: &target },
                Request::UserReset2fa { target: &target },
            ] {
                if decide(&actor, &req).is_ok() {
                    prop_assert!(holds_all, "{:?} allowed on a more privileged target", req);
                }
            }
            if target.perms_in(ACME).has(Perm::OrgAdmin) && !actor.perms_in(ACME).has(Perm::OrgAdmin) {
                let refused = decide(&actor, &Request::UserReset2fa { target: &target }).is_err();
                prop_assert!(refused, "a member without org:admin reset an org admin's 2FA");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// 7. Role create/edit/delete × held permissions; identity changes across
//    organizations; the group rule (SPEC §3)
// ---------------------------------------------------------------------------

#[test]
fn role_create_edit_delete_against_held_permissions() {
    use Perm::*;
    let acme = acme();
    // (actor's permissions, the role as it is, the permissions after, op, allowed)
    type Case<'a> = (&'a [Perm], &'a [Perm], Option<&'a [Perm]>, Op, bool);
    let cases: &[Case<'_>] = &[
        // create: only permissions the actor holds
        (&[RoleManage], &[RoleManage], None, Op::RoleCreate, true),
        (&[RoleManage], &[OrgAdmin], None, Op::RoleCreate, false),
        (&[RoleManage], &[RoleManage, UserRemove], None, Op::RoleCreate, false),
        (&[RoleManage, UserRead, AuditRead], &[UserRead, AuditRead], None, Op::RoleCreate, true),
        (&[OrgAdmin], &[OrgAdmin], None, Op::RoleCreate, true),
        (&[UserRead], &[UserRead], None, Op::RoleCreate, false),
        // edit: the actor holds the role's permissions and the new ones
        (&[RoleManage], &[RoleManage], Some(&[RoleManage, OrgAdmin]), Op::RoleEdit, false),
        (&[RoleManage], &[RoleManage], Some(&[UserInvite]), Op::RoleEdit, false),
        (&[RoleManage, UserRead], &[RoleManage], Some(&[RoleManage, UserRead]), Op::RoleEdit, true),
        (&[RoleManage], &[RoleManage, UserRemove], Some(&[RoleManage]), Op::RoleEdit, false),
        (&[RoleManage], &[RoleManage, UserRemove], None, Op::RoleEdit, false),
        (&[RoleManage], &[RoleManage], None, Op::RoleEdit, true),
        (&[OrgAdmin], &[UserRemove], Some(&[OrgAdmin]), Op::RoleEdit, true),
        // delete: every permission of the role
        (&[RoleManage], &[RoleManage, UserRemove], None, Op::RoleDelete, false),
        (&[RoleManage, UserRemove], &[RoleManage, UserRemove], None, Op::RoleDelete, true),
        (&[RoleManage], &[OrgAdmin], None, Op::RoleDelete, false),
        (&[OrgAdmin], &[OrgAdmin], None, Op::RoleDelete, true),
    ];
    for (i, (have, role, next, op, allowed)) in cases.iter().enumerate() {
        let actor = user(1, "eve").primary(&acme, ACME_EVERYONE).perms(ACME, have).build();
        let role = custom_role("r", role);
        let next = next.map(PermSet::of);
        let r = decide(&actor, &Request::Role { op: *op, org: &acme, role: &role, next });
        match (r, allowed) {
            (Ok(p), true) => assert_eq!((p.op(), p.org_id()), (*op, Some(ACME)), "case {i}"),
            (Err(e), false) => assert_eq!(e.kind, Kind::Denied, "case {i}: {}", e.message),
            (r, _) => panic!("case {i}: {op:?} with {have:?} on {:?} → {next:?}: {:?}", role.perms, r.map(|p| p.op())),
        }
    }
    // The messages say what was missing.
    let eve = user(1, "eve").primary(&acme, ACME_EVERYONE).perms(ACME, &[RoleManage]).build();
    let rm = custom_role("rm", &[RoleManage]);
    let e = decide(
        &eve,
        &Request::Role { op: Op::RoleEdit, org: &acme, role: &rm, next: Some(PermSet::of(&[RoleManage, UserRead])) },
    )
    .unwrap_err();
    assert_eq!(e.message, "permission denied: editing 'rm' would grant user:read in acme, which you do not hold");
    let strong = custom_role("strong", &[RoleManage, UserRemove]);
    let e = decide(&eve, &Request::Role { op: Op::RoleDelete, org: &acme, role: &strong, next: None }).unwrap_err();
    assert_eq!(e.message, "permission denied: deleting 'strong' needs every permission it has; you lack user:remove in acme");
}

#[test]
fn identity_changes_need_the_targets_permissions_in_every_organization() {
    let acme = acme();
    // boss: a plain member of acme (primary group there), full-admin of globex.
    let boss = user(2, "boss").primary(&acme, ACME_ENG).member(GLOBEX).role(GLOBEX, FULL_ADMIN).build();
    let helpdesk = user(1, "hd").primary(&acme, ACME_EVERYONE).role(ACME, "helpdesk").build();
    let manager = user(3, "gm").primary(&acme, ACME_EVERYONE).manages(ACME_ENG).build();
    let acme_admin = user(4, "adm").primary(&acme, ACME_EVERYONE).role(ACME, FULL_ADMIN).build();
    let both_admin = user(5, "both").primary(&acme, ACME_EVERYONE).role(ACME, FULL_ADMIN).role(GLOBEX, FULL_ADMIN).build();
    let global = user(6, "root").global(GLOBAL_ADMIN).build();
    let deactivate = EditFacts { deactivating: true, ..edit(&[Field::Active]) };
    let email = edit(&[Field::Email]);
    let name = edit(&[Field::FirstName]);
    // (actor, request, allowed)
    let cases: Vec<(&Subject, Request<'_>, bool)> = vec![
        (&helpdesk, Request::UserReset2fa { target: &boss }, false),
        (&acme_admin, Request::UserReset2fa { target: &boss }, false),
        (&both_admin, Request::UserReset2fa { target: &boss }, true),
        (&global, Request::UserReset2fa { target: &boss }, true),
        (&manager, Request::UserEdit { target: &boss, edit: &deactivate }, false),
        (&acme_admin, Request::UserEdit { target: &boss, edit: &deactivate }, false),
        (&both_admin, Request::UserEdit { target: &boss, edit: &deactivate }, true),
        (&acme_admin, Request::UserEdit { target: &boss, edit: &email }, false),
        (&both_admin, Request::UserEdit { target: &boss, edit: &email }, true),
        // A name is not guarded by the rule: the matrix decides.
        (&manager, Request::UserEdit { target: &boss, edit: &name }, true),
        (&acme_admin, Request::UserEdit { target: &boss, edit: &name }, true),
        // Removal from one organization compares that organization only.
        (&acme_admin, Request::UserRemove { org: &acme, target: &boss }, true),
    ];
    for (i, (actor, req, allowed)) in cases.iter().enumerate() {
        let r = decide(actor, req);
        match (r, allowed) {
            (Ok(_), true) => {}
            (Err(e), false) => {
                assert_eq!(e.kind, Kind::Denied, "case {i}: {}", e.message);
                assert!(e.message.ends_with(" in globex, which you do not"), "case {i}: {}", e.message);
            }
            (r, _) => panic!("case {i} ({}): {:?}", actor.label, r.map(|p| p.op())),
        }
    }
    // A global role of the target counts too.
    let ga = user(7, "ga").primary(&acme, ACME_EVERYONE).role(ACME, FULL_ADMIN).global("global-read-only").build();
    let e = decide(&acme_admin, &Request::UserReset2fa { target: &ga }).unwrap_err();
    assert_eq!(
        e.message,
        "permission denied: cannot reset the 2FA of ga: they hold the global permission global:read, which you do not"
    );
    // The permit of an identity change names the other organizations, whose
    // audit readers see the entry.
    let p = decide(&global, &Request::UserReset2fa { target: &boss }).unwrap();
    assert_eq!((p.org_id(), p.audience()), (Some(ACME), &[GLOBEX][..]));
    let p = decide(&both_admin, &Request::UserEdit { target: &boss, edit: &email }).unwrap();
    assert_eq!(p.audience(), &[GLOBEX]);
    let p = decide(&acme_admin, &Request::UserRemove { org: &acme, target: &boss }).unwrap();
    assert!(p.audience().is_empty(), "a membership change stays in its organization");
}

#[test]
fn the_group_rule_for_additional_groups() {
    use Perm::*;
    let (acme, globex) = (acme(), globex());
    let eng = GroupFacts { id: ACME_ENG, slug: "eng".into(), org: acme.clone() };
    let sales = GroupFacts { id: ACME_SALES, slug: "sales".into(), org: acme.clone() };
    let secret = GroupFacts { id: GLOBEX_EVERYONE, slug: "secret-ops".into(), org: globex.clone() };
    let v = user(2, "v").primary(&acme, ACME_EVERYONE).member(GLOBEX).build();
    let acme_only = user(3, "w").primary(&acme, ACME_EVERYONE).build();
    let admin = user(1, "adm").primary(&acme, ACME_EVERYONE).role(ACME, FULL_ADMIN).build();
    let gm = user(4, "gm").primary(&acme, ACME_EVERYONE).perms(ACME, &[UserRead]).manages(ACME_ENG).build();
    let group_manager = user(5, "gmg").primary(&acme, ACME_EVERYONE).perms(ACME, &[GroupManage]).build();
    // (actor, target, group, allowed, kind when refused)
    let cases: Vec<(&Subject, &Subject, &GroupFacts, Result<(), Kind>)> = vec![
        (&admin, &v, &eng, Ok(())),
        (&admin, &v, &secret, Err(Kind::Denied)),
        (&gm, &v, &eng, Ok(())),
        (&gm, &v, &sales, Err(Kind::Denied)),
        (&group_manager, &v, &sales, Ok(())),
        (&group_manager, &v, &secret, Err(Kind::Denied)),
        (&admin, &acme_only, &eng, Ok(())),
    ];
    for (i, (actor, target, group, want)) in cases.iter().enumerate() {
        let got = decide(actor, &Request::GroupMember { op: Op::GroupAddMember, group, target: Some(target) })
            .map(|_| ())
            .map_err(|e| e.kind);
        assert_eq!(got, *want, "case {i}: {} adds {} to {}", actor.label, target.label, group.slug);
    }
    // The target must belong to the group's organization.
    let global = user(6, "root").global(GLOBAL_ADMIN).build();
    let e =
        decide(&global, &Request::GroupMember { op: Op::GroupAddMember, group: &secret, target: Some(&acme_only) }).unwrap_err();
    assert_eq!((e.kind, e.message.as_str()), (Kind::Conflict, "w is not a member of the organization of group 'secret-ops'"));
    // `user edit --add-group` is decided by the same rule.
    let e = EditFacts { groups: vec![sales.clone()], ..edit(&[Field::Groups]) };
    let target = user(2, "v").primary(&acme, ACME_ENG).build();
    let err = decide(&gm, &Request::UserEdit { target: &target, edit: &e }).unwrap_err();
    assert_eq!(err.message, "permission denied: 'group:manage' is needed in acme (you have user:read)");
    let e = EditFacts { groups: vec![eng], ..edit(&[Field::Groups]) };
    assert!(decide(&gm, &Request::UserEdit { target: &target, edit: &e }).is_ok());
}

#[test]
fn an_org_admin_binds_the_login_of_members_but_not_of_someone_more_privileged() {
    let admin = actor_as(Who::FullAdmin);
    let acme = acme();
    let bob = user(BOB, "bob").primary(&acme, ACME_EVERYONE).role(ACME, "read-only").build();
    let p = decide(&admin, &Request::UserBindLogin { target: &bob }).expect("allowed");
    assert_eq!((p.op(), p.org_id(), p.target()), (Op::UserBindLogin, Some(ACME), Some(BOB)));
    // Binding a global admin to a login the org admin controls would let
    // the org admin act as them once bindings are required.
    let root = user(IVY, "root").primary(&acme, ACME_EVERYONE).role(ACME, "full-admin").global("global-admin").build();
    let e = decide(&admin, &Request::UserBindLogin { target: &root }).expect_err("refused");
    assert_eq!(e.kind, crate::error::Kind::Denied);
    assert!(e.message.contains("bind the database login of"), "{}", e.message);
    // A global admin binds anyone.
    let ga = actor_as(Who::GlobalAdmin);
    assert!(decide(&ga, &Request::UserBindLogin { target: &root }).is_ok());
}
