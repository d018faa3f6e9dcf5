//! The integration log (issue 15): each campaign's token and send requests with their
//! outcome, written off the request path, read by staff with the hand-off's summary; the
//! health of every campaign's integration; retention.

use std::time::{Duration, Instant};

use engage_core::wire::{
    CampaignIntegration, CampaignIntegrationHealth, IntegrationCallKind, IntegrationHealth,
    IntegrationLog, IntegrationState,
};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{
    body_for, contains, database_bytes, execute_sql, spawn_app, valid_variables, TestApp,
};

/// The log must show a request within this long (the screen polls every 2 s).
const SHOWN_WITHIN: Duration = Duration::from_secs(2);

async fn log_of(app: &TestApp, staff: &str, campaign: Uuid, query: &str) -> IntegrationLog {
    app.get_ok(
        &format!("/v1/campaigns/{campaign}/integration/log{query}"),
        staff,
    )
    .await
}

/// Polls the log until it holds `count` requests; fails after [`SHOWN_WITHIN`].
async fn log_with(app: &TestApp, staff: &str, campaign: Uuid, count: usize) -> IntegrationLog {
    let started = Instant::now();
    loop {
        let log = log_of(app, staff, campaign, "").await;
        if log.calls.len() >= count {
            return log;
        }
        assert!(
            started.elapsed() < SHOWN_WITHIN,
            "the log shows {} requests, not {count}, after {SHOWN_WITHIN:?}",
            log.calls.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn credentials(app: &TestApp, staff: &str, campaign: Uuid) -> CampaignIntegration {
    app.get_ok(&format!("/v1/campaigns/{campaign}/integration"), staff)
        .await
}

async fn token_request(app: &TestApp, id: &str, secret: &str) -> reqwest::Response {
    app.client
        .post(app.url("/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_log_shows_each_token_and_send_request_with_its_outcome_and_the_hand_off_state() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let template = app.named_template(&staff).await;
    let campaign = app.create_campaign_with(&staff, &template).await;
    let empty = log_of(&app, &staff, campaign.id, "").await;
    assert_eq!(empty.summary.state, IntegrationState::Waiting);
    assert!(empty.calls.is_empty());

    // A wrong secret, then the right one.
    let creds = credentials(&app, &staff, campaign.id).await;
    let wrong = token_request(&app, &creds.client_id, "not-the-secret").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = token_request(&app, &creds.client_id, &creds.client_secret).await;
    assert_eq!(right.status(), StatusCode::OK);
    let token = right.json::<serde_json::Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let log = log_with(&app, &staff, campaign.id, 2).await;
    assert_eq!(log.summary.state, IntegrationState::TokenObtained);
    assert!(log.summary.token_at.is_some());
    let (issued, refused) = (&log.calls[0], &log.calls[1]);
    assert_eq!(issued.kind, IntegrationCallKind::Token);
    assert_eq!((issued.status, issued.refused), (200, false));
    assert_eq!(refused.kind, IntegrationCallKind::Token);
    assert!(refused.refused);
    assert_eq!(refused.status, 401);
    assert_eq!(refused.code.as_deref(), Some("invalid_client"));
    assert_eq!(refused.address.as_deref(), Some("127.0.0.1"));

    // A send without the named variable: refused, with its field and reason, the phone masked.
    let missing = template
        .variables
        .iter()
        .find(|v| v.key.parse::<u32>().is_err())
        .unwrap()
        .key
        .clone();
    let mut variables = valid_variables(&template);
    variables.remove(&missing);
    for _ in 0..3 {
        let resp = app
            .send(
                &token,
                campaign.id,
                &json!({"to": "+5511912348765", "variables": variables}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let log = log_with(&app, &staff, campaign.id, 5).await;
    assert_eq!(log.summary.state, IntegrationState::Failing);
    assert_eq!(log.summary.refused_streak, 3);
    let refusal = log.summary.last_refusal.clone().expect("the last refusal");
    assert_eq!(refusal.kind, IntegrationCallKind::Send);
    assert_eq!((refusal.status, refusal.accepted), (422, 0));
    assert_eq!(refusal.code.as_deref(), Some("missing_variable"));
    assert_eq!(
        refusal.field.as_deref(),
        Some(format!("variables.{missing}").as_str())
    );
    assert!(refusal.reason.as_deref().unwrap().contains(&missing));
    assert_eq!(refusal.phone_last4.as_deref(), Some("8765"));
    assert!(!refusal.test);

    // Then a good one: the streak ends, the first message is sent.
    let resp = app
        .send(&token, campaign.id, &body_for(&template, "+5511987654321"))
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let log = log_with(&app, &staff, campaign.id, 6).await;
    assert_eq!(
        log.summary.state,
        IntegrationState::Sending,
        "{:#?}",
        log.calls
            .iter()
            .map(|c| (c.at, c.id, c.refused, c.status))
            .collect::<Vec<_>>()
    );
    assert_eq!(log.summary.refused_streak, 0);
    assert!(log.summary.last_refusal.is_none());
    assert!(log.summary.first_sent_at.is_some());
    let sent = &log.calls[0];
    assert_eq!((sent.status, sent.accepted, sent.refused), (202, 1, false));
    assert_eq!(sent.phone_last4.as_deref(), Some("4321"));

    // "Refused only".
    let refused = log_of(&app, &staff, campaign.id, "?refused=true").await;
    assert_eq!(refused.calls.len(), 4);
    assert!(refused.calls.iter().all(|call| call.refused));

    // A send without a token is on the campaign's log too.
    let resp = app
        .client
        .post(app.url(&format!("/v1/campaigns/{}/messages", campaign.id)))
        .json(&body_for(&template, "+5511987654321"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let log = log_with(&app, &staff, campaign.id, 7).await;
    assert_eq!(log.calls[0].code.as_deref(), Some("missing_token"));
    assert_eq!(log.summary.state, IntegrationState::Failing);

    // No body and no whole phone number is kept: the refused number is nowhere at rest.
    assert!(!contains(&database_bytes(&app), b"11912348765"));
}

#[tokio::test]
async fn a_batch_is_one_request_with_its_accepted_count_and_first_refusal() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let (campaign, template) = app.new_campaign().await;
    let creds = credentials(&app, &staff, campaign.id).await;
    let token = app
        .oauth_token_for(&creds.client_id, &creds.client_secret)
        .await;
    let resp = app
        .send(
            &token,
            campaign.id,
            &json!({"messages": [body_for(&template, "+5511987654321"), {"to": "12", "variables": valid_variables(&template)}]}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let log = log_with(&app, &staff, campaign.id, 2).await;
    let batch = &log.calls[0];
    assert_eq!(
        (batch.kind, batch.accepted, batch.refused),
        (IntegrationCallKind::Send, 1, false)
    );
    assert_eq!(batch.code.as_deref(), Some("invalid_phone_number"));
    assert_eq!(batch.field.as_deref(), Some("messages[1].to"));
}

#[tokio::test]
async fn another_workspaces_campaign_and_bad_queries_are_refused() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let (campaign, _) = app.new_campaign().await;
    let resp = app
        .get(
            &format!("/v1/campaigns/{}/integration/log", Uuid::new_v4()),
            &staff,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    for query in ["?limit=0", "?limit=201", "?refused=maybe"] {
        let resp = app
            .get(
                &format!("/v1/campaigns/{}/integration/log{query}", campaign.id),
                &staff,
            )
            .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
    }
}

#[tokio::test]
async fn the_campaign_list_health_is_live_never_used_or_failing() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let (live, template) = app.new_campaign().await;
    let (failing, _) = app.new_campaign().await;
    let (unused, _) = app.new_campaign().await;
    for (campaign, body) in [
        (&live, body_for(&template, "+5511987654321")),
        (&failing, json!({"to": "+5511987654321"})),
    ] {
        let creds = credentials(&app, &staff, campaign.id).await;
        let token = app
            .oauth_token_for(&creds.client_id, &creds.client_secret)
            .await;
        app.send(&token, campaign.id, &body).await;
        log_with(&app, &staff, campaign.id, 2).await;
    }
    let health: Vec<CampaignIntegrationHealth> =
        app.get_ok("/v1/campaigns/integration-health", &staff).await;
    let of = |id: Uuid| {
        health
            .iter()
            .find(|row| row.campaign_id == id)
            .map(|row| row.health)
    };
    assert_eq!(of(live.id), Some(IntegrationHealth::Live));
    assert_eq!(of(failing.id), Some(IntegrationHealth::Failing));
    assert_eq!(of(unused.id), Some(IntegrationHealth::NeverUsed));
}

#[tokio::test]
async fn the_log_keeps_the_last_thousand_requests_of_a_campaign_and_seven_days() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let (campaign, template) = app.new_campaign().await;
    let now = engage_server::store::now_ms();
    // 1,005 earlier requests and one of 8 days ago, written as the log task writes them.
    let inserted = execute_sql(
        &app.database_url,
        &format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1006)
             INSERT INTO integration_calls (id, workspace_id, campaign_id, at, kind, status,
                 refused, accepted, code, field, reason, phone_last4, address, test)
             SELECT '00000000-0000-7000-8000-' || (100000000000 + i), c.workspace_id, c.id,
                    CASE WHEN i = 1006 THEN {old} ELSE {now} - 60000 - i END,
                    'send', 202, {no}, 1, NULL, NULL, NULL, NULL, NULL, {no}
             FROM n, campaigns c WHERE c.id = '{id}'",
            old = now - 8 * 24 * 3600 * 1000,
            no = if crate::helpers::on_postgres() {
                "FALSE"
            } else {
                "0"
            },
            id = campaign.id,
        ),
    )
    .await;
    assert_eq!(inserted, 1006);
    let week_old = log_of(&app, &staff, campaign.id, "?limit=200").await;
    assert_eq!(week_old.calls.len(), 200);
    assert!(week_old
        .calls
        .iter()
        .all(|call| call.id.to_string() != "00000000-0000-7000-8000-100000001006"));

    let creds = credentials(&app, &staff, campaign.id).await;
    let token = app
        .oauth_token_for(&creds.client_id, &creds.client_secret)
        .await;
    app.send(&token, campaign.id, &body_for(&template, "+5511987654321"))
        .await;
    // The new requests are kept; the oldest beyond 1,000 are gone.
    let started = Instant::now();
    loop {
        let kept = execute_sql(
            &app.database_url,
            &format!(
                "UPDATE integration_calls SET reason = reason WHERE campaign_id = '{}'",
                campaign.id
            ),
        )
        .await;
        if kept == 1000 {
            break;
        }
        assert!(
            started.elapsed() < SHOWN_WITHIN * 2,
            "{kept} requests kept, not 1,000"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = log_of(&app, &staff, campaign.id, "?limit=2").await;
    assert_eq!(log.calls.len(), 2);
    assert_eq!(log.calls[0].kind, IntegrationCallKind::Send);
    assert_eq!(log.calls[1].kind, IntegrationCallKind::Token);
}
