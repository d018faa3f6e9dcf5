//! The app core end to end, without a window: a real sandbox server on loopback (SQLite in a
//! temporary data dir), a second engage-server instance for server mode, and an in-memory
//! secret store standing in for the OS keyring (the real keyring: `keyring_store`'s ignored
//! test and the e2e suite).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use engage_core::wire::{CampaignStatus, SenderStatus, TemplateStatus, VariableLocation};

use super::keyring_store::{MemorySecretStore, SecretKey};
use super::*;

const DEMO_EMAIL: &str = "demo@engage.local";
const DEMO_PASSWORD: &str = "engage-sandbox";

fn core(dir: &Path, store: Arc<MemorySecretStore>) -> AppCore {
    AppCore::new(dir.to_path_buf(), store, Language::Es)
}

fn code<T: std::fmt::Debug>(result: Result<T, AppError>) -> (String, Option<String>) {
    let error = result.expect_err("an error");
    (error.code().to_owned(), error.field().map(str::to_owned))
}

/// Runs a copied curl with bash (as the technical team would), `ENGAGE_TOKEN` set when given.
async fn run_bash(script: &str, engage_token: Option<&str>) -> String {
    let mut command = tokio::process::Command::new("bash");
    command.arg("-c").arg(script).env_remove("ENGAGE_TOKEN");
    if let Some(token) = engage_token {
        command.env("ENGAGE_TOKEN", token);
    }
    let output = command.output().await.expect("bash and curl are installed");
    assert!(
        output.status.success(),
        "{script}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

async fn demo_client_secret(core: &AppCore) -> String {
    core.sandbox
        .lock()
        .await
        .as_ref()
        .expect("sandbox running")
        .client_secret()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_workflow_creates_documents_and_deactivates_a_campaign() {
    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path(), Arc::new(MemorySecretStore::default()));

    let startup = core.startup().await;
    assert_eq!(startup.session, None);
    assert_eq!(startup.notice, None);
    assert_eq!(startup.system_language, Language::Es);
    assert_eq!(code(core.list_senders().await).0, "not_signed_in");

    let info = core.start_sandbox().await.expect("sandbox starts");
    assert_eq!(info.mode, SessionMode::Sandbox);
    assert!(
        info.server_url.starts_with("http://127.0.0.1:"),
        "{}",
        info.server_url
    );
    assert_eq!(info.email, DEMO_EMAIL);
    assert!(!info.persisted);
    assert_eq!(
        core.start_sandbox().await.unwrap(),
        info,
        "a second click reuses the running sandbox"
    );
    assert!(
        dir.path().join("sandbox").is_dir(),
        "the sandbox lives in the data dir"
    );

    let senders = core.list_senders().await.unwrap();
    let sender = senders
        .iter()
        .find(|s| s.status == SenderStatus::Active)
        .expect("an active demo sender");
    let templates = core.list_templates().await.unwrap();
    let template = templates
        .iter()
        .find(|t| {
            t.status == TemplateStatus::Approved
                && t.variables
                    .iter()
                    .any(|v| v.location == VariableLocation::Body)
        })
        .expect("an approved demo template with a body variable");
    let body_variable = template
        .variables
        .iter()
        .find(|v| v.location == VariableLocation::Body)
        .unwrap();

    let name = "Boas-vindas Recorrente";
    assert!(core.check_campaign_name(name).await.unwrap().available);
    let campaign = core
        .create_campaign(name, &sender.id.to_string(), &template.id.to_string())
        .await
        .expect("created");
    assert_eq!(campaign.name, name);
    assert_eq!(campaign.status, CampaignStatus::Active);
    assert_eq!(campaign.template.id, template.id);

    let availability = core
        .check_campaign_name(&name.to_lowercase())
        .await
        .unwrap();
    assert!(!availability.available);
    assert_eq!(
        availability.error.map(|e| e.code).as_deref(),
        Some("campaign_name_taken")
    );
    let duplicate = core
        .create_campaign(
            &name.to_uppercase(),
            &sender.id.to_string(),
            &template.id.to_string(),
        )
        .await;
    assert_eq!(
        code(duplicate),
        ("campaign_name_taken".to_owned(), Some("name".to_owned()))
    );

    assert_eq!(
        code(
            core.create_campaign("Outra", "not-a-uuid", &template.id.to_string())
                .await
        ),
        ("invalid_input".into(), Some("sender_id".into()))
    );
    let listed = core.list_campaigns(Some("vindas")).await.unwrap();
    assert_eq!(
        listed.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![campaign.id]
    );
    assert!(core
        .list_campaigns(Some("no such campaign"))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        core.get_campaign(&campaign.id.to_string())
            .await
            .unwrap()
            .id,
        campaign.id
    );

    // Documentation: masked on screen, real in the clipboard text.
    let id = campaign.id.to_string();
    let key = body_variable.key.clone();
    let values = BTreeMap::from([(key.clone(), "Ana Lúcia".to_owned())]);
    let docs = core.campaign_docs(&id, &values, None).await.expect("docs");
    let secret = demo_client_secret(&core).await;
    assert!(
        !docs.token_curl_masked.contains(&secret),
        "the screen never shows the secret"
    );
    assert!(docs.token_curl_masked.contains(&docs.client_id));
    assert!(
        docs.token_url.starts_with(&info.server_url) && docs.send_url.starts_with(&info.server_url)
    );
    assert!(docs
        .send_curl_masked
        .contains("Authorization: Bearer $ENGAGE_TOKEN"));
    assert!(docs.send_curl_masked.contains("Ana Lúcia"));
    assert_eq!(
        docs.request.variables.get(&key).map(String::as_str),
        Some("Ana Lúcia")
    );
    assert_eq!(
        docs.request.variables.len(),
        template.variables.len(),
        "every variable of the template is in the body"
    );
    let rendered = serde_json::to_string(&docs.rendered).unwrap();
    assert!(
        rendered.contains("Ana Lúcia"),
        "the preview shows the example value: {rendered}"
    );

    let token_curl = core.token_curl(&id).await.unwrap();
    assert!(
        token_curl.contains(&format!("{}:{}", docs.client_id, secret)),
        "the copied token curl carries the secret"
    );
    let send_curl = core
        .send_curl(&id, &values, Some("+55 11 98765-4321"))
        .await
        .unwrap();
    assert!(
        send_curl.contains("+5511987654321") && send_curl.contains("Ana Lúcia"),
        "{send_curl}"
    );

    let unknown = BTreeMap::from([("no_such_variable".to_owned(), "x".to_owned())]);
    assert_eq!(
        code(core.campaign_docs(&id, &unknown, None).await),
        (
            "invalid_input".into(),
            Some("variables.no_such_variable".into())
        )
    );
    let too_long = BTreeMap::from([(
        key.clone(),
        "x".repeat(body_variable.max_length as usize + 1),
    )]);
    assert_eq!(
        code(core.campaign_docs(&id, &too_long, None).await),
        ("invalid_input".into(), Some(format!("variables.{key}")))
    );
    assert_eq!(
        code(core.send_curl(&id, &values, Some("not a phone")).await),
        ("invalid_input".into(), Some("to".into()))
    );

    // The copied curls run as they are: token, then send with $ENGAGE_TOKEN.
    let token_json = run_bash(&token_curl, None).await;
    let token: serde_json::Value =
        serde_json::from_str(&token_json).expect("the token curl prints JSON");
    let access_token = token["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();
    let accepted: serde_json::Value =
        serde_json::from_str(&run_bash(&send_curl, Some(&access_token)).await).unwrap();
    assert_eq!(accepted["status"], "queued", "{accepted}");
    let page = core.list_messages(&id, None).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].to, "+5511987654321");
    assert!(
        page.items[0].text.contains("Ana Lúcia"),
        "{}",
        page.items[0].text
    );

    // Deactivated: the same curl is refused.
    let inactive = core.set_campaign_status(&id, "inactive").await.unwrap();
    assert_eq!(inactive.status, CampaignStatus::Inactive);
    assert_eq!(
        code(core.set_campaign_status(&id, "paused").await),
        ("invalid_input".into(), Some("status".into()))
    );
    let refused: serde_json::Value =
        serde_json::from_str(&run_bash(&send_curl, Some(&access_token)).await).unwrap();
    assert!(
        refused["error"]["code"].is_string(),
        "a deactivated campaign refuses sends: {refused}"
    );
    assert_eq!(core.list_messages(&id, None).await.unwrap().items.len(), 1);

    core.sign_out().await.unwrap();
    assert_eq!(code(core.list_campaigns(None).await).0, "not_signed_in");
    assert_eq!(Settings::load(dir.path()).last_session, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_session_is_restored_on_next_launch_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemorySecretStore::default());
    let first = core(dir.path(), store.clone());
    first.start_sandbox().await.unwrap();
    let senders = first.list_senders().await.unwrap();
    let templates = first.list_templates().await.unwrap();
    let template = templates
        .iter()
        .find(|t| t.status == TemplateStatus::Approved)
        .unwrap();
    let created = first
        .create_campaign(
            "Lembrete mensal",
            &senders[0].id.to_string(),
            &template.id.to_string(),
        )
        .await
        .unwrap();
    first.shutdown().await;

    let second = core(dir.path(), store.clone());
    let startup = second.startup().await;
    let session = startup.session.expect("the sandbox session comes back");
    assert_eq!(session.mode, SessionMode::Sandbox);
    assert_eq!(startup.notice, None);
    let campaigns = second.list_campaigns(None).await.unwrap();
    assert!(
        campaigns.iter().any(|c| c.id == created.id),
        "the sandbox database persists in the data dir"
    );
    assert!(
        store.snapshot().is_empty(),
        "sandbox mode keeps nothing in the keyring"
    );
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_sign_in_is_kept_in_the_keyring_restored_and_removed_on_sign_out() {
    let server_dir = tempfile::tempdir().unwrap();
    let server = engage_server::sandbox::start_sandbox(server_dir.path())
        .await
        .expect("a second engage-server");
    let url = server.server.base_url();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemorySecretStore::default());

    let first = core(dir.path(), store.clone());
    assert_eq!(
        code(first.sign_in(&url, DEMO_EMAIL, "wrong password").await).0,
        "invalid_credentials"
    );
    assert_eq!(
        code(
            first
                .sign_in("ftp://example.com", DEMO_EMAIL, DEMO_PASSWORD)
                .await
        ),
        ("invalid_input".into(), Some("server_url".into()))
    );
    assert_eq!(
        code(first.sign_in(&url, "not-an-email", DEMO_PASSWORD).await),
        ("invalid_input".into(), Some("email".into()))
    );
    assert!(store.snapshot().is_empty(), "failed sign-ins keep nothing");

    let info = first
        .sign_in(&format!("{url}/"), DEMO_EMAIL, DEMO_PASSWORD)
        .await
        .expect("signed in");
    assert_eq!(info.mode, SessionMode::Server);
    assert_eq!(info.server_url, url);
    assert!(info.persisted);
    let key = SecretKey::new(&url, DEMO_EMAIL);
    let saved = store
        .snapshot()
        .get(&key)
        .cloned()
        .expect("refresh token in the keyring");
    let settings_text = std::fs::read_to_string(dir.path().join("settings.json")).unwrap();
    assert!(
        !settings_text.contains(&saved),
        "no secret in the settings file"
    );
    assert!(
        !settings_text.contains(DEMO_PASSWORD),
        "no password in the settings file"
    );
    assert!(!first.list_senders().await.unwrap().is_empty());
    drop(first);

    let second = core(dir.path(), store.clone());
    let startup = second.startup().await;
    assert_eq!(
        startup.session.as_ref().map(|s| (s.mode, s.persisted)),
        Some((SessionMode::Server, true)),
        "restored without asking: {startup:?}"
    );
    assert_eq!(
        startup.last_sign_in.as_ref().map(|l| l.email.as_str()),
        Some(DEMO_EMAIL)
    );
    assert!(!second.list_templates().await.unwrap().is_empty());

    second.sign_out().await.unwrap();
    assert!(
        store.snapshot().is_empty(),
        "sign out deletes the keyring entry"
    );
    let third = core(dir.path(), store.clone());
    assert_eq!(third.startup().await.session, None);

    server.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_keyring_the_session_lasts_for_this_run_only() {
    let server_dir = tempfile::tempdir().unwrap();
    let server = engage_server::sandbox::start_sandbox(server_dir.path())
        .await
        .unwrap();
    let url = server.server.base_url();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemorySecretStore::unavailable());

    let first = core(dir.path(), store.clone());
    let info = first
        .sign_in(&url, DEMO_EMAIL, DEMO_PASSWORD)
        .await
        .expect("signing in still works");
    assert!(!info.persisted);
    assert!(!first.list_senders().await.unwrap().is_empty());

    let second = core(dir.path(), store);
    let startup = second.startup().await;
    assert_eq!(startup.session, None);
    let notice = startup.notice.expect("the user is told why");
    assert_eq!(notice.code, "keyring_unavailable");
    assert!(
        notice.message.contains("Secret Service"),
        "{}",
        notice.message
    );
    server.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_access_token_is_refreshed_once_then_the_session_expires() {
    let server_dir = tempfile::tempdir().unwrap();
    let server = engage_server::sandbox::start_sandbox(server_dir.path())
        .await
        .unwrap();
    let api = ApiClient::new(ServerUrl::parse(&server.server.base_url(), "server_url").unwrap());
    let tokens = api.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    let first_access = tokens.access_token.clone();
    let session = Session::new(
        api.clone(),
        SessionMode::Server,
        DEMO_EMAIL.into(),
        "Demo".into(),
        tokens,
        None,
    );

    // The first attempt is refused as if the access token had expired.
    let attempts = AtomicUsize::new(0);
    let seen = std::sync::Mutex::new(Vec::new());
    let me = session
        .authorized(|token| {
            let (api, attempts, seen) = (&api, &attempts, &seen);
            async move {
                seen.lock().unwrap().push(token.clone());
                if attempts.fetch_add(1, Ordering::SeqCst) == 0 {
                    return Err(AppError::Api {
                        status: 401,
                        error: engage_core::wire::ApiError {
                            code: "invalid_token".into(),
                            message: "expired".into(),
                            field: None,
                        },
                    });
                }
                api.me(&token).await
            }
        })
        .await
        .expect("refreshed and retried");
    assert_eq!(me.email, DEMO_EMAIL);
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0], first_access);
    assert_ne!(seen[1], first_access, "the retry used a fresh access token");

    // Revoked on the server: refreshing fails too, so the session has expired.
    session.revoke().await;
    let expired = session
        .authorized(|token| {
            let api = &api;
            async move { api.me(&token).await }
        })
        .await;
    assert_eq!(code(expired).0, "session_expired");
    server.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_sync_without_a_cloud_sender_is_refused_with_no_whatsapp_sender() {
    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path(), Arc::new(MemorySecretStore::default()));
    assert_eq!(code(core.sync_whatsapp().await).0, "not_signed_in");

    core.start_sandbox().await.expect("sandbox starts");
    let statuses = |templates: Vec<engage_core::wire::Template>| {
        templates
            .into_iter()
            .map(|t| (t.id, t.status))
            .collect::<Vec<_>>()
    };
    let templates_before = statuses(core.list_templates().await.unwrap());
    let refused = core
        .sync_whatsapp()
        .await
        .expect_err("the sandbox has no whatsapp_cloud sender");
    assert_eq!(refused.code(), "no_whatsapp_sender");
    assert_eq!(refused.http_status(), Some(409));
    assert!(
        refused.to_string().contains("whatsapp_cloud sender"),
        "{refused}"
    );
    assert_eq!(
        statuses(core.list_templates().await.unwrap()),
        templates_before,
        "a refused sync changes nothing"
    );
    core.shutdown().await;
}

/// A Graph API stand-in for "Sync from WhatsApp": one page of templates and one of phone
/// numbers for any WhatsApp Business Account, Meta's OAuth error (190) for a wrong token.
mod graph_stand_in {
    use std::sync::{Arc, Mutex};

    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use axum::{Json, Router};
    use serde_json::{json, Value};

    pub const VERSION: &str = "v23.0";

    #[derive(Clone)]
    pub struct GraphStandIn {
        token: Arc<Mutex<String>>,
        pub base_url: String,
    }

    impl GraphStandIn {
        /// Serves on 127.0.0.1 until the test's runtime ends; accepts `token` only.
        pub async fn start(token: &str) -> GraphStandIn {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let token = Arc::new(Mutex::new(token.to_owned()));
            let app = Router::new()
                .route(
                    &format!("/{VERSION}/{{waba}}/message_templates"),
                    get(templates),
                )
                .route(
                    &format!("/{VERSION}/{{waba}}/phone_numbers"),
                    get(phone_numbers),
                )
                .with_state(token.clone());
            tokio::spawn(async move { axum::serve(listener, app).await });
            GraphStandIn {
                token,
                base_url: format!("http://127.0.0.1:{port}/{VERSION}"),
            }
        }

        /// From now on Meta refuses the token the workspace holds.
        pub fn revoke(&self) {
            *self.token.lock().unwrap() = "revoked".to_owned();
        }
    }

    type Token = Arc<Mutex<String>>;

    /// Meta's answer to a wrong token, `None` when the token is the accepted one.
    fn refusal(token: &Token, headers: &HeaderMap) -> Option<Response> {
        let expected = format!("Bearer {}", token.lock().unwrap());
        if headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str()) {
            return None;
        }
        Some(
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": {
                    "message": "Error validating access token: Session has expired.",
                    "type": "OAuthException",
                    "code": 190,
                    "error_subcode": 463,
                    "fbtrace_id": "AbCdEfGh"
                }})),
            )
                .into_response(),
        )
    }

    fn page(data: Value) -> Response {
        Json(json!({"data": data, "paging": {"cursors": {"before": "b0", "after": "a0"}}}))
            .into_response()
    }

    async fn templates(State(token): State<Token>, headers: HeaderMap) -> Response {
        if let Some(refused) = refusal(&token, &headers) {
            return refused;
        }
        page(json!([{
            "id": "1689556908129832",
            "name": "restock_alert_desktop",
            "language": "pt_BR",
            "status": "APPROVED",
            "category": "UTILITY",
            "components": [
                {"type": "BODY", "text": "Olá {{1}}, seu pedido {{2}} saiu.",
                 "example": {"body_text": [["Ana", "A-77"]]}}
            ]
        }]))
    }

    async fn phone_numbers(State(token): State<Token>, headers: HeaderMap) -> Response {
        if let Some(refused) = refusal(&token, &headers) {
            return refused;
        }
        page(json!([
            {"id": "106540352242922", "display_phone_number": "+55 11 95555-0123",
             "verified_name": "Loja Exemplo", "quality_rating": "GREEN"},
            {"id": "106540352242999", "display_phone_number": "+1 650-555-1234",
             "verified_name": "Loja US", "quality_rating": "GREEN"}
        ]))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_sync_brings_new_templates_and_numbers_and_reports_meta_refusals() {
    const TOKEN: &str = "EAAJB-desktop-test-token";
    let graph = graph_stand_in::GraphStandIn::start(TOKEN).await;
    let server_dir = tempfile::tempdir().unwrap();
    let server = engage_server::sandbox::start_sandbox_with(
        server_dir.path(),
        engage_server::WhatsAppConfig {
            graph_url: graph.base_url.clone(),
            ..engage_server::WhatsAppConfig::default()
        },
    )
    .await
    .unwrap();
    let url = server.server.base_url();

    // The workspace's whatsapp_cloud sender, added through the staff API as an admin would.
    let api = ApiClient::new(ServerUrl::parse(&url, "server_url").unwrap());
    let staff = api.login(DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    let created = reqwest::Client::new()
        .post(format!("{url}/v1/whatsapp/senders"))
        .bearer_auth(&staff.access_token)
        .json(&serde_json::json!({
            "name": "Cloud number",
            "phone": "+5511955550123",
            "phone_number_id": "106540352242922",
            "waba_id": "102290129340398",
            "access_token": TOKEN
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), reqwest::StatusCode::CREATED);

    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path(), Arc::new(MemorySecretStore::default()));
    core.sign_in(&url, DEMO_EMAIL, DEMO_PASSWORD).await.unwrap();
    assert!(!core
        .list_templates()
        .await
        .unwrap()
        .iter()
        .any(|t| t.name == "restock_alert_desktop"));

    let summary = core.sync_whatsapp().await.expect("synced");
    assert_eq!(
        summary,
        crate::models::WhatsAppSyncSummary {
            templates_created: 1,
            templates_updated: 0,
            templates_disabled: 0,
            senders_created: 1,
            senders_updated: 1,
            senders_deactivated: 0,
            skipped: Vec::new(),
        }
    );
    let synced = core
        .list_templates()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "restock_alert_desktop")
        .expect("the new template is listed");
    assert_eq!(synced.status, TemplateStatus::Approved);
    assert_eq!(synced.variables.len(), 2);
    let senders = core.list_senders().await.unwrap();
    let us = senders
        .iter()
        .find(|s| s.phone == "+16505551234")
        .expect("the new number is a sender");
    assert_eq!(us.name, "Loja US");
    assert_eq!(
        senders
            .iter()
            .find(|s| s.phone == "+5511955550123")
            .map(|s| s.name.as_str()),
        Some("Loja Exemplo"),
        "the known number takes Meta's verified name"
    );

    let again = core.sync_whatsapp().await.expect("synced again");
    assert_eq!((again.templates_created, again.templates_updated), (0, 1));
    assert_eq!((again.senders_created, again.senders_updated), (0, 0));

    graph.revoke();
    let refused = core
        .sync_whatsapp()
        .await
        .expect_err("Meta refuses the token");
    assert_eq!(refused.code(), "whatsapp_190");
    assert_eq!(refused.http_status(), Some(502));

    server.server.shutdown().await;
}
