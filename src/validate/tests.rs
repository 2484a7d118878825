//! Tests of validation: examples, and properties over generated input.

mod unit {
    use super::super::*;

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

mod properties {
    use super::super::*;
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
            let _ = crate::service::user_selector(&s);
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
