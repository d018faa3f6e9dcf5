//! Senders and templates of the staff member's workspace.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use engage_core::wire::{Sender, Template};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::ApiError;
use super::extractor::{parse_id, ApiQuery, StaffUser};
use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/senders", get(list_senders))
        .route("/v1/templates", get(list_templates))
        .route("/v1/templates/{id}", get(get_template))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StatusFilter {
    /// `all` to include inactive senders / templates that are not APPROVED.
    pub status: Option<String>,
}

fn include_all(filter: &StatusFilter, default: &str) -> Result<bool, ApiError> {
    match filter.status.as_deref().map(str::to_ascii_lowercase) {
        None => Ok(false),
        Some(value) if value == "all" => Ok(true),
        Some(value) if value == default => Ok(false),
        Some(_) => Err(ApiError::invalid(
            "invalid_query",
            "status",
            format!("status must be `{default}` (the default) or `all`"),
        )),
    }
}

/// Sender numbers of the workspace (active ones unless `status=all`).
#[utoipa::path(get, path = "/v1/senders", tag = "catalog", params(StatusFilter), security(("staff" = [])),
    responses((status = 200, body = Vec<Sender>), (status = 401, body = engage_core::wire::ApiErrorBody)))]
pub async fn list_senders(
    State(state): State<AppState>,
    staff: StaffUser,
    ApiQuery(filter): ApiQuery<StatusFilter>,
) -> Result<Json<Vec<Sender>>, ApiError> {
    let all = include_all(&filter, "active")?;
    Ok(Json(
        state.store.list_senders(staff.workspace_id, all).await?,
    ))
}

/// WhatsApp templates of the workspace (APPROVED ones unless `status=all`), with variables.
#[utoipa::path(get, path = "/v1/templates", tag = "catalog", params(StatusFilter), security(("staff" = [])),
    responses((status = 200, body = Vec<Template>), (status = 401, body = engage_core::wire::ApiErrorBody)))]
pub async fn list_templates(
    State(state): State<AppState>,
    staff: StaffUser,
    ApiQuery(filter): ApiQuery<StatusFilter>,
) -> Result<Json<Vec<Template>>, ApiError> {
    let all = include_all(&filter, "approved")?;
    Ok(Json(
        state.store.list_templates(staff.workspace_id, all).await?,
    ))
}

fn template_not_found() -> ApiError {
    ApiError::not_found(
        "template_not_found",
        "no template with this id in your workspace",
    )
}

/// One template, whatever its status.
#[utoipa::path(get, path = "/v1/templates/{id}", tag = "catalog", security(("staff" = [])),
    params(("id" = uuid::Uuid, Path, description = "Template id")),
    responses((status = 200, body = Template), (status = 404, body = engage_core::wire::ApiErrorBody)))]
pub async fn get_template(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
) -> Result<Json<Template>, ApiError> {
    let id = parse_id(&id, template_not_found)?;
    state
        .store
        .template(staff.workspace_id, id)
        .await?
        .map(Json)
        .ok_or_else(template_not_found)
}
