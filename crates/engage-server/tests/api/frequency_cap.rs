//! The frequency cap (issue 12 §5) on both backends: "at most N messages to the same person
//! every T", set at creation or later (audited), refused over it with 422 `frequency_capped`
//! naming `to` and when the next send is allowed (`retry_at`, `Retry-After`); a batch keeps
//! the other recipients; concurrent sends to one number (also through two server instances on
//! PostgreSQL) never exceed the cap; staff test sends are not capped.

use engage_core::wire::{ApiErrorBody, AuditPage, BatchSendResponse, Campaign, Template};
use reqwest::StatusCode;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::helpers::{
    assert_error, body_for, execute_sql, on_postgres, spawn_app, valid_variables, TestApp,
};

/// A new campaign on a positional template with `cap` (JSON, or null).
async fn capped_campaign(app: &TestApp, staff: &str, cap: Value) -> (Campaign, Template) {
    let template = app.positional_template(staff).await;
    let sender = app.active_sender(staff).await;
    let resp = app
        .post_json(
            "/v1/campaigns",
            staff,
            &json!({"name": format!("Limitada {}", uuid::Uuid::new_v4()), "type": "recurrent",
                    "sender_id": sender.id, "template_id": template.id, "frequency_cap": cap}),
        )
        .await;
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    (serde_json::from_str(&text).unwrap(), template)
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

#[tokio::test]
async fn a_cap_of_one_per_day_refuses_the_second_send_naming_the_field_and_the_next_allowed_time() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let token = app.client_token().await;
    let cap = json!({"max_messages": 1, "period": 24, "unit": "hours"});
    let (campaign, template) = capped_campaign(&app, &staff, cap.clone()).await;
    assert_eq!(serde_json::to_value(campaign.frequency_cap).unwrap(), cap);

    let before_first = now();
    let first = app
        .send(&token, campaign.id, &body_for(&template, "+5511987651001"))
        .await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let second = app
        .send(
            &token,
            campaign.id,
            &body_for(&template, "+55 11 98765-1001"),
        )
        .await;
    let retry_after: u64 = second
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .expect("a refusal by the cap carries Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (86_000..=86_400).contains(&retry_after),
        "about a day: {retry_after}"
    );
    let error = assert_error(
        second,
        StatusCode::UNPROCESSABLE_ENTITY,
        "frequency_capped",
        Some("to"),
    )
    .await;
    let retry_at = error
        .retry_at
        .expect("the body says when the next send is allowed");
    let day = time::Duration::hours(24);
    assert!(
        retry_at >= before_first + day - time::Duration::seconds(1) && retry_at <= now() + day,
        "a day after the first send: {retry_at}"
    );

    // Another number, and the staff member's test to their own phone, are not capped.
    let other = app
        .send(&token, campaign.id, &body_for(&template, "+5511987651002"))
        .await;
    assert_eq!(other.status(), StatusCode::ACCEPTED);
    let test = app
        .post_json(
            &format!("/v1/campaigns/{}/test-message", campaign.id),
            &staff,
            &body_for(&template, "+5511987651001"),
        )
        .await;
    assert_eq!(test.status(), StatusCode::ACCEPTED);
    let messages = app.campaign_messages(&staff, campaign.id).await;
    let to_capped: Vec<_> = messages
        .iter()
        .filter(|m| m.to == "+5511987651001")
        .collect();
    assert_eq!(
        to_capped.len(),
        2,
        "the first live message and the staff test; nothing for the refused send"
    );
}

#[tokio::test]
async fn a_batch_accepts_the_other_recipients_and_lists_the_capped_ones_also_when_replayed() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let token = app.client_token().await;
    let (campaign, template) = capped_campaign(
        &app,
        &staff,
        json!({"max_messages": 1, "period": 1, "unit": "days"}),
    )
    .await;
    let variables = valid_variables(&template);
    let batch = json!({"messages": [
        {"to": "+5511987652001", "variables": variables},
        {"to": "+5511987652002", "variables": variables},
        {"to": "+5511987652001", "variables": variables}]});
    let resp = app.send(&token, campaign.id, &batch).await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let answer: BatchSendResponse = resp.json().await.unwrap();
    assert_eq!((answer.accepted, answer.rejected), (2, 1));
    let refused = answer.results[2]
        .error
        .as_ref()
        .expect("the repeat is refused");
    assert_eq!(refused.code, "frequency_capped");
    assert_eq!(refused.field.as_deref(), Some("messages[2].to"));
    assert!(refused.retry_at.is_some());
    assert!(answer.results[2].id.is_none());

    // A keyed batch: the key replays the answer with the refusal, and creates nothing again.
    let keyed = json!({"messages": [
        {"to": "+5511987652002", "variables": variables},
        {"to": "+5511987652003", "variables": variables}]});
    let send_keyed = || {
        app.client
            .post(app.url(&format!("/v1/campaigns/{}/messages", campaign.id)))
            .bearer_auth(&token)
            .header("idempotency-key", "cap-batch-1")
            .json(&keyed)
            .send()
    };
    let first: BatchSendResponse = send_keyed().await.unwrap().json().await.unwrap();
    assert_eq!((first.accepted, first.rejected), (1, 1));
    assert_eq!(
        first.results[0].error.as_ref().map(|e| e.code.as_str()),
        Some("frequency_capped")
    );
    let replay = send_keyed().await.unwrap();
    assert_eq!(replay.headers().get("idempotent-replayed").unwrap(), "true");
    let replayed: BatchSendResponse = replay.json().await.unwrap();
    assert_eq!(replayed, first);

    let mut queued: Vec<String> = app
        .campaign_messages(&staff, campaign.id)
        .await
        .into_iter()
        .map(|m| m.to)
        .collect();
    queued.sort();
    assert_eq!(
        queued,
        ["+5511987652001", "+5511987652002", "+5511987652003"],
        "one message per number, nothing for the refused items"
    );
}

#[tokio::test]
async fn twenty_concurrent_sends_to_one_number_with_a_cap_of_three_accept_exactly_three() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let token = app.client_token().await;
    let (campaign, template) = capped_campaign(
        &app,
        &staff,
        json!({"max_messages": 3, "period": 1, "unit": "hours"}),
    )
    .await;
    // On PostgreSQL, half the requests go through a second server instance on the same
    // database (its own message writer).
    let second = if on_postgres() {
        Some(
            engage_server::start(engage_server::ServerConfig {
                listen: "127.0.0.1:0".parse().unwrap(),
                ..engage_server::ServerConfig::new(
                    app.database_url.clone(),
                    engage_server::SecretKeySource::Env(app.secret_key_b64.clone()),
                )
            })
            .await
            .expect("a second instance starts"),
        )
    } else {
        None
    };
    let bases: Vec<String> = std::iter::once(app.base_url.clone())
        .chain(second.as_ref().map(|s| s.base_url()))
        .collect();
    let body = body_for(&template, "+5511987653001");
    let mut sends = tokio::task::JoinSet::new();
    for i in 0..20 {
        let url = format!(
            "{}/v1/campaigns/{}/messages",
            bases[i % bases.len()],
            campaign.id
        );
        let (client, token, body) = (app.client.clone(), token.clone(), body.clone());
        sends.spawn(async move {
            // As a client would, a 503 (the suite's other tests can keep the database busy
            // past the pool's wait) is sent again after a moment.
            for _ in 0..20 {
                let resp = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = resp.status();
                if status != StatusCode::SERVICE_UNAVAILABLE {
                    return (status, resp.text().await.unwrap());
                }
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
            panic!("the database stayed unavailable");
        });
    }
    let answers = sends.join_all().await;
    let accepted = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::ACCEPTED)
        .count();
    assert_eq!(accepted, 3, "{answers:?}");
    for (status, text) in answers.iter().filter(|(s, _)| *s != StatusCode::ACCEPTED) {
        assert_eq!(*status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
        let body: ApiErrorBody = serde_json::from_str(text).unwrap();
        assert_eq!(body.error.code, "frequency_capped");
    }
    assert_eq!(app.campaign_messages(&staff, campaign.id).await.len(), 3);
    if let Some(second) = second {
        second.shutdown().await;
    }
}

#[tokio::test]
async fn after_the_period_passes_a_send_to_the_number_is_allowed_again() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let token = app.client_token().await;
    let (campaign, template) = capped_campaign(
        &app,
        &staff,
        json!({"max_messages": 1, "period": 1, "unit": "minutes"}),
    )
    .await;
    let body = body_for(&template, "+5511987654001");
    assert_eq!(
        app.send(&token, campaign.id, &body).await.status(),
        StatusCode::ACCEPTED
    );
    let refused = assert_error(
        app.send(&token, campaign.id, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "frequency_capped",
        Some("to"),
    )
    .await;
    // The minute passes: the recorded send time moves a minute and a second into the past
    // (the test cannot sleep through the period).
    let first_ms = (refused.retry_at.unwrap().unix_timestamp_nanos() / 1_000_000) as i64 - 60_000;
    let moved = execute_sql(
        &app.database_url,
        &format!(
            "UPDATE frequency_cap_sends SET sends = '[{}]' WHERE campaign_id = '{}'",
            first_ms - 61_000,
            campaign.id
        ),
    )
    .await;
    assert_eq!(moved, 1, "one recipient row");
    assert_eq!(
        app.send(&token, campaign.id, &body).await.status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(app.campaign_messages(&staff, campaign.id).await.len(), 2);
}

#[tokio::test]
async fn the_cap_can_be_set_later_changed_and_cleared_each_change_audited_with_before_and_after() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let token = app.client_token().await;
    let (campaign, template) = app.new_campaign().await;
    assert!(campaign.frequency_cap.is_none());
    let path = format!("/v1/campaigns/{}", campaign.id);
    let cap = json!({"max_messages": 1, "period": 7, "unit": "days"});
    let resp = app
        .patch_json(&path, &staff, &json!({"frequency_cap": cap}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let updated: Campaign = resp.json().await.unwrap();
    assert_eq!(serde_json::to_value(updated.frequency_cap).unwrap(), cap);
    assert_eq!(updated.name, campaign.name, "nothing else changes");

    let body = body_for(&template, "+5511987655001");
    assert_eq!(
        app.send(&token, campaign.id, &body).await.status(),
        StatusCode::ACCEPTED
    );
    assert_error(
        app.send(&token, campaign.id, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "frequency_capped",
        Some("to"),
    )
    .await;

    // A rename leaves the cap as it is; null clears it.
    let renamed: Campaign = app
        .patch_json(
            &path,
            &staff,
            &json!({"name": format!("{} 2", campaign.name)}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(renamed.frequency_cap).unwrap(), cap);
    let cleared: Campaign = app
        .patch_json(&path, &staff, &json!({"frequency_cap": null}))
        .await
        .json()
        .await
        .unwrap();
    assert!(cleared.frequency_cap.is_none());
    let fetched: Campaign = app.get_ok(&path, &staff).await;
    assert!(fetched.frequency_cap.is_none());
    assert_eq!(
        app.send(&token, campaign.id, &body).await.status(),
        StatusCode::ACCEPTED,
        "without a cap the number receives again"
    );

    let audit: AuditPage = app
        .get_ok("/v1/audit?action=campaign_frequency_cap_changed", &staff)
        .await;
    assert_eq!(
        audit.items.len(),
        2,
        "set, then cleared (the rename is not a cap change)"
    );
    let (cleared_entry, set_entry) = (&audit.items[0], &audit.items[1]);
    assert_eq!(set_entry.campaign_id, Some(campaign.id));
    assert_eq!(set_entry.before, Some(json!({"frequency_cap": null})));
    assert_eq!(set_entry.after, Some(json!({"frequency_cap": cap})));
    assert_eq!(cleared_entry.before, Some(json!({"frequency_cap": cap})));
    assert_eq!(cleared_entry.after, Some(json!({"frequency_cap": null})));
}

#[tokio::test]
async fn caps_out_of_bounds_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let template = app.positional_template(&staff).await;
    let sender = app.active_sender(&staff).await;
    let create = |cap: Value| {
        let body = json!({"name": "Fora dos limites", "type": "recurrent", "sender_id": sender.id,
                          "template_id": template.id, "frequency_cap": cap});
        let (app, staff) = (&app, &staff);
        async move { app.post_json("/v1/campaigns", staff, &body).await }
    };
    for (cap, field) in [
        (
            json!({"max_messages": 0, "period": 1, "unit": "days"}),
            "frequency_cap.max_messages",
        ),
        (
            json!({"max_messages": 1001, "period": 1, "unit": "days"}),
            "frequency_cap.max_messages",
        ),
        (
            json!({"max_messages": 1, "period": 0, "unit": "hours"}),
            "frequency_cap.period",
        ),
        (
            json!({"max_messages": 1, "period": 31, "unit": "days"}),
            "frequency_cap.period",
        ),
        (
            json!({"max_messages": 1, "period": 43_201, "unit": "minutes"}),
            "frequency_cap.period",
        ),
    ] {
        assert_error(
            create(cap).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_frequency_cap",
            Some(field),
        )
        .await;
    }
    let resp = create(json!({"max_messages": 1, "period": 2, "unit": "weeks"})).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (campaign, _) = app.new_campaign().await;
    assert_error(
        app.patch_json(
            &format!("/v1/campaigns/{}", campaign.id),
            &staff,
            &json!({"frequency_cap": {"max_messages": 2, "period": 721, "unit": "hours"}}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_frequency_cap",
        Some("frequency_cap.period"),
    )
    .await;
    let unchanged: Campaign = app
        .get_ok(&format!("/v1/campaigns/{}", campaign.id), &staff)
        .await;
    assert!(unchanged.frequency_cap.is_none());
}
