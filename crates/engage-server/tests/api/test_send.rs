//! "Send a test to my phone" (issue 12): `POST /v1/campaigns/{id}/test-message` with a staff
//! token — the message goes out through the campaign's sender marked as a test, is left out
//! of the statistics, and is refused in plain words when the campaign cannot send.

use engage_core::wire::{CampaignStatsResponse, MessageStatus, SendAccepted};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, body_for, spawn_app};

#[tokio::test]
async fn a_test_send_reaches_the_number_marked_as_a_test_and_stays_out_of_the_stats() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let (campaign, template) = app.new_campaign().await;
    let path = format!("/v1/campaigns/{}/test-message", campaign.id);
    let response = app
        .post_json(&path, &staff, &body_for(&template, "+5511987650002"))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let accepted: SendAccepted = response.json().await.unwrap();
    let message = app
        .wait_for_message(&staff, accepted.id, |s| s == MessageStatus::Delivered)
        .await;
    assert!(message.test, "marked as a test");
    assert_eq!(message.to, "+5511987650002");
    let listed = app.campaign_messages(&staff, campaign.id).await;
    assert!(listed.iter().any(|m| m.id == accepted.id && m.test));
    let stats: CampaignStatsResponse = app
        .get_ok(&format!("/v1/campaigns/{}/stats", campaign.id), &staff)
        .await;
    assert_eq!(stats.stats.totals.accepted, 0, "tests are left out");
    assert_eq!(stats.stats.totals.delivered, 0);
}

#[tokio::test]
async fn a_test_send_is_refused_for_an_inactive_campaign_or_a_wrong_number() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let (campaign, template) = app.new_campaign().await;
    let path = format!("/v1/campaigns/{}/test-message", campaign.id);
    assert_error(
        app.post_json(&path, &staff, &body_for(&template, "12"))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_phone_number",
        Some("to"),
    )
    .await;
    let deactivated = app
        .patch_json(
            &format!("/v1/campaigns/{}", campaign.id),
            &staff,
            &json!({"status": "inactive"}),
        )
        .await;
    assert_eq!(deactivated.status(), StatusCode::OK);
    assert_error(
        app.post_json(&path, &staff, &body_for(&template, "+5511987650002"))
            .await,
        StatusCode::CONFLICT,
        "campaign_inactive",
        None,
    )
    .await;
    assert!(app.campaign_messages(&staff, campaign.id).await.is_empty());
}
