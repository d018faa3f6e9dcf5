//! [`CampaignName`]: the unique, human name of a campaign, and campaign status changes.

use std::fmt;

use caseless::Caseless;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::error::CoreError;
use crate::wire::CampaignStatus;

/// Longest campaign name, in characters (Unicode scalar values) after trimming.
pub const CAMPAIGN_NAME_MAX_CHARS: usize = 120;

/// A campaign name: trimmed, inner whitespace runs collapsed to one space, NFC-normalised,
/// 1..=120 characters, no control characters. Accents and case are kept for display;
/// [`key`](CampaignName::key) is what uniqueness is decided on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CampaignName(String);

impl CampaignName {
    pub fn parse(input: &str) -> Result<Self, CoreError> {
        // Names are one line: control characters (including \n and \t) are refused rather
        // than silently folded into spaces.
        if input.chars().any(char::is_control) {
            return Err(CoreError::CampaignNameInvalid);
        }
        let name: String = collapse_whitespace(input).nfc().collect();
        let length = name.chars().count();
        // Blank, or made only of characters that do not show (zero-width spaces, ...).
        if length == 0 || name_key(&name).is_empty() {
            return Err(CoreError::CampaignNameRequired);
        }
        if length > CAMPAIGN_NAME_MAX_CHARS {
            return Err(CoreError::CampaignNameTooLong {
                length,
                max: CAMPAIGN_NAME_MAX_CHARS,
            });
        }
        Ok(CampaignName(name))
    }

    /// The name as people see it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The uniqueness key: NFKC compatibility normalisation and full Unicode case folding
    /// (Unicode's compatibility caseless match, D146), with whitespace collapsed again.
    /// `Saldo Baixo`, ` saldo  baixo `, `SALDO BAIXO` and `ｓａｌｄｏ ｂａｉｘｏ` share one key;
    /// `Promoção` and `Promocao` do not.
    pub fn key(&self) -> String {
        name_key(&self.0)
    }
}

/// The uniqueness key of any text, as [`CampaignName::key`] computes it (useful to look a
/// name up without refusing invalid input first). Characters that do not show are dropped
/// before and after folding: Unicode's default-ignorable code points and format (Cf)
/// characters — soft hyphen, zero-width space / joiners, word joiner, byte-order mark,
/// bidirectional marks and embeddings, variation selectors, Hangul fillers, tags.
pub fn name_key(input: &str) -> String {
    let visible: String = input.chars().filter(|c| !is_invisible(*c)).collect();
    let folded: String = visible
        .nfd()
        .default_case_fold()
        .nfkd()
        .default_case_fold()
        .nfkd()
        .filter(|c| !is_invisible(*c))
        .collect::<String>()
        .nfkc()
        .collect();
    collapse_whitespace(&folded)
}

/// Whether `c` is a Default_Ignorable_Code_Point or of General_Category Format (Cf).
pub fn is_invisible(c: char) -> bool {
    use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory};
    use icu_properties::{CodePointMapData, CodePointSetData};
    CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
        || CodePointMapData::<GeneralCategory>::new().get(c) == GeneralCategory::Format
}

fn collapse_whitespace(input: &str) -> String {
    input.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl fmt::Display for CampaignName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for CampaignName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CampaignName {
    type Error = CoreError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        CampaignName::parse(&value)
    }
}

impl From<CampaignName> for String {
    fn from(value: CampaignName) -> Self {
        value.0
    }
}

/// Campaign status changes: staff may pause (`inactive`) and resume (`active`) at any time;
/// setting the current status again is a no-op.
pub trait CampaignStatusExt {
    /// Whether messages may be sent for a campaign in this status.
    fn accepts_messages(self) -> bool;
    /// Whether `self → to` changes anything (false when it is the same status).
    fn changes_to(self, to: CampaignStatus) -> bool;
}

impl CampaignStatusExt for CampaignStatus {
    fn accepts_messages(self) -> bool {
        matches!(self, CampaignStatus::Active)
    }
    fn changes_to(self, to: CampaignStatus) -> bool {
        self != to
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(input: &str) -> String {
        CampaignName::parse(input).unwrap().key()
    }

    #[test]
    fn names_are_trimmed_and_inner_whitespace_collapsed() {
        let name = CampaignName::parse("  Saldo \u{a0}  Baixo  ").unwrap();
        assert_eq!(name.as_str(), "Saldo Baixo");
    }

    #[test]
    fn case_width_and_spacing_variants_share_one_key() {
        let expected = key("Saldo Baixo");
        for variant in [
            " saldo  baixo ",
            "SALDO BAIXO",
            "ｓａｌｄｏ ｂａｉｘｏ",
            "Saldo\u{3000}Baixo",
        ] {
            assert_eq!(key(variant), expected, "{variant:?}");
        }
        assert_eq!(expected, "saldo baixo");
    }

    #[test]
    fn invisible_characters_inside_a_name_do_not_make_another_key() {
        let expected = key("Saldo Baixo");
        for variant in [
            "Sal\u{ad}do Baixo",           // soft hyphen
            "Sal\u{200b}do Baixo",         // zero-width space
            "Sal\u{200c}do Bai\u{200d}xo", // zero-width non-joiner, joiner
            "Saldo\u{2060} Baixo",         // word joiner
            "\u{feff}Saldo Baixo",         // byte-order mark
            "Saldo Baixo\u{200e}",         // left-to-right mark
            "\u{202e}Saldo Baixo\u{202c}", // bidi override and pop
            "Saldo\u{2066} Baixo\u{2069}", // isolates
            "Saldo\u{fe0f} Baixo",         // variation selector (default ignorable, not Cf)
            "Sal\u{34f}do Baixo",          // combining grapheme joiner
            "Saldo\u{3164} Baixo",         // Hangul filler
            "Saldo\u{e0041} Baixo",        // tag character
            "Saldo\u{180e} Baixo",         // Mongolian vowel separator
        ] {
            assert_eq!(key(variant), expected, "{variant:?}");
        }
        // Compatibility forms and invisibles together.
        assert_eq!(key("ｓａｌｄｏ\u{ad} ｂａｉｘｏ"), expected);
    }

    #[test]
    fn a_name_made_only_of_invisible_characters_is_required() {
        for input in [
            "\u{200b}",
            "\u{ad}\u{200d}",
            " \u{feff} \u{2060} ",
            "\u{fe0f}",
        ] {
            assert_eq!(
                CampaignName::parse(input),
                Err(CoreError::CampaignNameRequired),
                "{input:?}"
            );
        }
    }

    #[test]
    fn invisible_characters_are_kept_out_of_the_key_but_visible_ones_count() {
        assert_eq!(name_key("a\u{ad}b"), "ab");
        assert_ne!(
            key("Saldo-Baixo"),
            key("Saldo Baixo"),
            "a real hyphen shows"
        );
        assert!(is_invisible('\u{ad}') && is_invisible('\u{200b}'));
        assert!(!is_invisible('a') && !is_invisible(' ') && !is_invisible('\u{301}'));
    }

    #[test]
    fn full_case_folding_matches_german_sharp_s() {
        assert_eq!(key("STRASSE"), key("straße"));
    }

    #[test]
    fn accents_are_kept_in_display_and_distinguish_keys() {
        let name = CampaignName::parse("Promoção de Natal").unwrap();
        assert_eq!(name.as_str(), "Promoção de Natal");
        assert_ne!(name.key(), key("Promocao de Natal"));
        // Composed and decomposed accents are the same name.
        assert_eq!(name.key(), key("Promoc\u{327}a\u{303}o de Natal"));
        assert_eq!(
            CampaignName::parse("Promoc\u{327}a\u{303}o de Natal")
                .unwrap()
                .as_str(),
            "Promoção de Natal"
        );
    }

    #[test]
    fn empty_and_blank_names_are_required() {
        assert_eq!(
            CampaignName::parse(""),
            Err(CoreError::CampaignNameRequired)
        );
        assert_eq!(
            CampaignName::parse(" \u{a0} "),
            Err(CoreError::CampaignNameRequired)
        );
    }

    #[test]
    fn names_longer_than_120_characters_are_refused() {
        let ok = "é".repeat(120);
        assert_eq!(CampaignName::parse(&ok).unwrap().as_str(), ok);
        assert_eq!(
            CampaignName::parse(&"é".repeat(121)),
            Err(CoreError::CampaignNameTooLong {
                length: 121,
                max: 120
            })
        );
    }

    #[test]
    fn control_characters_are_refused() {
        for input in [
            "Saldo\nBaixo",
            "Saldo\tBaixo",
            "Saldo\u{0}Baixo",
            "Saldo\u{7f}",
        ] {
            assert_eq!(
                CampaignName::parse(input),
                Err(CoreError::CampaignNameInvalid),
                "{input:?}"
            );
        }
    }

    #[test]
    fn serde_round_trips_through_the_display_string() {
        let name: CampaignName = serde_json::from_str("\" Saldo  Baixo \"").unwrap();
        assert_eq!(serde_json::to_string(&name).unwrap(), "\"Saldo Baixo\"");
        assert!(serde_json::from_str::<CampaignName>("\"  \"").is_err());
    }

    #[test]
    fn only_active_campaigns_accept_messages() {
        assert!(CampaignStatus::Active.accepts_messages());
        assert!(!CampaignStatus::Inactive.accepts_messages());
        assert!(CampaignStatus::Active.changes_to(CampaignStatus::Inactive));
        assert!(!CampaignStatus::Active.changes_to(CampaignStatus::Active));
    }
}
