//! Invitation tokens and their delivery.
//!
//! A token is made when the mail is sent: 256 random bits, of which only the
//! SHA-256 hash is stored, so each send replaces the previous token. The
//! message goes out after the transaction that stored the hash commits, and
//! after the attempt is on record (the delivery state `sending`); the outcome
//! is recorded in later transactions and never undoes the account change. An
//! attempt left `sending` by a killed process is reconciled by the next
//! `invite send`: counted as sent, never mailed again with a new token.

use crate::authz::Permit;
use crate::authz::Subject;
use crate::config;
use crate::error::Result;
use crate::mail::{self, Delivered, Transport};
use crate::secret;
use crate::service::record;
use crate::store::{Org, Store, Tx};

/// A message to send once the transaction has committed.
#[derive(Debug, Clone)]
pub struct PendingMail {
    pub invitation: i64,
    pub email: String,
    pub name: Option<String>,
    pub org: String,
    token: String,
    pub expires_at: String,
}

/// Issue a new token for the user's open invitation (inside the transaction).
pub fn issue(
    config: &config::Config,
    tx: &mut dyn Tx,
    permit: &Permit,
    user: i64,
    email: &str,
    name: Option<&str>,
    org: &str,
) -> Result<PendingMail> {
    let token = secret::new_token();
    let ttl = chrono::TimeDelta::try_days(config.ttl_days()?).unwrap_or(chrono::TimeDelta::days(config::DEFAULT_TTL_DAYS));
    let expires_at = (chrono::Utc::now() + ttl).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let invitation = record::credentials::issue_token(&mut *tx, permit, user, &secret::sha256(&token), &expires_at)?;
    Ok(PendingMail {
        invitation,
        email: email.to_string(),
        name: name.map(str::to_string),
        org: org.to_string(),
        token,
        expires_at,
    })
}

/// The result of one delivery.
pub struct Sent {
    pub email: String,
    pub result: Result<Delivered, String>,
}

/// Deliver after commit and record each outcome (each mail with the permit
/// that allowed it), in transactions of `store`; `outbox` is where the
/// `outbox` transport writes.
pub fn deliver(
    config: &config::Config,
    outbox: &std::path::Path,
    store: &mut dyn Store,
    mails: Vec<(&Permit, PendingMail)>,
) -> Result<Vec<Sent>> {
    if mails.is_empty() {
        return Ok(vec![]);
    }
    let transport = Transport::parse(&config.value("mail.transport")?.unwrap_or_else(|| "outbox".into()))?;
    let from = mail::parse_mailbox(&config.value("mail.from")?.unwrap_or_else(|| config::DEFAULT_FROM.into()))?;
    let helo = mail::helo_name(config.value("mail.helo")?, &from);
    let url_template = config.value("mail.invite_url")?.unwrap_or_else(|| config::DEFAULT_INVITE_URL.into());
    let mut results = Vec::with_capacity(mails.len());
    // A batch at a time: its attempts put on record, the messages handed
    // over, the outcomes recorded; a process killed mid-way leaves at most one
    // batch `sending`, and the later ones `pending` (their tokens were never
    // given out, so a later send may replace them).
    for batch in mails.chunks(RECORD_BATCH) {
        let first = results.len();
        let mut tx = store.write()?;
        for (permit, m) in batch {
            tx.begin_delivery(permit, m.invitation)?;
        }
        tx.commit()?;
        for (_, m) in batch {
            let url = url_template.replace("{token}", &m.token);
            let invite =
                mail::Invite { to: &m.email, name: m.name.as_deref(), org: &m.org, url: &url, expires_at: &m.expires_at };
            let result = match mail::invitation(&from, &invite) {
                Ok(msg) => mail::deliver(&transport, &helo, outbox, &msg),
                Err(e) => Err(crate::error::message_line(&format!("{e:#}"))),
            };
            results.push(Sent { email: m.email.clone(), result });
        }
        let mut tx = store.write()?;
        for ((permit, m), r) in batch.iter().zip(&results[first..]) {
            tx.record_delivery(permit, m.invitation, r.result.as_ref().err().map(String::as_str))?;
        }
        tx.commit()?;
    }
    Ok(results)
}

/// How many deliveries are recorded per transaction.
const RECORD_BATCH: usize = 50;

/// Invitations whose delivery was begun (the token stored and committed) but
/// never recorded, because acct was interrupted: the message may have gone
/// out, so each is recorded as sent rather than mailed again with a new
/// token, which would kill the link already delivered. Returns the
/// addresses reconciled; invitations the actor may not send are left alone.
fn reconcile(
    tx: &mut dyn Tx,
    actor: &crate::authz::Subject,
    org: &crate::store::Org,
    open: &mut [crate::store::InvitationRow],
) -> Result<Vec<String>> {
    use crate::authz::{self, Request};
    let mut done = Vec::new();
    for inv in open.iter_mut().filter(|i| i.invitation.delivery == "sending") {
        let Ok(target) = super::member(&*tx, org, &inv.email) else { continue };
        let Ok(permit) = authz::decide(actor, &Request::InviteSend { target: &target }) else { continue };
        tx.record_delivery(&permit, inv.invitation.id, None)?;
        inv.invitation.delivery = "sent".into();
        done.push(inv.email.clone());
    }
    Ok(done)
}

/// Open invitations of the current organization.
pub fn list(tx: &dyn Tx, actor: &Subject, org: &Org) -> Result<Vec<crate::store::InvitationRow>> {
    let seen =
        crate::authz::decide(actor, &crate::authz::Request::Read { org: &org.facts(), perm: crate::authz::Perm::UserRead })?;
    let mut rows = tx.invitations(&seen, org.id)?;
    let now = chrono::Utc::now();
    for r in &mut rows {
        r.invitation.state = shown_state(&r.invitation, &r.user_status, now).to_string();
    }
    Ok(rows)
}

/// Whether an invitation's link has expired.
pub fn expired(inv: &crate::store::Invitation, now: chrono::DateTime<chrono::Utc>) -> bool {
    inv.expires_at.as_deref().and_then(|e| chrono::DateTime::parse_from_rfc3339(e).ok()).is_some_and(|e| e < now)
}

/// The state of an invitation as people and scripts see it: an open one is
/// `expired` once its link has (`acct invite resend` makes a new one), and
/// `deactivated` when its user has been deactivated (it cannot be accepted).
pub fn shown_state<'a>(inv: &'a crate::store::Invitation, user_status: &str, now: chrono::DateTime<chrono::Utc>) -> &'a str {
    if inv.state != "open" {
        return &inv.state;
    }
    if user_status == "inactive" {
        "deactivated"
    } else if expired(inv, now) {
        "expired"
    } else {
        "open"
    }
}

/// What `invite send` or `resend` did in its transaction; the mails go
/// out after it commits.
#[derive(Default)]
pub struct SendPlan {
    /// Deliveries found interrupted and counted as sent.
    pub reconciled: Vec<String>,
    /// `--all`: deactivated users left out.
    pub skipped: Vec<String>,
    /// `--all` with nothing pending: how many sent invitations have expired.
    pub nothing_pending: Option<usize>,
    pub outcomes: Vec<super::Outcome<()>>,
    pub mails: Vec<(Permit, PendingMail)>,
}

/// `invite send` (pending ones only, `resend` = false) and `invite resend`
/// (any open one): a new token for each target, to be delivered after commit.
pub fn send(
    tx: &mut dyn Tx,
    actor: &Subject,
    org: &Org,
    config: &config::Config,
    users: &[String],
    flags: SendFlags,
) -> Result<SendPlan> {
    let SendFlags { all, resend, keep_going } = flags;
    let seen =
        crate::authz::decide(actor, &crate::authz::Request::Has { org: &org.facts(), perm: crate::authz::Perm::UserInvite })?;
    let mut open = tx.invitations(&seen, org.id)?;
    let mut plan = SendPlan { reconciled: reconcile(&mut *tx, actor, org, &mut open)?, ..SendPlan::default() };
    let targets: Vec<String> = if all {
        // A deactivated user's invitation cannot be accepted: skipped, with a note.
        let (skipped, pending): (Vec<_>, Vec<_>) =
            open.iter().filter(|i| i.invitation.delivery != "sent").partition(|i| i.user_status == "inactive");
        plan.skipped = skipped.into_iter().map(|i| i.email.clone()).collect();
        pending.into_iter().map(|i| i.email.clone()).collect()
    } else {
        users.to_vec()
    };
    if targets.is_empty() {
        if all {
            let now = chrono::Utc::now();
            plan.nothing_pending =
                Some(open.iter().filter(|i| i.user_status != "inactive" && expired(&i.invitation, now)).count());
            return Ok(plan);
        }
        return Err(crate::error::usage("name the users to invite, or pass --all").into());
    }
    let outcomes = super::for_each_target(tx, &targets, keep_going, |tx, t| {
        let (target, permit) = send_decision(&*tx, actor, org, t)?;
        let inv = open
            .iter()
            .find(|i| i.user_id == target.id)
            .ok_or_else(|| crate::error::conflict(format!("{} has no open invitation in {}", target.label, org.slug)))?;
        if !resend && inv.invitation.delivery == "sent" {
            return Err(crate::error::conflict(format!("the invitation of {} was already sent", target.label))
                .with_hint(format!("send a new one with 'acct invite resend {}'", target.label))
                .into());
        }
        let user = tx.user(target.id, Some(org.id))?.ok_or_else(|| crate::error::not_found("user vanished"))?;
        let mail = issue(config, &mut *tx, &permit, target.id, &user.email, user.full_name.as_deref(), &org.slug)?;
        Ok((permit, mail))
    })?;
    for o in outcomes {
        plan.outcomes.push(match o.result {
            Ok(mail) => {
                plan.mails.push(mail);
                super::Outcome { target: o.target, result: Ok(()) }
            }
            Err(e) => super::Outcome { target: o.target, result: Err(e) },
        });
    }
    Ok(plan)
}

/// How `invite send` picks and treats its targets.
#[derive(Clone, Copy)]
pub struct SendFlags {
    pub all: bool,
    /// Any open invitation, not only the pending ones (`invite resend`).
    pub resend: bool,
    pub keep_going: bool,
}

/// The decision of `invite send`/`resend` for one user (also `can-i resend`).
pub fn send_decision(
    tx: &dyn Tx,
    actor: &crate::authz::Subject,
    org: &crate::store::Org,
    who: &str,
) -> Result<(crate::authz::Subject, crate::authz::Permit)> {
    let target = super::member(tx, org, who)?;
    let permit = crate::authz::decide(actor, &crate::authz::Request::InviteSend { target: &target })?;
    Ok((target, permit))
}

/// The token in what was pasted: the bare token, or the whole invitation
/// link as the mail shows it (`mail.invite_url` with `{token}` filled in, or
/// any link whose last path segment is the token).
pub fn token_of<'a>(given: &'a str, template: &str) -> &'a str {
    let given = given.trim();
    if let Some((before, after)) = template.split_once("{token}")
        && let Some(rest) = given.strip_prefix(before)
        && let Some(token) = rest.strip_suffix(after)
        && !before.is_empty()
    {
        return token;
    }
    match given.split_once("://") {
        Some((_, rest)) => {
            let path = rest.split(['?', '#']).next().unwrap_or(rest);
            path.trim_end_matches('/').rsplit('/').next().unwrap_or(path)
        }
        None => given,
    }
}

/// The open invitation whose token hashes to `hash`, and the engine's
/// permit to accept it; refused when it is used, replaced, withdrawn or
/// expired, or its user may not be activated.
pub fn acceptable(tx: &dyn Tx, hash: &[u8]) -> Result<(crate::store::InvitationRow, Permit)> {
    use crate::error::{AppError, Kind};
    let row = tx.invitation_by_token(hash)?.ok_or_else(|| {
        AppError::new(Kind::Denied, "the invitation token is not valid")
            .with_hint("it may have been replaced by a newer invitation; ask an administrator for 'acct invite resend'")
    })?;
    match row.invitation.state.as_str() {
        "open" => {}
        "accepted" => return Err(AppError::new(Kind::Denied, "the invitation token was already used").into()),
        "revoked" => {
            return Err(
                AppError::new(Kind::Denied, "the invitation was withdrawn: the user was removed from the organization").into()
            );
        }
        _ => return Err(AppError::new(Kind::Denied, "the invitation token was replaced by a newer one").into()),
    }
    let expired = row
        .invitation
        .expires_at
        .as_deref()
        .and_then(|e| chrono::DateTime::parse_from_rfc3339(e).ok())
        .is_none_or(|e| e < chrono::Utc::now());
    if expired {
        return Err(AppError::new(
            Kind::Conflict,
            format!("the invitation expired at {}", row.invitation.expires_at.as_deref().unwrap_or("an unknown time")),
        )
        .with_hint("ask an administrator for a new one ('acct invite resend')")
        .into());
    }
    let org = tx.org(&row.invitation.org)?.map(|o| o.facts());
    let target = super::subject(tx, row.user_id)?;
    let permit = crate::authz::decide_accept(&target, org.as_ref(), true)?;
    Ok((row, permit))
}

/// Accept an invitation: the token is the credential; the password's PHC
/// string is stored and the token consumed. Checked again in the write
/// transaction; returns the invitation accepted (its user, address and
/// organization), with the user's status after it.
pub fn accept(tx: &mut dyn Tx, hash: &[u8], phc: &str) -> Result<crate::store::InvitationRow> {
    let (mut row, permit) = acceptable(&*tx, hash)?;
    record::credentials::accept_invitation(&mut *tx, &permit, row.invitation.id, hash, phc)?;
    if let Some(u) = tx.user(row.user_id, None)? {
        row.user_status = u.status;
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::token_of;

    #[test]
    fn the_token_of_a_link_or_a_bare_token() {
        let t = "https://localhost/invite/{token}";
        assert_eq!(token_of("abc-_1", t), "abc-_1");
        assert_eq!(token_of(" https://localhost/invite/abc-_1\n", t), "abc-_1");
        assert_eq!(token_of("https://x.test/join?t=abc&lang=en", "https://x.test/join?t={token}&lang=en"), "abc");
        // A link of another template: its last path segment.
        assert_eq!(token_of("https://other.test/invite/abc/?x=1", t), "abc");
    }
}
