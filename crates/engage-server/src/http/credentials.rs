//! A campaign's API credentials (issue 11): each campaign created since has its own live and
//! test client; older campaigns use the workspace client until their credentials are
//! rotated. Staff rotate the secret (the old one keeps working for a grace period) or revoke
//! the client (every token of it refused from the next request on; a new client replaces
//! it). The integration lookup (`GET /v1/campaigns/{id}/integration?mode=`) shows the
//! credentials of one mode.
//!
//! Revocation and rotation are written to the database, which every instance reads: the
//! instance that handled the request drops its cached tokens of the client at once; another
//! instance sees the change within [`super::CACHE_TTL`] (1 s), the life of its token cache.

use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use engage_core::wire::{
    ApiErrorBody, CampaignIntegration, CredentialMode, RevokeCredentialsRequest,
    RotateCredentialsRequest,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::error::ApiError;
use super::extractor::{need, parse_id, Allowed, ApiJson, StaffUser};
use super::{no_store, AppState};
use crate::crypto::{random_token, sha256};
use crate::integration::{is_test, new_campaign_client};
use crate::store::NewAuditEntry;
use engage_core::AuditAction;

pub fn router() -> Router<AppState> {
    no_store(
        Router::new()
            .route("/v1/campaigns/{id}/credentials/rotate", post(rotate))
            .route("/v1/campaigns/{id}/credentials/revoke", post(revoke)),
    )
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ModeQuery {
    /// `live` (default) or `test`: which credentials to show.
    #[param(value_type = Option<CredentialMode>)]
    pub mode: Option<CredentialMode>,
}

async fn check_campaign(state: &AppState, staff: &StaffUser, id: &str) -> Result<Uuid, ApiError> {
    let id = parse_id(id, ApiError::campaign_not_found)?;
    if !state.store.campaign_exists(staff.workspace_id, id).await? {
        return Err(ApiError::campaign_not_found());
    }
    Ok(id)
}

/// The credentials after a rotation or revocation, and its audit entry (`action`, with the
/// client ids before and after).
async fn integration_after_change(
    state: &AppState,
    staff: &StaffUser,
    campaign_id: Uuid,
    mode: CredentialMode,
    action: AuditAction,
    before: Option<String>,
) -> Result<Json<CampaignIntegration>, ApiError> {
    let (campaign, integration) =
        super::campaigns::integration_of(state, staff.workspace_id, campaign_id, mode).await?;
    let entry = NewAuditEntry::new(action)
        .campaign(campaign_id, &campaign.name)
        .change(
            Some(serde_json::json!({ "client_id": before, "mode": mode })),
            Some(serde_json::json!({ "client_id": integration.client_id, "mode": mode })),
        );
    state.store.record_audit(&staff.audit(), &entry).await?;
    Ok(Json(integration))
}

/// Issue a new secret for the campaign's credentials. With `grace` `now` the old secret and
/// every token issued with it are refused at once; with `1h` / `24h` they keep working until
/// then. A campaign still on the workspace client gets its own client instead (the
/// workspace client, shared with other campaigns, is left as it is).
#[utoipa::path(post, path = "/v1/campaigns/{id}/credentials/rotate", tag = "campaigns",
    request_body = RotateCredentialsRequest, security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Campaign id")),
    responses(
        (status = 200, body = CampaignIntegration, description = "The new credentials",
            headers(("Cache-Control" = String, description = "`no-store`: the answer holds the client secret"))),
        (status = 400, description = "`malformed_json`", body = ApiErrorBody),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: viewers may not (field `reveal_credentials`)", body = ApiErrorBody),
        (status = 404, description = "`campaign_not_found`", body = ApiErrorBody),
        (status = 413, description = "`payload_too_large`", body = ApiErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ApiErrorBody),
        (status = 422, description = "`invalid_body`", body = ApiErrorBody)))]
pub async fn rotate(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::RevealCredentials>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<RotateCredentialsRequest>,
) -> Result<Json<CampaignIntegration>, ApiError> {
    let campaign_id = check_campaign(&state, &staff, &id).await?;
    let test = is_test(request.mode);
    let current = state.store.campaign_api_client(campaign_id, test).await?;
    let before = current.as_ref().map(|client| client.client_id.clone());
    match current {
        Some(client) => {
            let secret = random_token();
            state
                .store
                .rotate_api_client_secret(
                    client.id,
                    &sha256(&secret),
                    &state.secret_key.encrypt(&secret),
                    request.grace.millis(),
                )
                .await?;
            state.forget_client_tokens(client.id);
        }
        None => {
            let new = new_campaign_client(
                &state.secret_key,
                staff.workspace_id,
                campaign_id,
                request.mode,
            );
            state.store.insert_api_client(&new).await?;
        }
    }
    integration_after_change(
        &state,
        &staff,
        campaign_id,
        request.mode,
        AuditAction::SecretRotated,
        before,
    )
    .await
}

/// Revoke the campaign's credentials: the client and every token of it are refused from the
/// next request on (on another server instance within 1 s), and new credentials (a new
/// client id and secret) replace them. A campaign still on the workspace client cannot
/// revoke it (other campaigns use it): rotate first.
#[utoipa::path(post, path = "/v1/campaigns/{id}/credentials/revoke", tag = "campaigns",
    request_body = RevokeCredentialsRequest, security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Campaign id")),
    responses(
        (status = 200, body = CampaignIntegration, description = "The replacing credentials",
            headers(("Cache-Control" = String, description = "`no-store`: the answer holds the client secret"))),
        (status = 400, description = "`malformed_json`", body = ApiErrorBody),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: viewers may not (field `reveal_credentials`)", body = ApiErrorBody),
        (status = 404, description = "`campaign_not_found`", body = ApiErrorBody),
        (status = 409, description = "`credentials_shared`: the campaign uses the workspace client", body = ApiErrorBody),
        (status = 413, description = "`payload_too_large`", body = ApiErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ApiErrorBody),
        (status = 422, description = "`invalid_body`", body = ApiErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::RevealCredentials>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<RevokeCredentialsRequest>,
) -> Result<Json<CampaignIntegration>, ApiError> {
    let campaign_id = check_campaign(&state, &staff, &id).await?;
    let Some(client) = state
        .store
        .campaign_api_client(campaign_id, is_test(request.mode))
        .await?
    else {
        return Err(ApiError::conflict(
            "credentials_shared",
            Some("mode"),
            "this campaign still uses the workspace's shared credentials, which other campaigns use too; rotate the secret first to give it its own",
        ));
    };
    let replacement = new_campaign_client(
        &state.secret_key,
        staff.workspace_id,
        campaign_id,
        request.mode,
    );
    state
        .store
        .revoke_api_client(client.id, &replacement)
        .await?;
    state.forget_client_tokens(client.id);
    integration_after_change(
        &state,
        &staff,
        campaign_id,
        request.mode,
        AuditAction::CredentialsRevoked,
        Some(client.client_id),
    )
    .await
}
