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
    AppError::new(Kind::Invalid, format!("invalid {what} '{}': {why}", one_line(value)))
}

/// Characters that reorder text on screen (Trojan Source, CVE-2021-42574).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): code
/// points that render as nothing, whatever their general category (U+034F
/// COMBINING GRAPHEME JOINER is Mn, the Hangul fillers are Lo, the variation
/// selectors Mn). The list is short and stable, so it is kept here rather
/// than in a dependency.
pub fn is_default_ignorable(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}'..='\u{1160}' | '\u{17B4}'..='\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}'
        | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// A character that can break a line of text or hide on screen: controls
/// (Cc), the line and paragraph separators (Zl, Zp), format characters (Cf,
/// the bidi controls among them) and the default-ignorable code points. These
/// are escaped whenever a value is echoed ([`crate::error::one_line`]).
pub fn hides_or_breaks(c: char) -> bool {
    use unicode_properties::{GeneralCategory as G, UnicodeGeneralCategory};
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    matches!(c.general_category(), G::Control | G::Format | G::LineSeparator | G::ParagraphSeparator) || is_default_ignorable(c)
}

/// Why a character may not appear anywhere in an e-mail address, or `None`.
/// SPEC §1: no control, bidi, white-space or invisible format character;
/// private-use and unassigned code points are refused too (they display as
/// nothing known and no mail system can be trusted with them).
fn email_char_problem(c: char) -> Option<&'static str> {
    use unicode_properties::{GeneralCategory as G, UnicodeGeneralCategory};
    if c.is_ascii() {
        return if c.is_ascii_control() {
            Some("a control character")
        } else if c == ' ' {
            Some("white space")
        } else {
            None
        };
    }
    if is_bidi_control(c) {
        return Some("a bidi control character");
    }
    match c.general_category() {
        G::Control => Some("a control character"),
        G::Format => Some("an invisible format character"),
        G::SpaceSeparator => Some("white space"),
        G::LineSeparator | G::ParagraphSeparator => Some("a line or paragraph separator"),
        G::PrivateUse => Some("a private-use character"),
        G::Unassigned | G::Surrogate => Some("an unassigned code point"),
        _ if is_default_ignorable(c) => Some("an invisible character"),
        _ if c.is_whitespace() => Some("white space"),
        _ => None,
    }
}

fn is_mark(c: char) -> bool {
    use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
    !c.is_ascii() && c.general_category_group() == GeneralCategoryGroup::Mark
}

/// A character that must not appear in an identifier or a name.
fn is_forbidden(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}')
}

/// Unicode NFC; ASCII text is already in it.
pub fn nfc(s: &str) -> String {
    if s.is_ascii() { s.to_string() } else { s.nfc().collect() }
}

/// The caseless form of a text: NFC, full Unicode case folding (CaseFolding.txt
/// statuses C and F: `ß` → `ss`, final `ς` → `σ`), then NFC again so that the
/// result is a fixed point.
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    nfc(&caseless::default_case_fold_str(&nfc(s)))
}

/// A validated e-mail address: as entered, plus its normalized key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub display: String,
    pub key: String,
}

/// RFC 5321 §4.5.3.1: the local part in octets, the whole path in octets.
pub const MAX_LOCAL_OCTETS: usize = 64;
pub const MAX_EMAIL_OCTETS: usize = 254;

/// Validate an address (SPEC §1) and compute the key that makes `Ada@X.com`
/// and `ada@x.com`, or `ΑΣ@x.com` and `ασ@x.com`, the same person: the local
/// part in NFC and fully case-folded, the domain in IDNA ASCII (A-label) form.
pub fn email(input: &str) -> Result<Email, AppError> {
    const WHAT: &str = "e-mail";
    if input.is_empty() {
        return Err(bad(WHAT, input, "empty"));
    }
    // A domain character is at most 4 octets of UTF-8 and at least one of
    // its A-label: anything longer cannot fit, whatever IDNA makes of it.
    if input.len() > MAX_LOCAL_OCTETS + 1 + 4 * 253 {
        return Err(bad(WHAT, input, &format!("longer than {MAX_EMAIL_OCTETS} octets")));
    }
    if let Some((c, why)) = input.chars().find_map(|c| email_char_problem(c).map(|w| (c, w))) {
        // Controls, bidi controls and white space are shown escaped (or are
        // visible) in the echoed address; the others are named.
        let why = match why {
            "a control character" | "a bidi control character" => "contains a control or bidi character".to_string(),
            "white space" => "contains white space".to_string(),
            _ => format!("contains {why} (U+{:04X})", c as u32),
        };
        return Err(bad(WHAT, input, &why));
    }
    let mut parts = input.split('@');
    let (local, domain) = match (parts.next(), parts.next(), parts.next()) {
        (Some(l), Some(d), None) => (l, d),
        _ => return Err(bad(WHAT, input, "must contain exactly one '@'")),
    };
    if local.is_empty() {
        return Err(bad(WHAT, input, "the part before '@' is empty"));
    }
    if domain.is_empty() {
        return Err(bad(WHAT, input, "the part after '@' is empty"));
    }
    if local.len() > MAX_LOCAL_OCTETS || nfc(local).len() > MAX_LOCAL_OCTETS {
        return Err(bad(WHAT, input, &format!("the part before '@' is longer than {MAX_LOCAL_OCTETS} octets")));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(bad(WHAT, input, "misplaced '.' before '@'"));
    }
    if let Some(c) = local.chars().find(|c| c.is_ascii() && !(c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(*c))) {
        return Err(bad(WHAT, input, &format!("character '{c}' is not allowed before '@'")));
    }
    // A combining mark at the start of a part would join the character
    // before it (outside the address, or the '@').
    if local.starts_with(is_mark) || domain.starts_with(is_mark) {
        return Err(bad(WHAT, input, "a part of the address starts with a combining mark"));
    }
    let ascii = host_name(domain).map_err(|why| bad(WHAT, input, why))?;
    let octets = local.len().max(nfc(local).len()) + 1 + ascii.len();
    if octets > MAX_EMAIL_OCTETS {
        let form = if ascii == domain { "" } else { " with the domain in IDNA form" };
        return Err(bad(WHAT, input, &format!("longer than {MAX_EMAIL_OCTETS} octets{form} ({octets})")));
    }
    Ok(Email { display: input.to_string(), key: format!("{}@{ascii}", fold(local)) })
}

/// The domain of an address as a host name (SPEC §1): its IDNA ASCII form,
/// lower-cased, with at least two labels, each 1 to 63 letters, digits and
/// hyphens, none starting or ending with '-', and a top-level label that is
/// not all digits (so no IPv4 address); at most 253 octets.
fn host_name(domain: &str) -> Result<String, &'static str> {
    const NOT_IDNA: &str = "the domain is not a valid internationalized domain name";
    let mapped = idna::domain_to_ascii(&nfc(domain)).map_err(|_| NOT_IDNA)?;
    let labels: Vec<&str> = mapped.split('.').collect();
    if labels.iter().any(|l| l.is_empty()) {
        return Err("the domain has an empty label");
    }
    if labels.len() < 2 {
        return Err("the domain must contain a dot");
    }
    if labels.iter().any(|l| !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')) {
        return Err("the domain may hold only letters, digits, hyphens and dots");
    }
    if labels.iter().any(|l| l.starts_with('-') || l.ends_with('-')) {
        return Err("a label of the domain starts or ends with '-'");
    }
    if labels.iter().any(|l| l.len() > 63) {
        return Err("a label of the domain is longer than 63 octets");
    }
    if mapped.len() > 253 {
        return Err("the domain is longer than 253 octets");
    }
    if labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
        return Err("the top-level label of the domain is all digits");
    }
    // IDNA2008's remaining rules (UTS #46 with CheckHyphens and STD3): no
    // "--" in the third and fourth positions of a label that is not an
    // A-label, and A-labels that decode to valid U-labels.
    idna::domain_to_ascii_strict(&mapped).map_err(|_| NOT_IDNA)?;
    Ok(mapped)
}

/// How a command names a user: all digits, an id; with `@`, an e-mail
/// address; else a username.
pub fn user_selector(s: &str) -> Result<crate::store::Selector, AppError> {
    use crate::store::Selector;
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().map(Selector::Id).map_err(|_| crate::error::not_found(format!("no user with id {s}")));
    }
    if s.contains('@') {
        return email(s).map(|e| Selector::EmailKey(e.key));
    }
    Ok(Selector::Username(s.to_string()))
}

/// The normalized key of an address, for lookups; `None` when it is not valid.
pub fn email_key(input: &str) -> Option<String> {
    email(input).ok().map(|e| e.key)
}

/// An environment variable as text: `None` when unset; when it is set but
/// not UTF-8, a usage error (exit 2) that names it, never a silent fallback.
pub fn env_text(name: &str) -> Result<Option<String>, AppError> {
    match std::env::var_os(name) {
        None => Ok(None),
        Some(v) => v.into_string().map(Some).map_err(|v| {
            AppError::new(Kind::Usage, format!("{name} is not valid UTF-8: '{}'", crate::error::one_line_os(&v)))
                .with_hint(format!("set {name} to UTF-8 text, or unset it"))
        }),
    }
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
/// break is kept, CRLF as LF; a tab is refused), surrounding spaces dropped,
/// at most 128 characters, stored in NFC. The one check for a name, whether
/// it comes from a flag, the editor or an import row.
pub fn name(what: &str, input: &str) -> Result<String, AppError> {
    let input = input.replace("\r\n", "\n");
    if input.chars().any(|c| c != '\n' && is_forbidden(c)) {
        return Err(bad(what, &input, "contains a control or bidi character"));
    }
    let trimmed = input.trim_matches(|c: char| c.is_whitespace() && !c.is_control());
    if trimmed.is_empty() {
        return Err(bad(what, &input, "empty"));
    }
    text_checked(what, trimmed, MAX_NAME_CHARS)
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
    fn email_refuses_invisible_and_format_characters() {
        // Cf, the default-ignorable code points (U+034F is Mn, U+3164 Lo) and
        // the tag characters, anywhere in the address.
        for c in [
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{2060}',
            '\u{00AD}',
            '\u{034F}',
            '\u{180E}',
            '\u{E0041}',
            '\u{FEFF}',
            '\u{061C}',
            '\u{2066}',
            '\u{3164}',
            '\u{FE0F}',
            '\u{E0001}',
            '\u{1D173}',
            '\u{2028}',
            '\u{2029}',
            '\u{0085}',
            '\u{00A0}',
            '\u{3000}',
            '\u{E000}',
            '\u{10FFFD}',
        ] {
            let named = !(c.is_control() || c.is_whitespace() || is_bidi_control(c));
            for addr in
                [format!("admin{c}@x.test"), format!("{c}admin@x.test"), format!("admin@x{c}.test"), format!("admin@x.test{c}")]
            {
                let err = email(&addr).expect_err(&format!("{addr:?} accepted"));
                assert!(!named || err.message.contains(&format!("U+{:04X}", c as u32)), "{}", err.message);
                if hides_or_breaks(c) {
                    assert!(!err.message.contains(c), "the character is escaped in {:?}", err.message);
                }
            }
        }
    }

    #[test]
    fn email_host_names() {
        for bad in [
            "a@-x.com",
            "a@x-.com",
            "a@x.-com",
            "a@1.2.3.4",
            "a@x.123",
            "a@x",
            "a@x.com.",
            "a@.x.com",
            "a@ab--cd.com",
            "a@x_y.com",
            "a@[127.0.0.1]",
            "a@xn--zz.com",
            "a@x.c\u{f6}m-",
        ] {
            assert!(email(bad).is_err(), "{bad:?} accepted");
        }
        for good in [
            "a@x.com",
            "a@1x.com",
            "a@x.c0m",
            "a@123.com",
            "a@xn--bcher-kva.de",
            "a@x-y.co",
            "a@b\u{fc}cher.de",
            "a@x\u{3002}com",
            "a@sub.x.museum",
        ] {
            assert!(email(good).is_ok(), "{good:?} refused: {:?}", email(good));
        }
        assert_eq!(email("a@x\u{3002}COM").unwrap().key, "a@x.com");
    }

    #[test]
    fn email_lengths_count_the_idna_form() {
        // 236 octets as typed, 264 with the domain in IDNA form (each label
        // "a"×50 + "é" becomes "xn--" + "a"×50 + "-" + 5 more).
        let label = format!("{}\u{e9}", "a".repeat(50));
        let domain = format!("{label}.{label}.{label}.{label}.com");
        let whole = format!("{}@{domain}", "a".repeat(20));
        let ascii = idna::domain_to_ascii(&domain).unwrap();
        assert!(whole.len() <= 254 && 21 + ascii.len() > 254, "{} {}", whole.len(), 21 + ascii.len());
        let err = email(&whole).unwrap_err();
        assert!(err.message.contains("longer than 254 octets with the domain in IDNA form"), "{}", err.message);
        let shorter = format!("{}@{domain}", "a".repeat(254 - 1 - ascii.len()));
        assert!(email(&shorter).is_ok(), "{:?}", email(&shorter));
        // 10 MB is refused before any conversion.
        assert!(email(&format!("a@{}.com", "\u{fc}".repeat(5_000_000))).is_err());
    }

    #[test]
    fn email_keys_use_full_case_folding() {
        assert_eq!(email("\u{391}\u{3a3}@acme.test").unwrap().key, email("\u{3b1}\u{3c3}@acme.test").unwrap().key);
        assert_eq!(email("\u{3b1}\u{3c2}@acme.test").unwrap().key, "\u{3b1}\u{3c3}@acme.test");
        assert_eq!(email("Stra\u{df}e@x.com").unwrap().key, email("STRASSE@x.com").unwrap().key);
        assert_eq!(email("\u{130}@x.com").unwrap().key, "i\u{307}@x.com");
        assert_eq!(fold("\u{13a0}"), fold("\u{ab70}"), "Cherokee folds to upper case");
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
            let _ = user_selector(&s);
            let u = username_base(&s);
            prop_assert!(username(&u).is_ok(), "derived username {u:?} is valid");
        }

        /// Upper, lower and folded variants share a key (letters of scripts whose
        /// case pairs are older than the Unicode 16 tables of `caseless`: std may
        /// know newer pairs).
        #[test]
        fn case_variants_share_a_key(local in "[A-Za-z0-9\\x{C0}-\\x{24F}\\x{370}-\\x{3FF}\\x{400}-\\x{4FF}\\x{531}-\\x{587}\\x{10A0}-\\x{10FF}\\x{13A0}-\\x{13F5}\\x{1E00}-\\x{1FFF}\\x{AB70}-\\x{ABBF}]{1,16}") {
            // Default (not Turkic) folding keeps dotless ı apart from I, as
            // Unicode's CaseFolding.txt does: upper-casing ı is not a variant.
            prop_assume!(!local.contains('\u{131}'));
            let variants = [local.clone(), local.to_uppercase(), local.to_lowercase(), fold(&local)];
            let keys: Vec<Option<String>> = variants.iter().map(|v| email_key(&format!("{v}@Acme.Test"))).collect();
            if let Some(Some(k)) = keys.first() {
                for (v, other) in variants.iter().zip(&keys) {
                    // A variant may be refused (upper-casing can lengthen it past
                    // 64 octets), never accepted with another key.
                    if let Some(o) = other {
                        prop_assert_eq!(o, k, "variant {:?}", v);
                    }
                }
            }
        }

        /// No character of category Cf, and no default-ignorable one, is ever
        /// accepted, wherever it stands.
        #[test]
        fn no_format_character_is_ever_accepted(c in any::<char>(), pos in 0usize..4) {
            use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
            if c.general_category() == GeneralCategory::Format || is_default_ignorable(c) {
                let addr = match pos {
                    0 => format!("{c}ada@x.test"),
                    1 => format!("ada{c}@x.test"),
                    2 => format!("ada@{c}x.test"),
                    _ => format!("ada@x.te{c}st"),
                };
                prop_assert!(email(&addr).is_err(), "{:?} accepted", addr);
            }
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
