//! Campaigns (staff): list, create, read, rename / (de)activate, name availability, the
//! integration details behind the two curls, and the campaign's recent messages.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use engage_core::frequency_cap::FrequencyCapExt;
use engage_core::snippet::{Integration, Snippet};
use engage_core::wire::{
    ApiErrorBody, Campaign, CampaignIntegration, CampaignList, CampaignType, CreateCampaignRequest,
    CredentialMode, MessagePage, NameAvailability, SenderStatus, TemplateStatus,
    UpdateCampaignRequest,
};
use engage_core::{CampaignName, SnippetLang};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::error::ApiError;
use super::extractor::{need, parse_id, Allowed, ApiJson, ApiQuery};
use super::message_log::MessageLogQuery;
use super::{credentials, no_store, AppState};
use crate::store::{CampaignFilter, NewAuditEntry, NewCampaign, StoreError};
use engage_core::AuditAction;

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
        .route(
            "/v1/campaigns/{id}/integration/masked",
            get(masked_integration),
        )
        .route("/v1/campaigns/{id}/snippets", get(snippets))
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
    Allowed(staff, _): Allowed<need::ViewWorkspace>,
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
    Allowed(staff, _): Allowed<need::ViewWorkspace>,
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

/// Create a recurrent campaign: unique name, active sender, APPROVED template, and an
/// optional frequency cap.
#[utoipa::path(post, path = "/v1/campaigns", tag = "campaigns", request_body = CreateCampaignRequest, security(("staff" = [])),
    responses(
        (status = 201, body = Campaign, headers(("Location" = String, description = "`/v1/campaigns/{id}`"))),
        (status = 400, description = "`malformed_json`", body = ApiErrorBody),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 409, description = "`campaign_name_taken`", body = ApiErrorBody),
        (status = 413, description = "`payload_too_large`", body = ApiErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ApiErrorBody),
        (status = 422, description = "`invalid_body`, `campaign_name_required`, `campaign_name_too_long`, `campaign_name_invalid`, `sender_not_found`, `sender_inactive`, `template_not_found`, `template_unsupported` (a kind Engage does not send: carousel, limited-time offer, catalog, multi-product, flow), `template_not_approved`, `invalid_frequency_cap` (field `frequency_cap.max_messages` or `frequency_cap.period`)", body = ApiErrorBody)))]
pub async fn create_campaign(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::EditCampaigns>,
    ApiJson(request): ApiJson<CreateCampaignRequest>,
) -> Result<Response, ApiError> {
    let name = CampaignName::parse(request.name.trim())?;
    if let Some(cap) = &request.frequency_cap {
        cap.check("frequency_cap")?;
    }
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
    if let Some(unsupported) = &template.unsupported {
        return Err(ApiError::invalid(
            "template_unsupported",
            "template_id",
            format!(
                "Engage cannot send this kind of template ({}); choose another template",
                unsupported.reason
            ),
        ));
    }
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
        .create_campaign_with_clients(
            NewCampaign {
                workspace_id: staff.workspace_id,
                name: name.as_str(),
                name_key: &key,
                campaign_type: request.campaign_type,
                sender_id: sender.id,
                template_id: template.id,
                frequency_cap: request.frequency_cap,
            },
            |id| {
                crate::integration::clients_of_new_campaign(
                    &state.secret_key,
                    staff.workspace_id,
                    id,
                )
            },
            &staff.audit(),
        )
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
    Allowed(staff, _): Allowed<need::ViewWorkspace>,
    Path(id): Path<String>,
) -> Result<Json<Campaign>, ApiError> {
    let id = parse_id(&id, ApiError::campaign_not_found)?;
    Ok(Json(load(&state, staff.workspace_id, id).await?))
}

/// Rename the campaign, set its status (`active` | `inactive`) and/or set or remove (`null`)
/// its frequency cap. Each change is recorded in the audit log with its values before and
/// after.
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
        (status = 422, description = "`invalid_body`, `nothing_to_update`, `campaign_name_required`, `campaign_name_too_long`, `campaign_name_invalid`, `invalid_frequency_cap` (field `frequency_cap.max_messages` or `frequency_cap.period`)", body = ApiErrorBody)))]
pub async fn update_campaign(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::EditCampaigns>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<UpdateCampaignRequest>,
) -> Result<Json<Campaign>, ApiError> {
    let id = parse_id(&id, ApiError::campaign_not_found)?;
    if request.name.is_none() && request.status.is_none() && request.frequency_cap.is_none() {
        return Err(ApiError::Invalid {
            code: "nothing_to_update",
            message: "send `name`, `status` and/or `frequency_cap`".into(),
            field: None,
        });
    }
    if let Some(Some(cap)) = &request.frequency_cap {
        cap.check("frequency_cap")?;
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
        .update_campaign(
            staff.workspace_id,
            id,
            renamed,
            request.status,
            request.frequency_cap,
            &staff.audit(),
        )
        .await?;
    state.forget_send_context(id);
    if !updated {
        return Err(ApiError::campaign_not_found());
    }
    Ok(Json(load(&state, staff.workspace_id, id).await?))
}

/// Everything needed to build the token curl and the send curl of this campaign, with the
/// live (default) or test credentials, the client secret included. Reading it is recorded in
/// the audit log ("copied the credentials").
#[utoipa::path(get, path = "/v1/campaigns/{id}/integration", tag = "campaigns", security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Campaign id"), credentials::ModeQuery),
    responses(
        (status = 200, body = CampaignIntegration, headers(("Cache-Control" = String, description = "`no-store`: the answer holds the client secret"))),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: viewers may not read the secret (field `reveal_credentials`)", body = ApiErrorBody),
        (status = 404, description = "`campaign_not_found`", body = ApiErrorBody),
        (status = 422, description = "`invalid_query`: `mode` is not `live` or `test`", body = ApiErrorBody)))]
pub async fn integration(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::RevealCredentials>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<credentials::ModeQuery>,
) -> Result<Json<CampaignIntegration>, ApiError> {
    let id = parse_id(&id, ApiError::campaign_not_found)?;
    let mode = query.mode.unwrap_or_default();
    let (campaign, integration) = integration_of(&state, staff.workspace_id, id, mode).await?;
    // Reading the secret is what the app's copy buttons do: "copied the credentials of X".
    let entry = NewAuditEntry::new(AuditAction::CredentialsCopied)
        .campaign(id, &campaign.name)
        .change(
            None,
            Some(serde_json::json!({ "client_id": integration.client_id, "mode": mode })),
        );
    state.store.record_audit(&staff.audit(), &entry).await?;
    Ok(Json(integration))
}

/// The same as `GET /v1/campaigns/{id}/integration` with the client secret masked (its first
/// characters, then dots): what the documentation shows to everyone.
#[utoipa::path(get, path = "/v1/campaigns/{id}/integration/masked", tag = "campaigns", security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Campaign id"), credentials::ModeQuery),
    responses(
        (status = 200, body = CampaignIntegration),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 404, description = "`campaign_not_found`", body = ApiErrorBody),
        (status = 422, description = "`invalid_query`: `mode` is not `live` or `test`", body = ApiErrorBody)))]
pub async fn masked_integration(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ViewWorkspace>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<credentials::ModeQuery>,
) -> Result<Json<CampaignIntegration>, ApiError> {
    let id = parse_id(&id, ApiError::campaign_not_found)?;
    let mode = query.mode.unwrap_or_default();
    let (_, mut integration) = integration_of(&state, staff.workspace_id, id, mode).await?;
    integration.client_secret = engage_core::curl::mask_secret(&integration.client_secret);
    Ok(Json(integration))
}

/// The campaign (of `workspace_id`) and its integration details with its `mode` credentials.
pub async fn integration_of(
    state: &AppState,
    workspace_id: Uuid,
    id: Uuid,
    mode: CredentialMode,
) -> Result<(Campaign, CampaignIntegration), ApiError> {
    let campaign = load(state, workspace_id, id).await?;
    let integration = crate::integration::campaign_integration(
        &state.store,
        &state.secret_key,
        &state.public_url,
        workspace_id,
        &campaign,
        mode,
    )
    .await?;
    Ok((campaign, integration))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SnippetQuery {
    /// The language (default `curl_bash`).
    #[param(value_type = Option<SnippetLang>)]
    pub lang: Option<SnippetLang>,
    /// `live` (default) or `test`: whose credentials the code uses.
    #[param(value_type = Option<CredentialMode>)]
    pub mode: Option<CredentialMode>,
}

/// The two steps of the campaign's integration as code in one language (token request,
/// then the send with the template's example values), the client secret masked.
#[utoipa::path(get, path = "/v1/campaigns/{id}/snippets", tag = "campaigns", security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Campaign id"), SnippetQuery),
    responses(
        (status = 200, body = Snippet),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 404, description = "`campaign_not_found`", body = ApiErrorBody),
        (status = 422, description = "`invalid_query` (an unknown `lang` or `mode`)", body = ApiErrorBody)))]
pub async fn snippets(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ViewWorkspace>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<SnippetQuery>,
) -> Result<Json<Snippet>, ApiError> {
    let id = parse_id(&id, ApiError::campaign_not_found)?;
    let mode = query.mode.unwrap_or_default();
    let (_, integration) = integration_of(&state, staff.workspace_id, id, mode).await?;
    Ok(Json(
        Integration::from_wire(&integration)
            .masked()
            .render(query.lang.unwrap_or_default()),
    ))
}

/// The campaign's messages, newest first, filtered by status, recipient (a number or its
/// start), creation period and test or live; cursor paging with the same filters.
#[utoipa::path(get, path = "/v1/campaigns/{id}/messages", tag = "campaigns", security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Campaign id"), MessageLogQuery),
    responses(
        (status = 200, body = MessagePage),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 404, description = "`campaign_not_found`", body = ApiErrorBody),
        (status = 422, description = "`invalid_limit`, `invalid_cursor`, `invalid_status`, `invalid_recipient`, `invalid_from`, `invalid_to`, `invalid_period`, `invalid_test`, `invalid_query`", body = ApiErrorBody)))]
pub async fn list_messages(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ViewWorkspace>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<MessageLogQuery>,
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
    let filter = query.filter()?;
    let invalid_cursor = || {
        ApiError::invalid(
            "invalid_cursor",
            "cursor",
            "the cursor is not one this server returned",
        )
    };
    let cursor = query
        .cursor
        .as_deref()
        .map(|cursor| Uuid::parse_str(cursor).map_err(|_| invalid_cursor()))
        .transpose()?;
    if !state.store.campaign_exists(staff.workspace_id, id).await? {
        return Err(ApiError::campaign_not_found());
    }
    let before = match cursor {
        Some(cursor) => Some((
            state
                .store
                .message_position(id, cursor)
                .await?
                .ok_or_else(invalid_cursor)?,
            cursor,
        )),
        None => None,
    };
    let items = state
        .store
        .campaign_messages(id, &filter, before, limit)
        .await?;
    let next_cursor = (items.len() == limit as usize)
        .then(|| items.last().map(|message| message.id.to_string()))
        .flatten();
    Ok(Json(MessagePage { items, next_cursor }))
}
