//! Senders and templates of the staff member's workspace.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use engage_core::wire::{ApiErrorBody, OptOutButtonsRequest, Sender, Template};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use super::extractor::{need, parse_id, Allowed, ApiJson, ApiQuery};
use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/senders", get(list_senders))
        .route("/v1/templates", get(list_templates))
        .route("/v1/templates/{id}", get(get_template))
        .route(
            "/v1/templates/{id}/opt-out-buttons",
            axum::routing::put(set_opt_out_buttons),
        )
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
    Allowed(staff, _): Allowed<need::ViewWorkspace>,
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
    Allowed(staff, _): Allowed<need::ViewWorkspace>,
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
    Allowed(staff, _): Allowed<need::ViewWorkspace>,
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

/// Mark which of the template's quick-reply buttons opt the customer out when pressed (by
/// their text; the others are unmarked). A press on a marked button (WhatsApp's `button`
/// reply to a message of this template) puts the number on the do-not-message list with
/// source `button`. The marks survive re-syncs and re-imports of the template; each change is
/// written to the audit log (`opt_out_buttons_changed`).
#[utoipa::path(put, path = "/v1/templates/{id}/opt-out-buttons", tag = "catalog", security(("staff" = [])),
    params(("id" = uuid::Uuid, Path, description = "Template id")),
    request_body = OptOutButtonsRequest,
    responses(
        (status = 200, body = Template),
        (status = 400, description = "`malformed_json`", body = ApiErrorBody),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 403, description = "`forbidden`", body = ApiErrorBody),
        (status = 404, description = "`template_not_found`", body = ApiErrorBody),
        (status = 422, description = "`invalid_body`, `not_a_quick_reply_button` (field `buttons[i]`: the template has no quick-reply button with this text)", body = ApiErrorBody)))]
pub async fn set_opt_out_buttons(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::EditCampaigns>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<OptOutButtonsRequest>,
) -> Result<Json<Template>, ApiError> {
    let id = parse_id(&id, template_not_found)?;
    let template = state
        .store
        .template(staff.workspace_id, id)
        .await?
        .ok_or_else(template_not_found)?;
    let quick_replies = engage_core::opt_out::quick_replies(&template.components);
    let mut buttons: Vec<String> = Vec::new();
    for (index, text) in request.buttons.iter().enumerate() {
        if !quick_replies.contains(&text.as_str()) {
            return Err(ApiError::invalid(
                "not_a_quick_reply_button",
                format!("buttons[{index}]"),
                "the template has no quick-reply button with this text",
            ));
        }
        if !buttons.contains(text) {
            buttons.push(text.clone());
        }
    }
    if !state
        .store
        .set_opt_out_buttons(staff.workspace_id, id, &buttons, &staff.audit())
        .await?
    {
        return Err(template_not_found());
    }
    state
        .store
        .template(staff.workspace_id, id)
        .await?
        .map(Json)
        .ok_or_else(template_not_found)
}
