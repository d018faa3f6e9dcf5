//! The message log's filters (issue 12): what `GET /v1/campaigns/{id}/messages` and its CSV
//! export accept, each refusal with a stable code and the query parameter it concerns. No I/O:
//! the server turns a [`MessageFilter`] into SQL.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::wire::MessageStatus;

/// The longest recipient filter: an E.164 number has at most 15 digits.
pub const MAX_RECIPIENT_DIGITS: usize = 15;

/// The query parameters as they arrived (absent or text).
#[derive(Debug, Clone, Copy, Default)]
pub struct RawMessageFilter<'a> {
    pub status: Option<&'a str>,
    pub recipient: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub test: Option<&'a str>,
}

/// Which messages of a campaign to show: every condition given must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageFilter {
    pub status: Option<MessageStatus>,
    /// The start of the recipient's E.164 number, `+` included (`+5511` for `5511`).
    pub recipient: Option<String>,
    /// Created at or after.
    pub from: Option<OffsetDateTime>,
    /// Created before.
    pub to: Option<OffsetDateTime>,
    /// Only test messages (`true`), only live ones (`false`), or both (`None`).
    pub test: Option<bool>,
}

/// Why a filter is refused: a stable code, the parameter, and what is expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FilterRefusal {
    pub code: &'static str,
    pub field: &'static str,
    pub message: String,
}

fn refusal(code: &'static str, field: &'static str, message: &str) -> FilterRefusal {
    FilterRefusal {
        code,
        field,
        message: message.to_owned(),
    }
}

impl MessageFilter {
    pub fn parse(raw: RawMessageFilter<'_>) -> Result<MessageFilter, FilterRefusal> {
        let status = raw
            .status
            .map(|status| {
                parse_status(status).ok_or_else(|| {
                    refusal(
                        "invalid_status",
                        "status",
                        "status is one of queued, sent, delivered, read, failed",
                    )
                })
            })
            .transpose()?;
        let recipient = raw
            .recipient
            .map(|recipient| {
                recipient_prefix(recipient).ok_or_else(|| {
                    refusal(
                        "invalid_recipient",
                        "recipient",
                        "recipient is a phone number in international form or its start: 1 to 15 digits, optionally after a +",
                    )
                })
            })
            .transpose()?;
        let time = |value: Option<&str>, code, field| {
            value
                .map(|value| {
                    OffsetDateTime::parse(value, &Rfc3339).map_err(|_| {
                        refusal(
                            code,
                            field,
                            "a date and time in RFC 3339 with its offset, for example 2026-12-01T00:00:00-03:00",
                        )
                    })
                })
                .transpose()
        };
        let from = time(raw.from, "invalid_from", "from")?;
        let to = time(raw.to, "invalid_to", "to")?;
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                return Err(refusal(
                    "invalid_period",
                    "to",
                    "to must not be before from",
                ));
            }
        }
        let test = raw
            .test
            .map(|test| match test {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(refusal("invalid_test", "test", "test is true or false")),
            })
            .transpose()?;
        Ok(MessageFilter {
            status,
            recipient,
            from,
            to,
            test,
        })
    }
}

fn parse_status(value: &str) -> Option<MessageStatus> {
    Some(match value {
        "queued" => MessageStatus::Queued,
        "sent" => MessageStatus::Sent,
        "delivered" => MessageStatus::Delivered,
        "read" => MessageStatus::Read,
        "failed" => MessageStatus::Failed,
        _ => return None,
    })
}

/// `+` and the digits of a number's start: `5511`, `+5511` → `+5511`.
fn recipient_prefix(value: &str) -> Option<String> {
    let digits = value.strip_prefix('+').unwrap_or(value);
    (!digits.is_empty()
        && digits.len() <= MAX_RECIPIENT_DIGITS
        && digits.bytes().all(|b| b.is_ascii_digit()))
    .then(|| format!("+{digits}"))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn parse(raw: RawMessageFilter<'_>) -> Result<MessageFilter, FilterRefusal> {
        MessageFilter::parse(raw)
    }

    fn refused(raw: RawMessageFilter<'_>) -> (&'static str, &'static str) {
        let refusal = parse(raw).expect_err("refused");
        (refusal.code, refusal.field)
    }

    #[test]
    fn no_parameter_is_no_condition() {
        assert_eq!(
            parse(RawMessageFilter::default()),
            Ok(MessageFilter::default())
        );
    }

    #[test]
    fn a_recipient_is_a_whole_number_or_its_start_with_or_without_the_plus() {
        for (given, kept) in [
            ("5511", "+5511"),
            ("+5511", "+5511"),
            ("+5511987654321", "+5511987654321"),
            ("1", "+1"),
        ] {
            let filter = parse(RawMessageFilter {
                recipient: Some(given),
                ..Default::default()
            })
            .unwrap();
            assert_eq!(filter.recipient.as_deref(), Some(kept), "{given}");
        }
        for bad in [
            "",
            "+",
            "55 11",
            "55-11",
            "++55",
            "5511a",
            "1234567890123456",
            "%",
        ] {
            assert_eq!(
                refused(RawMessageFilter {
                    recipient: Some(bad),
                    ..Default::default()
                }),
                ("invalid_recipient", "recipient"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_status_is_one_of_the_five_and_nothing_else() {
        let filter = parse(RawMessageFilter {
            status: Some("failed"),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(filter.status, Some(MessageStatus::Failed));
        for bad in ["FAILED", "accepted", ""] {
            assert_eq!(
                refused(RawMessageFilter {
                    status: Some(bad),
                    ..Default::default()
                }),
                ("invalid_status", "status")
            );
        }
    }

    #[test]
    fn dates_carry_their_offset_and_to_may_not_come_before_from() {
        let filter = parse(RawMessageFilter {
            from: Some("2026-12-01T00:00:00-03:00"),
            to: Some("2026-12-02T00:00:00-03:00"),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(filter.from, Some(datetime!(2026-12-01 03:00 UTC)));
        assert_eq!(filter.to, Some(datetime!(2026-12-02 03:00 UTC)));
        // The same instant is an empty period, not a refusal.
        assert!(parse(RawMessageFilter {
            from: Some("2026-12-01T00:00:00Z"),
            to: Some("2026-12-01T00:00:00Z"),
            ..Default::default()
        })
        .is_ok());
        assert_eq!(
            refused(RawMessageFilter {
                from: Some("2026-12-02T00:00:00Z"),
                to: Some("2026-12-01T00:00:00Z"),
                ..Default::default()
            }),
            ("invalid_period", "to")
        );
        assert_eq!(
            refused(RawMessageFilter {
                from: Some("2026-12-01"),
                ..Default::default()
            }),
            ("invalid_from", "from")
        );
        assert_eq!(
            refused(RawMessageFilter {
                to: Some("2026-12-01T00:00:00"),
                ..Default::default()
            }),
            ("invalid_to", "to")
        );
    }

    #[test]
    fn test_is_true_or_false_and_absent_means_both() {
        for (given, kept) in [("true", Some(true)), ("false", Some(false))] {
            let filter = parse(RawMessageFilter {
                test: Some(given),
                ..Default::default()
            })
            .unwrap();
            assert_eq!(filter.test, kept);
        }
        assert_eq!(
            refused(RawMessageFilter {
                test: Some("yes"),
                ..Default::default()
            }),
            ("invalid_test", "test")
        );
    }
}
