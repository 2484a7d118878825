//! Invitation tokens and their delivery.
//!
//! A token is made when the mail is sent: 256 random bits, of which only the
//! SHA-256 hash is stored, so each send replaces the previous token. The
//! message goes out after the transaction that stored the hash commits; the
//! delivery outcome is recorded in a second transaction and never undoes the
//! account change.

use crate::authz::Permit;
use crate::config;
use crate::context::Ctx;
use crate::error::Result;
use crate::mail::{self, Delivered, Transport};
use crate::secret;
use crate::store::{Store, Tx};

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
    ctx: &Ctx,
    tx: &mut dyn Tx,
    permit: &Permit,
    user: i64,
    email: &str,
    name: Option<&str>,
    org: &str,
) -> Result<PendingMail> {
    let token = secret::new_token();
    let ttl = chrono::TimeDelta::try_days(ctx.config.ttl_days()).unwrap_or(chrono::TimeDelta::days(config::DEFAULT_TTL_DAYS));
    let expires_at = (chrono::Utc::now() + ttl).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let invitation = tx.issue_token(permit, user, &secret::sha256(&token), &expires_at)?;
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

/// Deliver after commit and record each outcome.
pub fn deliver(ctx: &Ctx, store: &mut dyn Store, permit: &Permit, mails: Vec<PendingMail>) -> Result<Vec<Sent>> {
    if mails.is_empty() || ctx.dry_run {
        return Ok(vec![]);
    }
    let transport = Transport::parse(&ctx.config.get("mail.transport").unwrap_or_else(|| "outbox".into()))?;
    let from = mail::parse_mailbox(&ctx.config.get("mail.from").unwrap_or_else(|| config::DEFAULT_FROM.into()))?;
    let url_template = ctx.config.get("mail.invite_url").unwrap_or_else(|| config::DEFAULT_INVITE_URL.into());
    let outbox = ctx.outbox_dir()?;
    let mut results = Vec::with_capacity(mails.len());
    for m in &mails {
        let url = url_template.replace("{token}", &m.token);
        let invite = mail::Invite { to: &m.email, name: m.name.as_deref(), org: &m.org, url: &url, expires_at: &m.expires_at };
        let result = match mail::invitation(&from, &invite) {
            Ok(msg) => mail::deliver(&transport, &outbox, &msg),
            Err(e) => Err(crate::error::one_line(&format!("{e:#}"))),
        };
        results.push(Sent { email: m.email.clone(), result });
    }
    let mut tx = store.write()?;
    for (m, r) in mails.iter().zip(&results) {
        tx.record_delivery(permit, m.invitation, r.result.as_ref().err().map(String::as_str))?;
    }
    tx.commit()?;
    Ok(results)
}

/// Tell the user where each mail went; a failed delivery is an error (exit 1)
/// after the account change has been kept.
pub fn report(ctx: &Ctx, sent: &[Sent]) -> Result<()> {
    let mut failed = 0;
    for s in sent {
        match &s.result {
            Ok(Delivered::File(p)) => ctx.note(format!("invitation for {} written to {}", s.email, p.display())),
            Ok(Delivered::Sent) => ctx.note(format!("invitation sent to {}", s.email)),
            Err(e) => {
                failed += 1;
                ctx.warn(format!("the invitation to {} could not be delivered: {e}", s.email));
            }
        }
    }
    if failed > 0 {
        return Err(crate::error::failure(format!("{failed} invitation(s) could not be delivered; the accounts were kept"))
            .with_hint("retry with 'acct invite resend USER'")
            .into());
    }
    Ok(())
}
