//! Credentials: TOTP (RFC 6238), recovery codes and password hashing.

use crate::error::{AppError, Kind, Result};
use argon2::password_hash::PasswordHasher;
use totp_rs::{Algorithm, Builder, Secret, Totp};

pub const STEP: u64 = 30;
pub const DIGITS: u8 = 6;
pub const RECOVERY_CODES: usize = 10;
pub const MAX_FAILURES: i64 = 5;
pub const LOCK_MINUTES: i64 = 15;
pub const MIN_PASSWORD: usize = 12;
pub const MAX_PASSWORD: usize = 1024;

/// A TOTP for a base32 secret: SHA-1, 6 digits, 30 s.
pub fn totp(secret_b32: &str, account: &str) -> Result<Totp> {
    let secret = Secret::try_from_base32(secret_b32).map_err(|_| anyhow::anyhow!("the stored TOTP secret is damaged"))?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_step_duration(STEP)
        .with_secret(secret)
        .with_issuer(Some("acct"))
        .with_account_name(account.replace(':', ""))
        .build()
        .map_err(|e| anyhow::anyhow!("cannot build the TOTP: {e}"))
}

/// A new secret of 160 random bits, base32.
pub fn new_secret() -> String {
    let mut b = [0u8; 20];
    crate::secret::fill_random(&mut b);
    Secret::from(&b[..]).to_base32()
}

pub fn now_step() -> u64 {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    secs / STEP
}

/// A code as typed: spaces (`123 456`) are not part of it.
pub fn typed_code(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The step (current ±1) at which `code` is valid and later than `after`.
/// Spaces in the code are ignored.
pub fn matching_step(t: &Totp, code: &str, now: u64, after: Option<u64>) -> Option<u64> {
    let code = typed_code(code);
    let code = code.as_str();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    [now.saturating_sub(1), now, now + 1]
        .into_iter()
        .filter(|s| after.is_none_or(|a| *s > a))
        .find(|s| t.generate(s * STEP).to_string() == code)
}

/// Recovery codes: 24 base32 characters (120 bits, so SHA-256 is enough per
/// NIST SP 800-63B §5.1.2.2), shown as six groups of four.
pub fn new_recovery_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut b = [0u8; 24];
    crate::secret::fill_random(&mut b);
    let chars: Vec<char> = b.iter().map(|x| ALPHABET[(*x & 31) as usize] as char).collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// The form a recovery code is hashed in: upper case, no dashes or spaces.
pub fn normalize_recovery(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

pub fn looks_like_recovery(code: &str) -> bool {
    normalize_recovery(code).len() == 24
}

pub fn hash_recovery(code: &str) -> String {
    crate::secret::sha256(&normalize_recovery(code)).iter().map(|b| format!("{b:02x}")).collect()
}

/// argon2id, PHC string, OWASP parameters (m = 19 MiB, t = 2, p = 1).
pub fn hash_password(password: &str) -> Result<String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(AppError::new(Kind::Invalid, format!("the password is too short: at least {MIN_PASSWORD} characters")).into());
    }
    if n > MAX_PASSWORD {
        return Err(AppError::new(Kind::Invalid, format!("the password is too long: at most {MAX_PASSWORD} characters")).into());
    }
    let params = argon2::Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut salt = [0u8; 16];
    crate::secret::fill_random(&mut salt);
    Ok(argon.hash_password_with_salt(password.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("argon2: {e}"))?.to_string())
}

/// Draw a QR code for the terminal with half blocks. With `colour`, every
/// line is drawn black on white (explicit ANSI colours), so the code scans
/// on light and dark terminals alike; without, the blocks are drawn in the
/// terminal's foreground on its background, which suits dark terminals.
pub fn qr_text(data: &str, colour: bool) -> Result<String> {
    use qrcode::render::unicode::Dense1x2;
    let code = qrcode::QrCode::new(data.as_bytes()).map_err(|e| anyhow::anyhow!("QR code: {e}"))?;
    if !colour {
        return Ok(code.render::<Dense1x2>().dark_color(Dense1x2::Light).light_color(Dense1x2::Dark).build());
    }
    let text = code.render::<Dense1x2>().dark_color(Dense1x2::Dark).light_color(Dense1x2::Light).build();
    Ok(text.lines().map(|l| format!("\x1b[30;47m{l}\x1b[0m")).collect::<Vec<_>>().join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(alg: Algorithm, digits: u8, step: u64, secret: &[u8]) -> Totp {
        Builder::new().with_algorithm(alg).with_digits(digits).with_step_duration(step).with_secret(secret).build_noncompliant()
    }

    /// RFC 6238 Appendix B: the six times, for SHA-1, SHA-256 and SHA-512.
    #[test]
    fn rfc6238_vectors() {
        let s1 = b"12345678901234567890";
        let s256 = b"12345678901234567890123456789012";
        let s512 = b"1234567890123456789012345678901234567890123456789012345678901234";
        let cases: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        for (t, sha1, sha256, sha512) in cases {
            assert_eq!(raw(Algorithm::SHA1, 8, 30, s1).generate(t).to_string(), sha1, "SHA1 at {t}");
            assert_eq!(raw(Algorithm::SHA256, 8, 30, s256).generate(t).to_string(), sha256, "SHA256 at {t}");
            assert_eq!(raw(Algorithm::SHA512, 8, 30, s512).generate(t).to_string(), sha512, "SHA512 at {t}");
        }
    }

    /// RFC 4226 Appendix D: HOTP values for counters 0 to 9 (a TOTP with a
    /// one-second step evaluated at time = counter).
    #[test]
    fn rfc4226_vectors() {
        let expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
        let h = raw(Algorithm::SHA1, 6, 1, b"12345678901234567890");
        for (counter, want) in expected.iter().enumerate() {
            assert_eq!(h.generate(counter as u64).to_string(), *want, "counter {counter}");
        }
    }

    #[test]
    fn steps_and_replay() {
        let secret = new_secret();
        let t = totp(&secret, "ada@example.com").unwrap();
        let now = 1_000_000;
        let code = t.generate(now * STEP).to_string();
        assert_eq!(matching_step(&t, &code, now, None), Some(now));
        assert_eq!(matching_step(&t, &code, now + 1, None), Some(now));
        assert_eq!(matching_step(&t, &code, now + 2, None), None);
        assert_eq!(matching_step(&t, &code, now, Some(now)), None, "a used step is rejected");
        assert_eq!(matching_step(&t, "12345", now, None), None);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(matching_step(&t, &spaced, now, None), Some(now), "typed as 123 456");
    }

    #[test]
    fn the_qr_code_has_explicit_colours_when_asked() {
        let plain = qr_text("otpauth://totp/x?secret=AAAA", false).unwrap();
        assert!(!plain.contains('\x1b'));
        let coloured = qr_text("otpauth://totp/x?secret=AAAA", true).unwrap();
        assert_eq!(coloured.lines().count(), plain.lines().count());
        assert!(coloured.lines().all(|l| l.starts_with("\x1b[30;47m") && l.ends_with("\x1b[0m")), "{coloured:?}");
    }

    #[test]
    fn recovery_codes() {
        let c = new_recovery_code();
        assert_eq!(c.len(), 29);
        assert!(looks_like_recovery(&c));
        assert_eq!(hash_recovery(&c), hash_recovery(&c.to_lowercase().replace('-', " ")));
        assert_ne!(new_recovery_code(), c);
    }

    #[test]
    fn password_rules_and_phc() {
        assert!(hash_password("short").is_err());
        assert!(hash_password(&"x".repeat(1025)).is_err());
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
    }
}
