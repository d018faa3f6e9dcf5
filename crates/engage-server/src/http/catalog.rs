//! Senders and templates of the staff member's workspace.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use engage_core::wire::{ApiErrorBody, Sender, Template};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use super::extractor::{parse_id, ApiQuery, StaffUser};
use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/senders", get(list_senders))
        .route("/v1/templates", get(list_templates))
        .route("/v1/templates/{id}", get(get_template))
}

/// `?status=`: `active` (the default) or `all` senders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SenderStatusFilter {
    Active,
    All,
}

/// `?status=`: `approved` (the default) or `all` templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TemplateStatusFilter {
    Approved,
    All,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SenderQuery {
    /// `all` to include inactive senders.
    #[param(inline)]
    pub status: Option<SenderStatusFilter>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    /// `all` to include templates that are not APPROVED.
    #[param(inline)]
    pub status: Option<TemplateStatusFilter>,
}

/// Sender numbers of the workspace (active ones unless `status=all`).
#[utoipa::path(get, path = "/v1/senders", tag = "catalog", params(SenderQuery), security(("staff" = [])),
    responses(
        (status = 200, body = Vec<Sender>),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 422, description = "`invalid_query`", body = ApiErrorBody)))]
pub async fn list_senders(
    State(state): State<AppState>,
    staff: StaffUser,
    ApiQuery(filter): ApiQuery<SenderQuery>,
) -> Result<Json<Vec<Sender>>, ApiError> {
    let all = filter.status == Some(SenderStatusFilter::All);
    Ok(Json(
        state.store.list_senders(staff.workspace_id, all).await?,
    ))
}

/// WhatsApp templates of the workspace (APPROVED ones unless `status=all`), with variables.
#[utoipa::path(get, path = "/v1/templates", tag = "catalog", params(TemplateQuery), security(("staff" = [])),
    responses(
        (status = 200, body = Vec<Template>),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 422, description = "`invalid_query`", body = ApiErrorBody)))]
pub async fn list_templates(
    State(state): State<AppState>,
    staff: StaffUser,
    ApiQuery(filter): ApiQuery<TemplateQuery>,
) -> Result<Json<Vec<Template>>, ApiError> {
    let all = filter.status == Some(TemplateStatusFilter::All);
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
    responses(
        (status = 200, body = Template),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 404, description = "`template_not_found`", body = ApiErrorBody)))]
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
