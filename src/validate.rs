//! Validation and normalization of every value that comes from outside: flags,
//! CSV cells, `$EDITOR` buffers and the database itself.
//!
//! Each function returns an [`AppError`] of kind `Invalid` (exit 6) whose message
//! names the value, escaped to one line.

use crate::error::{AppError, Kind, one_line};
use unicode_normalization::UnicodeNormalization;

pub const MAX_NAME_CHARS: usize = 128;
pub const MAX_INITIALS_CHARS: usize = 8;

fn bad(what: &str, value: &str, why: &str) -> AppError {
    AppError::new(Kind::Invalid, format!("invalid {what} '{}': {why}", one_line(&truncate(value, 80))))
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { format!("{}…", s.chars().take(n).collect::<String>()) }
}

/// Characters that reorder text on screen (Trojan Source, CVE-2021-42574).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A character that must not appear in an identifier or a name.
fn is_forbidden(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}')
}

/// Unicode NFC; ASCII text is already in it.
pub fn nfc(s: &str) -> String {
    if s.is_ascii() { s.to_string() } else { s.nfc().collect() }
}

/// A validated e-mail address: as entered, plus its normalized key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub display: String,
    pub key: String,
}

/// Validate an address and compute the key that makes `Ada@X.com` and `ada@x.com`
/// the same person: Unicode NFC, lower-cased, the domain in IDNA ASCII form.
pub fn email(input: &str) -> Result<Email, AppError> {
    const WHAT: &str = "e-mail";
    if input.is_empty() {
        return Err(bad(WHAT, input, "empty"));
    }
    if let Some(c) = input.chars().find(|c| is_forbidden(*c) || c.is_whitespace()) {
        let why = if c.is_whitespace() { "contains white space" } else { "contains a control or bidi character" };
        return Err(bad(WHAT, input, why));
    }
    if input.len() > 254 {
        return Err(bad(WHAT, input, "longer than 254 octets"));
    }
    let mut parts = input.split('@');
    let (local, domain) = match (parts.next(), parts.next(), parts.next()) {
        (Some(l), Some(d), None) => (l, d),
        _ => return Err(bad(WHAT, input, "must contain exactly one '@'")),
    };
    if local.is_empty() {
        return Err(bad(WHAT, input, "the part before '@' is empty"));
    }
    if local.len() > 64 {
        return Err(bad(WHAT, input, "the part before '@' is longer than 64 octets"));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(bad(WHAT, input, "misplaced '.' before '@'"));
    }
    if let Some(c) = local.chars().find(|c| c.is_ascii() && !(c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(*c))) {
        return Err(bad(WHAT, input, &format!("character '{c}' is not allowed before '@'")));
    }
    if !domain.contains('.') {
        return Err(bad(WHAT, input, "the domain must contain a dot"));
    }
    if domain.split('.').any(|l| l.is_empty()) {
        return Err(bad(WHAT, input, "the domain has an empty label"));
    }
    let ascii = (if domain.is_ascii() { idna::domain_to_ascii(domain) } else { idna::domain_to_ascii(&nfc(domain)) })
        .map_err(|_| bad(WHAT, input, "the domain is not a valid internationalized domain name"))?;
    if ascii.is_empty() || ascii.len() > 253 || ascii.split('.').any(|l| l.is_empty() || l.len() > 63) {
        return Err(bad(WHAT, input, "the domain is not a valid host name"));
    }
    if let Some(c) = ascii.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.')) {
        return Err(bad(WHAT, input, &format!("character '{c}' is not allowed in the domain")));
    }
    let local_key: String = nfc(local).to_lowercase();
    Ok(Email { display: input.to_string(), key: format!("{local_key}@{}", ascii.to_ascii_lowercase()) })
}

/// The normalized key of an address, for lookups; `None` when it is not valid.
pub fn email_key(input: &str) -> Option<String> {
    email(input).ok().map(|e| e.key)
}

/// E.164: `+` then 8 to 15 digits.
pub fn phone(input: &str) -> Result<String, AppError> {
    let digits = input.strip_prefix('+').ok_or_else(|| bad("phone", input, "must start with '+' (E.164)"))?;
    if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("phone", input, "must be '+' followed by 8 to 15 digits (E.164)"));
    }
    Ok(input.to_string())
}

/// An IANA time zone name, checked against the tz database compiled into acct.
pub fn timezone(input: &str) -> Result<String, AppError> {
    match input.parse::<chrono_tz::Tz>() {
        Ok(tz) if tz.name() == input => Ok(input.to_string()),
        Ok(tz) => Err(bad("timezone", input, &format!("did you mean '{}'?", tz.name()))),
        Err(_) => Err(bad("timezone", input, "not an IANA time zone name such as 'Europe/Berlin'")),
    }
}

/// `[a-z][a-z0-9._-]{0,63}`
pub fn username(input: &str) -> Result<String, AppError> {
    let b = input.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-'));
    if ok { Ok(input.to_string()) } else { Err(bad("username", input, "must match [a-z][a-z0-9._-]{0,63}")) }
}

/// The username derived from an address's local part: lower-cased, invalid
/// characters dropped, starting with a letter; `user` when nothing is left.
pub fn username_base(email: &str) -> String {
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    let kept: String = local
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        .skip_while(|c| !c.is_ascii_lowercase())
        .take(64)
        .collect();
    if kept.is_empty() { "user".to_string() } else { kept }
}

/// The `n`th candidate for a base: `ada`, `ada2`, `ada3`, ... kept within 64 bytes.
pub fn username_candidate(base: &str, n: u64) -> String {
    if n <= 1 {
        return base.to_string();
    }
    let suffix = n.to_string();
    let keep = 64usize.saturating_sub(suffix.len()).min(base.len());
    format!("{}{}", &base[..keep], suffix)
}

/// `[a-z0-9][a-z0-9-]{0,62}`: organizations, groups and custom roles.
pub fn slug(what: &str, input: &str) -> Result<String, AppError> {
    let b = input.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 63
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
    if ok { Ok(input.to_string()) } else { Err(bad(what, input, "must match [a-z0-9][a-z0-9-]{0,62}")) }
}

/// A person's name or a display name: no control or bidi characters (a line
/// break is kept, CRLF as LF), at most 128 characters, stored in NFC.
pub fn name(what: &str, input: &str) -> Result<String, AppError> {
    let input = input.replace("\r\n", "\n");
    if input.chars().any(|c| c != '\n' && is_forbidden(c)) {
        return Err(bad(what, &input, "contains a control or bidi character"));
    }
    text_checked(what, &input, MAX_NAME_CHARS)
}

/// A display name, or the slug when none is given.
pub fn display_name(given: Option<&str>, slug: &str) -> Result<String, AppError> {
    match given {
        Some(d) => name("display name", d),
        None => Ok(slug.to_string()),
    }
}

pub fn initials(input: &str) -> Result<String, AppError> {
    text("initials", input, MAX_INITIALS_CHARS)
}

fn text(what: &str, input: &str, max: usize) -> Result<String, AppError> {
    if input.chars().any(is_forbidden) {
        return Err(bad(what, input, "contains a control or bidi character"));
    }
    text_checked(what, input, max)
}

fn text_checked(what: &str, input: &str, max: usize) -> Result<String, AppError> {
    let s = nfc(input);
    if s.chars().count() > max {
        return Err(bad(what, input, &format!("longer than {max} characters")));
    }
    if s.trim().is_empty() {
        return Err(bad(what, input, "empty"));
    }
    Ok(s)
}

/// "first last", or whichever is set.
pub fn default_full_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    match (first, last) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (Some(x), None) | (None, Some(x)) => Some(x.to_string()),
        (None, None) => None,
    }
}

/// Initials from the words of a name: "Ada King Lovelace" → "AKL".
pub fn default_initials(full_name: Option<&str>) -> Option<String> {
    let s: String = full_name?
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .flat_map(char::to_uppercase)
        .take(MAX_INITIALS_CHARS)
        .collect();
    if s.is_empty() { None } else { Some(s) }
}

/// `true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`.
pub fn boolean(what: &str, input: &str) -> Result<bool, AppError> {
    match input.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err(AppError::new(Kind::Usage, format!("invalid value '{}' for {what}: expected true or false", one_line(input)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_keys_fold_case_nfc_and_idna() {
        assert_eq!(email("Ada@X.com").unwrap().key, "ada@x.com");
        assert_eq!(email("ada@x.com").unwrap().key, email("ADA@X.COM").unwrap().key);
        // NFD and NFC forms of the same local part.
        assert_eq!(email("re\u{301}my@x.com").unwrap().key, email("r\u{e9}my@x.com").unwrap().key);
        // Unicode and punycode forms of the same domain.
        assert_eq!(email("a@b\u{fc}cher.de").unwrap().key, "a@xn--bcher-kva.de");
        assert_eq!(email("a@XN--BCHER-KVA.de").unwrap().key, "a@xn--bcher-kva.de");
        assert_eq!(email("Ada@X.com").unwrap().display, "Ada@X.com");
    }

    #[test]
    fn email_lengths() {
        let l64 = "a".repeat(64);
        assert!(email(&format!("{l64}@x.com")).is_ok());
        assert!(email(&format!("{}@x.com", "a".repeat(65))).is_err());
        let dom = format!("{}.{}.{}.{}.com", "b".repeat(63), "c".repeat(63), "d".repeat(63), "e".repeat(56));
        let whole = format!("a@{dom}");
        assert_eq!(whole.len(), 254);
        assert!(email(&whole).is_ok());
        assert!(email(&format!("ab@{dom}")).is_err());
    }

    #[test]
    fn email_rejects() {
        for bad in [
            "",
            "a",
            "a@b",
            "a@@b.c",
            "a@b@c.d",
            "@x.com",
            "a@.com",
            "a@x..com",
            "a b@x.com",
            "a@x.com ",
            "a\n@x.com",
            "a\u{202E}@x.com",
            "a\0@x.com",
            ".a@x.com",
            "a..b@x.com",
            "a<b@x.com",
            "a@x_y.com",
        ] {
            assert!(email(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn phones() {
        assert!(phone("+4915112345678").is_ok());
        assert!(phone("+12345678").is_ok());
        assert!(phone("+1234567").is_err());
        assert!(phone("+1234567890123456").is_err());
        assert!(phone("4915112345678").is_err());
        assert!(phone("+49 151").is_err());
        assert!(phone("+４９１５１１２３４５６７８").is_err());
    }

    #[test]
    fn timezones() {
        assert_eq!(timezone("Europe/Berlin").unwrap(), "Europe/Berlin");
        assert!(timezone("UTC").is_ok());
        assert!(timezone("Mars/Olympus").is_err());
        assert!(timezone("europe/berlin").is_err());
        assert!(timezone("").is_err());
    }

    #[test]
    fn usernames() {
        assert_eq!(username_base("Ada.Lovelace+x@x.com"), "ada.lovelacex");
        assert_eq!(username_base("42-ops@x.com"), "ops");
        assert_eq!(username_base("ÉÉ@x.com"), "user");
        assert_eq!(username_candidate("ada", 1), "ada");
        assert_eq!(username_candidate("ada", 2), "ada2");
        assert_eq!(username_candidate(&"a".repeat(64), 12).len(), 64);
        assert!(username("ada").is_ok());
        assert!(username("1ada").is_err());
        assert!(username("Ada").is_err());
        assert!(username(&"a".repeat(65)).is_err());
    }

    #[test]
    fn slugs_and_names() {
        assert!(slug("org", "acme-2").is_ok());
        assert!(slug("org", "-acme").is_err());
        assert!(slug("org", "Acme").is_err());
        assert!(slug("org", &"a".repeat(64)).is_err());
        assert!(name("first name", "Zoë").is_ok());
        assert!(name("first name", "a\u{202E}b").is_err());
        assert!(name("first name", "a\u{7}b").is_err());
        assert_eq!(name("first name", "Ca\r\nrol").unwrap(), "Ca\nrol");
        assert!(name("first name", &"x".repeat(129)).is_err());
        assert_eq!(default_initials(Some("ada king lovelace")).as_deref(), Some("AKL"));
        assert_eq!(default_full_name(Some("Ada"), Some("Lovelace")).as_deref(), Some("Ada Lovelace"));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// No input panics; a valid address's key is itself valid and stable.
        #[test]
        fn email_never_panics_and_keys_are_fixed_points(s in "\\PC{0,80}|[a-zA-Z0-9._%+=-]{1,70}@[a-zA-Z0-9ü.-]{1,70}") {
            if let Ok(e) = email(&s) {
                prop_assert!(e.display == s);
                prop_assert!(e.key.len() <= 254 + 200);
                let again = email(&e.key).map(|k| k.key);
                prop_assert_eq!(again.as_deref(), Ok(e.key.as_str()));
            }
        }

        /// Arbitrary bytes (lossily decoded, with control and bidi characters).
        #[test]
        fn validators_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let s = String::from_utf8_lossy(&bytes);
            let _ = email(&s);
            let _ = phone(&s);
            let _ = timezone(&s);
            let _ = username(&s);
            let _ = slug("org", &s);
            let _ = name("name", &s);
            let _ = initials(&s);
            let _ = boolean("flag", &s);
            let _ = crate::store::Selector::parse(&s);
            let u = username_base(&s);
            prop_assert!(username(&u).is_ok(), "derived username {u:?} is valid");
        }

        /// Case, NFC/NFD and the punycode form of the domain give one key.
        #[test]
        fn equivalent_forms_share_a_key(local in "[a-z]{1,10}", accent in prop::bool::ANY) {
            let nfc = if accent { format!("{local}\u{e9}") } else { local.clone() };
            let nfd = if accent { format!("{local}e\u{301}") } else { local.clone() };
            let a = email(&format!("{}@B\u{fc}cher.DE", nfc.to_uppercase())).unwrap().key;
            let b = email(&format!("{nfd}@xn--bcher-kva.de")).unwrap().key;
            prop_assert_eq!(a, b);
        }

        #[test]
        fn phones_are_exactly_e164(d in "[0-9]{0,20}") {
            let ok = (8..=15).contains(&d.len());
            prop_assert_eq!(phone(&format!("+{d}")).is_ok(), ok);
        }
    }

    #[test]
    fn hostile_forms() {
        let l64 = "a".repeat(64);
        assert!(email(&format!("{l64}@x.co")).is_ok());
        assert!(email(&format!("{l64}a@x.co")).is_err());
        for bad in
            ["a\0b@x.com", "a@x.com\r\n", "a@x\u{200F}.com", "a@x.com\u{2066}", &format!("{}@x.com", "a".repeat(10_000_000))]
        {
            assert!(email(bad).is_err());
        }
    }
}
