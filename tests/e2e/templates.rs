//! Scenario 9: templates as Meta changes them. In the sandbox, a carousel template Meta
//! approved shows in the template picker as unavailable with its reason, a location
//! template previews its map pin; after a signed
//! `message_template_status_update` pauses the campaign's template, the campaign list row
//! carries a badge and the documentation screen says what happened and what to do.

use engage_e2e::flows::{campaign_row, create_campaign, inside, start_sandbox};
use engage_e2e::{E2eError, E2eResult, Harness};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

const NAME: &str = "Aviso de saldo";
const WABA: &str = "102290129340398";
const APP_SECRET: &str = "e2e-app-secret";

async fn http(
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: &Value,
) -> E2eResult<Value> {
    let mut request = reqwest::Client::new().request(method, url).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(|source| E2eError::Http {
        url: url.into(),
        source,
    })?;
    let status = response.status();
    let text = response.text().await.map_err(|source| E2eError::Http {
        url: url.into(),
        source,
    })?;
    if !status.is_success() {
        return Err(E2eError::BadOutput {
            what: format!("{url} answered {status}"),
            got: text,
        });
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Meta's notification pausing `name` (`language`), signed as Meta signs it.
async fn pause(base: &str, name: &str, language: &str) -> E2eResult<Value> {
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": WABA, "time": 1764590400,
        "changes": [{"field": "message_template_status_update", "value": {
            "event": "PAUSED", "message_template_id": 1689556908129832i64,
            "message_template_name": name, "message_template_language": language,
            "reason": "NONE"}}]}]});
    let bytes = serde_json::to_vec(&body).expect("JSON");
    let mut mac = Hmac::<Sha256>::new_from_slice(APP_SECRET.as_bytes()).expect("any key length");
    mac.update(&bytes);
    let signature: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let url = format!("{base}/webhooks/whatsapp");
    let response = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", format!("sha256={signature}"))
        .body(bytes)
        .send()
        .await
        .map_err(|source| E2eError::Http {
            url: url.clone(),
            source,
        })?;
    let text = response.text().await.map_err(|source| E2eError::Http {
        url: url.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| E2eError::Json {
        what: url,
        text,
        source,
    })
}

#[tokio::test]
async fn an_unavailable_template_shows_its_reason_and_a_paused_template_badges_its_campaign(
) -> E2eResult<()> {
    let Some(h) = Harness::start("9-template-changes").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;

    // The picker shows the carousel, disabled, and says why.
    app.click("new-campaign").await?;
    app.visible("unavailable-templates").await?;
    let offered = app.all("template-option-unavailable").await?;
    assert_eq!(offered.len(), 1, "one unavailable template in the picker");
    let disabled = offered[0].attr("disabled").await.ok().flatten();
    assert!(disabled.is_some(), "the unavailable template can be chosen");
    app.click("unavailable-templates").await?;
    let reason = app.non_empty_text("unavailable-template").await?;
    app.shot("unavailable-template").await?;
    assert!(reason.contains("vitrine_verao"), "{reason}");
    // In the app's language (the system's): pt-BR, es or en.
    assert!(
        ["carrossel", "carrusel", "carousel (several"]
            .iter()
            .any(|word| reason.contains(word)),
        "the reason is in plain words: {reason}"
    );

    // A location template previews its map pin with the example place.
    let location = app
        .script(
            "return [...document.querySelectorAll('[data-testid=campaign-template] option')]\
             .find((o) => o.textContent.startsWith('pedido_a_caminho'))?.value ?? ''",
        )
        .await?;
    app.choose_value("campaign-template", location.as_str().unwrap_or_default())
        .await?;
    let pin = app.non_empty_text("bubble-location").await?;
    app.shot("location-preview").await?;
    assert!(pin.contains("Loja Paulista"), "{pin}");

    app.click("nav-campaigns").await?;
    let created = create_campaign(&app, NAME).await?;
    let mut label = created.template.split(" · ");
    let (template, language) = (
        label.next().unwrap_or_default(),
        label.next().unwrap_or_default(),
    );

    // The workspace's WhatsApp Business Account and webhook secret, through the staff API.
    let base = app.text("server-address").await?.trim().to_string();
    let login = http(
        reqwest::Method::POST,
        &format!("{base}/v1/auth/login"),
        None,
        &json!({"email": "demo@engage.local", "password": "engage-sandbox"}),
    )
    .await?;
    let token = login["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    http(
        reqwest::Method::PUT,
        &format!("{base}/v1/whatsapp/settings"),
        Some(&token),
        &json!({"app_secret": APP_SECRET, "verify_token": "e2e"}),
    )
    .await?;
    http(reqwest::Method::POST, &format!("{base}/v1/whatsapp/senders"), Some(&token),
        &json!({"name": "Loja (Cloud API)", "phone": "+5511955550000", "phone_number_id": "106540352242922",
                "waba_id": WABA, "access_token": "EAAJB-e2e"})).await?;
    let outcome = pause(&base, template, &language.replace('_', "-")).await?;
    assert_eq!(outcome["applied"], 1, "{outcome}");

    app.click("nav-campaigns").await?;
    let row = campaign_row(&app, NAME).await?;
    let badge = inside(&row, "template-notice-badge").await?;
    assert_eq!(
        badge.attr("data-kind").await.ok().flatten().as_deref(),
        Some("paused")
    );
    app.shot("paused-badge").await?;
    app.click("row-docs").await?;
    let notice = app.non_empty_text("template-notice").await?;
    app.shot("paused-notice").await?;
    assert!(notice.contains(template), "{notice}");
    assert!(
        notice.contains("template_not_approved"),
        "the notice names the code sends get: {notice}"
    );
    h.quit(app).await
}
