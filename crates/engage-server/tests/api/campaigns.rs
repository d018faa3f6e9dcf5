//! Campaigns: creation rules, unique names, listing, renaming, status, integration data.

use std::sync::Arc;

use engage_core::wire::{
    Campaign, CampaignIntegration, CampaignList, CampaignStatus, CampaignType, NameAvailability,
    SenderStatus, TemplateStatus,
};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{assert_error, encode, spawn_app};

#[tokio::test]
async fn creating_a_campaign_is_201_with_the_campaign() {
    let app = spawn_app().await;
    let token = app.staff_token().await;
    let sender = app.active_sender(&token).await;
    let template = app.positional_template(&token).await;
    let resp = app
        .create_campaign_raw(&token, "  Recarga pré-paga  ", sender.id, template.id)
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let campaign: Campaign = resp.json().await.unwrap();
    assert_eq!(campaign.name, "Recarga pré-paga", "stored trimmed");
    assert_eq!(campaign.campaign_type, CampaignType::Recurrent);
    assert_eq!(campaign.status, CampaignStatus::Active);
    assert_eq!(campaign.sender.id, sender.id);
    assert_eq!(campaign.template.id, template.id);
    assert_eq!(campaign.template.variables, template.variables);

    let fetched: Campaign = app
        .get_ok(&format!("/v1/campaigns/{}", campaign.id), &token)
        .await;
    assert_eq!(fetched.id, campaign.id);
    assert_eq!(fetched.name, campaign.name);
}

#[tokio::test]
async fn a_duplicate_name_after_trim_case_and_width_folding_is_409_campaign_name_taken() {
    let app = spawn_app().await;
    let token = app.staff_token().await;
    let sender = app.active_sender(&token).await;
    let template = app.positional_template(&token).await;
    let resp = app
        .create_campaign_raw(&token, "Saldo Baixo", sender.id, template.id)
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    for duplicate in [
        "Saldo Baixo",
        "  saldo baixo ",
        "SALDO BAIXO",
        "Ｓａｌｄｏ　Ｂａｉｘｏ", // full-width letters and ideographic space (NFKC)
    ] {
        let resp = app
            .create_campaign_raw(&token, duplicate, sender.id, template.id)
            .await;
        assert_error(
            resp,
            StatusCode::CONFLICT,
            "campaign_name_taken",
            Some("name"),
        )
        .await;
    }
    let list: CampaignList = app.get_ok("/v1/campaigns", &token).await;
    assert_eq!(list.items.len(), 1);
}

#[tokio::test]
async fn leading_and_trailing_tabs_and_newlines_are_trimmed_like_spaces() {
    let app = spawn_app().await;
    let token = app.staff_token().await;
    let sender = app.active_sender(&token).await;
    let template = app.positional_template(&token).await;
    let resp = app
        .create_campaign_raw(&token, "\tAniversário\n", sender.id, template.id)
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let campaign: Campaign = resp.json().await.unwrap();
    assert_eq!(campaign.name, "Aniversário");
    let resp = app
        .create_campaign_raw(&token, "\r\n ANIVERSÁRIO\t", sender.id, template.id)
        .await;
    assert_error(
        resp,
        StatusCode::CONFLICT,
        "campaign_name_taken",
        Some("name"),
    )
    .await;
    // A control character inside the name is refused.
    let resp = app
        .create_campaign_raw(&token, "Aniver\u{7}sário", sender.id, template.id)
        .await;
    assert_error(
        resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "campaign_name_invalid",
        Some("name"),
    )
    .await;
}

#[tokio::test]
async fn accents_are_not_folded_away_so_different_words_stay_different_names() {
    let app = spawn_app().await;
    let token = app.staff_token().await;
    let sender = app.active_sender(&token).await;
    let template = app.positional_template(&token).await;
    for name in ["Pão", "Pao"] {
        let resp = app
            .create_campaign_raw(&token, name, sender.id, template.id)
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "{name}");
    }
    // Composed and decomposed forms of the same word are the same name (NFKC).
    let decomposed = "Pa\u{0303}o";
    let resp = app
        .create_campaign_raw(&token, decomposed, sender.id, template.id)
        .await;
    assert_error(
        resp,
        StatusCode::CONFLICT,
        "campaign_name_taken",
        Some("name"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_creates_of_the_same_name_make_exactly_one_campaign() {
    let app = Arc::new(spawn_app().await);
    let token = app.staff_token().await;
    let sender = app.active_sender(&token).await;
    let template = app.positional_template(&token).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let app = Arc::clone(&app);
        let token = token.clone();
        let name = match i % 4 {
            0 => "Carrinho Abandonado".to_string(),
            1 => "carrinho abandonado".to_string(),
            2 => " CARRINHO ABANDONADO ".to_string(),
            _ => "Carrinho ABANDONADO".to_string(),
        };
        tasks.push(tokio::spawn(async move {
            let resp = app
                .create_campaign_raw(&token, &name, sender.id, template.id)
                .await;
            let status = resp.status();
            let body: serde_json::Value = resp.json().await.unwrap();
            (status, body)
        }));
    }
    let mut created = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {
                assert_eq!(body["error"]["code"], "campaign_name_taken", "{body}");
                assert_eq!(body["error"]["field"], "name", "{body}");
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(created, 1, "exactly one create wins");
    let list: CampaignList = app.get_ok("/v1/campaigns", &token).await;
    assert_eq!(list.items.len(), 1);
}

#[tokio::test]
async fn an_empty_name_is_refused_with_its_code_and_field() {
    let app = spawn_app().await;
    let token = app.staff_token().await;
    let sender = app.active_sender(&token).await;
    let template = app.positional_template(&token).await;
    let resp = app
        .create_campaign_raw(&token, "   ", sender.id, template.id)
        .await;
    assert_error(
        resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "campaign_name_required",
        Some("name"),
    )
    .await;
}

#[tokio::test]
async fn an_inactive_sender_is_refused() {
    let app = spawn_app().await;
    let token = app.staff_token().await;
    let inactive = app
        .senders(&token, true)
        .await
        .into_iter()
        .find(|s| s.status == SenderStatus::Inactive)
        .expect("an inactive demo sender");
    let template = app.positional_template(&token).await;
    let resp = app
        .create_campaign_raw(&token, "Com remetente inativo", inactive.id, template.id)
        .await;
    assert_error(
        resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sender_inactive",
        Some("sender_id"),
    )
    .await;
}

#[tokio::test]
async fn a_template_that_is_not_approved_is_refused() {
    let app = spawn_app().await;
    let token = app.staff_token().await;
    let sender = app.active_sender(&token).await;
    let all = app.templates(&token, true).await;
    for status in [TemplateStatus::Pending, TemplateStatus::Rejected] {
        let template = all
            .iter()
            .find(|t| t.status == status)
            .expect("demo template in that status");
        let resp = app
            .create_campaign_raw(
                &token,
                &format!("Modelo {status:?}"),
                sender.id,
                template.id,
            )
            .await;
        assert_error(
            resp,
            StatusCode::UNPROCESSABLE_ENTITY,
            "template_not_approved",
            Some("template_id"),
        )
        .await;
    }
}

#[tokio::test]
async fn unknown_sender_or_template_ids_are_refused_with_their_field() {
    let app = spawn_app().await;
    let token = app.staff_token().await;
    let sender = app.active_sender(&token).await;
    let template = app.positional_template(&token).await;
    let resp = app
        .create_campaign_raw(&token, "Sem remetente", Uuid::new_v4(), template.id)
        .await;
    assert_error(
        resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "sender_not_found",
        Some("sender_id"),
    )
    .await;
    let resp = app
        .create_campaign_raw(&token, "Sem modelo", sender.id, Uuid::new_v4())
        .await;
    assert_error(
        resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "template_not_found",
        Some("template_id"),
    )
    .await;
}

#[tokio::test]
async fn name_availability_agrees_with_creation() {
    let app = spawn_app().await;
    let token = app.staff_token().await;
    let check = |name: &str| {
        let path = format!("/v1/campaigns/name-availability?name={}", encode(name));
        let app = &app;
        let token = token.clone();
        async move { app.get_ok::<NameAvailability>(&path, &token).await }
    };
    let free = check("Lembrete de vencimento").await;
    assert!(free.available);
    assert!(free.error.is_none());

    let campaign_template = app.positional_template(&token).await;
    let sender = app.active_sender(&token).await;
    let resp = app
        .create_campaign_raw(
            &token,
            "Lembrete de vencimento",
            sender.id,
            campaign_template.id,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    let taken = check("  LEMBRETE DE VENCIMENTO ").await;
    assert!(!taken.available);
    let error = taken.error.expect("says why");
    assert_eq!(error.code, "campaign_name_taken");
    assert_eq!(error.field.as_deref(), Some("name"));

    let empty = check("   ").await;
    assert!(!empty.available);
    assert_eq!(
        empty.error.expect("says why").code,
        "campaign_name_required"
    );
}

#[tokio::test]
async fn campaigns_are_filtered_by_text_and_type() {
    let app = spawn_app().await;
    let token = app.staff_token().await;
    let sender = app.active_sender(&token).await;
    let template = app.positional_template(&token).await;
    for name in [
        "Recarga pré-paga",
        "Carrinho abandonado",
        "Recarga pós-paga",
    ] {
        let resp = app
            .create_campaign_raw(&token, name, sender.id, template.id)
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    let list: CampaignList = app
        .get_ok(&format!("/v1/campaigns?q={}", encode("recarga")), &token)
        .await;
    let mut names: Vec<_> = list.items.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["Recarga pré-paga", "Recarga pós-paga"]);

    let list: CampaignList = app
        .get_ok(
            &format!("/v1/campaigns?type=recurrent&q={}", encode("CARRINHO")),
            &token,
        )
        .await;
    assert_eq!(list.items.len(), 1);
    assert_eq!(list.items[0].name, "Carrinho abandonado");

    let list: CampaignList = app.get_ok("/v1/campaigns?type=recurrent", &token).await;
    assert_eq!(list.items.len(), 3);

    let list: CampaignList = app
        .get_ok(
            &format!("/v1/campaigns?q={}", encode("inexistente")),
            &token,
        )
        .await;
    assert!(list.items.is_empty());
}

#[tokio::test]
async fn patch_renames_and_changes_status_and_keeps_names_unique() {
    let app = spawn_app().await;
    let token = app.staff_token().await;
    let sender = app.active_sender(&token).await;
    let template = app.positional_template(&token).await;
    let first: Campaign = app
        .create_campaign_raw(&token, "Primeira", sender.id, template.id)
        .await
        .json()
        .await
        .unwrap();
    let second: Campaign = app
        .create_campaign_raw(&token, "Segunda", sender.id, template.id)
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/v1/campaigns/{}", first.id);

    let resp = app
        .patch_json(&path, &token, &json!({"name": " Renomeada "}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let renamed: Campaign = resp.json().await.unwrap();
    assert_eq!(renamed.name, "Renomeada");
    // The old name is free again.
    let free: NameAvailability = app
        .get_ok("/v1/campaigns/name-availability?name=Primeira", &token)
        .await;
    assert!(free.available);

    // Renaming onto another campaign's name is refused.
    let resp = app
        .patch_json(&path, &token, &json!({"name": "SEGUNDA"}))
        .await;
    assert_error(
        resp,
        StatusCode::CONFLICT,
        "campaign_name_taken",
        Some("name"),
    )
    .await;
    // Renaming a campaign onto its own name in another case is fine.
    let resp = app
        .patch_json(
            &format!("/v1/campaigns/{}", second.id),
            &token,
            &json!({"name": "segunda"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    let resp = app
        .patch_json(&path, &token, &json!({"status": "inactive"}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let inactive: Campaign = resp.json().await.unwrap();
    assert_eq!(inactive.status, CampaignStatus::Inactive);
    let fetched: Campaign = app.get_ok(&path, &token).await;
    assert_eq!(fetched.status, CampaignStatus::Inactive);
    assert_eq!(fetched.name, "Renomeada");

    let resp = app
        .patch_json(&path, &token, &json!({"status": "paused"}))
        .await;
    assert!(resp.status().is_client_error(), "unknown status refused");

    let resp = app
        .patch_json(
            &format!("/v1/campaigns/{}", Uuid::new_v4()),
            &token,
            &json!({"name": "x"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_integration_endpoint_gives_everything_the_two_curls_need() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let token = app.staff_token().await;
    let integration: CampaignIntegration = app
        .get_ok(
            &format!("/v1/campaigns/{}/integration", campaign.id),
            &token,
        )
        .await;
    assert_eq!(integration.token_url, app.url("/oauth/token"));
    assert_eq!(
        integration.send_url,
        app.url(&format!("/v1/campaigns/{}/messages", campaign.id))
    );
    // A campaign created now has its own client (issue 11), whose secret issues tokens.
    assert_ne!(
        integration.client_id,
        app.creds.api_client.client_id.to_string()
    );
    assert_eq!(
        integration.scope,
        engage_core::wire::CredentialScope::Campaign
    );
    app.oauth_token_for(&integration.client_id, &integration.client_secret)
        .await;
    let keys: Vec<_> = integration
        .example_request
        .variables
        .keys()
        .cloned()
        .collect();
    let mut expected: Vec<_> = template.variables.iter().map(|v| v.key.clone()).collect();
    expected.sort();
    assert_eq!(keys, expected, "one example value per template variable");
    assert!(integration.example_request.to.starts_with('+'));

    // The example body is itself accepted by the send endpoint.
    let client_token = app.client_token().await;
    let resp = app
        .send(
            &client_token,
            campaign.id,
            &serde_json::to_value(&integration.example_request).unwrap(),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
}

#[tokio::test]
async fn campaign_endpoints_need_a_staff_token_and_unknown_ids_are_404() {
    let app = spawn_app().await;
    let token = app.staff_token().await;
    let resp = app
        .get(&format!("/v1/campaigns/{}", Uuid::new_v4()), &token)
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = app
        .get(
            &format!("/v1/campaigns/{}/integration", Uuid::new_v4()),
            &token,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = app.get("/v1/campaigns/not-a-uuid", &token).await;
    assert!(resp.status().is_client_error());
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(body["error"]["code"].is_string(), "JSON error: {body}");

    // The technical team's token cannot read the integration secret.
    let (campaign, _) = app.new_campaign().await;
    let client_token = app.client_token().await;
    let resp = app
        .get(
            &format!("/v1/campaigns/{}/integration", campaign.id),
            &client_token,
        )
        .await;
    assert!(
        resp.status() == StatusCode::UNAUTHORIZED || resp.status() == StatusCode::FORBIDDEN,
        "{}",
        resp.status()
    );
}
