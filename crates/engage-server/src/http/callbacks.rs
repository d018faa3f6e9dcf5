//! Status callback endpoints (staff): the workspace's (`/v1/callback`) and a campaign's own
//! (`/v1/campaigns/{id}/callback`, which wins). Saving creates the endpoint (its signing
//! secret is in that answer only) or changes its URL and resumes it; the secret can be
//! rotated; a test event can be queued; the recent attempts are listed.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use engage_core::callback::{CallbackEndpoint, CallbackEvent, SetCallbackRequest};
use engage_core::wire::ApiErrorBody;
use uuid::Uuid;

use super::error::ApiError;
use super::extractor::{need, parse_id, Allowed, ApiJson, StaffUser};
use super::{no_store, AppState};
use crate::callbacks::destination::check_url;
use crate::crypto::random_token;
use crate::store::NewAuditEntry;
use crate::store::{from_millis, EndpointRecord};
use engage_core::AuditAction;

pub fn router() -> Router<AppState> {
    no_store(
        Router::new()
            .route(
                "/v1/callback",
                get(get_workspace)
                    .put(put_workspace)
                    .delete(delete_workspace),
            )
            .route("/v1/callback/rotate-secret", post(rotate_workspace))
            .route("/v1/callback/test", post(test_workspace))
            .route(
                "/v1/campaigns/{id}/callback",
                get(get_campaign).put(put_campaign).delete(delete_campaign),
            )
            .route(
                "/v1/campaigns/{id}/callback/rotate-secret",
                post(rotate_campaign),
            )
            .route("/v1/campaigns/{id}/callback/test", post(test_campaign)),
    )
}

fn not_set() -> ApiError {
    ApiError::not_found(
        "callback_not_set",
        "no callback URL is set here; save one first",
    )
}

/// The campaign of the path, known to be in the workspace.
async fn campaign_of(state: &AppState, staff: &StaffUser, id: &str) -> Result<Uuid, ApiError> {
    let id = parse_id(id, ApiError::campaign_not_found)?;
    if !state.store.campaign_exists(staff.workspace_id, id).await? {
        return Err(ApiError::campaign_not_found());
    }
    Ok(id)
}

/// Records a change of a callback endpoint (the campaign's own, or the workspace's).
async fn audit(
    state: &AppState,
    staff: &StaffUser,
    campaign_id: Option<Uuid>,
    action: AuditAction,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), ApiError> {
    let mut entry = NewAuditEntry::new(action).change(before, after);
    entry = match campaign_id {
        Some(id) => {
            let name = state
                .store
                .campaign(staff.workspace_id, id)
                .await?
                .map(|campaign| campaign.name)
                .unwrap_or_default();
            entry.campaign(id, &name)
        }
        None => entry.target("workspace"),
    };
    state.store.record_audit(&staff.audit(), &entry).await?;
    Ok(())
}

async fn view(
    state: &AppState,
    endpoint: EndpointRecord,
    secret: Option<String>,
) -> Result<CallbackEndpoint, ApiError> {
    Ok(CallbackEndpoint {
        recent_attempts: state.store.callback_attempts(endpoint.id).await?,
        scope: endpoint.scope(),
        paused: endpoint.paused_at.is_some(),
        failing_since: endpoint.failing_since.map(from_millis),
        url: endpoint.url,
        secret,
    })
}

/// The endpoint that receives a campaign's events: its own, else the workspace's.
async fn effective(
    state: &AppState,
    workspace_id: Uuid,
    campaign_id: Option<Uuid>,
) -> Result<Option<EndpointRecord>, ApiError> {
    if let Some(campaign_id) = campaign_id {
        if let Some(own) = state
            .store
            .callback_endpoint(workspace_id, Some(campaign_id))
            .await?
        {
            return Ok(Some(own));
        }
    }
    Ok(state.store.callback_endpoint(workspace_id, None).await?)
}

async fn read(
    state: &AppState,
    workspace_id: Uuid,
    campaign_id: Option<Uuid>,
) -> Result<Json<CallbackEndpoint>, ApiError> {
    let endpoint = effective(state, workspace_id, campaign_id)
        .await?
        .ok_or_else(not_set)?;
    Ok(Json(view(state, endpoint, None).await?))
}

async fn save(
    state: &AppState,
    staff: &StaffUser,
    campaign_id: Option<Uuid>,
    request: SetCallbackRequest,
) -> Result<Response, ApiError> {
    let workspace_id = staff.workspace_id;
    let before = state
        .store
        .callback_endpoint(workspace_id, campaign_id)
        .await?
        .map(|endpoint| serde_json::json!({ "url": endpoint.url }));
    let url = check_url(&request.url, state.callbacks.allow_private).map_err(|error| {
        ApiError::Invalid {
            code: error.code(),
            message: error.to_string(),
            field: Some("url".into()),
        }
    })?;
    let secret = random_token();
    let created = state
        .store
        .save_callback_endpoint(
            workspace_id,
            campaign_id,
            url.as_str(),
            &state.secret_key.encrypt(&secret),
        )
        .await?;
    let endpoint = state
        .store
        .callback_endpoint(workspace_id, campaign_id)
        .await?
        .ok_or_else(not_set)?;
    audit(
        state,
        staff,
        campaign_id,
        AuditAction::CallbackChanged,
        before,
        Some(serde_json::json!({ "url": endpoint.url })),
    )
    .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = view(state, endpoint, created.then_some(secret)).await?;
    Ok((status, Json(body)).into_response())
}

async fn rotate(
    state: &AppState,
    staff: &StaffUser,
    campaign_id: Option<Uuid>,
) -> Result<Json<CallbackEndpoint>, ApiError> {
    let endpoint = state
        .store
        .callback_endpoint(staff.workspace_id, campaign_id)
        .await?
        .ok_or_else(not_set)?;
    let secret = random_token();
    state
        .store
        .rotate_callback_secret(endpoint.id, &state.secret_key.encrypt(&secret))
        .await?;
    audit(
        state,
        staff,
        campaign_id,
        AuditAction::CallbackSecretRotated,
        None,
        Some(serde_json::json!({ "url": endpoint.url })),
    )
    .await?;
    Ok(Json(view(state, endpoint, Some(secret)).await?))
}

async fn remove(
    state: &AppState,
    staff: &StaffUser,
    campaign_id: Option<Uuid>,
) -> Result<StatusCode, ApiError> {
    let endpoint = state
        .store
        .callback_endpoint(staff.workspace_id, campaign_id)
        .await?
        .ok_or_else(not_set)?;
    state.store.delete_callback_endpoint(endpoint.id).await?;
    audit(
        state,
        staff,
        campaign_id,
        AuditAction::CallbackChanged,
        Some(serde_json::json!({ "url": endpoint.url })),
        None,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Queues a test event (`status: "test"`) for the endpoint that receives `campaign_id`'s
/// events (the workspace's when `None`).
async fn queue_test(
    state: &AppState,
    workspace_id: Uuid,
    campaign_id: Option<Uuid>,
) -> Result<StatusCode, ApiError> {
    let endpoint = effective(state, workspace_id, campaign_id)
        .await?
        .ok_or_else(not_set)?;
    let event = CallbackEvent {
        id: format!("test-{}", Uuid::now_v7()),
        campaign_id: campaign_id.unwrap_or(Uuid::nil()),
        to: "+5511987654321".into(),
        status: "test".into(),
        at: time::OffsetDateTime::now_utc(),
        error: None,
    };
    state
        .store
        .enqueue_test_callback(endpoint.id, &event)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

/// The workspace's callback endpoint.
#[utoipa::path(get, path = "/v1/callback", tag = "callbacks", security(("staff" = [])),
    responses((status = 200, body = CallbackEndpoint),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 404, description = "`callback_not_set`", body = ApiErrorBody)))]
pub async fn get_workspace(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ViewWorkspace>,
) -> Result<Json<CallbackEndpoint>, ApiError> {
    read(&state, staff.workspace_id, None).await
}

/// Set the workspace's callback URL (created with a signing secret shown once in the
/// answer; saving again changes the URL and resumes a paused endpoint).
#[utoipa::path(put, path = "/v1/callback", tag = "callbacks", request_body = SetCallbackRequest, security(("staff" = [])),
    responses((status = 200, body = CallbackEndpoint), (status = 201, body = CallbackEndpoint, description = "Created: `secret` holds the signing secret"),
        (status = 400, description = "`malformed_json`", body = ApiErrorBody),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 413, description = "`payload_too_large`", body = ApiErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ApiErrorBody),
        (status = 422, description = "`invalid_body`, `invalid_callback_url`, `callback_destination_not_allowed`", body = ApiErrorBody)))]
pub async fn put_workspace(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ManageCallbacks>,
    ApiJson(request): ApiJson<SetCallbackRequest>,
) -> Result<Response, ApiError> {
    save(&state, &staff, None, request).await
}

/// Remove the workspace's callback endpoint (its pending events are dropped).
#[utoipa::path(delete, path = "/v1/callback", tag = "callbacks", security(("staff" = [])),
    responses((status = 204, description = "Removed"),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 404, description = "`callback_not_set`", body = ApiErrorBody)))]
pub async fn delete_workspace(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ManageCallbacks>,
) -> Result<StatusCode, ApiError> {
    remove(&state, &staff, None).await
}

/// A new signing secret for the workspace's endpoint (in this answer only).
#[utoipa::path(post, path = "/v1/callback/rotate-secret", tag = "callbacks", security(("staff" = [])),
    responses((status = 200, body = CallbackEndpoint),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 404, description = "`callback_not_set`", body = ApiErrorBody)))]
pub async fn rotate_workspace(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ManageCallbacks>,
) -> Result<Json<CallbackEndpoint>, ApiError> {
    rotate(&state, &staff, None).await
}

/// Queue a test event (`status: "test"`) to the workspace's endpoint.
#[utoipa::path(post, path = "/v1/callback/test", tag = "callbacks", security(("staff" = [])),
    responses((status = 202, description = "Queued"),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 404, description = "`callback_not_set`", body = ApiErrorBody)))]
pub async fn test_workspace(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::SendTests>,
) -> Result<StatusCode, ApiError> {
    queue_test(&state, staff.workspace_id, None).await
}

/// The endpoint receiving this campaign's events: its own, else the workspace's (`scope`).
#[utoipa::path(get, path = "/v1/campaigns/{id}/callback", tag = "callbacks", security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Campaign id")),
    responses((status = 200, body = CallbackEndpoint),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 404, description = "`campaign_not_found`, `callback_not_set`", body = ApiErrorBody)))]
pub async fn get_campaign(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ViewWorkspace>,
    Path(id): Path<String>,
) -> Result<Json<CallbackEndpoint>, ApiError> {
    let campaign_id = campaign_of(&state, &staff, &id).await?;
    read(&state, staff.workspace_id, Some(campaign_id)).await
}

/// Set this campaign's own callback URL (overrides the workspace's).
#[utoipa::path(put, path = "/v1/campaigns/{id}/callback", tag = "callbacks", request_body = SetCallbackRequest, security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Campaign id")),
    responses((status = 200, body = CallbackEndpoint), (status = 201, body = CallbackEndpoint, description = "Created: `secret` holds the signing secret"),
        (status = 400, description = "`malformed_json`", body = ApiErrorBody),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 404, description = "`campaign_not_found`", body = ApiErrorBody),
        (status = 413, description = "`payload_too_large`", body = ApiErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ApiErrorBody),
        (status = 422, description = "`invalid_body`, `invalid_callback_url`, `callback_destination_not_allowed`", body = ApiErrorBody)))]
pub async fn put_campaign(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ManageCallbacks>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<SetCallbackRequest>,
) -> Result<Response, ApiError> {
    let campaign_id = campaign_of(&state, &staff, &id).await?;
    save(&state, &staff, Some(campaign_id), request).await
}

/// Remove this campaign's own endpoint (the workspace's receives its events again).
#[utoipa::path(delete, path = "/v1/campaigns/{id}/callback", tag = "callbacks", security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Campaign id")),
    responses((status = 204, description = "Removed"),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 404, description = "`campaign_not_found`, `callback_not_set`", body = ApiErrorBody)))]
pub async fn delete_campaign(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ManageCallbacks>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let campaign_id = campaign_of(&state, &staff, &id).await?;
    remove(&state, &staff, Some(campaign_id)).await
}

/// A new signing secret for this campaign's own endpoint (in this answer only).
#[utoipa::path(post, path = "/v1/campaigns/{id}/callback/rotate-secret", tag = "callbacks", security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Campaign id")),
    responses((status = 200, body = CallbackEndpoint),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 404, description = "`campaign_not_found`, `callback_not_set`", body = ApiErrorBody)))]
pub async fn rotate_campaign(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ManageCallbacks>,
    Path(id): Path<String>,
) -> Result<Json<CallbackEndpoint>, ApiError> {
    let campaign_id = campaign_of(&state, &staff, &id).await?;
    rotate(&state, &staff, Some(campaign_id)).await
}

/// Queue a test event to the endpoint receiving this campaign's events.
#[utoipa::path(post, path = "/v1/campaigns/{id}/callback/test", tag = "callbacks", security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Campaign id")),
    responses((status = 202, description = "Queued"),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 404, description = "`campaign_not_found`, `callback_not_set`", body = ApiErrorBody)))]
pub async fn test_campaign(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::SendTests>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let campaign_id = campaign_of(&state, &staff, &id).await?;
    queue_test(&state, staff.workspace_id, Some(campaign_id)).await
}
