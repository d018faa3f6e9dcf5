//! Status callbacks (issue 11): what the server POSTs to the customer's system on every
//! status change of a live message, how it is signed, the staff API's bodies, and the
//! verification recipes the documentation screen shows, one per [`SnippetLang`].

mod recipes;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::wire::{MessageError, MessageStatus};

pub use recipes::{verification_recipe, Recipe};

/// The header carrying the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "Engage-Signature";
/// The header carrying the event's id (the same on every retry: a receiver can drop
/// duplicates, delivery being at least once).
pub const EVENT_ID_HEADER: &str = "Engage-Event-Id";

/// The text that is signed: `"<t>.<raw body>"`.
pub fn signed_payload(timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    signed
}

/// The header value for a timestamp and the hex HMAC of [`signed_payload`].
pub fn signature_header(timestamp: i64, hex_hmac: &str) -> String {
    format!("t={timestamp},v1={hex_hmac}")
}

/// The JSON body of a callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct CallbackEvent {
    /// The message id (as returned by the send endpoint).
    pub id: String,
    pub campaign_id: Uuid,
    /// E.164 recipient.
    pub to: String,
    /// `sent`, `delivered`, `read` or `failed` (`test` for a test event).
    pub status: String,
    /// When the status changed.
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// For `failed`: Meta's code and reason.
    pub error: Option<MessageError>,
}

impl CallbackEvent {
    /// The event of a message reaching `status`.
    pub fn status_change(
        id: String,
        campaign_id: Uuid,
        to: String,
        status: MessageStatus,
        at: OffsetDateTime,
        error: Option<MessageError>,
    ) -> Self {
        let status = match status {
            MessageStatus::Queued => "queued",
            MessageStatus::Sent => "sent",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Read => "read",
            MessageStatus::Failed => "failed",
        };
        CallbackEvent {
            id,
            campaign_id,
            to,
            status: status.to_owned(),
            at,
            error,
        }
    }
}

/// `PUT /v1/callback` (the workspace's) and `PUT /v1/campaigns/{id}/callback` (a campaign's
/// own, which wins over the workspace's).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct SetCallbackRequest {
    /// `https://…` (or `http://…`) where the status changes are POSTed.
    #[schema(max_length = 2048, example = "https://shop.example.com/engage/status")]
    pub url: String,
}

/// Whose callback endpoint this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CallbackScope {
    Workspace,
    Campaign,
}

/// One delivery attempt of a callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct CallbackAttempt {
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// The event's status (`sent`, `delivered`, …, `test`).
    pub event: String,
    /// The HTTP status of the answer; `null` when there was none (timeout, refused address).
    pub status_code: Option<u16>,
    #[ts(type = "number")]
    pub duration_ms: u64,
    /// Why it failed without an answer.
    pub error: Option<String>,
}

/// A callback endpoint as staff see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct CallbackEndpoint {
    pub url: String,
    pub scope: CallbackScope,
    /// Failing for 24 hours: nothing is sent until the endpoint is saved again.
    pub paused: bool,
    /// Since when every attempt has failed.
    #[serde(with = "time::serde::rfc3339::option")]
    #[ts(type = "string | null")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub failing_since: Option<OffsetDateTime>,
    /// The most recent attempts, newest first.
    pub recent_attempts: Vec<CallbackAttempt>,
    /// The signing secret: only in the answer that created the endpoint or rotated its
    /// secret (shown once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(skip)]
    pub secret: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_text_is_the_timestamp_a_dot_and_the_raw_body() {
        assert_eq!(
            signed_payload(1700000000, b"{\"a\":1}"),
            b"1700000000.{\"a\":1}"
        );
        assert_eq!(signature_header(5, "ab01"), "t=5,v1=ab01");
    }

    #[test]
    fn an_event_serialises_with_the_documented_fields() {
        let event = CallbackEvent::status_change(
            "m1".into(),
            Uuid::nil(),
            "+5511987654321".into(),
            MessageStatus::Failed,
            OffsetDateTime::UNIX_EPOCH,
            Some(MessageError {
                code: "whatsapp_131026".into(),
                message: "Message undeliverable".into(),
            }),
        );
        let json = serde_json::to_value(&event).unwrap();
        let mut keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["at", "campaign_id", "error", "id", "status", "to"]);
        assert_eq!(json["status"], "failed");
        assert_eq!(json["at"], "1970-01-01T00:00:00Z");
        assert_eq!(json["error"]["code"], "whatsapp_131026");
    }
}
