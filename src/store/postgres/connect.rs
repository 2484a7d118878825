//! Connecting to PostgreSQL as `psql` would: a `postgres://` URL, the
//! password from the URL, `PGPASSWORD` or `~/.pgpass`, TLS by `sslmode`
//! (through rustls) and `sslrootcert`. The password is never shown: messages
//! name the URL without it.

use crate::error::{DbFault, Result};
use anyhow::Context;
use postgres::Client;
use postgres::config::SslMode;
use std::sync::Arc;

/// The busy timeout: how long a writer waits for another (`lock_timeout`).
pub const LOCK_TIMEOUT_MS: u64 = crate::store::sqlite::BUSY_TIMEOUT_MS;

/// The URL without its password (and without anything but its scheme when
/// it cannot be read), as messages show it.
pub fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return "(a PostgreSQL URL)".into() };
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    // Everything up to the last '@' is user information, whatever it holds
    // (a password with an unescaped '/' or '@' included): only the user is kept.
    let shown = match before_query.rsplit_once('@') {
        Some((userinfo, host)) => format!("{}@{host}", userinfo.split(':').next().unwrap_or("")),
        None => before_query.to_string(),
    };
    // Query parameters other than the password are shown.
    let query = query.map(|q| q.split('&').filter(|kv| !kv.starts_with("password=")).collect::<Vec<_>>().join("&"));
    let query = query.filter(|q| !q.is_empty()).map(|q| format!("?{q}")).unwrap_or_default();
    crate::error::one_line(&format!("{scheme}://{shown}{query}"))
}

/// What `sslmode` asks for, as libpq defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// The URL's `sslmode` and `sslrootcert`, and the URL without them (the
/// driver knows only disable, prefer and require).
fn tls_params(url: &str) -> Result<(String, Tls, Option<String>)> {
    let Some((base, query)) = url.split_once('?') else { return Ok((url.to_string(), Tls::Prefer, None)) };
    let mut mode = Tls::Prefer;
    let mut root = None;
    let mut kept = Vec::new();
    for kv in query.split('&') {
        match kv.split_once('=') {
            Some(("sslmode", v)) => {
                mode = match v {
                    "disable" => Tls::Disable,
                    "allow" | "prefer" => Tls::Prefer,
                    "require" => Tls::Require,
                    "verify-ca" => Tls::VerifyCa,
                    "verify-full" => Tls::VerifyFull,
                    other => {
                        return Err(DbFault::BadUrl {
                            location: shown_url(url),
                            why: format!("invalid sslmode '{other}'"),
                            hint: Some("use disable, prefer, require, verify-ca or verify-full"),
                        }
                        .into());
                    }
                }
            }
            Some(("sslrootcert", v)) => root = Some(percent_decode(v)),
            _ => kept.push(kv),
        }
    }
    let url = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
    Ok((url, mode, root))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A connection, with the session settings acct relies on. Statements are
/// prepared once but planned for their values each time
/// (`force_custom_plan`): a generic plan, made while a bulk import's table
/// was small, went on scanning it whole as it grew.
pub fn client(url: &str) -> Result<Client> {
    let shown = shown_url(url);
    let (url, tls, root) = tls_params(url)?;
    let mut config: postgres::Config =
        url.parse().map_err(|e: postgres::Error| DbFault::BadUrl { location: shown.clone(), why: e.to_string(), hint: None })?;
    if config.get_password().is_none() {
        if let Some(p) = std::env::var_os("PGPASSWORD").filter(|p| !p.is_empty()) {
            config.password(p.as_encoded_bytes());
        } else if let Some(p) = pgpass(&config) {
            config.password(p);
        }
    }
    if config.get_application_name().is_none() {
        config.application_name(&application_name());
    }
    config.connect_timeout(std::time::Duration::from_millis(LOCK_TIMEOUT_MS));
    config.ssl_mode(match tls {
        Tls::Disable => SslMode::Disable,
        Tls::Prefer => SslMode::Prefer,
        _ => SslMode::Require,
    });
    let connector = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(tls, root.as_deref())?);
    let mut client = config.connect(connector).map_err(|e| {
        let why = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_else(|| {
            let mut s = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                s = format!("{s}: {c}");
                cause = c.source();
            }
            s
        });
        DbFault::Unreachable { location: shown.clone(), why }
    })?;
    client
        .batch_execute(&format!(
            "SET lock_timeout = {LOCK_TIMEOUT_MS}; SET idle_in_transaction_session_timeout = 0; SET client_min_messages = warning;
             SET plan_cache_mode = force_custom_plan"
        ))
        .context("setting up the database session")?;
    Ok(client)
}

/// `acct` and the process id, so that `pg_stat_activity` shows which acct
/// process holds a lock.
fn application_name() -> String {
    format!("acct {}", std::process::id())
}

/// The password of `~/.pgpass` (or `PGPASSFILE`) for the connection, as
/// libpq reads it: `host:port:database:user:password`, `*` matching
/// anything, `\` escaping `:` and `\`; ignored unless private to its owner.
fn pgpass(config: &postgres::Config) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let path = match std::env::var_os("PGPASSFILE") {
        Some(p) => std::path::PathBuf::from(p),
        None => std::path::PathBuf::from(std::env::var_os("HOME")?).join(".pgpass"),
    };
    let meta = std::fs::metadata(&path).ok()?;
    if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432).to_string();
    let user = config.get_user().map(str::to_string).unwrap_or_else(|| std::env::var("USER").unwrap_or_default());
    let db = config.get_dbname().map(str::to_string).unwrap_or_else(|| user.clone());
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields = pgpass_fields(line);
        if fields.len() < 5 {
            continue;
        }
        let want = [&host, &port, &db, &user];
        if fields[..4].iter().zip(want).all(|(f, w)| f == "*" || f == w) {
            return Some(fields[4].clone());
        }
    }
    None
}

fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(n), Some(f)) = (chars.next(), fields.last_mut()) {
                    f.push(n);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => {
                if let Some(f) = fields.last_mut() {
                    f.push(c);
                }
            }
        }
    }
    fields
}

/// The rustls configuration for an `sslmode`: verify-full checks the
/// certificate chain and the host name, verify-ca the chain only, require
/// and prefer encrypt without checking who answers (as libpq does when no
/// root certificate is given).
fn tls_config(tls: Tls, root: Option<&str>) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("setting up TLS")?;
    let mut roots = rustls::RootCertStore::empty();
    match root {
        Some(path) => {
            use rustls_pki_types::pem::PemObject;
            let bad = |why: String| DbFault::RootCert { path: path.to_string(), why };
            let certs = rustls_pki_types::CertificateDer::pem_file_iter(path).map_err(|e| bad(e.to_string()))?;
            for c in certs {
                roots.add(c.map_err(|e| bad(e.to_string()))?).map_err(|e| bad(e.to_string()))?;
            }
        }
        None if matches!(tls, Tls::VerifyCa | Tls::VerifyFull) => {
            for c in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(c);
            }
        }
        None => {}
    }
    let config = match tls {
        Tls::VerifyFull => builder.with_root_certificates(roots).with_no_client_auth(),
        _ => {
            let chain = match tls {
                Tls::VerifyCa => Some(
                    rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                        .build()
                        .context("setting up TLS verification")?,
                ),
                _ => None,
            };
            builder.dangerous().with_custom_certificate_verifier(Arc::new(Lenient { chain, provider })).with_no_client_auth()
        }
    };
    Ok(config)
}

/// The verifier of the modes that check less than verify-full: with a
/// `chain` (`sslmode=verify-ca`) the certificate must lead to a trusted root
/// but its host name is not compared; without (`require`, `prefer`) the
/// connection is encrypted and the server's signature checked, its
/// certificate not.
#[derive(Debug)]
struct Lenient {
    chain: Option<Arc<rustls::client::WebPkiServerVerifier>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &rustls_pki_types::CertificateDer<'_>,
        intermediates: &[rustls_pki_types::CertificateDer<'_>],
        server_name: &rustls_pki_types::ServerName<'_>,
        ocsp: &[u8],
        now: rustls_pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else { return Ok(rustls::client::danger::ServerCertVerified::assertion()) };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(rustls::client::danger::ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// The error of a writer that waited too long for another.
pub fn lock_wait(e: &postgres::Error) -> anyhow::Error {
    let timed_out = e.as_db_error().is_some_and(|d| d.code() == &postgres::error::SqlState::LOCK_NOT_AVAILABLE);
    if timed_out {
        return DbFault::Busy { seconds: LOCK_TIMEOUT_MS / 1000 }.into();
    }
    anyhow::anyhow!("waiting for the other acct writers: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_never_shown() {
        assert_eq!(shown_url("postgres://ada:s3cret@db.example:5432/acct"), "postgres://ada@db.example:5432/acct");
        assert_eq!(shown_url("postgresql://db/acct?password=x&sslmode=require"), "postgresql://db/acct?sslmode=require");
        assert_eq!(shown_url("postgres://ada@db"), "postgres://ada@db");
        assert_eq!(shown_url("postgres://a:b:c@h/d"), "postgres://a@h/d");
        assert_eq!(shown_url("postgres://a:p/w@rd@h:5432/d?sslmode=require"), "postgres://a@h:5432/d?sslmode=require");
        assert_eq!(shown_url("postgresql://h/d?password=x"), "postgresql://h/d");
    }

    #[test]
    fn sslmode_and_sslrootcert_are_read_off_the_url() {
        let (url, mode, root) = tls_params("postgres://h/d?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem&x=1").unwrap();
        assert_eq!((url.as_str(), mode, root.as_deref()), ("postgres://h/d?x=1", Tls::VerifyFull, Some("/tmp/ca.pem")));
        assert_eq!(tls_params("postgres://h/d").unwrap().1, Tls::Prefer);
        assert!(tls_params("postgres://h/d?sslmode=sometimes").is_err());
    }

    #[test]
    fn pgpass_lines_are_split_with_escapes() {
        assert_eq!(pgpass_fields(r"h:5432:db:ada:pa\:ss\\w:rd"), ["h", "5432", "db", "ada", r"pa:ss\w:rd"]);
        assert_eq!(pgpass_fields("*:*:*:*:x"), ["*", "*", "*", "*", "x"]);
    }
}
