//! [`PhoneNumber`]: an E.164 phone number that WhatsApp can deliver to, parsed and validated
//! by the `phonenumber` crate (libphonenumber metadata).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use phonenumber::Mode;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, PhoneProblem};

/// Longest input accepted before parsing (E.164 has at most 15 digits; this leaves room for
/// spaces, dashes and parentheses).
const MAX_INPUT_LEN: usize = 40;

/// A valid phone number in E.164 form (`+5511987654321`).
///
/// Input must start with `+` and the country code; spaces, dashes, dots and parentheses are
/// accepted between digits (`+55 (11) 98765-4321`). Serialises as the E.164 string.
///
/// Equality, ordering and hashing use the E.164 form only. The international display form
/// is formatted on first use (libphonenumber's formatting is costly and the send path
/// never shows it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber {
    e164: String,
    #[serde(skip)]
    display: OnceLock<String>,
}

impl PartialEq for PhoneNumber {
    fn eq(&self, other: &Self) -> bool {
        self.e164 == other.e164
    }
}

impl Eq for PhoneNumber {}

impl Hash for PhoneNumber {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.e164.hash(state);
    }
}

impl PartialOrd for PhoneNumber {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PhoneNumber {
    fn cmp(&self, other: &Self) -> Ordering {
        self.e164.cmp(&other.e164)
    }
}

impl PhoneNumber {
    /// Parses `input`; errors are reported against the field `phone`
    /// (use [`CoreError::at_field`] or [`PhoneNumber::parse_field`] for another one).
    pub fn parse(input: &str) -> Result<Self, CoreError> {
        Self::parse_field(input, "phone")
    }

    /// Parses `input`, reporting errors against `field` (e.g. `to`).
    pub fn parse_field(input: &str, field: &str) -> Result<Self, CoreError> {
        let refuse = |problem| CoreError::InvalidPhoneNumber {
            field: field.to_owned(),
            problem,
        };
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(refuse(PhoneProblem::Empty));
        }
        let Some(rest) = trimmed.strip_prefix('+') else {
            return Err(refuse(PhoneProblem::MissingCountryCode));
        };
        if trimmed.len() > MAX_INPUT_LEN
            || !rest
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
            || !rest.chars().any(|c| c.is_ascii_digit())
        {
            return Err(refuse(PhoneProblem::InvalidCharacters));
        }
        let parsed =
            phonenumber::parse(None, trimmed).map_err(|_| refuse(PhoneProblem::NotValid))?;
        if parsed.extension().is_some() {
            return Err(refuse(PhoneProblem::HasExtension));
        }
        if !phonenumber::is_valid(&parsed) {
            return Err(refuse(PhoneProblem::NotValid));
        }
        // E.164 is `+`, the country code and the national significant number (with its
        // leading zeros, e.g. Italian fixed lines); written directly because the crate's
        // formatter matches the national format patterns even for E.164.
        let e164 = format!("+{}{}", parsed.code().value(), parsed.national());
        Ok(PhoneNumber {
            e164,
            display: OnceLock::new(),
        })
    }

    /// Loads libphonenumber's metadata now, on this thread: otherwise the first number parsed
    /// in the process loads it, blocking whatever thread that is for the load (~170 ms in
    /// release). Servers call it before they take requests.
    pub fn load_metadata() {
        if let Ok(number) = PhoneNumber::parse("+5511987654321") {
            number.display();
        }
    }

    /// `+5511987654321`.
    pub fn as_e164(&self) -> &str {
        &self.e164
    }

    /// International format for people: `+55 11 98765-4321`.
    pub fn display(&self) -> &str {
        self.display.get_or_init(|| {
            phonenumber::parse(None, &self.e164)
                .map(|parsed| parsed.format().mode(Mode::International).to_string())
                // The E.164 form was produced by a successful parse, so this is unreachable
                // in practice; fall back to showing it as is.
                .unwrap_or_else(|_| self.e164.clone())
        })
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.e164)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = CoreError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        PhoneNumber::parse(&value)
    }
}

impl TryFrom<&str> for PhoneNumber {
    type Error = CoreError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        PhoneNumber::parse(value)
    }
}

impl std::str::FromStr for PhoneNumber {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PhoneNumber::parse(s)
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> Self {
        value.e164
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(input: &str) -> PhoneProblem {
        match PhoneNumber::parse(input) {
            Err(CoreError::InvalidPhoneNumber { problem, .. }) => problem,
            other => panic!("{input:?} should be refused, got {other:?}"),
        }
    }

    #[test]
    fn brazilian_mobile_in_e164_is_accepted() {
        let phone = PhoneNumber::parse("+5511987654321").unwrap();
        assert_eq!(phone.as_e164(), "+5511987654321");
        assert_eq!(phone.display(), "+55 11 98765-4321");
        assert_eq!(phone.to_string(), "+5511987654321");
    }

    #[test]
    fn spaces_dashes_and_parentheses_are_accepted() {
        for input in [
            "+55 11 98765-4321",
            "+55 (11) 98765-4321",
            " +55-11-98765-4321 ",
            "+55.11.98765.4321",
        ] {
            assert_eq!(
                PhoneNumber::parse(input).unwrap().as_e164(),
                "+5511987654321",
                "{input}"
            );
        }
    }

    #[test]
    fn other_countries_are_accepted() {
        assert_eq!(
            PhoneNumber::parse("+34 612 34 56 78").unwrap().as_e164(),
            "+34612345678"
        );
        assert_eq!(
            PhoneNumber::parse("+1 (650) 253-0000").unwrap().as_e164(),
            "+16502530000"
        );
    }

    #[test]
    fn numbers_without_country_code_are_refused() {
        assert_eq!(problem("11987654321"), PhoneProblem::MissingCountryCode);
        assert_eq!(problem("005511987654321"), PhoneProblem::MissingCountryCode);
    }

    #[test]
    fn empty_input_is_refused() {
        assert_eq!(problem(""), PhoneProblem::Empty);
        assert_eq!(problem("   "), PhoneProblem::Empty);
    }

    #[test]
    fn letters_and_symbols_are_refused() {
        assert_eq!(problem("+55 11 9876x4321"), PhoneProblem::InvalidCharacters);
        assert_eq!(problem("+"), PhoneProblem::InvalidCharacters);
        assert_eq!(
            problem("+55 11 98765-4321 ext. 12"),
            PhoneProblem::InvalidCharacters
        );
    }

    #[test]
    fn numbers_outside_the_numbering_plan_are_refused() {
        assert_eq!(problem("+55 11 1234"), PhoneProblem::NotValid);
        assert_eq!(problem("+999 1234567"), PhoneProblem::NotValid);
        assert_eq!(problem("+5500000000000"), PhoneProblem::NotValid);
    }

    #[test]
    fn error_reports_the_requested_field() {
        let error = PhoneNumber::parse_field("123", "to").unwrap_err();
        assert_eq!(error.code(), "invalid_phone_number");
        assert_eq!(error.field().as_deref(), Some("to"));
    }

    #[test]
    fn e164_matches_libphonenumber_formatting() {
        for input in [
            "+39 06 1234 5678",
            "+44 20 7946 0958",
            "+55 11 98765-4321",
            "+1 (650) 253-0000",
            "+225 07 1234 5678",
            "+49 30 123456",
        ] {
            let parsed = phonenumber::parse(None, input).unwrap();
            let expected = parsed.format().mode(Mode::E164).to_string();
            assert_eq!(
                PhoneNumber::parse(input).unwrap().as_e164(),
                expected,
                "{input}"
            );
        }
    }

    #[test]
    fn equal_numbers_compare_equal_whatever_their_display_state() {
        let a = PhoneNumber::parse("+55 11 98765-4321").unwrap();
        let b = PhoneNumber::parse("+5511987654321").unwrap();
        assert_eq!(a.display(), "+55 11 98765-4321");
        assert_eq!(a, b);
        assert_eq!(a.cmp(&b), Ordering::Equal);
    }

    #[test]
    fn serde_uses_the_e164_string() {
        let phone: PhoneNumber = serde_json::from_str("\"+55 11 98765-4321\"").unwrap();
        assert_eq!(serde_json::to_string(&phone).unwrap(), "\"+5511987654321\"");
        assert!(serde_json::from_str::<PhoneNumber>("\"98765\"").is_err());
    }
}
