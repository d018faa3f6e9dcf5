//! `POST /v1/campaigns/{id}/messages` (client-credentials token): one recipient or a batch
//! of up to 1,000, with optional `Idempotency-Key`. Messages are committed by the group
//! writer before the 202 goes out.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use engage_core::wire::{
    self, BatchItemResult, BatchSendResponse, CampaignStatus, MessageStatus, SendAccepted,
    SendMessageRequest, TemplateStatus,
};
use engage_core::{RenderedMessageExt, ValidatedSend};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::error::ApiError;
use super::extractor::{parse_id, ApiClientAuth, RawBody};
use super::{campaigns, AppState, SendContext};
use crate::store::writer::{WriteOutcome, WriteRequest};
use crate::store::{now_ms, IdempotencyRecord, NewIdempotencyKey, NewMessage};

/// Most messages in one batch request.
pub const MAX_BATCH: usize = 1_000;
/// Longest accepted `Idempotency-Key`.
const MAX_IDEMPOTENCY_KEY: usize = 255;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/v1/campaigns/{id}/messages",
        get(campaigns::list_messages).post(send_messages),
    )
}

/// Either `{to, variables}` or `{messages: [...]}`. Batch items are read one by one so
/// that each gets its own error.
#[derive(Deserialize)]
struct RawSend {
    to: Option<String>,
    variables: Option<BTreeMap<String, String>>,
    messages: Option<Vec<serde_json::Value>>,
}

fn body_error(error: serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::BadRequest {
            code: "malformed_json",
            message: format!("the request body is not valid JSON: {error}"),
        },
        Category::Data => ApiError::Invalid {
            code: "invalid_body",
            message: format!("the request body does not have the expected shape: {error}"),
            field: None,
        },
    }
}

fn check_json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false);
    if is_json {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType {
            message: "the request body must be JSON: send Content-Type: application/json".into(),
        })
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let invalid = || ApiError::BadRequest {
        code: "invalid_idempotency_key",
        message: format!(
            "the Idempotency-Key header must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"
        ),
    };
    let key = value.to_str().map_err(|_| invalid())?.trim();
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(invalid());
    }
    Ok(Some(key.to_owned()))
}

fn request_hash(campaign_id: Uuid, body: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(campaign_id.as_bytes());
    hasher.update(body);
    hasher.finalize().into()
}

fn key_reused() -> ApiError {
    ApiError::invalid(
        "idempotency_key_reused",
        "Idempotency-Key",
        "this Idempotency-Key was already used with a different request; use a new key",
    )
}

fn replay(record: &IdempotencyRecord, hash: &[u8; 32]) -> Result<Response, ApiError> {
    if record.request_hash.as_slice() != hash.as_slice() {
        return Err(key_reused());
    }
    let status = u16::try_from(record.status_code)
        .ok()
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or(StatusCode::ACCEPTED);
    Ok(json_response(status, record.response.clone(), true))
}

fn json_response(status: StatusCode, body: String, replayed: bool) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// Checks that the campaign can send now.
fn check_sendable(context: &SendContext) -> Result<(), ApiError> {
    if context.target.status != CampaignStatus::Active {
        return Err(ApiError::conflict(
            "campaign_inactive",
            None,
            "this campaign is inactive; a staff member must activate it before it can send",
        ));
    }
    if context.target.template.status != TemplateStatus::Approved {
        return Err(ApiError::conflict(
            "template_not_approved",
            None,
            "the campaign's template is no longer approved by WhatsApp",
        ));
    }
    if !context.target.sender_active {
        return Err(ApiError::conflict(
            "sender_inactive",
            None,
            "the campaign's sender number is inactive",
        ));
    }
    Ok(())
}

fn new_message(context: &SendContext, validated: ValidatedSend, now: i64) -> NewMessage {
    NewMessage {
        id: Uuid::now_v7(),
        workspace_id: context.target.workspace_id,
        campaign_id: context.target.campaign_id,
        sender_id: context.target.sender_id,
        to: validated.to.as_e164().to_owned(),
        variables: crate::store::to_json(&validated.variables),
        text: validated.rendered.to_plain_text(),
        rendered: crate::store::to_json(&validated.rendered),
        created_at: now,
    }
}

/// The first problem of a request, as an API error.
fn validate(
    context: &SendContext,
    request: &SendMessageRequest,
) -> Result<ValidatedSend, ApiError> {
    context
        .template
        .validate_send(request)
        .map_err(|errors| match errors.into_iter().next() {
            Some(error) => ApiError::Domain(error),
            None => ApiError::Internal("validation failed without an error".into()),
        })
}

/// The body of a send: one recipient, or a batch.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
#[serde(untagged)]
pub enum SendRequestBody {
    One(SendMessageRequest),
    Batch(wire::BatchSendRequest),
}

/// The 202 answer of a send: [`SendAccepted`] for one recipient, [`BatchSendResponse`] for a
/// batch.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
#[serde(untagged)]
pub enum SendResponseBody {
    One(SendAccepted),
    Batch(BatchSendResponse),
}

/// Send the campaign's template to one recipient, or to a batch of up to 1,000.
#[utoipa::path(post, path = "/v1/campaigns/{id}/messages", tag = "messages", security(("client" = [])),
    params(
        ("id" = Uuid, Path, description = "Campaign id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Same key and body within 24 h replays the first answer and creates nothing; 1 to 255 visible ASCII characters",
            min_length = 1, max_length = 255, pattern = r"^[\x21-\x7E]+$")),
    request_body(content = SendRequestBody, description = "One recipient (`SendMessageRequest`), or `{\"messages\": [...]}` (`BatchSendRequest`, up to 1,000)"),
    responses(
        (status = 202, description = "Queued (one recipient: SendAccepted; batch: BatchSendResponse). A replay of an Idempotency-Key carries `Idempotent-Replayed: true`.", body = SendResponseBody),
        (status = 400, description = "`malformed_json`, `invalid_idempotency_key`", body = wire::ApiErrorBody),
        (status = 401, description = "`missing_token`, `invalid_token`", body = wire::ApiErrorBody),
        (status = 404, description = "`campaign_not_found` (also for another workspace's campaign)", body = wire::ApiErrorBody),
        (status = 409, description = "`campaign_inactive`, `template_not_approved`, `sender_inactive`", body = wire::ApiErrorBody),
        (status = 413, description = "`payload_too_large`", body = wire::ApiErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = wire::ApiErrorBody),
        (status = 422, description = "`invalid_phone_number`, `missing_variable`, `unknown_variable`, `variable_too_long`, `batch_too_large`, `idempotency_key_reused`, ...", body = wire::ApiErrorBody)))]
pub async fn send_messages(
    State(state): State<AppState>,
    client: ApiClientAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let campaign_id = parse_id(&id, ApiError::campaign_not_found)?;
    let context = state
        .send_context(campaign_id)
        .await?
        .filter(|context| context.target.workspace_id == client.workspace_id)
        .ok_or_else(ApiError::campaign_not_found)?;
    check_sendable(&context)?;
    check_json_content_type(&headers)?;
    let key = idempotency_key(&headers)?;
    let hash = request_hash(campaign_id, &body);
    if let Some(key) = &key {
        if let Some(record) = state
            .store
            .idempotency_record(client.workspace_id, key)
            .await?
        {
            return replay(&record, &hash);
        }
    }

    let raw: RawSend = serde_json::from_slice(&body).map_err(body_error)?;
    let now = now_ms();
    let (messages, status, response_body) =
        match (raw.messages, raw.to) {
            (Some(_), Some(_)) => return Err(ApiError::Invalid {
                code: "invalid_body",
                message:
                    "send either one message (`to`, `variables`) or a batch (`messages`), not both"
                        .into(),
                field: None,
            }),
            (Some(items), None) => batch(&context, items, now)?,
            (None, Some(to)) => {
                let request = SendMessageRequest {
                    to,
                    variables: raw.variables.unwrap_or_default(),
                };
                let message = new_message(&context, validate(&context, &request)?, now);
                let accepted = SendAccepted {
                    id: message.id,
                    status: MessageStatus::Queued,
                };
                (
                    vec![message],
                    StatusCode::ACCEPTED,
                    crate::store::to_json(&accepted),
                )
            }
            (None, None) => {
                return Err(ApiError::invalid(
                    "missing_field",
                    "to",
                    "the recipient `to` is required (or `messages` for a batch)",
                ))
            }
        };

    if messages.is_empty() && key.is_none() {
        return Ok(json_response(status, response_body, false));
    }
    let idempotency = key.map(|key| NewIdempotencyKey {
        workspace_id: client.workspace_id,
        key,
        request_hash: hash,
        status_code: status.as_u16(),
        response: response_body.clone(),
    });
    match state
        .writer
        .write(WriteRequest {
            messages,
            idempotency,
        })
        .await?
    {
        WriteOutcome::Committed => Ok(json_response(status, response_body, false)),
        WriteOutcome::KeyExists(record) => replay(&record, &hash),
    }
}

type Prepared = (Vec<NewMessage>, StatusCode, String);

fn batch(
    context: &SendContext,
    items: Vec<serde_json::Value>,
    now: i64,
) -> Result<Prepared, ApiError> {
    if items.is_empty() {
        return Err(ApiError::invalid(
            "empty_batch",
            "messages",
            "`messages` must hold at least one message",
        ));
    }
    if items.len() > MAX_BATCH {
        return Err(ApiError::invalid(
            "batch_too_large",
            "messages",
            format!(
                "a batch holds at most {MAX_BATCH} messages; this one has {}",
                items.len()
            ),
        ));
    }
    // An item that is not `{to, variables}` at all makes the request malformed (the schema of
    // the batch); items of the right shape are then validated one by one.
    let requests = items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            serde_json::from_value::<SendMessageRequest>(item).map_err(|error| ApiError::Invalid {
                code: "invalid_body",
                message: format!("messages[{index}] does not have the expected shape: {error}"),
                field: Some(format!("messages[{index}]")),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut messages = Vec::with_capacity(requests.len());
    let mut results = Vec::with_capacity(requests.len());
    for (index, request) in requests.into_iter().enumerate() {
        let index = index as u32;
        let outcome = validate(context, &request);
        match outcome {
            Ok(validated) => {
                let message = new_message(context, validated, now);
                results.push(BatchItemResult {
                    index,
                    id: Some(message.id),
                    status: Some(MessageStatus::Queued),
                    error: None,
                });
                messages.push(message);
            }
            Err(error) => {
                let mut wire_error = error.to_wire();
                wire_error.field = Some(match wire_error.field {
                    Some(field) => format!("messages[{index}].{field}"),
                    None => format!("messages[{index}]"),
                });
                results.push(BatchItemResult {
                    index,
                    id: None,
                    status: None,
                    error: Some(wire_error),
                });
            }
        }
    }
    let accepted = messages.len() as u32;
    let response = BatchSendResponse {
        accepted,
        rejected: results.len() as u32 - accepted,
        results,
    };
    Ok((
        messages,
        StatusCode::ACCEPTED,
        crate::store::to_json(&response),
    ))
}
