//! Invitations and credentials: tokens, deliveries, passwords, TOTP and recovery codes.

use super::tx::{PgTx, covers};
use crate::authz::{Op, Perm, Permit};
use crate::error::Result;
use crate::store::InvitationStore;
use crate::store::model::*;
use crate::store::rows::*;
use crate::store::sqlite::now;
use anyhow::Context;
use postgres::Row;

/// The delivery state: `sending` is an attempt put on record (and committed)
/// before the message was handed over, whose outcome is not recorded yet.
macro_rules! delivery {
    () => {
        "CASE WHEN i.delivery = 'pending' AND i.attempted_at IS NOT NULL THEN 'sending' ELSE i.delivery END AS delivery"
    };
}

/// The columns of an [`Invitation`].
macro_rules! invitation_columns {
    () => {
        concat!("i.id, o.slug AS org, i.created_at, i.sent_at, i.expires_at, ", delivery!(), ", i.delivery_error, i.state")
    };
}

const INVITATION_SELECT: &str = concat!(
    "SELECT i.user_id, u.email, u.status AS user_status, ",
    invitation_columns!(),
    " FROM invitations i JOIN users u ON u.id = i.user_id JOIN orgs o ON o.id = i.org_id"
);

fn row_to_invitation(r: &Row) -> std::result::Result<Invitation, postgres::Error> {
    Ok(Invitation {
        id: r.try_get("id")?,
        org: r.try_get("org")?,
        created_at: r.try_get("created_at")?,
        sent_at: r.try_get("sent_at")?,
        expires_at: r.try_get("expires_at")?,
        delivery: r.try_get("delivery")?,
        delivery_error: r.try_get("delivery_error")?,
        state: r.try_get("state")?,
    })
}

fn row_to_invitation_row(r: &Row) -> std::result::Result<InvitationRow, postgres::Error> {
    Ok(InvitationRow {
        user_id: r.try_get("user_id")?,
        email: r.try_get("email")?,
        user_status: r.try_get("user_status")?,
        invitation: row_to_invitation(r)?,
    })
}

impl PgTx<'_> {
    /// A delivery of an invitation is recorded under the permit that sent it.
    fn check_delivery(&self, p: &Permit, invitation: i64) -> Result<()> {
        if p.op() != Op::UserAdd {
            let owner: Option<i64> = self
                .maybe("SELECT user_id FROM invitations WHERE id = $1", &[&invitation], |r| r.try_get("user_id"))
                .context("reading the invitation's user")?;
            covers(p, &[Op::InviteSend], None, owner)?;
        }
        Ok(())
    }

    fn insert_invitation(&self, user: i64, org: i64) -> Result<i64> {
        self.one(
            "INSERT INTO invitations (user_id, org_id, created_at) VALUES ($1, $2, $3) RETURNING id",
            &[&user, &org, &now()],
            |r| r.try_get("id"),
        )
        .context("inserting an invitation")
    }
}

impl InvitationStore for PgTx<'_> {
    fn invitations(&self, p: &Permit, org: i64) -> Result<Vec<InvitationRow>> {
        p.check_read(&[Perm::UserRead, Perm::UserInvite], Some(org))?;
        self.all(
            &format!("{INVITATION_SELECT} WHERE i.org_id = $1 AND i.state = 'open' AND u.trashed_at IS NULL ORDER BY i.id"),
            &[&org],
            row_to_invitation_row,
        )
        .context("listing open invitations")
    }

    fn invitation_by_token(&self, token_hash: &[u8]) -> Result<Option<InvitationRow>> {
        self.maybe(&format!("{INVITATION_SELECT} WHERE i.token_hash = $1"), &[&token_hash], row_to_invitation_row)
            .context("looking up an invitation token")
    }

    fn totp_state(&self, user: i64) -> Result<TotpState> {
        self.one(
            "SELECT two_factor, totp_secret, totp_last_step, totp_enrolled_at, twofa_failures, twofa_locked_until,
                (SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL) AS recovery_left
             FROM users WHERE id = $1",
            &[&user],
            |r| {
                Ok(TotpState {
                    method: r.try_get("two_factor")?,
                    secret: r.try_get("totp_secret")?,
                    last_step: r.try_get("totp_last_step")?,
                    enrolled_at: r.try_get("totp_enrolled_at")?,
                    failures: r.try_get("twofa_failures")?,
                    locked_until: r.try_get("twofa_locked_until")?,
                    recovery_left: r.try_get("recovery_left")?,
                })
            },
        )
        .context("reading the user's second factor")
    }

    fn recovery_code_unused(&self, user: i64, hash: &str) -> Result<bool> {
        self.one(
            "SELECT EXISTS (SELECT 1 FROM recovery_codes WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL) AS unused",
            &[&user, &hash],
            |r| r.try_get("unused"),
        )
        .context("looking up a recovery code")
    }

    fn invitation_of(&self, user: i64) -> Result<Option<Invitation>> {
        self.maybe(
            concat!(
                "SELECT ",
                invitation_columns!(),
                " FROM invitations i JOIN orgs o ON o.id = i.org_id WHERE i.user_id = $1 ORDER BY i.id DESC LIMIT 1"
            ),
            &[&user],
            row_to_invitation,
        )
        .context("reading the user's invitation")
    }

    fn queue_invitation(&mut self, p: &Permit, user: i64, org: i64) -> Result<i64> {
        if p.op() == Op::UserRestore {
            covers(p, &[Op::UserRestore], Some(org), Some(user))?;
            return self.insert_invitation(user, org);
        }
        covers(p, &[Op::UserAdd], Some(org), p.target().map(|_| user))?;
        self.run("UPDATE invitations SET state = 'replaced' WHERE user_id = $1 AND state = 'open'", &[&user])
            .context("replacing the open invitation")?;
        self.insert_invitation(user, org)
    }

    fn issue_token(&mut self, p: &Permit, user: i64, token_hash: &[u8], expires_at: &str) -> Result<Option<IssuedToken>> {
        match p.op() {
            Op::UserAdd => covers(p, &[Op::UserAdd], None, None)?,
            _ => covers(p, &[Op::InviteSend], None, Some(user))?,
        }
        let open = self
            .maybe(
                "SELECT id, expires_at, token_hash IS NOT NULL AS had_token FROM invitations
                 WHERE user_id = $1 AND state = 'open' ORDER BY id DESC LIMIT 1",
                &[&user],
                |r| {
                    Ok(IssuedToken {
                        invitation: r.try_get("id")?,
                        old_expiry: r.try_get("expires_at")?,
                        had_token: r.try_get("had_token")?,
                    })
                },
            )
            .context("reading the open invitation")?;
        let Some(issued) = open else { return Ok(None) };
        self.run(
            "UPDATE invitations SET token_hash = $1, sent_at = $2, expires_at = $3, delivery = 'pending', delivery_error = NULL,
             attempted_at = NULL WHERE id = $4",
            &[&token_hash, &now(), &expires_at, &issued.invitation],
        )
        .context("storing the invitation token")?;
        Ok(Some(issued))
    }

    fn begin_delivery(&mut self, p: &Permit, invitation: i64) -> Result<()> {
        self.check_delivery(p, invitation)?;
        self.run("UPDATE invitations SET attempted_at = $1 WHERE id = $2", &[&now(), &invitation])
            .context("recording a delivery attempt")?;
        Ok(())
    }

    fn record_delivery(&mut self, p: &Permit, invitation: i64, err: Option<&str>) -> Result<()> {
        self.check_delivery(p, invitation)?;
        let delivery = if err.is_some() { "failed" } else { "sent" };
        self.run("UPDATE invitations SET delivery = $1, delivery_error = $2 WHERE id = $3", &[&delivery, &err, &invitation])
            .context("recording the delivery")?;
        Ok(())
    }

    fn accept_invitation(&mut self, p: &Permit, invitation: i64, token_hash: &[u8], password_hash: &str) -> Result<Option<i64>> {
        let user: Option<i64> = self
            .maybe(
                "SELECT user_id FROM invitations WHERE id = $1 AND state = 'open' AND token_hash = $2",
                &[&invitation, &token_hash],
                |r| r.try_get("user_id"),
            )
            .context("reading the invitation")?;
        let Some(user) = user else { return Ok(None) };
        covers(p, &[Op::InviteAccept], None, Some(user))?;
        self.run("UPDATE invitations SET state = 'accepted' WHERE id = $1 AND state = 'open'", &[&invitation])
            .context("consuming the invitation")?;
        self.run(
            "UPDATE users SET password_hash = $1, accepted = true,
                 status = CASE status WHEN 'invited' THEN 'active' ELSE status END,
                 two_factor = CASE two_factor WHEN 'none' THEN 'email' ELSE two_factor END, updated_at = $2
             WHERE id = $3",
            &[&password_hash, &now(), &user],
        )
        .context("activating the user")?;
        Ok(Some(user))
    }

    fn enroll_totp(&mut self, p: &Permit, secret: &str, step: i64, recovery_hashes: &[String]) -> Result<(String, i64)> {
        let user = p.target().ok_or_else(|| anyhow::anyhow!("internal error: an enrolment permit without a user"))?;
        covers(p, &[Op::TwoFactorEnroll], None, Some(user))?;
        let old: (String, i64) = self
            .one(
                "SELECT two_factor, (SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL) AS codes
                 FROM users WHERE id = $1",
                &[&user],
                |r| Ok((r.try_get("two_factor")?, r.try_get("codes")?)),
            )
            .context("reading the user's second factor")?;
        let t = now();
        self.run(
            "UPDATE users SET two_factor = 'app', totp_secret = $1, totp_last_step = $2, totp_enrolled_at = $3,
                 twofa_failures = 0, twofa_locked_until = NULL, updated_at = $3 WHERE id = $4",
            &[&secret, &step, &t, &user],
        )
        .context("storing the TOTP secret")?;
        self.run("DELETE FROM recovery_codes WHERE user_id = $1", &[&user]).context("removing old recovery codes")?;
        for h in recovery_hashes {
            self.run("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)", &[&user, h])
                .context("storing a recovery code")?;
        }
        Ok(old)
    }

    fn record_verification(&mut self, p: &Permit, outcome: &Verification) -> Result<()> {
        let user = p.target().ok_or_else(|| anyhow::anyhow!("internal error: a verification permit without a user"))?;
        covers(p, &[Op::TwoFactorVerify], None, Some(user))?;
        match outcome {
            Verification::Code { step } => {
                self.run(
                    "UPDATE users SET totp_last_step = $1, twofa_failures = 0, twofa_locked_until = NULL WHERE id = $2",
                    &[step, &user],
                )
                .context("recording an accepted code")?;
            }
            Verification::Recovery { hash } => {
                let n = self
                    .run(
                        "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
                        &[&now(), &user, hash],
                    )
                    .context("using a recovery code")?;
                if n != 1 {
                    return Err(anyhow::anyhow!("internal error: the recovery code is not usable"));
                }
                self.run("UPDATE users SET twofa_failures = 0, twofa_locked_until = NULL WHERE id = $1", &[&user])
                    .context("clearing the failure count")?;
            }
            Verification::Failed { lock_until } => {
                self.run(
                    "UPDATE users SET twofa_failures = CASE WHEN $1::text IS NULL THEN twofa_failures + 1 ELSE 0 END,
                         twofa_locked_until = $1::text WHERE id = $2",
                    &[lock_until, &user],
                )
                .context("recording a failed code")?;
            }
        }
        Ok(())
    }

    fn reset_2fa(&mut self, p: &Permit, user: i64) -> Result<(String, usize)> {
        covers(p, &[Op::UserReset2fa], None, Some(user))?;
        let old: String = self
            .one("SELECT two_factor FROM users WHERE id = $1", &[&user], |r| r.try_get("two_factor"))
            .context("reading the user's second factor")?;
        self.run(
            "UPDATE users SET two_factor = 'email', totp_secret = NULL, totp_last_step = NULL, totp_enrolled_at = NULL,
                 twofa_failures = 0, twofa_locked_until = NULL, updated_at = $1 WHERE id = $2",
            &[&now(), &user],
        )
        .context("resetting the second factor")?;
        let codes = self.run("DELETE FROM recovery_codes WHERE user_id = $1", &[&user]).context("removing recovery codes")?;
        Ok((old, codes as usize))
    }
}
