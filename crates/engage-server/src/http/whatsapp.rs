//! HTTP routes of the whatsapp_cloud provider (the provider itself is [`crate::whatsapp`]):
//!
//! - `GET /webhooks/whatsapp`: Meta's subscription handshake (the configured verify token,
//!   `ENGAGE_WHATSAPP_VERIFY_TOKEN`, or a workspace's);
//! - `POST /webhooks/whatsapp`: status and template notifications, signed with the app
//!   secret (`ENGAGE_WHATSAPP_APP_SECRET`, or a workspace's); a missing or wrong
//!   `X-Hub-Signature-256` is answered 401 and changes nothing;
//! - `POST /v1/whatsapp/senders` (staff): add a whatsapp_cloud sender;
//! - `POST /v1/whatsapp/sync` (staff): "Sync from WhatsApp".

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use engage_core::wire::{ApiErrorBody, MessageError, MessageStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::env::{WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN};
use crate::store::{ProviderReport, TemplateEventOutcome};
use crate::whatsapp::senders::{create_cloud_sender, set_webhook_settings, CloudSenderInput};
use crate::whatsapp::sync::{sync_workspace, SyncReport};
use crate::whatsapp::template_events::apply_template_event;
use crate::whatsapp::webhook::{
    handshake, parse_notification, verify_signature, HandshakeQuery, SignatureError, WebhookEvent,
    SIGNATURE_HEADER,
};

use super::error::ApiError;
use super::extractor::{need, Allowed, ApiJson};
use super::AppState;
use crate::store::NewAuditEntry;
use engage_core::AuditAction;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks/whatsapp", get(verify).post(notify))
        .route("/v1/whatsapp/senders", post(create_sender))
        .route("/v1/whatsapp/sync", post(sync))
        .route("/v1/whatsapp/settings", put(set_settings))
}

fn not_configured(message: String) -> ApiError {
    ApiError::NotConfigured {
        code: "webhook_not_configured",
        message,
    }
}

/// Meta's webhook subscription handshake: answers `hub.challenge` when `hub.mode` is
/// `subscribe` and `hub.verify_token` is the configured one (`ENGAGE_WHATSAPP_VERIFY_TOKEN`)
/// or a workspace's.
#[utoipa::path(get, path = "/webhooks/whatsapp", tag = "whatsapp",
    params(("hub.mode" = String, Query, description = "`subscribe`"),
           ("hub.verify_token" = String, Query, description = "The configured verify token"),
           ("hub.challenge" = String, Query, description = "Echoed back on success")),
    responses((status = 200, description = "The challenge, as text/plain", body = String),
              (status = 403, description = "`invalid_hub_mode`, `invalid_verify_token`, `missing_hub_challenge`", body = ApiErrorBody),
              (status = 503, description = "`webhook_not_configured`", body = ApiErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    Query(query): Query<HandshakeQuery>,
) -> Result<String, ApiError> {
    let mut tokens: Vec<String> = state.whatsapp.verify_token.iter().cloned().collect();
    let sealed = state.store.webhook_verify_tokens().await?;
    tokens.extend(
        sealed
            .iter()
            .filter_map(|s| state.secret_key.decrypt(s).ok()),
    );
    if tokens.is_empty() {
        return Err(not_configured(format!(
            "no verify token: set {WHATSAPP_VERIFY_TOKEN} or a workspace's WhatsApp settings"
        )));
    }
    let mut refusal = None;
    for token in &tokens {
        match handshake(&query, token) {
            Ok(challenge) => return Ok(challenge),
            Err(refused) => refusal = Some(refused),
        }
    }
    let refused = refusal.expect("at least one token was tried");
    Err(ApiError::Forbidden {
        code: refused.code(),
        message: refused.to_string(),
        field: Some(refused.field()),
    })
}

/// The WhatsApp Business Account ids (`entry[].id`) a notification claims to be about; read
/// before verification only to pick the workspace secrets to try.
fn claimed_wabas(body: &[u8]) -> Vec<String> {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    value
        .get("entry")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.get("id").and_then(serde_json::Value::as_str))
        .map(str::to_owned)
        .collect()
}

/// What a notification changed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotifyOutcome {
    /// Events that changed something.
    pub applied: u32,
    /// Repeated, late (a status behind the current one) or unknown message ids; template
    /// events that changed nothing.
    pub ignored: u32,
    /// Template events naming no known template: recorded and logged, not applied.
    pub unmatched: u32,
}

/// Meta's notifications: message statuses (`sent`, `delivered`, `read`, `failed`) by WhatsApp
/// message id — idempotent, never backwards, unknown ids ignored — and the template events
/// `message_template_status_update`, `message_template_quality_update` and
/// `template_category_update`, matched by Meta's template id, else by name and language
/// (`en-US` = `en_US`); every template event is recorded, one naming no known template is
/// counted `unmatched` (still 200: Meta must not retry it). The body must be signed: `X-Hub-Signature-256:
/// sha256=<HMAC-SHA256 of the raw body with the app secret>` (`ENGAGE_WHATSAPP_APP_SECRET` or
/// the workspace's).
#[utoipa::path(post, path = "/webhooks/whatsapp", tag = "whatsapp",
    params(("X-Hub-Signature-256" = String, Header, description = "sha256=<hex HMAC-SHA256 of the raw body>")),
    request_body(content = Object, content_type = "application/json", description = "Meta's notification: `{\"object\": \"whatsapp_business_account\", \"entry\": [...]}`"),
    responses((status = 200, body = NotifyOutcome),
              (status = 400, description = "`invalid_notification`", body = ApiErrorBody),
              (status = 401, description = "`signature_missing`, `invalid_signature`: nothing changed", body = ApiErrorBody),
              (status = 503, description = "`webhook_not_configured`", body = ApiErrorBody)))]
pub async fn notify(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<NotifyOutcome>, ApiError> {
    // The server-wide secret, then the secrets of the workspaces the body names.
    let mut secrets: Vec<(Option<Uuid>, String)> = state
        .whatsapp
        .app_secret
        .iter()
        .map(|secret| (None, secret.clone()))
        .collect();
    let found = state
        .store
        .webhook_secrets_for_wabas(&claimed_wabas(&body))
        .await?;
    secrets.extend(found.into_iter().filter_map(|(workspace, sealed)| {
        Some((Some(workspace), state.secret_key.decrypt(&sealed).ok()?))
    }));
    if secrets.is_empty() {
        return Err(not_configured(format!(
            "no app secret: set {WHATSAPP_APP_SECRET} or the workspace's WhatsApp settings"
        )));
    }
    let signature = headers
        .get(SIGNATURE_HEADER)
        .map(|v| v.to_str().unwrap_or("<not text>"));
    let mut verdict = Err(SignatureError::Mismatch);
    for (workspace, secret) in &secrets {
        match verify_signature(secret.as_bytes(), &body, signature) {
            Ok(()) => {
                verdict = Ok(*workspace);
                break;
            }
            Err(SignatureError::Mismatch) => {}
            Err(other) => {
                verdict = Err(other);
                break;
            }
        }
    }
    // A workspace's own secret only vouches for that workspace's messages and templates.
    crate::metrics::webhook_verification(match &verdict {
        Ok(_) => "valid",
        Err(refused) => refused.code(),
    });
    let scope = verdict.map_err(|refused| ApiError::BadSignature {
        code: refused.code(),
        message: refused.to_string(),
    })?;
    let events = parse_notification(&body).map_err(|refused| ApiError::BadRequest {
        code: "invalid_notification",
        message: refused.to_string(),
    })?;
    let mut outcome = NotifyOutcome {
        applied: 0,
        ignored: 0,
        unmatched: 0,
    };
    let mut reports = Vec::new();
    for event in events {
        match event {
            WebhookEvent::Delivery(report) => {
                let error = (report.status == MessageStatus::Failed).then(|| MessageError {
                    code: report.failure_code(),
                    message: report.failure_message(),
                });
                reports.push(ProviderReport {
                    at_ms: report
                        .timestamp
                        .and_then(|seconds| seconds.checked_mul(1000)),
                    provider_message_id: report.message_id,
                    status: report.status,
                    error,
                });
            }
            WebhookEvent::Reply(reply) => {
                // A workspace's own secret vouches only for its senders' replies.
                let workspace = state
                    .store
                    .sender_workspace(reply.phone_number_id.as_deref(), None)
                    .await?
                    .filter(|workspace| scope.is_none_or(|scope| scope == *workspace));
                match workspace {
                    Some(workspace) => {
                        // A press on a button marked as opt-out, else a keyword.
                        let by_button = if reply.button {
                            state
                                .store
                                .record_button_press(
                                    workspace,
                                    &reply.from,
                                    &reply.text,
                                    reply.context_id.as_deref(),
                                    None,
                                )
                                .await?
                        } else {
                            None
                        };
                        let by_keyword = match by_button {
                            Some(_) => None,
                            None => {
                                state
                                    .store
                                    .record_reply(workspace, &reply.from, &reply.text)
                                    .await?
                            }
                        };
                        match (by_button, by_keyword) {
                            (None, None) => outcome.ignored += 1,
                            _ => outcome.applied += 1,
                        }
                    }
                    None => outcome.unmatched += 1,
                }
            }
            WebhookEvent::Template(event) => {
                let (result, campaigns) = apply_template_event(&state.store, scope, &event).await?;
                for campaign in campaigns {
                    state.forget_send_context(campaign);
                }
                match result {
                    TemplateEventOutcome::Applied => outcome.applied += 1,
                    TemplateEventOutcome::Unchanged => outcome.ignored += 1,
                    TemplateEventOutcome::Unmatched => outcome.unmatched += 1,
                }
            }
        }
    }
    let applied = state.writer.report(scope, reports).await?;
    outcome.applied += applied.applied;
    outcome.ignored += applied.ignored;
    Ok(Json(outcome))
}

/// `POST /v1/whatsapp/senders`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateCloudSender {
    #[schema(pattern = r"\S")]
    pub name: String,
    /// E.164.
    #[schema(
        max_length = 40,
        pattern = r"^\s*\+[0-9 ().\-]*[0-9][0-9 ().\-]*\s*$",
        example = "+5511987654321"
    )]
    pub phone: String,
    /// Cloud API phone number id.
    #[schema(pattern = r"^[ \t\n\r]*[0-9]+[ \t\n\r]*$")]
    pub phone_number_id: String,
    /// WhatsApp Business Account id.
    #[schema(pattern = r"^[ \t\n\r]*[0-9]+[ \t\n\r]*$")]
    pub waba_id: String,
    /// System-user access token (stored encrypted, never returned).
    #[schema(pattern = r"^[ \t\n\r]*[!-~]+[ \t\n\r]*$")]
    pub access_token: String,
    /// Messages per second (default 80).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10000)]
    pub rate_per_second: Option<u32>,
}

/// Adds a whatsapp_cloud sender (its access token is stored encrypted).
#[utoipa::path(post, path = "/v1/whatsapp/senders", tag = "whatsapp", security(("staff" = [])),
    request_body = CreateCloudSender,
    responses((status = 201, body = engage_core::wire::Sender),
              (status = 409, description = "`phone_number_id_taken`, `sender_phone_taken`", body = ApiErrorBody),
              (status = 422, description = "`invalid_input` (names the field)", body = ApiErrorBody)))]
pub async fn create_sender(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ManageSenders>,
    ApiJson(request): ApiJson<CreateCloudSender>,
) -> Result<(StatusCode, Json<engage_core::wire::Sender>), ApiError> {
    let id = create_cloud_sender(
        &state.store,
        &state.secret_key,
        CloudSenderInput {
            workspace_id: staff.workspace_id,
            name: request.name,
            phone: request.phone,
            phone_number_id: request.phone_number_id,
            waba_id: request.waba_id,
            access_token: request.access_token,
            rate_per_second: request.rate_per_second,
            inactive: false,
        },
    )
    .await?;
    match state.store.sender(staff.workspace_id, id).await? {
        Some(sender) => {
            let entry = NewAuditEntry::new(AuditAction::SenderCreated)
                .target(&sender.name)
                .change(
                    None,
                    Some(serde_json::json!({ "name": sender.name, "phone": sender.phone })),
                );
            state.store.record_audit(&staff.audit(), &entry).await?;
            Ok((StatusCode::CREATED, Json(sender)))
        }
        None => Err(ApiError::Internal(format!("sender {id} vanished"))),
    }
}

/// "Sync from WhatsApp": fetches the templates (every page) and phone numbers of the
/// workspace's WhatsApp Business Accounts and updates its templates and senders.
#[utoipa::path(post, path = "/v1/whatsapp/sync", tag = "whatsapp", security(("staff" = [])),
    responses((status = 200, body = SyncReport),
              (status = 409, description = "`no_whatsapp_sender`", body = ApiErrorBody),
              (status = 502, description = "Meta's error, as `whatsapp_<code>`", body = ApiErrorBody)))]
pub async fn sync(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ManageSenders>,
) -> Result<Json<SyncReport>, ApiError> {
    let report = sync_workspace(
        &state.store,
        &state.secret_key,
        &state.graph,
        staff.workspace_id,
    )
    .await?;
    let entry = NewAuditEntry::new(AuditAction::TemplatesImported)
        .change(None, serde_json::to_value(&report).ok());
    state.store.record_audit(&staff.audit(), &entry).await?;
    Ok(Json(report))
}

/// `PUT /v1/whatsapp/settings`: the workspace's own webhook app secret and verify token.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct WebhookSettings {
    /// The Meta app secret that signs this workspace's notifications (stored encrypted).
    #[schema(pattern = r"^[ \t\n\r]*[!-~]+[ \t\n\r]*$")]
    pub app_secret: String,
    /// The token Meta echoes in the subscription handshake (stored encrypted).
    #[schema(pattern = r"^[ \t\n\r]*[!-~]+[ \t\n\r]*$")]
    pub verify_token: String,
}

/// Sets the workspace's webhook app secret and verify token (used beside the server-wide
/// ones, `ENGAGE_WHATSAPP_APP_SECRET` / `ENGAGE_WHATSAPP_VERIFY_TOKEN`).
#[utoipa::path(put, path = "/v1/whatsapp/settings", tag = "whatsapp", security(("staff" = [])),
    request_body = WebhookSettings,
    responses((status = 204, description = "Saved"),
              (status = 422, description = "`invalid_input` (names the field)", body = ApiErrorBody)))]
pub async fn set_settings(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ManageWhatsapp>,
    ApiJson(request): ApiJson<WebhookSettings>,
) -> Result<StatusCode, ApiError> {
    set_webhook_settings(
        &state.store,
        &state.secret_key,
        staff.workspace_id,
        &request.app_secret,
        &request.verify_token,
    )
    .await?;
    // The values are secrets: the entry says that they changed, not what they are.
    let entry = NewAuditEntry::new(AuditAction::WhatsappSettingsChanged).change(
        None,
        Some(serde_json::json!({ "app_secret": "changed", "verify_token": "changed" })),
    );
    state.store.record_audit(&staff.audit(), &entry).await?;
    Ok(StatusCode::NO_CONTENT)
}
