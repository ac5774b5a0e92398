//! Display names people can trust: which characters a name may hold, and the keys that decide when
//! two names are the same name.
//!
//! Pure functions over the Unicode tables of `unicode-properties` (general categories, emoji) and
//! `unicode-security` (default-ignorable code points, TR39 confusable skeletons); the join service
//! applies them and the store enforces the keys' uniqueness.
//!
//! **What a name may hold.** 1 to [`MAX_DISPLAY_NAME`] characters after trimming, and no character
//! that is invisible or formats text: general categories Cc (controls), Cf (format: U+00AD, U+061C,
//! U+180E, U+200B–U+200F, U+202A–U+202E, U+2060–U+2064, U+FEFF, tags U+E0000–U+E007F, …), Cs, Co
//! (private use), Cn (unassigned), Zl and Zp, every other default-ignorable code point (variation
//! selectors, the combining grapheme joiner U+034F, Hangul fillers U+115F, U+1160, U+3164, U+FFA0,
//! Mongolian free variation selectors, …) and the blank Braille pattern U+2800. Two exceptions keep
//! ordinary emoji: U+FE0E and U+FE0F (text and emoji presentation) right after an emoji, and the
//! zero-width joiner U+200D between two emoji (family, profession and rainbow-flag sequences).
//! Emoji tag sequences (the flags of England, Scotland and Wales) are refused with the tags.
//!
//! **When two names are the same.** Each name has one or two keys ([`name_keys`]); two names
//! collide when their key sets share a key. The keys are the TR39 skeleton combined with
//! compatibility normalization and case folding (NFKC, then upper-then-lower case, which folds `ß`
//! to `ss` and `ς` to `σ`), whitespace runs squashed to one space:
//! - fold, then skeleton, then fold: catches case (`alice`, `ALICE`) and look-alikes of lower-case
//!   letters (Cyrillic `а` in `Аlice`);
//! - skeleton of the name as typed, then fold: catches capitals that look like other lower-case
//!   letters (`AIice` with a capital I looks like `Alice`; `B0B` like `BOB`), which folding first
//!   would lose, since `I` folds to `i` but looks like `l`.
//!
//! One key cannot do both: the confusable mapping is not closed under case, and making it so would
//! merge `i` with `l` everywhere (refusing "Bili" because of "Bill").

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeEmoji, UnicodeGeneralCategory};
use unicode_security::GeneralSecurityProfile;
use unicode_security::general_security_profile::IdentifierType;

/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME: usize = 32;

/// Names the algorithm and data behind [`name_keys`]. Stored keys made under another version are
/// recomputed when the hub starts (the confusable tables change with Unicode versions).
pub fn name_key_version() -> String {
    let (a, b, c) = unicode_security::UNICODE_VERSION;
    format!("2;unicode {a}.{b}.{c}")
}

/// Why a display name was refused, in words for the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    Empty,
    TooLong,
    /// An invisible or formatting character (the first one found).
    Invisible(char),
}

impl std::fmt::Display for NameProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NameProblem::Empty => f.write_str("display name is empty"),
            NameProblem::TooLong => write!(f, "display name is longer than {MAX_DISPLAY_NAME} characters"),
            NameProblem::Invisible(c) => write!(
                f,
                "display name contains an invisible or formatting character (U+{:04X})",
                u32::from(*c)
            ),
        }
    }
}

/// An emoji for the purpose of joining with U+200D: `Emoji=Yes` and not ASCII (`#`, `*` and the
/// digits are `Emoji=Yes` too).
fn is_pictographic(c: char) -> bool {
    !c.is_ascii() && c.is_emoji_char()
}

/// Whether `c` is refused wherever it stands (the emoji exceptions are decided by the caller).
fn is_invisible(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::Surrogate
            | GeneralCategory::PrivateUse
            | GeneralCategory::Unassigned
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    ) || c.identifier_type() == Some(IdentifierType::Default_Ignorable)
        || c == '\u{2800}'
}

/// Trims a display name and checks it: 1 to 32 characters, no invisible or formatting characters
/// (see the module's documentation). Returns the trimmed name.
pub fn check_display_name(raw: &str) -> Result<String, NameProblem> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    if name.chars().count() > MAX_DISPLAY_NAME {
        return Err(NameProblem::TooLong);
    }
    let chars: Vec<char> = name.chars().collect();
    // Whether the characters so far end an emoji (an emoji, maybe with its presentation selector or
    // a skin-tone modifier, which are emoji themselves).
    let mut after_emoji = false;
    let mut after_pictographic = false;
    for (i, &c) in chars.iter().enumerate() {
        let allowed = match c {
            '\u{FE0E}' | '\u{FE0F}' => after_emoji,
            '\u{200D}' => after_pictographic && chars.get(i + 1).is_some_and(|&n| is_pictographic(n)),
            _ => !is_invisible(c),
        };
        if !allowed {
            return Err(NameProblem::Invisible(c));
        }
        match c {
            '\u{FE0E}' | '\u{FE0F}' => {}
            _ => {
                after_emoji = c.is_emoji_char();
                after_pictographic = is_pictographic(c);
            }
        }
    }
    Ok(name.to_owned())
}

/// NFKC with case folding (upper then lower case: `ß` -> `ss`, `ς` -> `σ`, `ǅ` -> `ǆ`).
fn fold(s: &str) -> String {
    let nfkc: String = s.nfkc().collect();
    nfkc.to_uppercase().to_lowercase().nfkc().collect()
}

/// The TR39 skeleton: each character to its confusable prototype, default-ignorables dropped.
fn skeleton(s: &str) -> String {
    unicode_security::skeleton(s).collect()
}

/// Runs of whitespace become one space; none at the ends.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The keys of a display name (one or two, distinct): two names are the same name when their key
/// sets meet. See the module's documentation.
pub fn name_keys(name: &str) -> Vec<String> {
    let case_first = squash(&fold(&skeleton(&fold(name))));
    let shape_first = squash(&fold(&skeleton(&name.nfkc().collect::<String>())));
    if case_first == shape_first { vec![case_first] } else { vec![case_first, shape_first] }
}

/// Whether two display names are the same name (their key sets meet).
pub fn same_name(a: &str, b: &str) -> bool {
    let kb = name_keys(b);
    name_keys(a).iter().any(|k| kb.contains(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_limited() {
        assert_eq!(check_display_name("  Ann  ").unwrap(), "Ann");
        assert_eq!(check_display_name(&"é".repeat(32)).unwrap().chars().count(), 32);
        assert_eq!(check_display_name(""), Err(NameProblem::Empty));
        assert_eq!(check_display_name("   "), Err(NameProblem::Empty));
        assert_eq!(check_display_name(&"a".repeat(33)), Err(NameProblem::TooLong));
    }

    #[test]
    fn invisible_and_formatting_characters_are_refused() {
        let refused = [
            '\n',
            '\u{7}',
            '\u{7f}',
            '\u{85}',
            '\u{ad}',
            '\u{34f}',
            '\u{61c}',
            '\u{115f}',
            '\u{1160}',
            '\u{17b4}',
            '\u{17b5}',
            '\u{180b}',
            '\u{180e}',
            '\u{180f}',
            '\u{200b}',
            '\u{200c}',
            '\u{200e}',
            '\u{200f}',
            '\u{2028}',
            '\u{2029}',
            '\u{202a}',
            '\u{202e}',
            '\u{2060}',
            '\u{2061}',
            '\u{2062}',
            '\u{2063}',
            '\u{2064}',
            '\u{2065}',
            '\u{2066}',
            '\u{2069}',
            '\u{206a}',
            '\u{206f}',
            '\u{2800}',
            '\u{3164}',
            '\u{fe00}',
            '\u{fe0f}',
            '\u{feff}',
            '\u{ffa0}',
            '\u{fff0}',
            '\u{fff9}',
            '\u{e000}',
            '\u{f8ff}',
            '\u{1bca0}',
            '\u{1d173}',
            '\u{e0000}',
            '\u{e0001}',
            '\u{e0020}',
            '\u{e0041}',
            '\u{e007f}',
            '\u{e0100}',
            '\u{e01ef}',
            '\u{e0fff}',
            '\u{f0000}',
            '\u{10ffff}',
            '\u{50000}',
        ];
        for c in refused {
            let name = format!("A{c}lice");
            assert_eq!(check_display_name(&name), Err(NameProblem::Invisible(c)), "U+{:04X}", u32::from(c));
        }
        // A joiner that joins no emoji, and a presentation selector after a letter.
        for bad in ["a\u{200d}b", "😀\u{200d}b", "a\u{200d}😀", "😀\u{200d}", "x\u{fe0f}", "\u{200d}😀"]
        {
            assert!(check_display_name(bad).is_err(), "{bad:?}");
        }
        // The flag of England is a tag sequence: refused with its tags.
        assert!(check_display_name("🏴\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}").is_err());
    }

    #[test]
    fn letters_of_every_script_and_ordinary_emoji_pass() {
        for ok in [
            "Ann Lee",
            "Zoë",
            "Łukasz",
            "Ñandú",
            "Σωκράτης",
            "Дмитрий",
            "محمد",
            "שרה",
            "अनन्या",
            "王小明",
            "さくら",
            "김민준",
            "ธนา",
            "Nguyễn",
            "Ann 😀",
            "❤️ Bo",
            "☺︎ text style",
            "👍🏽 Kim",
            "👨‍👩‍👧 family",
            "🏳️‍🌈",
            "👩🏽‍💻 dev",
            "🇫🇷 Léa",
            "#️⃣",
            "Ann (she/her)",
        ] {
            assert_eq!(check_display_name(ok).as_deref(), Ok(ok), "{ok:?}");
        }
    }

    #[test]
    fn the_same_name_by_case_and_by_look() {
        for same in [
            "alice",
            "ALICE",
            "Alice",
            "AIice",
            "\u{410}lice",
            "Ａｌｉｃｅ",
            "Alice ",
            "ａlice",
            "Al\u{456}ce",
        ] {
            assert!(same_name("Alice", same), "{same:?}");
        }
        assert!(same_name("Ann Lee", "ann  lee"));
        assert!(same_name("BOB", "B0B"));
        assert!(same_name("Straße", "STRASSE"));
        assert!(same_name("Tom", "Torn"), "m looks like rn");
        assert!(same_name("Ann ❤️", "Ann ❤"), "presentation selectors do not count");
        for other in ["Alicia", "Bob", "Al", "Bill", "Alice2"] {
            assert!(!same_name("Alice", other), "{other:?}");
        }
        assert!(!same_name("Bill", "Bili"), "i and l differ in lower case");
        assert!(!same_name("Anna", "Anne"));
        for name in ["Alice", "ALICE", "😀", "王小明"] {
            let keys = name_keys(name);
            assert!(!keys.is_empty() && keys.len() <= 2, "{name}: {keys:?}");
            assert!(keys.iter().all(|k| !k.is_empty()));
        }
    }
}
