//! Campaigns (staff): list, create, read, rename / (de)activate, name availability, the
//! integration details behind the two curls, and the campaign's recent messages.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use engage_core::wire::{
    ApiErrorBody, Campaign, CampaignIntegration, CampaignList, CampaignType, CreateCampaignRequest,
    MessagePage, NameAvailability, SenderStatus, TemplateStatus, UpdateCampaignRequest,
};
use engage_core::CampaignName;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::error::ApiError;
use super::extractor::{parse_id, ApiJson, ApiQuery, StaffUser};
use super::{no_store, AppState};
use crate::store::{CampaignFilter, NewCampaign, StoreError};

/// Name of the API client created for a workspace that has none.
pub const DEFAULT_API_CLIENT_NAME: &str = "Engage app";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/campaigns", get(list_campaigns).post(create_campaign))
        .route("/v1/campaigns/name-availability", get(name_availability))
        .route(
            "/v1/campaigns/{id}",
            get(get_campaign).patch(update_campaign),
        )
        .merge(no_store(
            Router::new().route("/v1/campaigns/{id}/integration", get(integration)),
        ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CampaignQuery {
    /// Only campaigns of this type (`recurrent`).
    #[serde(rename = "type")]
    #[param(value_type = Option<CampaignType>)]
    pub campaign_type: Option<CampaignType>,
    /// Text the name contains (ignoring case, compatibility forms and invisible characters).
    #[param(max_length = 200)]
    pub q: Option<String>,
}

/// Campaigns of the workspace, newest first.
#[utoipa::path(get, path = "/v1/campaigns", tag = "campaigns", params(CampaignQuery), security(("staff" = [])),
    responses(
        (status = 200, body = CampaignList),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 422, description = "`invalid_query`", body = ApiErrorBody)))]
pub async fn list_campaigns(
    State(state): State<AppState>,
    staff: StaffUser,
    ApiQuery(query): ApiQuery<CampaignQuery>,
) -> Result<Json<CampaignList>, ApiError> {
    if query.q.as_deref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::invalid(
            "invalid_query",
            "q",
            "q holds at most 200 characters",
        ));
    }
    let query_key = query
        .q
        .as_deref()
        .map(engage_core::name_key)
        .filter(|key| !key.is_empty());
    let filter = CampaignFilter {
        campaign_type: query.campaign_type,
        query_key,
    };
    let items = state
        .store
        .list_campaigns(staff.workspace_id, &filter)
        .await?;
    Ok(Json(CampaignList { items }))
}

fn name_taken() -> ApiError {
    ApiError::from(StoreError::CampaignNameTaken)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NameQuery {
    /// The name to check (any text: the answer says why it cannot be used).
    pub name: String,
}

/// Whether a campaign could be created with this name (the same rules as `POST`).
#[utoipa::path(get, path = "/v1/campaigns/name-availability", tag = "campaigns", params(NameQuery), security(("staff" = [])),
    responses(
        (status = 200, body = NameAvailability),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 422, description = "`invalid_query`: `name` is missing", body = ApiErrorBody)))]
pub async fn name_availability(
    State(state): State<AppState>,
    staff: StaffUser,
    ApiQuery(query): ApiQuery<NameQuery>,
) -> Result<Json<NameAvailability>, ApiError> {
    let name = match CampaignName::parse(query.name.trim()) {
        Ok(name) => name,
        Err(error) => {
            return Ok(Json(NameAvailability {
                available: false,
                error: Some(error.to_api_error()),
            }))
        }
    };
    let taken = state
        .store
        .name_key_taken(staff.workspace_id, &name.key(), None)
        .await?;
    Ok(Json(NameAvailability {
        available: !taken,
        error: taken.then(|| name_taken().to_wire()),
    }))
}

/// Create a recurrent campaign: unique name, active sender, APPROVED template.
#[utoipa::path(post, path = "/v1/campaigns", tag = "campaigns", request_body = CreateCampaignRequest, security(("staff" = [])),
    responses(
        (status = 201, body = Campaign, headers(("Location" = String, description = "`/v1/campaigns/{id}`"))),
        (status = 400, description = "`malformed_json`", body = ApiErrorBody),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 409, description = "`campaign_name_taken`", body = ApiErrorBody),
        (status = 413, description = "`payload_too_large`", body = ApiErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ApiErrorBody),
        (status = 422, description = "`invalid_body`, `campaign_name_required`, `campaign_name_too_long`, `campaign_name_invalid`, `sender_not_found`, `sender_inactive`, `template_not_found`, `template_not_approved`", body = ApiErrorBody)))]
pub async fn create_campaign(
    State(state): State<AppState>,
    staff: StaffUser,
    ApiJson(request): ApiJson<CreateCampaignRequest>,
) -> Result<Response, ApiError> {
    let name = CampaignName::parse(request.name.trim())?;
    let sender = state
        .store
        .sender(staff.workspace_id, request.sender_id)
        .await?
        .ok_or_else(|| {
            ApiError::invalid(
                "sender_not_found",
                "sender_id",
                "no sender with this id in your workspace",
            )
        })?;
    if sender.status != SenderStatus::Active {
        return Err(ApiError::invalid(
            "sender_inactive",
            "sender_id",
            "this sender number is inactive; choose an active one",
        ));
    }
    let template = state
        .store
        .template(staff.workspace_id, request.template_id)
        .await?
        .ok_or_else(|| {
            ApiError::invalid(
                "template_not_found",
                "template_id",
                "no template with this id in your workspace",
            )
        })?;
    if template.status != TemplateStatus::Approved {
        return Err(ApiError::invalid(
            "template_not_approved",
            "template_id",
            "only templates approved by WhatsApp can be used",
        ));
    }
    let key = name.key();
    let id = state
        .store
        .create_campaign(NewCampaign {
            workspace_id: staff.workspace_id,
            name: name.as_str(),
            name_key: &key,
            campaign_type: request.campaign_type,
            sender_id: sender.id,
            template_id: template.id,
        })
        .await?;
    let campaign = load(&state, staff.workspace_id, id).await?;
    let mut response = (StatusCode::CREATED, Json(campaign)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/campaigns/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn load(state: &AppState, workspace_id: Uuid, id: Uuid) -> Result<Campaign, ApiError> {
    state
        .store
        .campaign(workspace_id, id)
        .await?
        .ok_or_else(ApiError::campaign_not_found)
}

/// One campaign with its sender and template.
#[utoipa::path(get, path = "/v1/campaigns/{id}", tag = "campaigns", security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Campaign id")),
    responses(
        (status = 200, body = Campaign),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 404, description = "`campaign_not_found`", body = ApiErrorBody)))]
pub async fn get_campaign(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
) -> Result<Json<Campaign>, ApiError> {
    let id = parse_id(&id, ApiError::campaign_not_found)?;
    Ok(Json(load(&state, staff.workspace_id, id).await?))
}

/// Rename the campaign and/or set its status (`active` | `inactive`).
#[utoipa::path(patch, path = "/v1/campaigns/{id}", tag = "campaigns", request_body = UpdateCampaignRequest, security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Campaign id")),
    responses(
        (status = 200, body = Campaign),
        (status = 400, description = "`malformed_json`", body = ApiErrorBody),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 404, description = "`campaign_not_found`", body = ApiErrorBody),
        (status = 409, description = "`campaign_name_taken`", body = ApiErrorBody),
        (status = 413, description = "`payload_too_large`", body = ApiErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ApiErrorBody),
        (status = 422, description = "`invalid_body`, `nothing_to_update`, `campaign_name_required`, `campaign_name_too_long`, `campaign_name_invalid`", body = ApiErrorBody)))]
pub async fn update_campaign(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<UpdateCampaignRequest>,
) -> Result<Json<Campaign>, ApiError> {
    let id = parse_id(&id, ApiError::campaign_not_found)?;
    if request.name.is_none() && request.status.is_none() {
        return Err(ApiError::Invalid {
            code: "nothing_to_update",
            message: "send `name` and/or `status`".into(),
            field: None,
        });
    }
    let name = request
        .name
        .as_deref()
        .map(|name| CampaignName::parse(name.trim()))
        .transpose()?;
    let key = name.as_ref().map(CampaignName::key);
    let renamed = name
        .as_ref()
        .zip(key.as_deref())
        .map(|(name, key)| (name.as_str(), key));
    let updated = state
        .store
        .update_campaign(staff.workspace_id, id, renamed, request.status)
        .await?;
    state.forget_send_context(id);
    if !updated {
        return Err(ApiError::campaign_not_found());
    }
    Ok(Json(load(&state, staff.workspace_id, id).await?))
}

/// Everything needed to build the token curl and the send curl of this campaign.
#[utoipa::path(get, path = "/v1/campaigns/{id}/integration", tag = "campaigns", security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Campaign id")),
    responses(
        (status = 200, body = CampaignIntegration, headers(("Cache-Control" = String, description = "`no-store`: the answer holds the client secret"))),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 404, description = "`campaign_not_found`", body = ApiErrorBody)))]
pub async fn integration(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
) -> Result<Json<CampaignIntegration>, ApiError> {
    let id = parse_id(&id, ApiError::campaign_not_found)?;
    let campaign = load(&state, staff.workspace_id, id).await?;
    let (client_id, client_secret) = crate::demo::workspace_client_credentials(
        &state.store,
        &state.secret_key,
        staff.workspace_id,
        DEFAULT_API_CLIENT_NAME,
    )
    .await?;
    let template = engage_core::Template::from_wire(&campaign.template).map_err(|error| {
        ApiError::Internal(format!(
            "stored template {} is invalid: {error}",
            campaign.template.id
        ))
    })?;
    Ok(Json(CampaignIntegration {
        token_url: format!("{}/oauth/token", state.public_url),
        send_url: format!("{}/v1/campaigns/{id}/messages", state.public_url),
        client_id,
        client_secret,
        example_request: template.example_request(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<Uuid>, format = Uuid)]
    pub cursor: Option<String>,
}

/// Recent messages of the campaign, newest first.
#[utoipa::path(get, path = "/v1/campaigns/{id}/messages", tag = "campaigns", security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Campaign id"), PageQuery),
    responses(
        (status = 200, body = MessagePage),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 404, description = "`campaign_not_found`", body = ApiErrorBody),
        (status = 422, description = "`invalid_limit`, `invalid_cursor`, `invalid_query`", body = ApiErrorBody)))]
pub async fn list_messages(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<MessagePage>, ApiError> {
    let id = parse_id(&id, ApiError::campaign_not_found)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid(
            "invalid_limit",
            "limit",
            "limit must be between 1 and 100",
        ));
    }
    let before = query
        .cursor
        .as_deref()
        .map(|cursor| {
            Uuid::parse_str(cursor).map_err(|_| {
                ApiError::invalid(
                    "invalid_cursor",
                    "cursor",
                    "the cursor is not one this server returned",
                )
            })
        })
        .transpose()?;
    if !state.store.campaign_exists(staff.workspace_id, id).await? {
        return Err(ApiError::campaign_not_found());
    }
    let items = state.store.campaign_messages(id, before, limit).await?;
    let next_cursor = (items.len() == limit as usize)
        .then(|| items.last().map(|message| message.id.to_string()))
        .flatten();
    Ok(Json(MessagePage { items, next_cursor }))
}
