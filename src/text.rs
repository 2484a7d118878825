//! Character classes and normal forms of text, shared by validation, the
//! one-line escaping of echoed values and the stored search keys.

use unicode_normalization::UnicodeNormalization;

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
/// are escaped whenever a value is echoed (`error::one_line`).
pub fn hides_or_breaks(c: char) -> bool {
    use unicode_properties::{GeneralCategory as G, UnicodeGeneralCategory};
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    matches!(c.general_category(), G::Control | G::Format | G::LineSeparator | G::ParagraphSeparator) || is_default_ignorable(c)
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
