//! Invitation tokens, passwords and second factors.

use super::audit;
use crate::authz::{Op, Permit};
use crate::error::{self, Result};
use crate::store::{Tx, Verification};
use serde_json::{Value, json};

/// Store a new token's hash for a user's open invitation, replacing any
/// older one; the invitation's id. Audited when sent on its own (`invite send`).
pub fn issue_token(tx: &mut dyn Tx, p: &Permit, user: i64, token_hash: &[u8], expires_at: &str) -> Result<i64> {
    let issued = tx
        .issue_token(p, user, token_hash, expires_at)?
        .ok_or_else(|| error::conflict("there is no open invitation for this user"))?;
    if p.op() == Op::InviteSend {
        let email = tx.email_of(user)?;
        audit(
            tx,
            p,
            Some(user),
            Some(&email),
            json!({"token": {"old": if issued.had_token { json!("(replaced)") } else { Value::Null }, "new": "(issued)"},
                   "expires_at": {"old": issued.old_expiry, "new": expires_at}}),
        )?;
    }
    Ok(issued.invitation)
}

/// Consume the token (it must still be open and unchanged), set the
/// password hash and activate the user.
pub fn accept_invitation(tx: &mut dyn Tx, p: &Permit, invitation: i64, token_hash: &[u8], password_hash: &str) -> Result<()> {
    let user = tx
        .accept_invitation(p, invitation, token_hash, password_hash)?
        .ok_or_else(|| error::denied("the invitation token is not valid (already used or replaced)"))?;
    let email = tx.email_of(user)?;
    audit(
        tx,
        p,
        Some(user),
        Some(&email),
        json!({"status": {"old": "invited", "new": "active"}, "password": {"old": null, "new": "(set)"}}),
    )
}

/// Store a confirmed TOTP secret and the hashes of new recovery codes.
pub fn enroll_totp(tx: &mut dyn Tx, p: &Permit, secret: &str, step: i64, recovery_hashes: &[String]) -> Result<()> {
    let (old, old_codes) = tx.enroll_totp(p, secret, step, recovery_hashes)?;
    let user = p.target().ok_or_else(|| anyhow::anyhow!("internal error: an enrolment permit without a user"))?;
    let email = tx.email_of(user)?;
    audit(
        tx,
        p,
        Some(user),
        Some(&email),
        json!({"two_factor": {"old": old, "new": "app"}, "recovery_codes": {"old": old_codes, "new": recovery_hashes.len()}}),
    )
}

/// Record the outcome of a verification.
pub fn record_verification(tx: &mut dyn Tx, p: &Permit, outcome: &Verification) -> Result<()> {
    tx.record_verification(p, outcome)?;
    let user = p.target().ok_or_else(|| anyhow::anyhow!("internal error: a verification permit without a user"))?;
    let email = tx.email_of(user)?;
    let entry = match outcome {
        Verification::Code { .. } => json!({"result": {"old": null, "new": "accepted"}}),
        Verification::Recovery { .. } => json!({"result": {"old": null, "new": "recovery code used"}}),
        Verification::Failed { lock_until: Some(t) } => {
            json!({"result": {"old": null, "new": "rejected"}, "locked_until": {"old": null, "new": t}})
        }
        Verification::Failed { lock_until: None } => json!({"result": {"old": null, "new": "rejected"}}),
    };
    audit(tx, p, Some(user), Some(&email), entry)
}

/// Back to e-mail codes, the TOTP secret and the recovery codes removed.
pub fn reset_2fa(tx: &mut dyn Tx, p: &Permit, user: i64) -> Result<()> {
    let (old, codes) = tx.reset_2fa(p, user)?;
    let email = tx.email_of(user)?;
    audit(
        tx,
        p,
        Some(user),
        Some(&email),
        json!({"two_factor": {"old": old, "new": "email"}, "recovery_codes_removed": {"old": codes, "new": 0}}),
    )
}
