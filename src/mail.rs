//! Invitation mail: building the message and handing it to a transport.
//!
//! Mail is always produced after the database transaction commits; a failed
//! delivery is recorded on the invitation and never undoes the account change.

use crate::error::{AppError, Kind, Result, one_line};
use anyhow::Context;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{Message, Transport as _};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// `.eml` files in the outbox directory.
    Outbox,
    /// SMTP; `tls` is implicit TLS (smtps://), otherwise STARTTLS when offered.
    Smtp { host: String, port: u16, tls: bool },
    /// The local `sendmail` program.
    Sendmail,
}

impl Transport {
    pub fn parse(s: &str) -> Result<Transport, AppError> {
        let bad = || {
            AppError::new(Kind::Invalid, format!("invalid mail transport '{}'", one_line(s)))
                .with_hint("use outbox, sendmail, smtp://HOST:PORT or smtps://HOST:PORT")
        };
        match s {
            "outbox" => return Ok(Transport::Outbox),
            "sendmail" => return Ok(Transport::Sendmail),
            _ => {}
        }
        let (tls, rest) = if let Some(r) = s.strip_prefix("smtps://") {
            (true, r)
        } else if let Some(r) = s.strip_prefix("smtp://") {
            (false, r)
        } else {
            return Err(bad());
        };
        let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
        let port: u16 = port.trim_end_matches('/').parse().map_err(|_| bad())?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || port == 0 || host.chars().any(|c| c.is_whitespace() || c.is_control() || c == '/' || c == '@') {
            return Err(bad());
        }
        Ok(Transport::Smtp { host: host.to_string(), port, tls })
    }
}

pub fn parse_mailbox(s: &str) -> Result<Mailbox, AppError> {
    s.parse::<Mailbox>().map_err(|_| AppError::new(Kind::Invalid, format!("invalid sender '{}' for mail.from", one_line(s))))
}

/// What an invitation says.
#[derive(Debug, Clone)]
pub struct Invite<'a> {
    pub to: &'a str,
    pub name: Option<&'a str>,
    pub org: &'a str,
    pub url: &'a str,
    pub expires_at: &'a str,
}

/// The address as sent: a domain in Unicode becomes its A-label (punycode)
/// when the local part is ASCII, so that servers without SMTPUTF8 take it.
/// A non-ASCII local part needs SMTPUTF8 anyway and is left as it is.
pub fn ascii_address(addr: &str) -> String {
    match addr.rsplit_once('@') {
        Some((local, domain)) if local.is_ascii() && !domain.is_ascii() => match idna::domain_to_ascii(domain) {
            Ok(d) => format!("{local}@{d}"),
            Err(_) => addr.to_string(),
        },
        _ => addr.to_string(),
    }
}

/// The domain of the sender's address, in ASCII.
fn sender_domain(from: &Mailbox) -> String {
    let d = from.email.domain();
    idna::domain_to_ascii(d).unwrap_or_else(|_| d.to_string())
}

/// The name the SMTP greeting (EHLO) gives: `mail.helo`, by default the
/// domain of `mail.from`.
pub fn helo_name(configured: Option<String>, from: &Mailbox) -> String {
    configured.filter(|h| !h.is_empty()).unwrap_or_else(|| sender_domain(from))
}

pub fn invitation(from: &Mailbox, inv: &Invite<'_>) -> Result<Message> {
    use lettre::message::{Body, SinglePart, header::ContentTransferEncoding};
    let addr = ascii_address(inv.to);
    let to: Mailbox = match inv.name {
        Some(n) => format!("\"{}\" <{addr}>", n.replace(['"', '\\'], "")).parse(),
        None => addr.parse(),
    }
    .or_else(|_| addr.parse())
    .map_err(|_| AppError::new(Kind::Invalid, format!("cannot send mail to '{}'", one_line(inv.to))))?;
    let greeting = match inv.name {
        Some(n) => format!("Hello {n},"),
        None => "Hello,".to_string(),
    };
    let body = format!(
        "{greeting}\n\nyou have been invited to the organization {org}.\n\nTo accept the invitation and choose a password, open:\n\n  {url}\n\nor accept it with acct:\n\n  acct invite accept {url}\n\nThe link works once and expires at {exp}.\nIf you did not expect this invitation, ignore this message.\n",
        org = inv.org,
        url = inv.url,
        exp = inv.expires_at,
    );
    // 7bit (8bit for non-ASCII names): the body as it is, CRLF line ends and
    // no line ever cut, so that the link can be copied from the raw message
    // (lettre would pick quoted-printable for a line over 76 characters).
    if body.split('\n').any(|l| l.len() > 998) || body.contains(['\r', '\0']) {
        return Err(AppError::new(Kind::Invalid, "the invitation has a line longer than 998 bytes (mail.invite_url?)").into());
    }
    let encoding = if body.is_ascii() { ContentTransferEncoding::SevenBit } else { ContentTransferEncoding::EightBit };
    let body = Body::dangerous_pre_encoded(body.replace('\n', "\r\n").into_bytes(), encoding);
    let mut id = [0u8; 16];
    crate::secret::fill_random(&mut id);
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(format!("You are invited to {}", inv.org))
        .message_id(Some(format!("<{}@{}>", hex(&id), sender_domain(from))))
        .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(body))
        .context("cannot build the invitation message")
}

/// Where a message went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    File(PathBuf),
    Sent,
}

/// Deliver one message. The error is a one-line reason, stored on the invitation.
pub fn deliver(transport: &Transport, helo: &str, outbox: &Path, msg: &Message) -> Result<Delivered, String> {
    match transport {
        Transport::Outbox => {
            write_outbox(outbox, msg).map(Delivered::File).map_err(|e| crate::error::message_line(&format!("{e:#}")))
        }
        Transport::Sendmail => lettre::SendmailTransport::new()
            .send(msg)
            .map(|_| Delivered::Sent)
            .map_err(|e| crate::error::message_line(&e.to_string())),
        Transport::Smtp { host, port, tls } => {
            use lettre::transport::smtp::client::{Tls, TlsParameters};
            let params = TlsParameters::new(host.clone()).map_err(|e| crate::error::message_line(&e.to_string()))?;
            let mut b = lettre::SmtpTransport::builder_dangerous(host.as_str())
                .port(*port)
                .hello_name(lettre::transport::smtp::extension::ClientId::Domain(helo.to_string()))
                .timeout(Some(std::time::Duration::from_secs(20)))
                .tls(if *tls { Tls::Wrapper(params) } else { Tls::Opportunistic(params) });
            let env = |v| crate::validate::env_text(v).map_err(|e| e.message);
            if let (Some(user), Some(pass)) = (env("ACCT_SMTP_USER")?, env("ACCT_SMTP_PASSWORD")?) {
                b = b.credentials(lettre::transport::smtp::authentication::Credentials::new(user, pass));
            }
            b.build().send(msg).map(|_| Delivered::Sent).map_err(|e| {
                // lettre's messages never carry the credentials.
                crate::error::message_line(&format!("SMTP delivery to {host}:{port} failed: {e}"))
            })
        }
    }
}

/// Write an `.eml` file atomically (private temporary file, then rename; no
/// temporary file survives an interruption).
fn write_outbox(dir: &Path, msg: &Message) -> Result<PathBuf> {
    crate::safe_file::create_private_dir(dir)?;
    let mut rnd = [0u8; 6];
    crate::secret::fill_random(&mut rnd);
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let name = format!("{stamp}-{}.eml", hex(&rnd));
    crate::safe_file::write_new(dir, &name, &msg.formatted())
        .with_context(|| format!("cannot write to the outbox {}", dir.display()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transports() {
        assert_eq!(Transport::parse("outbox").unwrap(), Transport::Outbox);
        assert_eq!(
            Transport::parse("smtp://127.0.0.1:2525").unwrap(),
            Transport::Smtp { host: "127.0.0.1".into(), port: 2525, tls: false }
        );
        assert_eq!(
            Transport::parse("smtps://mail.x.com:465").unwrap(),
            Transport::Smtp { host: "mail.x.com".into(), port: 465, tls: true }
        );
        for bad in ["smtp://", "smtp://host", "smtp://host:0", "smtp://host:99999", "ftp://x:1", "smtp://a b:25", ""] {
            assert!(Transport::parse(bad).is_err(), "{bad}");
        }
    }
}
