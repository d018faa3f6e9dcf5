//! The app core end to end, without a window: a real sandbox server on loopback (SQLite in a
//! temporary data dir), a second engage-server instance for server mode, and an in-memory
//! secret store standing in for the OS keyring (the real keyring: `keyring_store`'s ignored
//! test and the e2e suite).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use engage_core::wire::{
    CampaignStatus, CredentialMode, CredentialScope, SenderStatus, TemplateStatus, VariableLocation,
};

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

/// The client secret of a campaign's `mode` credentials, as the server holds it (the test
/// reads it to check the clipboard text; the screen never gets it).
async fn campaign_client_secret(core: &AppCore, id: &str, mode: CredentialMode) -> String {
    let id = uuid::Uuid::parse_str(id).unwrap();
    let session = core.signed_in().await.unwrap();
    let api = session.api();
    session
        .authorized(|t| async move { api.integration(&t, id, mode).await })
        .await
        .unwrap()
        .client_secret
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
        .create_campaign(name, &sender.id.to_string(), &template.id.to_string(), None)
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
            None,
        )
        .await;
    assert_eq!(
        code(duplicate),
        ("campaign_name_taken".to_owned(), Some("name".to_owned()))
    );

    assert_eq!(
        code(
            core.create_campaign("Outra", "not-a-uuid", &template.id.to_string(), None)
                .await
        ),
        ("invalid_input".into(), Some("sender_id".into()))
    );
    let listed = core.list_campaigns(Some("vindas")).await.unwrap();
    assert_eq!(
        listed.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![campaign.id]
    );
    let row = serde_json::to_value(&listed[0]).unwrap();
    assert_eq!(row["template"]["name"], template.name.as_str());
    assert!(
        row["template"].get("components").is_none() && row["template"].get("variables").is_none(),
        "a row of the list leaves the template's body out: {row}"
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
    let docs = core
        .campaign_docs(&id, &values, None, None)
        .await
        .expect("docs");
    let secret = campaign_client_secret(&core, &id, CredentialMode::Live).await;
    assert!(
        !docs.token_snippet_masked.contains(&secret),
        "the screen never shows the secret"
    );
    assert!(docs.token_snippet_masked.contains(&docs.client_id));
    assert!(
        docs.token_url.starts_with(&info.server_url) && docs.send_url.starts_with(&info.server_url)
    );
    assert!(docs
        .send_snippet_masked
        .contains("Authorization: Bearer $ENGAGE_TOKEN"));
    assert!(docs.send_snippet_masked.contains("Ana Lúcia"));
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

    let token_curl = core.token_curl(&id, None, None).await.unwrap();
    assert!(
        token_curl.contains(&format!("{}:{}", docs.client_id, secret)),
        "the copied token curl carries the secret"
    );
    let send_curl = core
        .send_curl(&id, &values, Some("+55 11 98765-4321"), None, None)
        .await
        .unwrap();
    assert!(
        send_curl.contains("+5511987654321") && send_curl.contains("Ana Lúcia"),
        "{send_curl}"
    );

    // The list's copy sends no values: every variable gets its template's example.
    let row_curl = core
        .send_curl(&id, &BTreeMap::new(), None, None, None)
        .await
        .unwrap();
    assert!(row_curl.contains(&body_variable.example), "{row_curl}");

    // The chosen language is remembered (settings) and used on screen and in the clipboard.
    assert_eq!(docs.lang, engage_core::SnippetLang::CurlBash);
    assert_eq!(docs.languages[0].lang, engage_core::SnippetLang::CurlBash);
    core.set_snippet_lang(engage_core::SnippetLang::Python)
        .await
        .unwrap();
    let python = core
        .campaign_docs(&id, &values, None, None)
        .await
        .expect("docs");
    assert_eq!(python.lang, engage_core::SnippetLang::Python);
    assert!(python.token_snippet_masked.starts_with("import requests"));
    assert!(!python.token_snippet_masked.contains(&secret));
    let copied = core.token_curl(&id, None, None).await.unwrap();
    assert!(
        copied.starts_with("import requests") && copied.contains(&secret),
        "{copied}"
    );
    let curl = core
        .token_curl(&id, None, Some(engage_core::SnippetLang::CurlBash))
        .await
        .unwrap();
    assert!(curl.starts_with("curl"), "{curl}");
    core.set_snippet_lang(engage_core::SnippetLang::CurlBash)
        .await
        .unwrap();

    let unknown = BTreeMap::from([("no_such_variable".to_owned(), "x".to_owned())]);
    assert_eq!(
        code(core.campaign_docs(&id, &unknown, None, None).await),
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
        code(core.campaign_docs(&id, &too_long, None, None).await),
        ("invalid_input".into(), Some(format!("variables.{key}")))
    );
    assert_eq!(
        code(
            core.send_curl(&id, &values, Some("not a phone"), None, None)
                .await
        ),
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
            None,
        )
        .await
        .unwrap();
    first.shutdown().await;

    let second = core(dir.path(), store.clone());
    let startup = second.startup().await;
    assert!(
        startup.restoring,
        "the first screen shows a restoring state"
    );
    assert_eq!(startup.session, None, "nothing waits on the restore");
    let restored = second.restore_session().await;
    let session = restored.session.expect("the sandbox session comes back");
    assert_eq!(session.mode, SessionMode::Sandbox);
    assert_eq!(restored.notice, None);
    assert!(
        !second.startup().await.restoring,
        "restored once per launch"
    );
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
async fn the_list_read_while_restoring_serves_the_first_screen_only_if_nothing_ran_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemorySecretStore::default());
    let first = core(dir.path(), store.clone());
    let before = sandbox_campaign(&first, "Antes do reinício").await;
    first.shutdown().await;

    // The first screen asks for the list at once: the one read while restoring.
    let second = core(dir.path(), store.clone());
    second.restore_session().await.session.expect("restored");
    let listed = second.list_campaigns(None).await.unwrap();
    assert!(listed.iter().any(|c| c.id.to_string() == before));
    assert!(
        second.startup().await.campaigns.is_none(),
        "taken once: the list is not handed out twice"
    );
    let again = second.list_campaigns(None).await.unwrap();
    assert_eq!(
        again.len(),
        listed.len(),
        "later lists are read from the server"
    );
    second.shutdown().await;

    // Asked for the first screen once the restore has read it, the list comes with the
    // start-up answer (no second round trip), and only there.
    let early = core(dir.path(), store.clone());
    early.restore_session().await.session.expect("restored");
    let mut startup = early.startup().await;
    for _ in 0..100 {
        if startup.campaigns.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        startup = early.startup().await;
    }
    let first_screen = startup.campaigns.expect("the list read while restoring");
    assert!(first_screen.iter().any(|c| c.id.to_string() == before));
    assert!(early.startup().await.campaigns.is_none(), "handed out once");
    early.shutdown().await;

    // A campaign created after the restore, before any list: the list read while restoring
    // is out of date and is not used.
    let third = core(dir.path(), store.clone());
    third.restore_session().await.session.expect("restored");
    let after = sandbox_campaign(&third, "Depois do reinício").await;
    let listed = third.list_campaigns(None).await.unwrap();
    let ids: Vec<String> = listed.iter().map(|c| c.id.to_string()).collect();
    assert!(ids.contains(&before) && ids.contains(&after), "{ids:?}");
    third.shutdown().await;
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
    let restored = second.restore_session().await;
    assert_eq!(
        restored.session.as_ref().map(|s| (s.mode, s.persisted)),
        Some((SessionMode::Server, true)),
        "restored without asking: {restored:?}"
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
    assert!(
        !third.startup().await.restoring,
        "signed out: nothing to restore"
    );
    assert_eq!(third.restore_session().await.session, None);

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
    let restored = second.restore_session().await;
    assert_eq!(restored.session, None);
    let notice = restored.notice.expect("the user is told why");
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
    let me = api.me(&tokens.access_token).await.unwrap();
    let session = Session::new(
        api.clone(),
        SessionMode::Server,
        DEMO_EMAIL.into(),
        me,
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
                            retry_at: None,
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

#[test]
fn a_background_update_check_happens_at_most_once_a_day() {
    assert!(update_check_due(None, 1_000), "never checked");
    assert!(
        !update_check_due(Some(1_000), 1_000 + 3_600),
        "an hour later"
    );
    assert!(update_check_due(Some(1_000), 1_000 + 86_400), "a day later");
    assert!(update_check_due(Some(5_000), 1_000), "a clock set back");
}

#[tokio::test]
async fn the_time_of_the_last_update_check_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = core(dir.path(), Arc::new(MemorySecretStore::default()));
    assert!(first.update_check_due(1_000_000).await);
    assert!(!first.update_check_due(1_000_060).await, "a minute later");
    let second = core(dir.path(), Arc::new(MemorySecretStore::default()));
    assert!(
        !second.update_check_due(1_003_600).await,
        "an hour later, after a restart"
    );
    assert!(second.update_check_due(1_086_400).await, "the next day");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_diagnostics_report_names_the_server_and_holds_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path(), Arc::new(MemorySecretStore::default()));
    let environment = diagnostics::Environment {
        app_version: "0.1.0".into(),
        webview_version: Some("2.50.1".into()),
    };
    let signed_out = core.diagnostics_report(&environment).await;
    assert!(
        signed_out.contains("Server: not signed in\n"),
        "{signed_out}"
    );

    let info = core.start_sandbox().await.unwrap();
    let secret = demo_client_secret(&core).await;
    let report = core.diagnostics_report(&environment).await;
    assert!(
        report.contains(&format!("Server: {} (sandbox)\n", info.server_url)),
        "{report}"
    );
    assert!(
        report.contains(&format!("Server version: {}\n", env!("CARGO_PKG_VERSION"))),
        "{report}"
    );
    assert!(
        report.contains("Engage desktop: 0.1.0\nOperating system: "),
        "{report}"
    );
    assert!(
        !report.contains(DEMO_PASSWORD) && !report.contains(&secret),
        "{report}"
    );
    core.shutdown().await;
}

/// A sandbox campaign on an approved template; returns its id.
async fn sandbox_campaign(core: &AppCore, name: &str) -> String {
    core.start_sandbox().await.expect("sandbox starts");
    let senders = core.list_senders().await.unwrap();
    let sender = senders
        .iter()
        .find(|s| s.status == SenderStatus::Active)
        .unwrap();
    let templates = core.list_templates().await.unwrap();
    let template = templates
        .iter()
        .find(|t| t.status == TemplateStatus::Approved)
        .unwrap();
    core.create_campaign(name, &sender.id.to_string(), &template.id.to_string(), None)
        .await
        .unwrap()
        .id
        .to_string()
}

/// Runs a copied token curl; the HTTP status of its answer (the curl prints the JSON body).
async fn token_curl_accepted(curl: &str) -> bool {
    let body: serde_json::Value = serde_json::from_str(&run_bash(curl, None).await).unwrap();
    body["access_token"].is_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_from_the_app_copies_the_new_secret_and_the_old_curl_stops_with_grace_now() {
    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path(), Arc::new(MemorySecretStore::default()));
    let id = sandbox_campaign(&core, "Rotação").await;
    let docs = core
        .campaign_docs(&id, &BTreeMap::new(), None, Some("live"))
        .await
        .unwrap();
    assert_eq!(
        (docs.mode, docs.scope),
        (CredentialMode::Live, CredentialScope::Campaign)
    );
    let old_curl = core.token_curl(&id, Some("live"), None).await.unwrap();
    assert!(token_curl_accepted(&old_curl).await);

    let new_curl = core
        .rotate_credentials(&id, Some("live"), "now")
        .await
        .unwrap();
    let new_secret = campaign_client_secret(&core, &id, CredentialMode::Live).await;
    assert!(new_curl.contains(&format!("{}:{new_secret}", docs.client_id)));
    assert!(
        !token_curl_accepted(&old_curl).await,
        "the old secret is refused at once"
    );
    assert!(token_curl_accepted(&new_curl).await);
    let after = core
        .campaign_docs(&id, &BTreeMap::new(), None, None)
        .await
        .unwrap();
    assert!(
        after.last_used_at.is_some(),
        "the screen shows the last use"
    );
    assert_eq!(after.previous_secret_expires_at, None);

    core.rotate_credentials(&id, Some("live"), "1h")
        .await
        .unwrap();
    let graced = core
        .campaign_docs(&id, &BTreeMap::new(), None, None)
        .await
        .unwrap();
    assert!(graced.previous_secret_expires_at.is_some());
    assert!(
        token_curl_accepted(&new_curl).await,
        "the previous secret works during its grace"
    );

    assert_eq!(
        code(core.rotate_credentials(&id, Some("live"), "2h").await),
        ("invalid_input".into(), Some("grace".into()))
    );
    assert_eq!(
        code(
            core.campaign_docs(&id, &BTreeMap::new(), None, Some("sandbox"))
                .await
        ),
        ("invalid_input".into(), Some("mode".into()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_credentials_show_their_own_client_and_revoking_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path(), Arc::new(MemorySecretStore::default()));
    let id = sandbox_campaign(&core, "Modo de teste").await;
    let live = core
        .campaign_docs(&id, &BTreeMap::new(), None, Some("live"))
        .await
        .unwrap();
    let test = core
        .campaign_docs(&id, &BTreeMap::new(), None, Some("test"))
        .await
        .unwrap();
    assert_eq!(test.mode, CredentialMode::Test);
    assert!(test.client_id.starts_with("engage_test_"));
    assert!(test.token_snippet_masked.contains(&test.client_id));
    assert_ne!(test.client_id, live.client_id);

    let old_curl = core.token_curl(&id, Some("test"), None).await.unwrap();
    core.revoke_credentials(&id, Some("test")).await.unwrap();
    assert!(!token_curl_accepted(&old_curl).await, "revoked");
    let replaced = core
        .campaign_docs(&id, &BTreeMap::new(), None, Some("test"))
        .await
        .unwrap();
    assert!(replaced.client_id.starts_with("engage_test_"));
    assert_ne!(replaced.client_id, test.client_id);
    assert!(token_curl_accepted(&core.token_curl(&id, Some("test"), None).await.unwrap()).await);
    assert_eq!(
        core.campaign_docs(&id, &BTreeMap::new(), None, Some("live"))
            .await
            .unwrap()
            .client_id,
        live.client_id,
        "the live credentials are untouched"
    );
}

/// A receiver of status callbacks on loopback: counts the requests it answers with 200.
async fn callback_receiver() -> (String, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/engage/status", listener.local_addr().unwrap());
    let counter = count.clone();
    let app = axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            "ok"
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (url, count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_url_is_saved_with_its_secret_once_and_a_test_event_reaches_it() {
    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path(), Arc::new(MemorySecretStore::default()));
    let id = sandbox_campaign(&core, "Avisos de status").await;
    assert!(core.callback(&id).await.unwrap().is_none());
    let (url, received) = callback_receiver().await;

    let (view, secret) = core.set_callback(&id, "campaign", &url).await.unwrap();
    assert_eq!(view.scope, engage_core::callback::CallbackScope::Campaign);
    let secret = secret.expect("a new endpoint's secret, once");
    let (_, again) = core.set_callback(&id, "campaign", &url).await.unwrap();
    assert_eq!(again, None, "saving again shows no secret");
    let rotated = core.rotate_callback_secret(&id, "campaign").await.unwrap();
    assert_ne!(rotated, secret);

    core.send_test_callback(&id).await.unwrap();
    let start = std::time::Instant::now();
    let shown = loop {
        let shown = core.callback(&id).await.unwrap().expect("set");
        if !shown.recent_attempts.is_empty() {
            break shown;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "no attempt"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(shown.recent_attempts[0].status_code, Some(200));
    assert_eq!(received.load(Ordering::SeqCst), 1);

    assert_eq!(
        code(core.set_callback(&id, "everywhere", &url).await),
        ("invalid_input".into(), Some("scope".into()))
    );
    assert_eq!(
        code(core.set_callback(&id, "campaign", "  ").await),
        ("invalid_input".into(), Some("url".into()))
    );
    let recipes = docs::callback_recipes();
    assert_eq!(recipes.len(), engage_core::SnippetLang::ALL.len());
    assert!(recipes.iter().all(|r| r.code.is_some() != r.note.is_some()));
}

/// The first fenced code block of a Markdown text after `heading`.
fn code_after(markdown: &str, heading: &str) -> String {
    let rest = &markdown[markdown.find(heading).expect("the heading")..];
    let start = rest.find("```").expect("a code block");
    let rest = &rest[start..];
    let body = &rest[rest.find('\n').unwrap() + 1..];
    body[..body.find("\n```").expect("the end of the block")].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guide_for_the_technical_team_has_everything_and_the_secret_only_when_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path(), Arc::new(MemorySecretStore::default()));
    let id = sandbox_campaign(&core, "Carrinho & <frete>").await;
    let campaign = core.get_campaign(&id).await.unwrap();
    let secret = campaign_client_secret(&core, &id, CredentialMode::Live).await;
    core.set_language(Some("en")).await.unwrap();

    let (name, markdown) = core
        .integration_guide(&id, crate::models::GuideFormat::Markdown, false)
        .await
        .unwrap();
    assert_eq!(name, "engage-guide-carrinho-frete.md");
    assert!(markdown.starts_with("# Integration guide: Carrinho & <frete>"));
    assert!(markdown.contains(&campaign.template.name));
    for variable in &campaign.template.variables {
        assert!(
            markdown.contains(&format!("| `{}` |", variable.key)),
            "{markdown}"
        );
    }
    for code in [
        "missing_variable",
        "invalid_phone_number",
        "invalid_token",
        "rate_limited",
    ] {
        assert!(markdown.contains(&format!("`{code}`")), "{code}");
    }
    assert!(markdown.contains(guide::SECRET_PLACEHOLDER));
    assert!(
        !markdown.contains(&secret),
        "the secret is left out by default"
    );
    assert!(markdown.contains("test credentials"));
    assert!(markdown.contains("127.0.0.1"), "the sandbox note");
    // The message as the recipient sees it, with the example values.
    let docs = core
        .campaign_docs(&id, &BTreeMap::new(), None, None)
        .await
        .unwrap();
    assert!(markdown.contains(&format!("> {}", docs.rendered.body.lines().next().unwrap())));

    // With the secret: step 1 runs as it is, and the read is in the audit log.
    let (_, with_secret) = core
        .integration_guide(&id, crate::models::GuideFormat::Markdown, true)
        .await
        .unwrap();
    assert!(with_secret.contains(&secret));
    let step1 = code_after(&with_secret, "## Step 1");
    assert!(token_curl_accepted(&step1).await, "{step1}");
    let audit = core
        .audit_log(
            &crate::models::AuditQuery {
                action: Some("credentials_copied".into()),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    assert!(audit
        .items
        .iter()
        .any(|entry| entry.campaign_id.map(|c| c.to_string()) == Some(id.clone())));

    // HTML: one file, escaped, nothing fetched or run.
    let (name, html) = core
        .integration_guide(&id, crate::models::GuideFormat::Html, false)
        .await
        .unwrap();
    assert!(name.ends_with(".html"));
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("Carrinho &amp; &lt;frete&gt;"));
    assert!(!html.contains("<frete>"));
    for outside in ["<script", "<link", "src=", "@import"] {
        assert!(!html.contains(outside), "{outside}");
    }
    assert!(html.contains(guide::SECRET_PLACEHOLDER));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guide_is_written_in_the_apps_language() {
    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path(), Arc::new(MemorySecretStore::default()));
    let id = sandbox_campaign(&core, "Saldo acabando").await;

    core.set_language(Some("pt-BR")).await.unwrap();
    let (_, markdown) = core
        .integration_guide(&id, crate::models::GuideFormat::Markdown, false)
        .await
        .unwrap();
    assert!(
        markdown.starts_with("# Guia de integração: Saldo acabando"),
        "{markdown}"
    );
    for heading in [
        "## O que o destinatário vê",
        "## Passo 1: obter um token de acesso",
        "## Passo 2: enviar a mensagem",
        "## Códigos de erro",
    ] {
        assert!(markdown.contains(heading), "{heading}");
    }
    assert!(markdown.contains("| 422 | `missing_variable` | Falta em `variables`"));
    assert!(markdown.contains(&format!("troque `{}` por ele", guide::SECRET_PLACEHOLDER)));
    assert!(
        !markdown.contains("Every variable is required"),
        "no English left"
    );

    core.set_language(Some("es")).await.unwrap();
    let (_, html) = core
        .integration_guide(&id, crate::models::GuideFormat::Html, false)
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"es\">"));
    assert!(html.contains("<h1>Guía de integración: Saldo acabando</h1>"));
    assert!(html.contains("<h2>Paso 1: obtener un token de acceso</h2>"));
    assert!(html.contains("la variable de entorno <code>ENGAGE_TOKEN</code>"));
    assert!(
        !html.contains('`'),
        "inline code is HTML, not backquotes: {html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaign_stats_come_from_the_server_for_the_period_and_time_zone_asked() {
    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path(), Arc::new(MemorySecretStore::default()));
    core.start_sandbox().await.unwrap();
    let senders = core.list_senders().await.unwrap();
    let templates = core.list_templates().await.unwrap();
    let template = templates
        .iter()
        .find(|t| t.status == TemplateStatus::Approved)
        .unwrap();
    let campaign = core
        .create_campaign(
            "Resultados",
            &senders[0].id.to_string(),
            &template.id.to_string(),
            None,
        )
        .await
        .unwrap();
    let id = campaign.id.to_string();
    let from = "2026-11-01T00:00:00-03:00";
    let to = "2026-11-08T00:00:00-03:00";
    let answer = core
        .campaign_stats(&id, from, to, "day", "America/Sao_Paulo")
        .await
        .unwrap();
    assert_eq!(answer.stats.campaign_id, campaign.id);
    assert_eq!(answer.period.tz, "America/Sao_Paulo");
    assert_eq!(answer.stats.series.len(), 7, "one bucket per local day");
    assert_eq!(answer.stats.totals.sent, 0);
    // The app checks the shape; the server knows the zones.
    assert_eq!(
        code(
            core.campaign_stats(&id, from, to, "day", "Mars/Olympus")
                .await
        ),
        ("invalid_time_zone".into(), Some("tz".into()))
    );
    assert_eq!(
        code(core.campaign_stats(&id, to, from, "day", "UTC").await),
        ("invalid_input".into(), Some("to".into()))
    );
    core.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_send_goes_out_marked_as_a_test_and_its_number_is_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path(), Arc::new(MemorySecretStore::default()));
    core.start_sandbox().await.unwrap();
    let senders = core.list_senders().await.unwrap();
    let templates = core.list_templates().await.unwrap();
    let template = templates
        .iter()
        .find(|t| t.status == TemplateStatus::Approved)
        .unwrap();
    let id = core
        .create_campaign(
            "Teste no meu celular",
            &senders[0].id.to_string(),
            &template.id.to_string(),
            None,
        )
        .await
        .unwrap()
        .id
        .to_string();
    let docs = core
        .campaign_docs(&id, &BTreeMap::new(), None, None)
        .await
        .unwrap();
    assert_eq!(docs.test_phone, None);
    let variables = docs.request.variables.clone();
    assert_eq!(
        code(core.send_test_message(&id, "  ", &variables).await),
        ("invalid_input".into(), Some("to".into()))
    );
    let accepted = core
        .send_test_message(&id, " +5511987650002 ", &variables)
        .await
        .unwrap();
    let page = core.list_messages(&id, None).await.unwrap();
    let sent = page.items.iter().find(|m| m.id == accepted.id).unwrap();
    assert!(sent.test, "shown as a test in the activity");
    assert_eq!(sent.to, "+5511987650002");
    let again = core
        .campaign_docs(&id, &BTreeMap::new(), None, None)
        .await
        .unwrap();
    assert_eq!(again.test_phone.as_deref(), Some("+5511987650002"));
    assert_eq!(
        Settings::load(dir.path()).test_phone.as_deref(),
        Some("+5511987650002"),
        "remembered for the next launch"
    );
    core.set_campaign_status(&id, "inactive").await.unwrap();
    assert_eq!(
        code(
            core.send_test_message(&id, "+5511987650002", &variables)
                .await
        )
        .0,
        "campaign_inactive"
    );
    core.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_do_not_message_list_is_searched_added_to_and_removed_from_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path(), Arc::new(MemorySecretStore::default()));
    core.start_sandbox().await.unwrap();
    let added = core
        .add_opt_out("+55 11 98765-0905", Some("  pediu na loja "))
        .await
        .unwrap();
    assert_eq!(added.phone, "+5511987650905");
    assert_eq!(added.detail.as_deref(), Some("pediu na loja"));
    core.add_opt_out("+5521987650906", None).await.unwrap();
    assert_eq!(core.list_opt_outs(None, None).await.unwrap().items.len(), 2);
    let found = core.list_opt_outs(Some("5521"), None).await.unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(
        code(core.remove_opt_out("+5521987650906", " ").await),
        ("reason_required".into(), Some("reason".into()))
    );
    core.remove_opt_out("+5521987650906", "voltou a assinar")
        .await
        .unwrap();
    assert_eq!(core.list_opt_outs(None, None).await.unwrap().items.len(), 1);
    let csv = core.opt_outs_csv().await.unwrap();
    assert!(
        csv.starts_with('\u{FEFF}'),
        "a byte order mark for spreadsheets"
    );
    assert!(
        csv.contains("'+5511987650905,staff,pediu na loja,"),
        "{csv}"
    );
    assert!(
        !csv.contains("5521987650906"),
        "removed numbers are not exported"
    );
    let imported = core
        .import_opt_outs("phone\n5521987650907,voltou\nxyz\n".as_bytes())
        .await
        .unwrap();
    assert_eq!((imported.added, imported.refused_count), (1, 1));
    assert_eq!(
        code(core.import_opt_outs(&vec![b'1'; 2 * 1024 * 1024]).await).0,
        "import_failed"
    );
    let keywords = core
        .opt_out_keywords(Some(vec!["Chega".into(), "SAIR".into()]))
        .await
        .unwrap();
    assert_eq!(keywords.keywords, vec!["Chega", "SAIR"]);
    assert_eq!(core.opt_out_keywords(None).await.unwrap(), keywords);
    core.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_created_with_a_frequency_cap_keeps_it_until_it_is_changed_or_removed() {
    use engage_core::wire::{CapUnit, FrequencyCap};
    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path(), Arc::new(MemorySecretStore::default()));
    core.start_sandbox().await.expect("sandbox starts");
    let sender = core.list_senders().await.unwrap()[0].clone();
    let template = core
        .list_templates()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.status == TemplateStatus::Approved && t.unsupported.is_none())
        .expect("an approved demo template");
    let daily = FrequencyCap {
        max_messages: 1,
        period: 1,
        unit: CapUnit::Days,
    };
    let campaign = core
        .create_campaign(
            "Uma vez por dia",
            &sender.id.to_string(),
            &template.id.to_string(),
            Some(daily),
        )
        .await
        .expect("created with a cap");
    assert_eq!(campaign.frequency_cap, Some(daily));
    let id = campaign.id.to_string();
    assert_eq!(
        core.get_campaign(&id).await.unwrap().frequency_cap,
        Some(daily)
    );

    let three_an_hour = FrequencyCap {
        max_messages: 3,
        period: 1,
        unit: CapUnit::Hours,
    };
    let changed = core
        .set_campaign_frequency_cap(&id, Some(three_an_hour))
        .await
        .unwrap();
    assert_eq!(changed.frequency_cap, Some(three_an_hour));
    let too_long = FrequencyCap {
        max_messages: 3,
        period: 31,
        unit: CapUnit::Days,
    };
    assert_eq!(
        code(core.set_campaign_frequency_cap(&id, Some(too_long)).await),
        (
            "invalid_frequency_cap".to_owned(),
            Some("frequency_cap.period".to_owned())
        )
    );
    let cleared = core.set_campaign_frequency_cap(&id, None).await.unwrap();
    assert_eq!(cleared.frequency_cap, None);
    assert_eq!(core.get_campaign(&id).await.unwrap().frequency_cap, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_message_log_filters_and_exports_to_a_file_with_progress_or_leaves_none_when_cancelled()
{
    use crate::models::MessageLogFilter;
    let dir = tempfile::tempdir().unwrap();
    let core = Arc::new(core(dir.path(), Arc::new(MemorySecretStore::default())));
    core.start_sandbox().await.unwrap();
    let senders = core.list_senders().await.unwrap();
    let templates = core.list_templates().await.unwrap();
    let template = templates
        .iter()
        .find(|t| t.status == TemplateStatus::Approved)
        .unwrap();
    let id = core
        .create_campaign(
            "Registro de mensagens",
            &senders[0].id.to_string(),
            &template.id.to_string(),
            None,
        )
        .await
        .unwrap()
        .id
        .to_string();
    let docs = core
        .campaign_docs(&id, &BTreeMap::new(), None, None)
        .await
        .unwrap();
    let variables = docs.request.variables.clone();
    for to in ["+5511987650002", "+5521987650002", "+5511987650012"] {
        core.send_test_message(&id, to, &variables).await.unwrap();
    }
    let rio = MessageLogFilter {
        recipient: Some("55 21".into()),
        ..Default::default()
    };
    let page = core.message_log(&id, None, &rio).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].to, "+5521987650002");
    assert_eq!(
        code(
            core.message_log(
                &id,
                None,
                &MessageLogFilter {
                    status: Some("lost".into()),
                    ..Default::default()
                }
            )
            .await
        ),
        ("invalid_input".into(), Some("status".into()))
    );

    let path = dir.path().join("mensagens.csv");
    let reports = std::sync::Mutex::new(Vec::new());
    let outcome = core
        .export_messages_csv(
            &id,
            &MessageLogFilter::default(),
            "America/Sao_Paulo",
            &path,
            |p| reports.lock().unwrap().push(p),
        )
        .await
        .unwrap();
    assert_eq!(
        (outcome.cancelled, outcome.rows, outcome.path.as_deref()),
        (false, 3, Some(path.display().to_string().as_str()))
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("\u{FEFF}id,created,recipient,status,"));
    assert_eq!(text.matches("\r\n").count(), 4, "{text}");
    assert!(text.contains("'+5521987650002"), "{text}");
    let reports = reports.into_inner().unwrap();
    let last = reports.last().unwrap();
    assert_eq!((last.rows, last.total_rows), (3, 3));
    assert_eq!(last.bytes, text.len() as u64);

    // Cancelled as soon as it starts: no file is left.
    let cancelled_path = dir.path().join("cancelada.csv");
    let canceller = core.clone();
    let outcome = core
        .export_messages_csv(
            &id,
            &MessageLogFilter::default(),
            "UTC",
            &cancelled_path,
            move |_| canceller.cancel_message_export(),
        )
        .await
        .unwrap();
    assert!(outcome.cancelled);
    assert!(outcome.path.is_none());
    assert!(!cancelled_path.exists(), "the partial file is removed");
    core.shutdown().await;
}
