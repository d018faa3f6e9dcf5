//! Webhooks from Meta: the `X-Hub-Signature-256` check, the subscription handshake, and
//! the notifications this server applies — message statuses (`sent`, `delivered`, `read`,
//! `failed` with errors) and template status, quality and category changes.

use engage_core::wire::{MessageStatus, TemplateCategory, TemplateQuality, TemplateStatus};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Header carrying `sha256=<hex HMAC-SHA256 of the raw body, keyed with the app secret>`.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// Why a notification's signature is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    #[error("the X-Hub-Signature-256 header is not sha256=<64 hex digits>")]
    Malformed,
    #[error("the X-Hub-Signature-256 signature does not match the body")]
    Mismatch,
}

impl SignatureError {
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::Missing => "signature_missing",
            SignatureError::Malformed | SignatureError::Mismatch => "invalid_signature",
        }
    }
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let pairs = text.as_bytes().chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return None;
    }
    pairs
        .map(|pair| Some(hex_value(pair[0])? << 4 | hex_value(pair[1])?))
        .collect()
}

/// The header value Meta would send for `body`: `sha256=<lowercase hex>`.
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(app_secret).expect("HMAC takes keys of any length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(7 + digest.len() * 2);
    out.push_str("sha256=");
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// Checks `header` against the HMAC-SHA256 of the raw `body` (constant-time compare).
pub fn verify_signature(
    app_secret: &[u8],
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.map(str::trim).filter(|h| !h.is_empty());
    let Some(header) = header else {
        return Err(SignatureError::Missing);
    };
    let hex = header
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed)?;
    let expected = decode_hex(hex)
        .filter(|bytes| bytes.len() == 32)
        .ok_or(SignatureError::Malformed)?;
    let mut mac = HmacSha256::new_from_slice(app_secret).expect("HMAC takes keys of any length");
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// The query of `GET /webhooks/whatsapp` (`hub.mode`, `hub.verify_token`, `hub.challenge`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct HandshakeQuery {
    #[serde(rename = "hub.mode")]
    pub mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    pub verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    pub challenge: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    #[error("hub.mode must be subscribe")]
    NotSubscribe,
    #[error("hub.challenge is missing")]
    MissingChallenge,
    #[error("hub.verify_token does not match the configured verify token")]
    WrongToken,
}

impl HandshakeError {
    pub fn code(&self) -> &'static str {
        match self {
            HandshakeError::NotSubscribe => "invalid_hub_mode",
            HandshakeError::MissingChallenge => "missing_hub_challenge",
            HandshakeError::WrongToken => "invalid_verify_token",
        }
    }
    pub fn field(&self) -> &'static str {
        match self {
            HandshakeError::NotSubscribe => "hub.mode",
            HandshakeError::MissingChallenge => "hub.challenge",
            HandshakeError::WrongToken => "hub.verify_token",
        }
    }
}

/// The challenge to echo when the handshake is Meta's subscription with our token.
pub fn handshake(query: &HandshakeQuery, verify_token: &str) -> Result<String, HandshakeError> {
    if query.mode.as_deref() != Some("subscribe") {
        return Err(HandshakeError::NotSubscribe);
    }
    let given = query.verify_token.as_deref().unwrap_or_default();
    if verify_token.is_empty() || !bool::from(given.as_bytes().ct_eq(verify_token.as_bytes())) {
        return Err(HandshakeError::WrongToken);
    }
    query
        .challenge
        .clone()
        .ok_or(HandshakeError::MissingChallenge)
}

/// One error attached to a `failed` status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusErrorInfo {
    pub code: i64,
    pub title: Option<String>,
    pub message: Option<String>,
    pub details: Option<String>,
}

/// A message status notification (`entry[].changes[].value.statuses[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// The WhatsApp message id (`wamid....`).
    pub message_id: String,
    pub status: MessageStatus,
    /// Unix seconds, as Meta sent it.
    pub timestamp: Option<i64>,
    pub recipient_id: Option<String>,
    /// `value.metadata.phone_number_id`: the sending number.
    pub phone_number_id: Option<String>,
    pub errors: Vec<StatusErrorInfo>,
}

impl DeliveryReport {
    /// Code stored with a failed message: `whatsapp_<first error code>`.
    pub fn failure_code(&self) -> String {
        match self.errors.first() {
            Some(error) => format!("whatsapp_{}", error.code),
            None => "whatsapp_failed".to_owned(),
        }
    }

    /// Human reason stored with a failed message.
    pub fn failure_message(&self) -> String {
        let Some(error) = self.errors.first() else {
            return "WhatsApp reported the message as failed".to_owned();
        };
        let title = error
            .title
            .clone()
            .or_else(|| error.message.clone())
            .unwrap_or_else(|| "failed".to_owned());
        match &error.details {
            Some(details) if !details.is_empty() && details != &title => {
                format!("({}) {title}: {details}", error.code)
            }
            _ => format!("({}) {title}", error.code),
        }
    }
}

/// What a template notification says happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateEventChange {
    /// `message_template_status_update`.
    Status {
        /// Meta's event as sent (`APPROVED`, `PAUSED`, `DISABLED`, `FLAGGED`, ...).
        event: String,
        /// The status the template has after the event; `None` for events that do not
        /// change whether it can be sent (`FLAGGED`, `LOCKED`, ...).
        new_status: Option<TemplateStatus>,
        reason: Option<String>,
    },
    /// `message_template_quality_update`.
    Quality {
        previous: Option<TemplateQuality>,
        new: TemplateQuality,
    },
    /// `template_category_update`: done, or announced (`scheduled`).
    Category {
        previous: Option<TemplateCategory>,
        new: TemplateCategory,
        scheduled: bool,
    },
}

/// A template notification (status, quality or category).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateEvent {
    /// The change's `field`.
    pub field: String,
    /// `entry[].id`: the WhatsApp Business Account.
    pub waba_id: Option<String>,
    pub template_id: Option<String>,
    pub name: Option<String>,
    pub language: Option<String>,
    /// `None` when the change is not one this server understands (recorded as is).
    pub change: Option<TemplateEventChange>,
    /// The change's `value`, as sent.
    pub value: Value,
}

impl TemplateEvent {
    /// Meta's event, new quality or new category as sent, for the record.
    pub fn label(&self) -> Option<String> {
        let keys: &[&str] = match self.field.as_str() {
            STATUS_FIELD => &["event"],
            QUALITY_FIELD => &["new_quality_score"],
            // An announced change names the category to come in `correct_category`.
            _ => &["correct_category", "new_category"],
        };
        keys.iter().find_map(|key| string_of(self.value.get(*key)))
    }
}

/// What one notification asks of us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookEvent {
    Delivery(DeliveryReport),
    Template(TemplateEvent),
    /// Someone replied (issue 12: opt-out keywords).
    Reply(IncomingReply),
}

/// A message someone sent to a sender (`value.messages[]`): its text, or a button's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingReply {
    /// WhatsApp's `from` (`wa_id`: the number's digits).
    pub from: String,
    /// The text, a quick-reply button's text, or an interactive reply's title.
    pub text: String,
    /// `value.metadata.phone_number_id`: the sender it was written to.
    pub phone_number_id: Option<String>,
    /// A press on a template's quick-reply button (`type: "button"`), not typed text.
    pub button: bool,
    /// `context.id`: WhatsApp's id of the message it answers (ours, for a button press).
    pub context_id: Option<String>,
}

fn parse_reply(item: &Value, phone_number_id: Option<&String>) -> Option<IncomingReply> {
    let from = string_of(item.get("from"))?;
    let kind = item.get("type").and_then(Value::as_str)?;
    let text = match kind {
        "text" => string_of(item.pointer("/text/body")),
        "button" => string_of(item.pointer("/button/text"))
            .or_else(|| string_of(item.pointer("/button/payload"))),
        "interactive" => string_of(item.pointer("/interactive/button_reply/title"))
            .or_else(|| string_of(item.pointer("/interactive/list_reply/title"))),
        _ => None,
    }?;
    Some(IncomingReply {
        from,
        text,
        phone_number_id: phone_number_id.cloned(),
        button: kind == "button",
        context_id: string_of(item.pointer("/context/id")),
    })
}

pub const STATUS_FIELD: &str = "message_template_status_update";
pub const QUALITY_FIELD: &str = "message_template_quality_update";
pub const CATEGORY_FIELD: &str = "template_category_update";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookParseError {
    #[error("the notification is not JSON: {reason}")]
    NotJson { reason: String },
    #[error("the notification has no entry array")]
    NoEntries,
}

/// Maps Meta's template event to the template's new status.
pub fn template_status_of_event(event: &str) -> Option<TemplateStatus> {
    match event.to_ascii_uppercase().as_str() {
        "APPROVED" | "REINSTATED" | "UNPAUSED" => Some(TemplateStatus::Approved),
        "PAUSED" => Some(TemplateStatus::Paused),
        "DISABLED" | "PENDING_DELETION" | "DELETED" | "ARCHIVED" | "LIMIT_EXCEEDED" => {
            Some(TemplateStatus::Disabled)
        }
        "REJECTED" => Some(TemplateStatus::Rejected),
        "PENDING" | "IN_APPEAL" => Some(TemplateStatus::Pending),
        _ => None,
    }
}

fn quality_of(value: Option<&Value>) -> Option<TemplateQuality> {
    match value?.as_str()?.to_ascii_uppercase().as_str() {
        "GREEN" => Some(TemplateQuality::Green),
        "YELLOW" => Some(TemplateQuality::Yellow),
        "RED" => Some(TemplateQuality::Red),
        "UNKNOWN" => Some(TemplateQuality::Unknown),
        _ => None,
    }
}

fn category_of(value: Option<&Value>) -> Option<TemplateCategory> {
    match value?.as_str()?.to_ascii_uppercase().as_str() {
        "UTILITY" => Some(TemplateCategory::Utility),
        "MARKETING" => Some(TemplateCategory::Marketing),
        "AUTHENTICATION" => Some(TemplateCategory::Authentication),
        _ => None,
    }
}

/// The change a template notification's `value` describes, when this server knows it.
fn template_change(field: &str, value: &Value) -> Option<TemplateEventChange> {
    match field {
        STATUS_FIELD => {
            let event = value.get("event")?.as_str()?;
            Some(TemplateEventChange::Status {
                event: event.to_owned(),
                new_status: template_status_of_event(event),
                reason: string_of(value.get("reason")),
            })
        }
        QUALITY_FIELD => Some(TemplateEventChange::Quality {
            previous: quality_of(value.get("previous_quality_score")),
            new: quality_of(value.get("new_quality_score"))?,
        }),
        CATEGORY_FIELD => match category_of(value.get("correct_category")) {
            // Announced: `new_category` is the category now, `correct_category` the next one.
            Some(next) => Some(TemplateEventChange::Category {
                previous: category_of(value.get("new_category")),
                new: next,
                scheduled: true,
            }),
            None => Some(TemplateEventChange::Category {
                previous: category_of(value.get("previous_category")),
                new: category_of(value.get("new_category"))?,
                scheduled: false,
            }),
        },
        _ => None,
    }
}

fn delivery_status(status: &str) -> Option<MessageStatus> {
    match status {
        "sent" => Some(MessageStatus::Sent),
        "delivered" => Some(MessageStatus::Delivered),
        "read" => Some(MessageStatus::Read),
        "failed" => Some(MessageStatus::Failed),
        _ => None,
    }
}

fn string_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn parse_status(item: &Value, phone_number_id: Option<&String>) -> Option<DeliveryReport> {
    let message_id = item.get("id")?.as_str()?.to_owned();
    let status = delivery_status(item.get("status")?.as_str()?)?;
    let timestamp = string_of(item.get("timestamp")).and_then(|t| t.parse().ok());
    let errors = item
        .get("errors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .filter_map(|error| {
                    Some(StatusErrorInfo {
                        code: error.get("code")?.as_i64()?,
                        title: string_of(error.get("title")),
                        message: string_of(error.get("message")),
                        details: string_of(error.pointer("/error_data/details")),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Some(DeliveryReport {
        message_id,
        status,
        timestamp,
        recipient_id: string_of(item.get("recipient_id")),
        phone_number_id: phone_number_id.cloned(),
        errors,
    })
}

/// The events of a notification body. Parts this server does not act on (incoming messages
/// other than text and button replies, other fields, unknown statuses) are skipped.
pub fn parse_notification(body: &[u8]) -> Result<Vec<WebhookEvent>, WebhookParseError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| WebhookParseError::NotJson {
        reason: e.to_string(),
    })?;
    let entries = value
        .get("entry")
        .and_then(Value::as_array)
        .ok_or(WebhookParseError::NoEntries)?;
    let mut events = Vec::new();
    for entry in entries {
        let waba_id = string_of(entry.get("id"));
        let Some(changes) = entry.get("changes").and_then(Value::as_array) else {
            continue;
        };
        for change in changes {
            let Some(value) = change.get("value") else {
                continue;
            };
            match change.get("field").and_then(Value::as_str) {
                Some("messages") => {
                    let phone_number_id = string_of(value.pointer("/metadata/phone_number_id"));
                    for item in value
                        .get("statuses")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(report) = parse_status(item, phone_number_id.as_ref()) {
                            events.push(WebhookEvent::Delivery(report));
                        }
                    }
                    for item in value
                        .get("messages")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(reply) = parse_reply(item, phone_number_id.as_ref()) {
                            events.push(WebhookEvent::Reply(reply));
                        }
                    }
                }
                Some(field @ (STATUS_FIELD | QUALITY_FIELD | CATEGORY_FIELD)) => {
                    events.push(WebhookEvent::Template(TemplateEvent {
                        field: field.to_owned(),
                        waba_id: waba_id.clone(),
                        template_id: string_of(value.get("message_template_id")),
                        name: string_of(value.get("message_template_name")),
                        language: string_of(value.get("message_template_language")),
                        change: template_change(field, value),
                        value: value.clone(),
                    }));
                }
                _ => {}
            }
        }
    }
    Ok(events)
}

#[cfg(test)]
#[path = "webhook_tests.rs"]
mod tests;
