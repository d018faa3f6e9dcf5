//! The integration log (issue 15): each campaign's recent token and send requests, as the
//! staff see them (`GET /v1/campaigns/{id}/integration/log`), the health of every campaign's
//! integration (`GET /v1/campaigns/integration-health`), and [`Call`], how the token and
//! send handlers describe a request to [`crate::integration_log::IntegrationLog`].

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use engage_core::wire::{
    self, ApiErrorBody, CampaignIntegrationHealth, IntegrationCallKind, IntegrationLog,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::error::ApiError;
use super::extractor::{need, parse_id, Allowed, ApiQuery};
use super::AppState;
use crate::integration_log::{mask_numbers, phone_last4};
use crate::store::NewIntegrationCall;

/// Most requests one page of the log holds (and the default).
pub const MAX_CALLS: u32 = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/campaigns/{id}/integration/log", get(log))
        .route("/v1/campaigns/integration-health", get(health))
}

/// A request of the technical team, as the handler saw it.
pub struct Call {
    pub kind: IntegrationCallKind,
    pub campaign_id: Uuid,
    /// The workspace of the caller's valid token, if any.
    pub workspace_id: Option<Uuid>,
    pub address: Option<String>,
    pub test: bool,
    /// The recipient as written by the caller (kept only by its last 4 digits).
    pub to: Option<String>,
}

impl Call {
    /// The request answered `status`, with `accepted` messages queued, `refused` when it
    /// did nothing, and `error` the refusal (or, for a batch, its first refused item).
    pub fn outcome(
        self,
        status: u16,
        accepted: u32,
        refused: bool,
        error: Option<&wire::ApiError>,
    ) -> NewIntegrationCall {
        NewIntegrationCall {
            id: Uuid::now_v7(),
            at: crate::store::now_ms(),
            campaign_id: self.campaign_id,
            workspace_id: self.workspace_id,
            kind: self.kind,
            status,
            refused,
            accepted,
            code: error.map(|error| error.code.clone()),
            field: error.and_then(|error| error.field.clone()),
            reason: error.map(|error| mask_numbers(&error.message)),
            phone_last4: self.to.as_deref().and_then(phone_last4),
            address: self.address,
            test: self.test,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Only the refused requests.
    pub refused: Option<bool>,
    /// How many requests, 1 to 200 (default 200).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Where the hand-off stands and the campaign's recent requests (kept 7 days, at most the
/// last 1,000), newest first: token requests of its credentials and sends, each with its
/// outcome; no bodies, phone numbers by their last 4 digits.
#[utoipa::path(get, path = "/v1/campaigns/{id}/integration/log", tag = "campaigns", security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Campaign id"), LogQuery),
    responses(
        (status = 200, body = IntegrationLog),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 404, description = "`campaign_not_found`", body = ApiErrorBody),
        (status = 422, description = "`invalid_query`", body = ApiErrorBody)))]
pub async fn log(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ViewWorkspace>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<LogQuery>,
) -> Result<Json<IntegrationLog>, ApiError> {
    let id = parse_id(&id, ApiError::campaign_not_found)?;
    let limit = query.limit.unwrap_or(MAX_CALLS);
    if !(1..=MAX_CALLS).contains(&limit) {
        return Err(ApiError::invalid(
            "invalid_query",
            "limit",
            format!("limit must be 1 to {MAX_CALLS}"),
        ));
    }
    if !state.store.campaign_exists(staff.workspace_id, id).await? {
        return Err(ApiError::campaign_not_found());
    }
    let (summary, calls) = state
        .store
        .integration_log(
            staff.workspace_id,
            id,
            query.refused.unwrap_or(false),
            limit,
        )
        .await?;
    Ok(Json(IntegrationLog { summary, calls }))
}

/// Every campaign's integration at a glance: `live` (a message in the last 7 days),
/// `never_used`, `failing` (the most recent request was refused) or `quiet`.
#[utoipa::path(get, path = "/v1/campaigns/integration-health", tag = "campaigns", security(("staff" = [])),
    responses(
        (status = 200, body = Vec<CampaignIntegrationHealth>),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody)))]
pub async fn health(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ViewWorkspace>,
) -> Result<Json<Vec<CampaignIntegrationHealth>>, ApiError> {
    Ok(Json(
        state.store.integration_health(staff.workspace_id).await?,
    ))
}
