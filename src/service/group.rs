//! Groups of an organization, their managers and additional members.

use super::{Outcome, for_each_target, group_in, member};
use crate::authz::Subject;
use crate::authz::{self, Op, Perm, Request};
use crate::error::{self, Result};
use crate::service::record;
use crate::service::session::Ask;
use crate::store::{Group, GroupPeople, GroupRole, Org, Tx};
use crate::validate;

pub fn list(tx: &dyn Tx, actor: &Subject, org: &Org) -> Result<Vec<Group>> {
    let seen = authz::decide(actor, &Request::Read { org: &org.facts(), perm: Perm::GroupRead })?;
    tx.groups(&seen, org.id)
}

pub fn show(tx: &dyn Tx, actor: &Subject, org: &Org, slug: &str) -> Result<(Group, GroupPeople)> {
    let seen = authz::decide(actor, &Request::Read { org: &org.facts(), perm: Perm::GroupRead })?;
    let g = group_in(tx, org, slug)?;
    let people = tx.group_people(&seen, g.id)?;
    Ok((g, people))
}

/// A new group's slug and display name, checked before any database is
/// opened.
pub fn new_group(slug: &str, display: Option<&str>) -> Result<(String, String)> {
    let slug = validate::slug("group", slug)?;
    let display_name = validate::display_name(display, &slug)?;
    Ok((slug, display_name))
}

pub fn create(tx: &mut dyn Tx, actor: &Subject, org: &Org, (slug, display_name): &(String, String)) -> Result<Group> {
    let permit = authz::decide(actor, &Request::Group { op: Op::GroupCreate, org: &org.facts() })?;
    record::groups::create_group(&mut *tx, &permit, org.id, slug, display_name)?;
    group_in(tx, org, slug)
}

pub fn delete(tx: &mut dyn Tx, actor: &Subject, org: &Org, slug: &str, ask: &mut Ask<'_>) -> Result<()> {
    let g = group_in(tx, org, slug)?;
    let permit = authz::decide(actor, &Request::Group { op: Op::GroupDelete, org: &org.facts() })?;
    // No command is blocked by an expired trash record: purge those first.
    super::user::purge_expired(&mut *tx, actor)?;
    let g = group_in(tx, org, &g.slug)?;
    if g.primary_members > 0 || g.slug == "everyone" {
        // Let the repository give the exact reason before asking anything.
        record::groups::delete_group(&mut *tx, &permit, g.id)?;
    }
    ask(&format!("Delete the group '{}' of {}?", g.slug, org.slug))?;
    record::groups::delete_group(&mut *tx, &permit, g.id)
}

/// The decision of adding or removing a manager or member of `g` (also
/// `acct undo`): managers are appointed with group:manage; members are also
/// changed by the group's own managers (SPEC §3). Without a target: whether
/// the actor may change them at all.
pub fn person_decision(
    actor: &Subject,
    org: &Org,
    g: &Group,
    role: GroupRole,
    present: bool,
    target: Option<&authz::Subject>,
) -> Result<authz::Permit> {
    let op = match (role, present) {
        (GroupRole::Manager, true) => Op::GroupAddManager,
        (GroupRole::Manager, false) => Op::GroupRemoveManager,
        (GroupRole::Member, true) => Op::GroupAddMember,
        (GroupRole::Member, false) => Op::GroupRemoveMember,
    };
    Ok(match role {
        GroupRole::Manager => authz::decide(actor, &Request::Group { op, org: &org.facts() })?,
        GroupRole::Member => authz::decide(actor, &Request::GroupMember { op, group: &g.facts(org), target })?,
    })
}

/// Add (`present`) or remove managers or members of group `slug`;
/// all-or-nothing unless `keep_going`.
pub fn people(
    tx: &mut dyn Tx,
    actor: &Subject,
    org: &Org,
    slug: &str,
    users: &[String],
    (role, present): (GroupRole, bool),
    keep_going: bool,
) -> Result<Vec<Outcome<bool>>> {
    let g = group_in(tx, org, slug)?;
    // Decided before any target is looked up.
    let permit = person_decision(actor, org, &g, role, present, None)?;
    for_each_target(tx, users, keep_going, |tx, u| {
        let target = member(tx, org, u)?;
        if role == GroupRole::Member && present {
            not_primary(&g, &target)?;
        }
        record::groups::set_group_person(&mut *tx, &permit, g.id, target.id, role, present)
    })
}

/// A user's primary group is not also one of their additional groups.
fn not_primary(g: &Group, target: &authz::Subject) -> Result<()> {
    if target.primary_group == Some(g.id) {
        return Err(error::conflict(format!("'{}' is already the primary group of {}", g.slug, target.label)).into());
    }
    Ok(())
}

/// Put one member into an additional group of the organization, or take
/// them out of it, decided as `group add-member`/`remove-member` decides it
/// (the group rule of SPEC §3); false when nothing changed.
pub fn set_member(
    tx: &mut dyn Tx,
    actor: &Subject,
    org: &Org,
    g: &Group,
    target: &authz::Subject,
    present: bool,
) -> Result<bool> {
    let op = if present { Op::GroupAddMember } else { Op::GroupRemoveMember };
    let gf = g.facts(org);
    let permit = authz::decide(actor, &Request::GroupMember { op, group: &gf, target: Some(target) })?;
    if present {
        not_primary(g, target)?;
    }
    record::groups::set_group_person(&mut *tx, &permit, g.id, target.id, GroupRole::Member, present)
}
