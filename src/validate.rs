//! Validation and normalization of every value that comes from outside: flags,
//! CSV cells, `$EDITOR` buffers and the database itself.
//!
//! Each function returns an [`AppError`] of kind `Invalid` (exit 6) whose message
//! names the value, escaped to one line.

use crate::error::{AppError, Kind, one_line};
pub use crate::text::{fold, hides_or_breaks, is_bidi_control, is_default_ignorable, nfc};

pub const MAX_NAME_CHARS: usize = 128;
pub const MAX_INITIALS_CHARS: usize = 8;

fn bad(what: &str, value: &str, why: &str) -> AppError {
    AppError::new(Kind::Invalid, format!("invalid {what} '{}': {why}", one_line(value)))
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
mod tests;
