//! Per-campaign credentials (issue 11): scope, rotation with each grace period, revocation
//! while tokens are in use (on this instance and, on PostgreSQL, on another one), last use,
//! and test credentials whose messages are marked as tests.

use std::time::{Duration, Instant};

use engage_core::wire::{CampaignIntegration, CredentialMode, CredentialScope, MessageStatus};
use engage_server::{SecretKeySource, ServerConfig};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{
    assert_error, body_for, execute_sql, on_postgres, spawn_app, TestApp, DEADLINE,
};

async fn integration(
    app: &TestApp,
    staff: &str,
    campaign: Uuid,
    mode: &str,
) -> CampaignIntegration {
    app.get_ok(
        &format!("/v1/campaigns/{campaign}/integration?mode={mode}"),
        staff,
    )
    .await
}

async fn token_response(app: &TestApp, id: &str, secret: &str) -> reqwest::Response {
    app.client
        .post(app.url("/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

async fn token_of(app: &TestApp, credentials: &CampaignIntegration) -> String {
    app.oauth_token_for(&credentials.client_id, &credentials.client_secret)
        .await
}

async fn rotate(app: &TestApp, staff: &str, campaign: Uuid, body: Value) -> reqwest::Response {
    app.post_json(
        &format!("/v1/campaigns/{campaign}/credentials/rotate"),
        staff,
        &body,
    )
    .await
}

async fn revoke(app: &TestApp, staff: &str, campaign: Uuid, body: Value) -> reqwest::Response {
    app.post_json(
        &format!("/v1/campaigns/{campaign}/credentials/revoke"),
        staff,
        &body,
    )
    .await
}

async fn ok_json<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> T {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn a_new_campaign_has_its_own_live_and_test_credentials_that_send_only_for_it() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let (mine, template) = app.new_campaign().await;
    let (other, _) = app.new_campaign().await;

    let live = integration(&app, &staff, mine.id, "live").await;
    let test = integration(&app, &staff, mine.id, "test").await;
    assert_eq!(live.mode, CredentialMode::Live);
    assert_eq!(live.scope, CredentialScope::Campaign);
    assert!(live.client_id.starts_with("engage_") && !live.client_id.starts_with("engage_test_"));
    assert_eq!(test.mode, CredentialMode::Test);
    assert!(
        test.client_id.starts_with("engage_test_"),
        "{}",
        test.client_id
    );
    assert_ne!(live.client_id, app.creds.api_client.client_id);
    let others = integration(&app, &staff, other.id, "live").await;
    assert_ne!(
        others.client_id, live.client_id,
        "each campaign its own client"
    );
    let default: CampaignIntegration = app
        .get_ok(&format!("/v1/campaigns/{}/integration", mine.id), &staff)
        .await;
    assert_eq!(
        default.client_id, live.client_id,
        "live is the default mode"
    );

    for credentials in [&live, &test] {
        let token = token_of(&app, credentials).await;
        let body = body_for(&template, "+5511987654321");
        assert_eq!(
            app.send(&token, mine.id, &body).await.status(),
            StatusCode::ACCEPTED
        );
        assert_error(
            app.send(&token, other.id, &body).await,
            StatusCode::FORBIDDEN,
            "campaign_not_in_scope",
            None,
        )
        .await;
        assert_error(
            app.send(&token, Uuid::now_v7(), &body).await,
            StatusCode::FORBIDDEN,
            "campaign_not_in_scope",
            None,
        )
        .await;
    }
    // The workspace-wide client still sends for every campaign.
    let workspace = app.client_token().await;
    let body = body_for(&template, "+5511987654321");
    assert_eq!(
        app.send(&workspace, other.id, &body).await.status(),
        StatusCode::ACCEPTED
    );

    assert_error(
        app.get(
            &format!("/v1/campaigns/{}/integration?mode=sandbox", mine.id),
            &staff,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_query",
        None,
    )
    .await;
}

#[tokio::test]
async fn a_campaign_made_before_keeps_the_workspace_client_until_its_secret_is_rotated() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let (campaign, template) = app.new_campaign().await;
    // As a campaign created before per-campaign credentials: no client of its own.
    execute_sql(
        &app.database_url,
        &format!(
            "DELETE FROM api_clients WHERE campaign_id = '{}'",
            campaign.id
        ),
    )
    .await;

    let before = integration(&app, &staff, campaign.id, "live").await;
    assert_eq!(before.scope, CredentialScope::Workspace);
    assert_eq!(before.client_id, app.creds.api_client.client_id);
    assert_error(
        revoke(&app, &staff, campaign.id, json!({"mode": "live"})).await,
        StatusCode::CONFLICT,
        "credentials_shared",
        Some("mode"),
    )
    .await;
    // Test credentials are made on first use.
    let test = integration(&app, &staff, campaign.id, "test").await;
    assert!(test.client_id.starts_with("engage_test_"));
    assert_eq!(test.scope, CredentialScope::Campaign);
    assert_eq!(
        integration(&app, &staff, campaign.id, "test")
            .await
            .client_id,
        test.client_id,
        "and kept"
    );

    let rotated: CampaignIntegration =
        ok_json(rotate(&app, &staff, campaign.id, json!({"grace": "now"})).await).await;
    assert_eq!(rotated.scope, CredentialScope::Campaign);
    assert_ne!(rotated.client_id, app.creds.api_client.client_id);
    let body = body_for(&template, "+5511987654321");
    let own = token_of(&app, &rotated).await;
    assert_eq!(
        app.send(&own, campaign.id, &body).await.status(),
        StatusCode::ACCEPTED
    );
    // The shared workspace client is untouched (other campaigns and scripts use it).
    let workspace = app.client_token().await;
    assert_eq!(
        app.send(&workspace, campaign.id, &body).await.status(),
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn rotating_with_grace_now_refuses_the_old_secret_and_its_tokens_at_once() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let (campaign, template) = app.new_campaign().await;
    let old = integration(&app, &staff, campaign.id, "live").await;
    let old_token = token_of(&app, &old).await;
    let body = body_for(&template, "+5511987654321");
    assert_eq!(
        app.send(&old_token, campaign.id, &body).await.status(),
        StatusCode::ACCEPTED
    );

    let new: CampaignIntegration = ok_json(
        rotate(
            &app,
            &staff,
            campaign.id,
            json!({"mode": "live", "grace": "now"}),
        )
        .await,
    )
    .await;
    assert_eq!(new.client_id, old.client_id, "the client id stays");
    assert_ne!(new.client_secret, old.client_secret);
    assert_eq!(new.previous_secret_expires_at, None);

    let refused = token_response(&app, &old.client_id, &old.client_secret).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.send(&old_token, campaign.id, &body).await.status(),
        StatusCode::UNAUTHORIZED,
        "a token of the old secret is refused on the next request"
    );
    let token = token_of(&app, &new).await;
    assert_eq!(
        app.send(&token, campaign.id, &body).await.status(),
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn rotating_with_a_grace_period_keeps_the_old_secret_working_until_it_ends() {
    for (grace, millis) in [("1h", 3_600_000_i64), ("24h", 86_400_000)] {
        let app = spawn_app().await;
        let staff = app.staff_token().await;
        let (campaign, template) = app.new_campaign().await;
        let old = integration(&app, &staff, campaign.id, "test").await;
        let old_token = token_of(&app, &old).await;
        let body = body_for(&template, "+5511987654321");

        let started = time::OffsetDateTime::now_utc();
        let new: CampaignIntegration = ok_json(
            rotate(
                &app,
                &staff,
                campaign.id,
                json!({"mode": "test", "grace": grace}),
            )
            .await,
        )
        .await;
        let until = new
            .previous_secret_expires_at
            .expect("the grace end is shown");
        let expected = started + time::Duration::milliseconds(millis);
        assert!(
            (until - expected).abs() < time::Duration::seconds(30),
            "{grace}: {until} vs {expected}"
        );

        // During the grace: the old secret issues tokens, old tokens still send, the new
        // secret works too.
        let during = token_response(&app, &old.client_id, &old.client_secret).await;
        assert_eq!(during.status(), StatusCode::OK, "{grace}");
        let during: Value = during.json().await.unwrap();
        assert!(during["expires_in"].as_i64().unwrap() <= millis / 1000);
        assert_eq!(
            app.send(&old_token, campaign.id, &body).await.status(),
            StatusCode::ACCEPTED
        );
        let before_new_ms =
            (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
        let new_token = token_of(&app, &new).await;
        assert_eq!(
            app.send(&new_token, campaign.id, &body).await.status(),
            StatusCode::ACCEPTED
        );

        // The grace ends (moved to the past rather than waited for): the old secret is
        // refused; tokens issued before the rotation end with it.
        execute_sql(
            &app.database_url,
            "UPDATE api_clients SET previous_secret_expires_at = 1 WHERE previous_secret_expires_at IS NOT NULL",
        )
        .await;
        let after = token_response(&app, &old.client_id, &old.client_secret).await;
        assert_eq!(after.status(), StatusCode::UNAUTHORIZED, "{grace}");
        // Every token issued with the old secret (before the rotation or during the grace)
        // ends with the grace: exactly at its end, or earlier by its own hour.
        let until_ms = (until.unix_timestamp_nanos() / 1_000_000) as i64;
        let ends = execute_sql(
            &app.database_url,
            &format!(
                "UPDATE tokens SET expires_at = expires_at
                 WHERE kind = 'client_access' AND expires_at > {until_ms} AND created_at < {before_new_ms}"
            ),
        )
        .await;
        assert_eq!(
            ends, 0,
            "{grace}: no token of the client outlives the grace of its secret"
        );
        assert_eq!(
            app.send(&new_token, campaign.id, &body).await.status(),
            StatusCode::ACCEPTED
        );
    }
}

#[tokio::test]
async fn revoking_refuses_every_token_in_use_on_the_next_request_and_issues_new_credentials() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let (campaign, template) = app.new_campaign().await;
    let old = integration(&app, &staff, campaign.id, "live").await;
    let body = body_for(&template, "+5511987654321");
    let tokens = [token_of(&app, &old).await, token_of(&app, &old).await];

    // Tokens in use: a stream of sends on each, running while the revocation happens.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut streams = Vec::new();
    for token in tokens.clone() {
        let (client, url, body, stop) = (
            app.client.clone(),
            app.url(&format!("/v1/campaigns/{}/messages", campaign.id)),
            body.clone(),
            stop.clone(),
        );
        streams.push(tokio::spawn(async move {
            let mut accepted = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let status = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status();
                if status == StatusCode::ACCEPTED {
                    accepted += 1;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            accepted
        }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let new: CampaignIntegration =
        ok_json(revoke(&app, &staff, campaign.id, json!({"mode": "live"})).await).await;
    for token in &tokens {
        let resp = app.send(token, campaign.id, &body).await;
        assert_eq!(
            resp.status(),
            StatusCode::UNAUTHORIZED,
            "refused at once after the revocation"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for stream in streams {
        assert!(stream.await.unwrap() > 0, "the token was in use before");
    }
    assert_ne!(
        new.client_id, old.client_id,
        "a new client replaces the revoked one"
    );
    assert_eq!(
        token_response(&app, &old.client_id, &old.client_secret)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let token = token_of(&app, &new).await;
    assert_eq!(
        app.send(&token, campaign.id, &body).await.status(),
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn a_revocation_holds_on_another_instance_within_its_one_second_token_cache() {
    if !on_postgres() {
        // Several instances share one database only on PostgreSQL.
        return;
    }
    let app = spawn_app().await;
    let other = engage_server::start(ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::new(
            app.database_url.clone(),
            SecretKeySource::Env(app.secret_key_b64.clone()),
        )
    })
    .await
    .unwrap();
    let staff = app.staff_token().await;
    let (campaign, template) = app.new_campaign().await;
    let old = integration(&app, &staff, campaign.id, "live").await;
    let token = token_of(&app, &old).await;
    let body = body_for(&template, "+5511987654321");
    let other_url = format!("{}/v1/campaigns/{}/messages", other.base_url(), campaign.id);
    let send_other = || {
        app.client
            .post(&other_url)
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    assert_eq!(
        send_other().await.unwrap().status(),
        StatusCode::ACCEPTED,
        "cached there now"
    );

    ok_json::<CampaignIntegration>(revoke(&app, &staff, campaign.id, json!({})).await).await;
    let revoked_at = Instant::now();
    tokio::time::sleep(engage_server::http::CACHE_TTL).await;
    assert_eq!(
        send_other().await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "refused by the other instance once its cache entry ({:?}) has lapsed",
        engage_server::http::CACHE_TTL
    );
    assert!(revoked_at.elapsed() < DEADLINE);
    other.shutdown().await;
}

#[tokio::test]
async fn the_integration_shows_when_the_credentials_were_last_used() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let (campaign, _) = app.new_campaign().await;
    let unused = integration(&app, &staff, campaign.id, "live").await;
    assert_eq!(unused.last_used_at, None);
    let before = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    token_of(&app, &unused).await;
    let used = integration(&app, &staff, campaign.id, "live").await;
    let at = used.last_used_at.expect("last used after a token request");
    assert!(at >= before && at <= time::OffsetDateTime::now_utc() + time::Duration::seconds(1));
    assert_eq!(
        integration(&app, &staff, campaign.id, "test")
            .await
            .last_used_at,
        None,
        "the test client is another client"
    );
}

#[tokio::test]
async fn a_message_sent_with_test_credentials_is_stored_and_listed_as_a_test() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let (campaign, template) = app.new_campaign().await;
    let test = token_of(&app, &integration(&app, &staff, campaign.id, "test").await).await;
    let live = token_of(&app, &integration(&app, &staff, campaign.id, "live").await).await;

    let ids: Vec<Uuid> = futures_ids(&app, campaign.id, &[&test, &live], &template).await;
    let test_message = app
        .wait_for_message(&test, ids[0], |s| s == MessageStatus::Delivered)
        .await;
    assert!(test_message.test);
    let live_message = app
        .wait_for_message(&live, ids[1], |s| s != MessageStatus::Queued)
        .await;
    assert!(!live_message.test);
    let listed = app.campaign_messages(&staff, campaign.id).await;
    let flag = |id: Uuid| listed.iter().find(|m| m.id == id).unwrap().test;
    assert!(flag(ids[0]) && !flag(ids[1]), "the activity marks tests");

    // Validated exactly like live ones.
    assert_error(
        app.send(&test, campaign.id, &json!({"to": "12", "variables": {}}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_phone_number",
        Some("to"),
    )
    .await;
}

/// Sends one message with each token; returns the ids in order.
async fn futures_ids(
    app: &TestApp,
    campaign: Uuid,
    tokens: &[&str],
    template: &engage_core::wire::Template,
) -> Vec<Uuid> {
    let mut ids = Vec::new();
    for token in tokens {
        let resp = app
            .send(token, campaign, &body_for(template, "+5511987654321"))
            .await;
        assert_eq!(resp.status(), StatusCode::ACCEPTED);
        let body: Value = resp.json().await.unwrap();
        ids.push(body["id"].as_str().unwrap().parse().unwrap());
    }
    ids
}

#[tokio::test]
async fn copying_rotating_and_revoking_credentials_are_each_in_the_audit_log_with_the_campaign() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let (campaign, _) = app.new_campaign().await;
    let before = integration(&app, &staff, campaign.id, "test").await;
    let rotated = rotate(
        &app,
        &staff,
        campaign.id,
        json!({"mode": "test", "grace": "now"}),
    )
    .await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let revoked: CampaignIntegration =
        ok_json(revoke(&app, &staff, campaign.id, json!({"mode": "test"})).await).await;

    let page: engage_core::wire::AuditPage = app
        .get_ok(
            &format!("/v1/audit?campaign={}&limit=50", campaign.id),
            &staff,
        )
        .await;
    let actions: Vec<_> = page.items.iter().map(|entry| entry.action).collect();
    use engage_core::AuditAction::*;
    for expected in [CredentialsCopied, SecretRotated, CredentialsRevoked] {
        assert!(actions.contains(&expected), "{expected:?} in {actions:?}");
    }
    let revocation = page
        .items
        .iter()
        .find(|entry| entry.action == CredentialsRevoked)
        .unwrap();
    assert_eq!(revocation.target.as_deref(), Some(campaign.name.as_str()));
    assert_eq!(
        revocation.before.as_ref().unwrap()["client_id"],
        before.client_id.as_str()
    );
    assert_eq!(
        revocation.after.as_ref().unwrap()["client_id"],
        revoked.client_id.as_str()
    );
    assert_ne!(revoked.client_id, before.client_id);
}
