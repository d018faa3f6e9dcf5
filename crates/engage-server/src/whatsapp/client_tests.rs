use std::time::Duration;

use reqwest::StatusCode;
use time::macros::datetime;

use super::*;

fn meta_error(status: u16, code: i64) -> GraphError {
    let body = serde_json::json!({
        "error": {
            "message": format!("(#{code}) something"),
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": "more"},
            "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam"
        }
    });
    error_from_body(
        StatusCode::from_u16(status).unwrap(),
        body.to_string().as_bytes(),
        None,
    )
}

#[test]
fn metas_error_body_is_read_field_by_field() {
    let body = br#"{"error":{"message":"(#132000) Number of parameters does not match the expected number of params","type":"OAuthException","code":132000,"error_subcode":2494073,"error_data":{"messaging_product":"whatsapp","details":"body: number of localizable_params (1) does not match the expected number of params (2)"},"fbtrace_id":"AbCd"}}"#;
    let error = error_from_body(StatusCode::BAD_REQUEST, body, None);
    let GraphError::Api(meta) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(meta.http_status, 400);
    assert_eq!(meta.code, 132000);
    assert_eq!(meta.subcode, Some(2494073));
    assert_eq!(meta.kind.as_deref(), Some("OAuthException"));
    assert_eq!(meta.fbtrace_id.as_deref(), Some("AbCd"));
    assert_eq!(
        meta.details.as_deref(),
        Some("body: number of localizable_params (1) does not match the expected number of params (2)")
    );
    assert_eq!(error.code(), "whatsapp_132000");
    assert!(error.detail().contains("(132000)"), "{}", error.detail());
    assert!(error.detail().contains("localizable_params"));
    assert!(!error.is_transient());
}

#[test]
fn throughput_pair_limit_and_outage_codes_are_transient() {
    for (status, code) in [
        (400, 130429),
        (400, 131056),
        (500, 131000),
        (503, 131016),
        (400, 4),
        (400, 80007),
        (503, 2),
        (400, 133004),
        (500, 999_999),
    ] {
        assert!(
            meta_error(status, code).is_transient(),
            "{code} (HTTP {status})"
        );
    }
}

#[test]
fn parameter_template_recipient_and_token_errors_are_permanent() {
    for (status, code) in [
        (400, 132000),
        (404, 132001),
        (400, 131026),
        (401, 190),
        (400, 100),
        (400, 131047),
        (400, 131051),
        (400, 132015),
        (400, 132016),
        (400, 131008),
        (403, 10),
    ] {
        assert!(
            !meta_error(status, code).is_transient(),
            "{code} (HTTP {status})"
        );
    }
}

#[test]
fn an_answer_without_metas_error_body_is_classified_by_http_status() {
    let bad_gateway = error_from_body(StatusCode::BAD_GATEWAY, b"<html>502</html>", None);
    assert_eq!(bad_gateway.code(), "whatsapp_http_502");
    assert!(bad_gateway.is_transient());
    let too_many = error_from_body(StatusCode::TOO_MANY_REQUESTS, b"", None);
    assert!(too_many.is_transient());
    let not_found = error_from_body(StatusCode::NOT_FOUND, b"nope", None);
    assert!(!not_found.is_transient());
}

#[test]
fn timeouts_and_unreachable_hosts_are_transient() {
    assert!(GraphError::Timeout.is_transient());
    assert!(GraphError::Unreachable {
        reason: "connection refused".into()
    }
    .is_transient());
    assert!(!GraphError::UnexpectedResponse { reason: "x".into() }.is_transient());
}

#[test]
fn retry_after_is_read_as_seconds_or_an_http_date() {
    let now = datetime!(2026-11-28 19:00:00 UTC);
    assert_eq!(parse_retry_after("30", now), Some(Duration::from_secs(30)));
    assert_eq!(
        parse_retry_after("Sat, 28 Nov 2026 19:01:30 GMT", now),
        Some(Duration::from_secs(90))
    );
    assert_eq!(
        parse_retry_after("Sat, 28 Nov 2026 18:00:00 GMT", now),
        Some(Duration::ZERO)
    );
    assert_eq!(parse_retry_after("soon", now), None);
}

#[test]
fn retry_after_travels_with_the_error() {
    let error = error_from_body(
        StatusCode::TOO_MANY_REQUESTS,
        br#"{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429}}"#,
        Some(Duration::from_secs(7)),
    );
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    assert!(error.is_transient());
}

#[test]
fn ids_stay_one_path_segment() {
    assert_eq!(path_segment("106540352242922"), "106540352242922");
    assert_eq!(path_segment("../x?y"), "..%2Fx%3Fy");
}
