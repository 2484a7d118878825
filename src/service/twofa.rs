//! `acct 2fa`: the actor's own TOTP enrolment and verification.

use crate::authz::{self, Op, Request, Subject};
use crate::error::{self, AppError, Kind, Result};
use crate::service::record;
use crate::service::session::Session;
use crate::store::{TotpState, Tx, Verification};
use crate::twofactor as tf;

pub fn status(tx: &dyn Tx, actor: &Subject) -> Result<(String, TotpState)> {
    Ok((actor.label.clone(), tx.totp_state(actor.id)?))
}

/// What enrolment shows before asking for a code.
pub struct Challenge {
    pub uri: String,
    pub qr: String,
    /// The base32 secret of the URI, for a person typing it by hand and for
    /// `--format json`.
    pub secret: String,
}

/// Enrol a new TOTP secret, in the transactions of `session`, none of them
/// open while a question is asked. `show` displays the URI and QR code
/// (drawn in colour with `color`); `ask` reads a code (its argument names
/// what for). Returns the recovery codes, shown once.
pub fn enroll(
    session: &mut Session<'_>,
    color: bool,
    show: &dyn Fn(&Challenge) -> Result<()>,
    ask: &dyn Fn(&str) -> Result<String>,
) -> Result<Vec<String>> {
    let (actor, state) = {
        let t = session.read()?;
        let state = t.tx.totp_state(t.actor.id)?;
        (t.actor, state)
    };
    let now = tf::now_step();
    if let (Some(old), "app") = (&state.secret, state.method.as_str()) {
        locked(&state)?;
        let t = tf::totp(old, &actor.label)?;
        let code = ask("Code from your current authenticator app")?;
        let after = state.last_step.and_then(|s| u64::try_from(s).ok());
        if tf::matching_step(&t, code.trim(), now, after).is_none() {
            // A wrong code here is a failed verification like any other.
            let mut t = session.start_transaction()?;
            let state = t.tx.totp_state(t.actor.id)?;
            let permit = authz::decide(&t.actor, &Request::OwnTwoFactor { op: Op::TwoFactorVerify })?;
            record::credentials::record_verification(&mut *t.tx, &permit, &failure(&state))?;
            t.finish()?;
            return Err(AppError::new(
                Kind::Denied,
                "re-enrolling needs a valid code of the current authenticator; nothing was changed",
            )
            .with_hint("an administrator can clear it with 'acct user reset-2fa'")
            .into());
        }
    }
    let secret = tf::new_secret();
    let t = tf::totp(&secret, &actor.label)?;
    let uri = t.to_url().map_err(|e| anyhow::anyhow!("otpauth URI: {e}"))?;
    show(&Challenge { qr: tf::qr_text(&uri, color)?, uri, secret: secret.clone() })?;
    let code = ask("Code shown by the authenticator app")?;
    let step = tf::matching_step(&t, code.trim(), tf::now_step(), None).ok_or_else(|| {
        AppError::new(Kind::Denied, "the code does not match; nothing was changed")
            .with_hint("check the device clock and run 'acct 2fa enroll' again")
    })?;
    let codes: Vec<String> = (0..tf::RECOVERY_CODES).map(|_| tf::new_recovery_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| tf::hash_recovery(c)).collect();
    let mut t = session.start_transaction()?;
    let permit = authz::decide(&t.actor, &Request::OwnTwoFactor { op: Op::TwoFactorEnroll })?;
    record::credentials::enroll_totp(&mut *t.tx, &permit, &secret, step as i64, &hashes)?;
    t.finish()?;
    Ok(codes)
}

/// Which kind of code was accepted.
pub enum Verified {
    Code,
    Recovery { left: i64 },
}

/// Check a code of the actor's. The outer error changes nothing; the inner
/// one is a failed attempt, recorded (the failure count, perhaps a lock),
/// which the caller commits like a success.
pub fn verify(tx: &mut dyn Tx, actor: &Subject, code: &str) -> Result<Result<Verified, AppError>> {
    let state = tx.totp_state(actor.id)?;
    let secret = match (&state.secret, state.method.as_str()) {
        (Some(s), "app") => s.clone(),
        _ => {
            return Err(error::conflict(format!("{} has no authenticator app enrolled", actor.label))
                .with_hint("enrol one with 'acct 2fa enroll'")
                .into());
        }
    };
    locked(&state)?;
    let permit = authz::decide(actor, &Request::OwnTwoFactor { op: Op::TwoFactorVerify })?;
    let code = code.trim();
    let t = tf::totp(&secret, &actor.label)?;
    let after = state.last_step.and_then(|s| u64::try_from(s).ok());
    let outcome = if let Some(step) = tf::matching_step(&t, code, tf::now_step(), after) {
        Verification::Code { step: step as i64 }
    } else if tf::looks_like_recovery(code) && tx.recovery_code_unused(actor.id, &tf::hash_recovery(code))? {
        Verification::Recovery { hash: tf::hash_recovery(code) }
    } else {
        failure(&state)
    };
    record::credentials::record_verification(&mut *tx, &permit, &outcome)?;
    Ok(match outcome {
        Verification::Code { .. } => Ok(Verified::Code),
        Verification::Recovery { .. } => Ok(Verified::Recovery { left: state.recovery_left - 1 }),
        Verification::Failed { lock_until: Some(t) } => Err(AppError::new(
            Kind::Denied,
            format!("the code is not valid; after {} failures in a row verification is locked until {t}", tf::MAX_FAILURES),
        )),
        Verification::Failed { lock_until: None } => {
            let left = tf::MAX_FAILURES - state.failures - 1;
            Err(AppError::new(
                Kind::Denied,
                format!("the code is not valid (or was already used); {left} attempt(s) left before a lock"),
            ))
        }
    })
}

/// Refuse while verification is locked.
fn locked(state: &TotpState) -> Result<()> {
    if let Some(until) = state.locked_until.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        && until > chrono::Utc::now()
    {
        return Err(AppError::new(
            Kind::Denied,
            format!(
                "verification is locked until {} after too many failures",
                until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        )
        .into());
    }
    Ok(())
}

/// One more failure; the fifth in a row locks verification.
fn failure(state: &TotpState) -> Verification {
    let lock_until = (state.failures + 1 >= tf::MAX_FAILURES).then(|| {
        (chrono::Utc::now() + chrono::TimeDelta::minutes(tf::LOCK_MINUTES)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    });
    Verification::Failed { lock_until }
}
