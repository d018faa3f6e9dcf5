//! `GET /v1/senders`, `GET /v1/templates`, `GET /v1/templates/{id}` on the demo workspace.

use engage_core::wire::{
    SenderStatus, Template, TemplateCategory, TemplateHeader, TemplateStatus, VariableLocation,
};
use reqwest::StatusCode;

use crate::helpers::{assert_unauthorized_bearer, spawn_app};

#[tokio::test]
async fn senders_are_active_only_by_default_and_all_with_status_all() {
    let app = spawn_app().await;
    let token = app.staff_token().await;
    let active = app.senders(&token, false).await;
    assert_eq!(active.len(), 2, "the demo has two active senders");
    assert!(active.iter().all(|s| s.status == SenderStatus::Active));
    assert!(active.iter().all(|s| s.phone.starts_with('+')));
    assert!(active.iter().all(|s| !s.phone_display.is_empty()));

    let all = app.senders(&token, true).await;
    assert_eq!(all.len(), 3, "and one inactive");
    assert_eq!(
        all.iter()
            .filter(|s| s.status == SenderStatus::Inactive)
            .count(),
        1
    );
}

#[tokio::test]
async fn templates_are_approved_only_by_default_and_all_with_status_all() {
    let app = spawn_app().await;
    let token = app.staff_token().await;
    let approved = app.templates(&token, false).await;
    assert!(!approved.is_empty());
    assert!(approved
        .iter()
        .all(|t| t.status == TemplateStatus::Approved));

    let all = app.templates(&token, true).await;
    assert!(all.iter().any(|t| t.status == TemplateStatus::Pending));
    assert!(all.iter().any(|t| t.status == TemplateStatus::Rejected));
    assert_eq!(
        all.iter()
            .filter(|t| t.status == TemplateStatus::Approved)
            .count(),
        approved.len()
    );
}

#[tokio::test]
async fn demo_templates_cover_languages_categories_headers_buttons_and_variable_styles() {
    let app = spawn_app().await;
    let token = app.staff_token().await;
    let all = app.templates(&token, true).await;
    for lang in ["pt_BR", "es", "en"] {
        assert!(
            all.iter().any(|t| t.language.starts_with(lang)),
            "a {lang} template"
        );
    }
    for cat in [
        TemplateCategory::Utility,
        TemplateCategory::Marketing,
        TemplateCategory::Authentication,
    ] {
        assert!(all.iter().any(|t| t.category == cat), "a {cat:?} template");
    }
    assert!(all
        .iter()
        .any(|t| matches!(t.components.header, Some(TemplateHeader::Text { .. }))));
    assert!(all.iter().any(|t| matches!(
        t.components.header,
        Some(TemplateHeader::Image { .. })
            | Some(TemplateHeader::Video { .. })
            | Some(TemplateHeader::Document { .. })
    )));
    use engage_core::wire::TemplateButton as B;
    assert!(all
        .iter()
        .flat_map(|t| &t.components.buttons)
        .any(|b| matches!(b, B::Url { .. })));
    assert!(all
        .iter()
        .flat_map(|t| &t.components.buttons)
        .any(|b| matches!(b, B::QuickReply { .. })));
    assert!(all
        .iter()
        .flat_map(|t| &t.components.buttons)
        .any(|b| matches!(b, B::CopyCode { .. })));
    // positional and named
    app.positional_template(&token).await;
    app.named_template(&token).await;
}

#[tokio::test]
async fn every_template_lists_the_variables_its_components_use() {
    let app = spawn_app().await;
    let token = app.staff_token().await;
    for t in app.templates(&token, true).await {
        assert!(!t.components.body.is_empty(), "{} has a body", t.name);
        for v in t
            .variables
            .iter()
            .filter(|v| v.location == VariableLocation::Body)
        {
            assert!(
                t.components.body.contains(&format!("{{{{{}}}}}", v.key)),
                "{}: body variable {} appears in the body {:?}",
                t.name,
                v.key,
                t.components.body
            );
            assert!(v.max_length > 0);
        }
        // and every body placeholder is listed
        let body = &t.components.body;
        let mut rest = body.as_str();
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let end = after.find("}}").expect("closed placeholder");
            let key = after[..end].trim();
            assert!(
                t.variables
                    .iter()
                    .any(|v| v.key == key && v.location == VariableLocation::Body),
                "{}: placeholder {key} is listed in variables",
                t.name
            );
            rest = &after[end + 2..];
        }
    }
}

#[tokio::test]
async fn a_template_is_fetched_by_id_and_an_unknown_id_is_404() {
    let app = spawn_app().await;
    let token = app.staff_token().await;
    let template = app.positional_template(&token).await;
    let fetched: Template = app
        .get_ok(&format!("/v1/templates/{}", template.id), &token)
        .await;
    assert_eq!(fetched.id, template.id);
    assert_eq!(fetched.components, template.components);
    assert_eq!(fetched.variables, template.variables);

    let resp = app
        .get(&format!("/v1/templates/{}", uuid::Uuid::new_v4()), &token)
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_catalogue_needs_a_staff_token() {
    let app = spawn_app().await;
    let client_token = app.client_token().await;
    let resp = app.get("/v1/senders", &client_token).await;
    assert!(
        resp.status() == StatusCode::UNAUTHORIZED || resp.status() == StatusCode::FORBIDDEN,
        "a client-credentials token does not list senders: {}",
        resp.status()
    );
    let resp = app
        .client
        .get(app.url("/v1/templates"))
        .send()
        .await
        .unwrap();
    assert_unauthorized_bearer(resp).await;
}
