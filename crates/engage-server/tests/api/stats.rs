//! Campaign statistics (issue 12) on both backends: counters kept by the message writer,
//! read by `GET /v1/campaigns/{id}/stats` and `GET /v1/stats`, cut in the caller's time
//! zone; test messages left out; delivered / read / failed at WhatsApp's timestamps (signed
//! status webhooks for the sandbox's messages); the campaign list's 7-day activity.

use engage_core::wire::{
    CampaignIntegration, CampaignList, CampaignStatsResponse, MessageStatus, SendAccepted,
    WorkspaceStatsResponse,
};
use reqwest::StatusCode;
use serde_json::{json, Value};
use time::macros::datetime;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::helpers::{assert_error, body_for, encode, spawn_app_configured, TestApp};

const SECRET: &str = "stats-app-secret";

async fn app() -> TestApp {
    spawn_app_configured(|config| config.whatsapp.app_secret = Some(SECRET.into())).await
}

/// Sends one message per number with `token` and waits until the sandbox delivered each
/// (numbers ending in 0002: the sandbox never reads them, the tests' webhooks do).
async fn send_delivered(
    app: &TestApp,
    token: &str,
    staff: &str,
    campaign: Uuid,
    template: &engage_core::wire::Template,
    numbers: &[&str],
) -> Vec<Uuid> {
    let mut ids = Vec::new();
    for to in numbers {
        let response = app.send(token, campaign, &body_for(template, to)).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let accepted: SendAccepted = response.json().await.unwrap();
        app.wait_for_message(staff, accepted.id, |status| {
            status == MessageStatus::Delivered
        })
        .await;
        ids.push(accepted.id);
    }
    ids
}

/// A signed status webhook for a sandbox message, at `at` by WhatsApp's clock.
async fn status_webhook(app: &TestApp, message: Uuid, status: &str, at: OffsetDateTime) {
    let mut item = json!({"id": format!("sandbox-{message}"), "status": status,
        "timestamp": at.unix_timestamp().to_string(), "recipient_id": "5511987650001"});
    if status == "failed" {
        item["errors"] = json!([{"code": 131026, "title": "Message undeliverable"}]);
    }
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1",
        "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp",
            "metadata": {"phone_number_id": "1"}, "statuses": [item]}}]}]});
    let bytes = serde_json::to_vec(&body).unwrap();
    let response = app
        .client
        .post(app.url("/webhooks/whatsapp"))
        .header("content-type", "application/json")
        .header(
            "x-hub-signature-256",
            engage_server::whatsapp::webhook::sign(SECRET.as_bytes(), &bytes),
        )
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let outcome: Value = response.json().await.unwrap();
    assert_eq!(outcome["applied"], 1, "{outcome}");
}

fn rfc3339(at: OffsetDateTime) -> String {
    encode(
        &at.format(&time::format_description::well_known::Rfc3339)
            .unwrap(),
    )
}

async fn campaign_stats(
    app: &TestApp,
    token: &str,
    campaign: Uuid,
    query: &str,
) -> CampaignStatsResponse {
    app.get_ok(&format!("/v1/campaigns/{campaign}/stats?{query}"), token)
        .await
}

#[tokio::test]
async fn stats_count_live_messages_by_status_and_leave_test_messages_out() {
    let app = app().await;
    let staff = app.staff_token().await;
    let (campaign, template) = app.new_campaign().await;
    let live: CampaignIntegration = app
        .get_ok(
            &format!("/v1/campaigns/{}/integration?mode=live", campaign.id),
            &staff,
        )
        .await;
    let test: CampaignIntegration = app
        .get_ok(
            &format!("/v1/campaigns/{}/integration?mode=test", campaign.id),
            &staff,
        )
        .await;
    let live_token = app
        .oauth_token_for(&live.client_id, &live.client_secret)
        .await;
    let test_token = app
        .oauth_token_for(&test.client_id, &test.client_secret)
        .await;
    // Sandbox test numbers ending in 0002: delivered, never read by the sandbox itself.
    let numbers = ["+5511987610002", "+5511987620002", "+5511987630002"];
    let sent = send_delivered(&app, &live_token, &staff, campaign.id, &template, &numbers).await;
    send_delivered(
        &app,
        &test_token,
        &staff,
        campaign.id,
        &template,
        &numbers[..2],
    )
    .await;
    // One read and one failed after delivery, by WhatsApp's clock a minute ago.
    let a_minute_ago = OffsetDateTime::now_utc() - time::Duration::minutes(1);
    status_webhook(&app, sent[0], "read", a_minute_ago).await;
    status_webhook(&app, sent[1], "failed", a_minute_ago).await;

    let stats = campaign_stats(&app, &staff, campaign.id, "").await.stats;
    assert_eq!(stats.campaign_name, campaign.name);
    assert_eq!(
        (
            stats.totals.accepted,
            stats.totals.sent,
            stats.totals.delivered,
            stats.totals.read,
            stats.totals.failed
        ),
        (3, 3, 3, 1, 1),
        "only the live messages count"
    );
    assert_eq!(stats.delivery_rate, Some(1.0));
    assert_eq!(stats.read_rate, Some(1.0 / 3.0));
    assert_eq!(stats.failures.len(), 1);
    assert_eq!(stats.failures[0].code, "whatsapp_131026");
    assert_eq!(stats.failures[0].meta_code, Some(131026));
    assert_eq!(stats.failures[0].count, 1);
    // The default period: the last 7 days by day in UTC, every day listed.
    assert!(
        (7..=8).contains(&stats.series.len()),
        "{}",
        stats.series.len()
    );
    let in_series: u64 = stats.series.iter().map(|point| point.counts.sent).sum();
    assert_eq!(in_series, 3);

    let workspace: WorkspaceStatsResponse = app.get_ok("/v1/stats", &staff).await;
    let ours = workspace
        .campaigns
        .iter()
        .find(|c| c.campaign_id == campaign.id)
        .expect("the campaign is in the workspace's stats");
    assert_eq!(ours.totals, stats.totals);

    let (quiet, _) = app.new_campaign().await;
    let list: CampaignList = app.get_ok("/v1/campaigns", &staff).await;
    let row = list.items.iter().find(|c| c.id == campaign.id).unwrap();
    assert_eq!(row.sent_last_7_days, 3);
    let last = row.last_sent_at.expect("last sent");
    assert!(OffsetDateTime::now_utc() - last < time::Duration::minutes(5));
    let other = list.items.iter().find(|c| c.id == quiet.id).unwrap();
    assert_eq!((other.sent_last_7_days, other.last_sent_at), (0, None));
}

#[tokio::test]
async fn stats_buckets_follow_the_callers_time_zone_at_whatsapps_times() {
    let app = app().await;
    let staff = app.staff_token().await;
    let token = app.client_token().await;
    let (campaign, template) = app.new_campaign().await;
    let ids = send_delivered(
        &app,
        &token,
        &staff,
        campaign.id,
        &template,
        &["+5511987640002", "+5511987650002"],
    )
    .await;
    // Three days ago (`day`), read at 02:59 and 03:00 UTC: 23:59 the day before and
    // midnight in São Paulo (UTC-3, no summer time), the same day in UTC.
    let day = (OffsetDateTime::now_utc() - time::Duration::days(3)).date();
    let utc = |hour, minute| day.with_hms(hour, minute, 0).unwrap().assume_utc();
    let sao_paulo = |date: time::Date| date.midnight().assume_offset(time::macros::offset!(-3));
    status_webhook(&app, ids[0], "read", utc(2, 59)).await;
    status_webhook(&app, ids[1], "read", utc(3, 0)).await;

    let before = day.previous_day().unwrap();
    let after = day.next_day().unwrap();
    let local = campaign_stats(
        &app,
        &staff,
        campaign.id,
        &format!(
            "from={}&to={}&bucket=day&tz=America/Sao_Paulo",
            rfc3339(sao_paulo(before)),
            rfc3339(sao_paulo(after))
        ),
    )
    .await;
    assert_eq!(local.period.tz, "America/Sao_Paulo");
    let days: Vec<(OffsetDateTime, u64)> = local
        .stats
        .series
        .iter()
        .map(|point| (point.start, point.counts.read))
        .collect();
    assert_eq!(days, vec![(sao_paulo(before), 1), (sao_paulo(day), 1)]);
    assert_eq!(
        local.stats.series[0].start.offset(),
        time::macros::offset!(-3),
        "bucket starts carry the zone's offset"
    );
    assert_eq!(local.stats.totals.read, 2);
    // Accepted, sent and delivered happened now, outside this period.
    assert_eq!(local.stats.totals.sent, 0);

    let in_utc = campaign_stats(
        &app,
        &staff,
        campaign.id,
        &format!(
            "from={}&to={}&bucket=hour&tz=UTC",
            rfc3339(utc(2, 0)),
            rfc3339(utc(4, 0))
        ),
    )
    .await;
    let hours: Vec<u64> = in_utc.stats.series.iter().map(|p| p.counts.read).collect();
    assert_eq!(hours, vec![1, 1], "02:59 and 03:00 are in different hours");

    // `to` is excluded: the period ending at 03:00 UTC holds only the first read.
    let before = campaign_stats(
        &app,
        &staff,
        campaign.id,
        &format!(
            "from={}&to={}&bucket=hour&tz=UTC",
            rfc3339(utc(2, 0)),
            rfc3339(utc(3, 0))
        ),
    )
    .await;
    assert_eq!(before.stats.totals.read, 1);
    assert_eq!(before.stats.series.len(), 1);
}

#[tokio::test]
async fn stats_refuse_unknown_zones_empty_or_long_periods_and_other_workspaces_campaigns() {
    let app = app().await;
    let staff = app.staff_token().await;
    let (campaign, _) = app.new_campaign().await;
    let path = |query: &str| format!("/v1/campaigns/{}/stats?{query}", campaign.id);
    assert_error(
        app.get(&path("tz=Mars/Olympus_Mons"), &staff).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_time_zone",
        Some("tz"),
    )
    .await;
    let at = rfc3339(datetime!(2026-12-01 00:00 UTC));
    assert_error(
        app.get(&path(&format!("from={at}&to={at}")), &staff).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_period",
        Some("from"),
    )
    .await;
    let long = rfc3339(datetime!(2027-01-15 00:00 UTC));
    assert_error(
        app.get(&path(&format!("from={at}&to={long}&bucket=hour")), &staff)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "period_too_long",
        Some("to"),
    )
    .await;
    assert_error(
        app.get(&path("from=yesterday"), &staff).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_query",
        None,
    )
    .await;
    assert_error(
        app.get(&format!("/v1/campaigns/{}/stats", Uuid::new_v4()), &staff)
            .await,
        StatusCode::NOT_FOUND,
        "campaign_not_found",
        None,
    )
    .await;
}

#[tokio::test]
async fn sandbox_test_numbers_fail_stay_delivered_or_get_read_and_the_stats_show_it() {
    let app = app().await;
    let staff = app.staff_token().await;
    let token = app.client_token().await;
    let (campaign, template) = app.new_campaign().await;
    let mut ids = Vec::new();
    for to in ["+5511987650001", "+5511987650002", "+5511987650123"] {
        let response = app
            .send(&token, campaign.id, &body_for(&template, to))
            .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        ids.push(response.json::<SendAccepted>().await.unwrap().id);
    }
    let failed = app
        .wait_for_message(&staff, ids[0], |s| s == MessageStatus::Failed)
        .await;
    let error = failed.error.expect("the failure's code");
    assert_eq!(error.code, "whatsapp_131026");
    assert!(
        failed.sent_at.is_some(),
        "sent first, failed a moment later"
    );
    let read = app
        .wait_for_message(&staff, ids[2], |s| s == MessageStatus::Read)
        .await;
    assert!(read.read_at.unwrap() > read.delivered_at.unwrap());
    // By now the other two have had their later status; 0002 is still only delivered.
    let kept = app
        .wait_for_message(&staff, ids[1], |s| s != MessageStatus::Queued)
        .await;
    assert_eq!(kept.status, MessageStatus::Delivered);

    let stats = campaign_stats(&app, &staff, campaign.id, "").await.stats;
    assert_eq!(
        (
            stats.totals.sent,
            stats.totals.delivered,
            stats.totals.read,
            stats.totals.failed
        ),
        (3, 2, 1, 1)
    );
    assert_eq!(stats.failures[0].meta_code, Some(131026));
}
