//! The per-client rate limit of the send endpoint: `RateLimit-*` headers on every answer,
//! 429 `rate_limited` with `Retry-After` past the rate, the workspace's own rate.

use engage_core::wire::ApiErrorBody;
use serde_json::json;

use crate::helpers::{body_for, spawn_app_with};

fn header(response: &reqwest::Response, name: &str) -> Option<u64> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn past_its_rate_a_client_gets_429_rate_limited_with_retry_after_and_ratelimit_headers() {
    let app = spawn_app_with(engage_server::Limits {
        send_rate_per_second: 3,
        ..engage_server::Limits::default()
    })
    .await;
    let (campaign, template) = app.new_campaign().await;
    let token = app.client_token().await;
    let body = body_for(&template, "+5511987654321");
    for remaining in (0..3).rev() {
        let response = app.send(&token, campaign.id, &body).await;
        assert_eq!(response.status(), 202);
        assert_eq!(header(&response, "ratelimit-limit"), Some(3));
        assert_eq!(header(&response, "ratelimit-remaining"), Some(remaining));
        assert_eq!(header(&response, "ratelimit-reset"), Some(1));
    }
    let refused = app.send(&token, campaign.id, &body).await;
    assert_eq!(refused.status(), 429);
    let retry_after = header(&refused, "retry-after").expect("Retry-After");
    assert!((1..=1).contains(&retry_after), "{retry_after}");
    assert_eq!(header(&refused, "ratelimit-limit"), Some(3));
    assert_eq!(header(&refused, "ratelimit-remaining"), Some(0));
    assert_eq!(header(&refused, "ratelimit-reset"), Some(retry_after));
    let error: ApiErrorBody = refused.json().await.expect("error body");
    assert_eq!(error.error.code, "rate_limited");

    // A refused request is not counted against the client: after a second, it sends again.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let again = app.send(&token, campaign.id, &body).await;
    assert_eq!(again.status(), 202);
    // Refusals of the request itself carry the headers too.
    let invalid = app.send(&token, campaign.id, &json!({"to": "x"})).await;
    assert_eq!(invalid.status(), 422);
    assert_eq!(header(&invalid, "ratelimit-limit"), Some(3));
}

#[tokio::test]
async fn a_workspace_can_set_its_own_rate_and_go_back_to_the_default() {
    let app = spawn_app_with(engage_server::Limits {
        send_rate_per_second: 50,
        ..engage_server::Limits::default()
    })
    .await;
    let (campaign, template) = app.new_campaign().await;
    let token = app.client_token().await;
    let body = body_for(&template, "+5511987654321");
    let workspace = app.creds.workspace_id.to_string();

    let set = app
        .cli(
            &[
                "workspace",
                "set-send-rate",
                "--workspace",
                &workspace,
                "--per-second",
                "2",
            ],
            None,
        )
        .await;
    assert!(set.status.success(), "{set:?}");
    // The workspace's rate is read again within the 1 s cache.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let first = app.send(&token, campaign.id, &body).await;
    assert_eq!(header(&first, "ratelimit-limit"), Some(2));
    assert_eq!(app.send(&token, campaign.id, &body).await.status(), 202);
    assert_eq!(app.send(&token, campaign.id, &body).await.status(), 429);

    let reset = app
        .cli(
            &[
                "workspace",
                "set-send-rate",
                "--workspace",
                &workspace,
                "--default",
            ],
            None,
        )
        .await;
    assert!(reset.status.success(), "{reset:?}");
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let back = app.send(&token, campaign.id, &body).await;
    assert_eq!(back.status(), 202);
    assert_eq!(header(&back, "ratelimit-limit"), Some(50));

    let zero = app
        .cli(
            &[
                "workspace",
                "set-send-rate",
                "--workspace",
                &workspace,
                "--per-second",
                "0",
            ],
            None,
        )
        .await;
    assert!(!zero.status.success());
    assert!(
        String::from_utf8_lossy(&zero.stderr).contains("per_second")
            || String::from_utf8_lossy(&zero.stderr).contains("send rate"),
        "{zero:?}"
    );
}
