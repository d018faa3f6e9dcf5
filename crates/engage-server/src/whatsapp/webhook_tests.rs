use engage_core::wire::{MessageStatus, TemplateStatus};
use serde_json::json;

use super::*;

const SECRET: &[u8] = b"app-secret-123";

#[test]
fn a_body_signed_with_the_app_secret_is_accepted() {
    let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
    let header = sign(SECRET, body);
    assert!(header.starts_with("sha256="));
    assert_eq!(header.len(), 7 + 64);
    assert_eq!(verify_signature(SECRET, body, Some(&header)), Ok(()));
}

#[test]
fn the_signature_of_a_known_vector_matches() {
    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    assert_eq!(
        sign(b"Jefe", b"what do ya want for nothing?"),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn uppercase_hex_is_accepted() {
    let body = b"{}";
    let header = sign(SECRET, body)
        .to_uppercase()
        .replace("SHA256=", "sha256=");
    assert_eq!(verify_signature(SECRET, body, Some(&header)), Ok(()));
}

#[test]
fn a_missing_signature_is_refused() {
    assert_eq!(
        verify_signature(SECRET, b"{}", None),
        Err(SignatureError::Missing)
    );
    assert_eq!(
        verify_signature(SECRET, b"{}", Some("  ")),
        Err(SignatureError::Missing)
    );
}

#[test]
fn a_signature_made_with_another_secret_is_refused() {
    let body = b"{\"entry\":[]}";
    let header = sign(b"another-secret", body);
    assert_eq!(
        verify_signature(SECRET, body, Some(&header)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn one_altered_byte_of_the_body_breaks_the_signature() {
    let body = br#"{"entry":[{"changes":[{"field":"messages"}]}]}"#.to_vec();
    let header = sign(SECRET, &body);
    for position in [0, body.len() / 2, body.len() - 1] {
        let mut altered = body.clone();
        altered[position] ^= 0x01;
        assert_eq!(
            verify_signature(SECRET, &altered, Some(&header)),
            Err(SignatureError::Mismatch),
            "byte {position}"
        );
    }
}

#[test]
fn non_ascii_bodies_are_signed_over_their_raw_utf8_bytes() {
    let body = "{\"name\":\"João ção 👋 \\u00e9\"}".as_bytes();
    let header = sign(SECRET, body);
    assert_eq!(verify_signature(SECRET, body, Some(&header)), Ok(()));
    // Re-encoding the same text differently (escaped) is a different body.
    let escaped = br#"{"name":"Jo\u00e3o \u00e7\u00e3o \ud83d\udc4b \u00e9"}"#;
    assert_eq!(
        verify_signature(SECRET, escaped, Some(&header)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn malformed_signature_headers_are_refused() {
    for header in [
        "sha1=abcdef",
        "abcdef",
        "sha256=xyz",
        "sha256=abc",
        "sha256=",
        "sha256=00",
    ] {
        assert_eq!(
            verify_signature(SECRET, b"{}", Some(header)),
            Err(SignatureError::Malformed),
            "{header}"
        );
    }
}

fn query(mode: Option<&str>, token: Option<&str>, challenge: Option<&str>) -> HandshakeQuery {
    HandshakeQuery {
        mode: mode.map(str::to_owned),
        verify_token: token.map(str::to_owned),
        challenge: challenge.map(str::to_owned),
    }
}

#[test]
fn the_handshake_echoes_the_challenge_for_the_right_token() {
    assert_eq!(
        handshake(
            &query(Some("subscribe"), Some("tok"), Some("1158201444")),
            "tok"
        ),
        Ok("1158201444".to_owned())
    );
}

#[test]
fn the_handshake_refuses_a_wrong_token_or_mode() {
    assert_eq!(
        handshake(&query(Some("subscribe"), Some("nope"), Some("1")), "tok"),
        Err(HandshakeError::WrongToken)
    );
    assert_eq!(
        handshake(&query(Some("subscribe"), None, Some("1")), "tok"),
        Err(HandshakeError::WrongToken)
    );
    assert_eq!(
        handshake(&query(Some("unsubscribe"), Some("tok"), Some("1")), "tok"),
        Err(HandshakeError::NotSubscribe)
    );
    assert_eq!(
        handshake(&query(Some("subscribe"), Some("tok"), None), "tok"),
        Err(HandshakeError::MissingChallenge)
    );
    // An unset verify token never matches, not even an empty one.
    assert_eq!(
        handshake(&query(Some("subscribe"), Some(""), Some("1")), ""),
        Err(HandshakeError::WrongToken)
    );
}

#[test]
fn the_handshake_query_is_read_from_hub_dot_names() {
    let q: HandshakeQuery = serde_json::from_value(json!({
        "hub.mode": "subscribe", "hub.verify_token": "t", "hub.challenge": "42"
    }))
    .unwrap();
    assert_eq!(handshake(&q, "t"), Ok("42".to_owned()));
}

fn status_notification() -> serde_json::Value {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "102290129340398",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
                    "statuses": [
                        {"id": "wamid.A", "status": "delivered", "timestamp": "1750263773",
                         "recipient_id": "16505551234",
                         "pricing": {"billable": true, "pricing_model": "PMP", "category": "marketing"}},
                        {"id": "wamid.B", "status": "failed", "timestamp": "1750263774",
                         "recipient_id": "16505551235",
                         "errors": [{"code": 131026, "title": "Message undeliverable",
                                     "message": "Message undeliverable",
                                     "error_data": {"details": "Message Undeliverable."}}]},
                        {"id": "wamid.C", "status": "read", "timestamp": 1750263775},
                        {"id": "wamid.D", "status": "deleted", "timestamp": "1750263776"}
                    ]
                }
            }]
        }]
    })
}

#[test]
fn message_statuses_are_parsed_with_their_errors() {
    let events = parse_notification(status_notification().to_string().as_bytes()).unwrap();
    assert_eq!(events.len(), 3, "the unknown `deleted` status is skipped");
    let WebhookEvent::Delivery(delivered) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(delivered.message_id, "wamid.A");
    assert_eq!(delivered.status, MessageStatus::Delivered);
    assert_eq!(delivered.timestamp, Some(1_750_263_773));
    assert_eq!(delivered.recipient_id.as_deref(), Some("16505551234"));
    assert_eq!(
        delivered.phone_number_id.as_deref(),
        Some("106540352242922")
    );
    assert!(delivered.errors.is_empty());

    let WebhookEvent::Delivery(failed) = &events[1] else {
        panic!("{events:?}")
    };
    assert_eq!(failed.status, MessageStatus::Failed);
    assert_eq!(failed.errors[0].code, 131026);
    assert_eq!(failed.failure_code(), "whatsapp_131026");
    assert_eq!(
        failed.failure_message(),
        "(131026) Message undeliverable: Message Undeliverable."
    );

    let WebhookEvent::Delivery(read) = &events[2] else {
        panic!("{events:?}")
    };
    assert_eq!(read.status, MessageStatus::Read);
    assert_eq!(
        read.timestamp,
        Some(1_750_263_775),
        "numeric timestamps too"
    );
}

#[test]
fn template_status_updates_are_parsed() {
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "102290129340398",
            "time": 1750263773,
            "changes": [{
                "field": "message_template_status_update",
                "value": {
                    "event": "PAUSED",
                    "message_template_id": 1689556908129832i64,
                    "message_template_name": "order_update",
                    "message_template_language": "pt_BR",
                    "reason": "NONE",
                    "message_template_category": "UTILITY"
                }
            }]
        }]
    });
    let events = parse_notification(body.to_string().as_bytes()).unwrap();
    assert_eq!(
        events,
        vec![WebhookEvent::Template(TemplateEvent {
            field: STATUS_FIELD.into(),
            waba_id: Some("102290129340398".into()),
            template_id: Some("1689556908129832".into()),
            name: Some("order_update".into()),
            language: Some("pt_BR".into()),
            change: Some(TemplateEventChange::Status {
                event: "PAUSED".into(),
                new_status: Some(TemplateStatus::Paused),
                reason: Some("NONE".into()),
            }),
            value: body["entry"][0]["changes"][0]["value"].clone(),
        })]
    );
}

#[test]
fn template_events_map_to_sendable_or_not() {
    assert_eq!(
        template_status_of_event("APPROVED"),
        Some(TemplateStatus::Approved)
    );
    assert_eq!(
        template_status_of_event("REINSTATED"),
        Some(TemplateStatus::Approved)
    );
    assert_eq!(
        template_status_of_event("PAUSED"),
        Some(TemplateStatus::Paused)
    );
    assert_eq!(
        template_status_of_event("DISABLED"),
        Some(TemplateStatus::Disabled)
    );
    assert_eq!(
        template_status_of_event("REJECTED"),
        Some(TemplateStatus::Rejected)
    );
    assert_eq!(template_status_of_event("FLAGGED"), None);
}

#[test]
fn other_fields_and_incoming_messages_are_ignored() {
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [
            {"field": "messages", "value": {"messages": [{"from": "1", "id": "wamid.in", "type": "text"}]}},
            {"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}}
        ]}]
    });
    assert_eq!(
        parse_notification(body.to_string().as_bytes()).unwrap(),
        vec![]
    );
}

#[test]
fn a_body_that_is_not_a_notification_is_refused() {
    assert!(matches!(
        parse_notification(b"not json"),
        Err(WebhookParseError::NotJson { .. })
    ));
    assert_eq!(
        parse_notification(b"{\"object\":\"x\"}"),
        Err(WebhookParseError::NoEntries)
    );
}

#[test]
fn quality_and_category_notifications_are_read_as_meta_documents_them() {
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "time": 1764590400, "changes": [
            {"field": "message_template_quality_update", "value": {
                "previous_quality_score": "GREEN", "new_quality_score": "YELLOW",
                "message_template_id": 806312974732579i64, "message_template_name": "welcome_template",
                "message_template_language": "en-US"}},
            {"field": "template_category_update", "value": {
                "message_template_id": 806312974732579i64, "message_template_name": "welcome_template",
                "message_template_language": "en_US", "previous_category": "UTILITY", "new_category": "MARKETING"}},
            {"field": "template_category_update", "value": {
                "message_template_id": 806312974732579i64, "message_template_name": "welcome_template",
                "message_template_language": "en_US", "correct_category": "MARKETING",
                "new_category": "UTILITY", "category_update_timestamp": 1764676800}}
        ]}]
    });
    let events = parse_notification(body.to_string().as_bytes()).unwrap();
    let changes: Vec<_> = events
        .iter()
        .map(|e| match e {
            WebhookEvent::Template(t) => (
                t.template_id.clone(),
                t.language.clone(),
                t.change.clone(),
                t.label(),
            ),
            other => panic!("{other:?}"),
        })
        .collect();
    use engage_core::wire::{TemplateCategory, TemplateQuality};
    assert_eq!(
        changes,
        [
            (
                Some("806312974732579".to_owned()),
                Some("en-US".to_owned()),
                Some(TemplateEventChange::Quality {
                    previous: Some(TemplateQuality::Green),
                    new: TemplateQuality::Yellow
                }),
                Some("YELLOW".to_owned())
            ),
            (
                Some("806312974732579".to_owned()),
                Some("en_US".to_owned()),
                Some(TemplateEventChange::Category {
                    previous: Some(TemplateCategory::Utility),
                    new: TemplateCategory::Marketing,
                    scheduled: false
                }),
                Some("MARKETING".to_owned())
            ),
            (
                Some("806312974732579".to_owned()),
                Some("en_US".to_owned()),
                Some(TemplateEventChange::Category {
                    previous: Some(TemplateCategory::Utility),
                    new: TemplateCategory::Marketing,
                    scheduled: true
                }),
                Some("MARKETING".to_owned())
            ),
        ]
    );
}
