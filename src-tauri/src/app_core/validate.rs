//! Validation of command arguments: lengths, formats, ids. Each failure is `invalid_input`
//! naming the argument (snake_case, like the server's fields).

use engage_core::callback::CallbackScope;
use engage_core::wire::{CampaignStatus, CredentialMode, RotationGrace};
use uuid::Uuid;

use super::AppError;
use crate::models::Language;

const MAX_EMAIL_LEN: usize = 254;
const MAX_PASSWORD_LEN: usize = 1024;
/// Generous bound before the server's own rule (120 characters after normalisation).
const MAX_CAMPAIGN_NAME_LEN: usize = 1000;
const MAX_SEARCH_LEN: usize = 200;
const MAX_CURSOR_LEN: usize = 512;

pub fn email(input: &str) -> Result<String, AppError> {
    let email = input.trim();
    if email.is_empty() {
        return Err(AppError::invalid("email", "Enter your email address."));
    }
    if email.chars().count() > MAX_EMAIL_LEN {
        return Err(AppError::invalid(
            "email",
            format!("An email address has at most {MAX_EMAIL_LEN} characters."),
        ));
    }
    let well_formed = email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if !well_formed {
        return Err(AppError::invalid(
            "email",
            "Enter an email address like name@example.com.",
        ));
    }
    Ok(email.to_owned())
}

pub fn password(input: &str) -> Result<(), AppError> {
    if input.is_empty() {
        return Err(AppError::invalid("password", "Enter your password."));
    }
    if input.chars().count() > MAX_PASSWORD_LEN {
        return Err(AppError::invalid(
            "password",
            format!("A password has at most {MAX_PASSWORD_LEN} characters."),
        ));
    }
    Ok(())
}

pub fn uuid(input: &str, field: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(input.trim()).map_err(|_| {
        AppError::invalid(
            field,
            format!("\"{field}\" must be an id such as 0190c6f2-3b1e-7c4a-9d2e-5f6a7b8c9d0e."),
        )
    })
}

/// The server applies the real rule; this only bounds what is sent.
pub fn campaign_name(input: &str) -> Result<(), AppError> {
    if input.chars().count() > MAX_CAMPAIGN_NAME_LEN {
        return Err(AppError::invalid(
            "name",
            format!(
                "The campaign name is far too long ({} characters).",
                input.chars().count()
            ),
        ));
    }
    Ok(())
}

/// Trimmed search text; `None` when empty.
pub fn search(input: Option<&str>) -> Result<Option<String>, AppError> {
    let query = input.map(str::trim).filter(|q| !q.is_empty());
    match query {
        Some(q) if q.chars().count() > MAX_SEARCH_LEN => Err(AppError::invalid(
            "query",
            format!("Search for at most {MAX_SEARCH_LEN} characters."),
        )),
        other => Ok(other.map(str::to_owned)),
    }
}

pub fn cursor(input: Option<&str>) -> Result<Option<&str>, AppError> {
    match input.filter(|c| !c.is_empty()) {
        Some(c) if c.len() > MAX_CURSOR_LEN || !c.chars().all(|ch| ch.is_ascii_graphic()) => Err(
            AppError::invalid("cursor", "The page cursor is not one the server gave."),
        ),
        other => Ok(other),
    }
}

pub fn campaign_status(input: &str) -> Result<CampaignStatus, AppError> {
    match input {
        "active" => Ok(CampaignStatus::Active),
        "inactive" => Ok(CampaignStatus::Inactive),
        _ => Err(AppError::invalid(
            "status",
            "The status must be \"active\" or \"inactive\".",
        )),
    }
}

pub fn language(input: &str) -> Result<Language, AppError> {
    match input {
        "pt-BR" => Ok(Language::PtBr),
        "es" => Ok(Language::Es),
        "en" => Ok(Language::En),
        _ => Err(AppError::invalid(
            "language",
            "The language must be \"pt-BR\", \"es\" or \"en\".",
        )),
    }
}

/// Which credentials: `"live"` (also when absent) or `"test"`.
pub fn credential_mode(input: Option<&str>) -> Result<CredentialMode, AppError> {
    match input {
        None => Ok(CredentialMode::Live),
        Some(label) => CredentialMode::parse(label)
            .ok_or_else(|| AppError::invalid("mode", "The mode must be \"live\" or \"test\".")),
    }
}

/// How long the previous secret keeps working: `"now"`, `"1h"` or `"24h"`.
pub fn rotation_grace(input: &str) -> Result<RotationGrace, AppError> {
    RotationGrace::parse(input).ok_or_else(|| {
        AppError::invalid(
            "grace",
            "The grace period must be \"now\", \"1h\" or \"24h\".",
        )
    })
}

/// Longest callback URL (the server's bound).
const MAX_CALLBACK_URL_LEN: usize = 2048;

/// A callback URL: trimmed, present, bounded (the server checks the rest).
pub fn callback_url(input: &str) -> Result<&str, AppError> {
    let url = input.trim();
    if url.is_empty() {
        return Err(AppError::invalid(
            "url",
            "Enter the address that receives the status callbacks.",
        ));
    }
    if url.chars().count() > MAX_CALLBACK_URL_LEN {
        return Err(AppError::invalid(
            "url",
            "The address is longer than 2048 characters.",
        ));
    }
    Ok(url)
}

/// Whose callback endpoint: `"campaign"` or `"workspace"`.
pub fn callback_scope(input: &str) -> Result<CallbackScope, AppError> {
    match input {
        "campaign" => Ok(CallbackScope::Campaign),
        "workspace" => Ok(CallbackScope::Workspace),
        _ => Err(AppError::invalid(
            "scope",
            "The scope must be \"campaign\" or \"workspace\".",
        )),
    }
}

/// The staff member's own number for a test send: trimmed, present, bounded (the server
/// checks it is a valid E.164 number).
pub fn test_phone(input: &str) -> Result<String, AppError> {
    let phone = input.trim();
    if phone.is_empty() {
        return Err(AppError::invalid(
            "to",
            "Enter your WhatsApp number with the country code, such as +55 11 98765-4321.",
        ));
    }
    if phone.chars().count() > 32 {
        return Err(AppError::invalid(
            "to",
            "A phone number has at most 32 characters.",
        ));
    }
    Ok(phone.to_owned())
}

/// A statistics period (issue 12): RFC 3339 instants, `hour` or `day`, an IANA zone name
/// (the server knows the zones; here only its shape is checked). Returns the query pairs.
pub fn stats_period(
    from: &str,
    to: &str,
    bucket: &str,
    tz: &str,
) -> Result<Vec<(&'static str, String)>, AppError> {
    use time::format_description::well_known::Rfc3339;
    use time::OffsetDateTime;
    let instant = |input: &str, field: &str| {
        OffsetDateTime::parse(input.trim(), &Rfc3339).map_err(|_| {
            AppError::invalid(
                field,
                format!("\"{field}\" must be a date and time such as 2026-12-01T00:00:00-03:00."),
            )
        })
    };
    let (start, end) = (instant(from, "from")?, instant(to, "to")?);
    if start >= end {
        return Err(AppError::invalid(
            "to",
            "The end of the period must be after its start.",
        ));
    }
    if !matches!(bucket, "hour" | "day") {
        return Err(AppError::invalid(
            "bucket",
            "The bucket must be \"hour\" or \"day\".",
        ));
    }
    let tz = tz.trim();
    let shaped = !tz.is_empty()
        && tz.len() <= 64
        && tz
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'));
    if !shaped {
        return Err(AppError::invalid(
            "tz",
            "The time zone must be a name such as America/Sao_Paulo.",
        ));
    }
    let format = |at: OffsetDateTime| at.format(&Rfc3339).unwrap_or_default();
    Ok(vec![
        ("from", format(start)),
        ("to", format(end)),
        ("bucket", bucket.to_owned()),
        ("tz", tz.to_owned()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(error: AppError) -> String {
        assert_eq!(error.code(), "invalid_input");
        error.field().unwrap().to_owned()
    }

    #[test]
    fn emails_are_trimmed_and_must_look_like_one() {
        assert_eq!(email("  ana@example.com ").unwrap(), "ana@example.com");
        for bad in [
            "",
            "ana",
            "@example.com",
            "ana@",
            "a na@example.com",
            &format!("{}@x.io", "a".repeat(300)),
        ] {
            assert_eq!(field(email(bad).unwrap_err()), "email", "{bad:?}");
        }
    }

    #[test]
    fn passwords_must_be_present_and_bounded() {
        assert!(password("x").is_ok());
        assert_eq!(field(password("").unwrap_err()), "password");
        assert_eq!(
            field(password(&"p".repeat(MAX_PASSWORD_LEN + 1)).unwrap_err()),
            "password"
        );
    }

    #[test]
    fn ids_must_be_uuids_and_the_error_names_the_argument() {
        assert!(uuid("0190c6f2-3b1e-7c4a-9d2e-5f6a7b8c9d0e", "id").is_ok());
        assert_eq!(field(uuid("42", "sender_id").unwrap_err()), "sender_id");
        assert_eq!(field(uuid("", "template_id").unwrap_err()), "template_id");
    }

    #[test]
    fn statuses_and_languages_accept_only_their_values() {
        assert_eq!(
            campaign_status("inactive").unwrap(),
            CampaignStatus::Inactive
        );
        assert_eq!(field(campaign_status("paused").unwrap_err()), "status");
        assert_eq!(language("pt-BR").unwrap(), Language::PtBr);
        assert_eq!(field(language("fr").unwrap_err()), "language");
    }

    #[test]
    fn search_is_trimmed_empty_is_none_and_long_is_refused() {
        assert_eq!(search(Some("  promo ")).unwrap().as_deref(), Some("promo"));
        assert_eq!(search(Some("   ")).unwrap(), None);
        assert_eq!(search(None).unwrap(), None);
        assert_eq!(
            field(search(Some(&"x".repeat(MAX_SEARCH_LEN + 1))).unwrap_err()),
            "query"
        );
    }

    #[test]
    fn cursors_are_bounded_printable_ascii() {
        assert_eq!(cursor(Some("abc123")).unwrap(), Some("abc123"));
        assert_eq!(cursor(Some("")).unwrap(), None);
        assert_eq!(field(cursor(Some("a b")).unwrap_err()), "cursor");
        assert_eq!(
            field(cursor(Some(&"c".repeat(MAX_CURSOR_LEN + 1))).unwrap_err()),
            "cursor"
        );
        assert_eq!(
            field(campaign_name(&"n".repeat(MAX_CAMPAIGN_NAME_LEN + 1)).unwrap_err()),
            "name"
        );
    }

    #[test]
    fn a_stats_period_names_the_argument_it_refuses() {
        let from = "2026-12-01T00:00:00-03:00";
        let to = "2026-12-02T00:00:00-03:00";
        let pairs = stats_period(from, to, "day", "America/Sao_Paulo").unwrap();
        assert_eq!(pairs[0], ("from", from.to_owned()));
        assert_eq!(
            field(stats_period("yesterday", to, "day", "UTC").unwrap_err()),
            "from"
        );
        assert_eq!(
            field(stats_period(to, from, "day", "UTC").unwrap_err()),
            "to"
        );
        assert_eq!(
            field(stats_period(from, to, "week", "UTC").unwrap_err()),
            "bucket"
        );
        assert_eq!(
            field(stats_period(from, to, "day", "Sao Paulo").unwrap_err()),
            "tz"
        );
    }
}
