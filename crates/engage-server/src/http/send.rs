//! `POST /v1/campaigns/{id}/messages` (client-credentials token): one recipient or a batch
//! of up to 1,000, with optional `Idempotency-Key`. Messages are committed by the group
//! writer before the 202 goes out.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use engage_core::wire::{
    self, BatchItemResult, BatchSendResponse, CampaignStatus, IntegrationCallKind, MessageStatus,
    SendAccepted, SendMessageRequest, TemplateStatus,
};
use engage_core::{RenderedMessageExt, ValidatedSend};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::error::ApiError;
use super::extractor::{parse_id, ApiClientAuth, ClientAddress, RawBody};
use super::integration_log::Call;
use super::{campaigns, AppState, SendContext};
use crate::store::writer::{CapAnswer, CapRule, Capped, WriteOutcome, WriteRequest};
use crate::store::{now_ms, IdempotencyRecord, NewIdempotencyKey, NewMessage};

/// Most messages in one batch request.
pub const MAX_BATCH: usize = 1_000;
/// Longest accepted `Idempotency-Key`.
const MAX_IDEMPOTENCY_KEY: usize = 255;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/campaigns/{id}/messages",
            get(campaigns::list_messages).post(send_messages),
        )
        .route(
            "/v1/campaigns/{id}/test-message",
            axum::routing::post(send_test_message),
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
    let template = &context.target.template;
    if let Some(unsupported) = &template.unsupported {
        return Err(ApiError::conflict(
            "template_unsupported",
            None,
            format!(
                "Engage cannot send the campaign's template ({})",
                unsupported.reason
            ),
        ));
    }
    if template.status != TemplateStatus::Approved {
        return Err(ApiError::conflict(
            "template_not_approved",
            None,
            format!(
                "the campaign's template is {} at WhatsApp, not approved: sends are refused until Meta approves it again",
                crate::store::enum_str(&template.status).to_lowercase()
            ),
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

fn new_message(
    context: &SendContext,
    validated: ValidatedSend,
    now: i64,
    test: bool,
) -> NewMessage {
    new_message_of(context, validated, now, test, false)
}

fn new_message_of(
    context: &SendContext,
    validated: ValidatedSend,
    now: i64,
    test: bool,
    test_send: bool,
) -> NewMessage {
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
        test,
        test_send,
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
        (status = 403, description = "`campaign_not_in_scope`: the credentials belong to another campaign", body = wire::ApiErrorBody),
        (status = 404, description = "`campaign_not_found` (also for another workspace's campaign)", body = wire::ApiErrorBody),
        (status = 409, description = "`campaign_inactive`, `template_not_approved` (paused, disabled or rejected by Meta), `template_unsupported`, `sender_inactive`", body = wire::ApiErrorBody),
        (status = 413, description = "`payload_too_large`", body = wire::ApiErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = wire::ApiErrorBody),
        (status = 422, description = "`invalid_phone_number`, `missing_variable`, `unknown_variable`, `variable_too_long`, `batch_too_large`, `idempotency_key_reused`, `recipient_opted_out` (the number is on the workspace's do-not-message list; in a batch, that item's result), `frequency_capped` (the campaign's frequency cap allows no more messages to this number for now: `retry_at` says when the next one is, `Retry-After` in how many seconds; in a batch, that item's result), ...", body = wire::ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until a send to this number is allowed again (`frequency_capped` only)"))),
        (status = 429, description = "`rate_limited`: more requests per second than the client's rate (the workspace's, else 1,000 per server instance); retry after `Retry-After` seconds. Every answer after authentication carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds).", body = wire::ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"), ("RateLimit-Limit" = u32), ("RateLimit-Remaining" = u32), ("RateLimit-Reset" = u64)))))]
pub async fn send_messages(
    State(state): State<AppState>,
    client: Result<ApiClientAuth, ApiError>,
    ClientAddress(address): ClientAddress,
    path: Path<String>,
    headers: HeaderMap,
    body: RawBody,
) -> Response {
    // The integration log (issue 15): every request on a campaign's URL, written off the path.
    let mut call = Uuid::parse_str(&path.0).ok().map(|campaign_id| Call {
        kind: IntegrationCallKind::Send,
        campaign_id,
        workspace_id: None,
        address,
        test: false,
        to: None,
    });
    let client = match client {
        Ok(client) => client,
        Err(refusal) => return logged(&state, call, refusal),
    };
    if let Some(call) = &mut call {
        call.workspace_id = Some(client.workspace_id);
        call.test = client.test;
    }
    let rate = match state.send_rate(client.workspace_id).await {
        Ok(rate) => rate,
        Err(error) => return logged(&state, call, ApiError::from(error)),
    };
    let (mut response, limit) = match state.send_rates.check(client.api_client_id, rate) {
        Ok(limit) => {
            let mut note = SendNote::default();
            let response = match send(state.clone(), client, path, headers, body, &mut note).await {
                Ok(response) => {
                    if let Some(mut call) = call {
                        call.to = note.to;
                        let status = response.status().as_u16();
                        let refused = !note.replayed && note.accepted == 0;
                        state.integration_log.record(call.outcome(
                            status,
                            note.accepted,
                            refused,
                            note.first_error.as_ref(),
                        ));
                    }
                    response
                }
                Err(refusal) => {
                    if let Some(call) = &mut call {
                        call.to = note.to;
                    }
                    logged(&state, call, refusal)
                }
            };
            (response, limit)
        }
        Err((refusal, limit)) => (logged(&state, call, refusal), limit),
    };
    limit.write(response.headers_mut());
    response
}

/// What the integration log keeps of a send beyond its answer.
#[derive(Default)]
struct SendNote {
    /// The recipient of a one-message send, as written.
    to: Option<String>,
    accepted: u32,
    /// A batch's first refused item.
    first_error: Option<wire::ApiError>,
    /// Answered from an earlier request with the same `Idempotency-Key`.
    replayed: bool,
}

/// `refusal` as the answer, recorded in the campaign's integration log first.
fn logged(state: &AppState, call: Option<Call>, refusal: ApiError) -> Response {
    if let Some(call) = call {
        let error = refusal.to_wire();
        state.integration_log.record(call.outcome(
            refusal.status().as_u16(),
            0,
            true,
            Some(&error),
        ));
    }
    refusal.into_response()
}

/// [`send_messages`] once the client is within its rate.
async fn send(
    state: AppState,
    client: ApiClientAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
    note: &mut SendNote,
) -> Result<Response, ApiError> {
    let campaign_id = parse_id(&id, ApiError::campaign_not_found)?;
    client.check_scope(campaign_id)?;
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
            note.replayed = true;
            return replay(&record, &hash);
        }
    }

    let raw: RawSend = serde_json::from_slice(&body).map_err(body_error)?;
    note.to.clone_from(&raw.to);
    let now = now_ms();
    // What to answer once the writer has applied the frequency cap (see `answer`).
    let mut batch_results: Option<Arc<Vec<BatchItemResult>>> = None;
    let (messages, status, response_body) = match (raw.messages, raw.to) {
        (Some(_), Some(_)) => {
            return Err(ApiError::Invalid {
                code: "invalid_body",
                message:
                    "send either one message (`to`, `variables`) or a batch (`messages`), not both"
                        .into(),
                field: None,
            })
        }
        (Some(items), None) => {
            let (messages, results) = batch(&state, &context, items, now, client.test).await?;
            let response = batch_response(&results, &[]);
            note.first_error = response.results.iter().find_map(|r| r.error.clone());
            batch_results = Some(Arc::new(results));
            (
                messages,
                StatusCode::ACCEPTED,
                crate::store::to_json(&response),
            )
        }
        (None, Some(to)) => {
            let request = SendMessageRequest {
                to,
                variables: raw.variables.unwrap_or_default(),
            };
            let message = new_message(&context, validate(&context, &request)?, now, client.test);
            check_not_opted_out(&state, client.workspace_id, &message).await?;
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
    let count = messages.len() as u32;
    let idempotency = key.map(|key| NewIdempotencyKey {
        workspace_id: client.workspace_id,
        key,
        request_hash: hash,
        status_code: status.as_u16(),
        response: response_body.clone(),
    });
    let cap = context.target.frequency_cap.map(|cap| CapRule {
        cap,
        answer: match &batch_results {
            // A batch keeps the other recipients: the key replays the answer listing the
            // refused ones.
            Some(results) => {
                let results = results.clone();
                Arc::new(move |capped: &[Capped]| {
                    let response = batch_response(&results, capped);
                    Some((
                        StatusCode::ACCEPTED.as_u16(),
                        crate::store::to_json(&response),
                    ))
                }) as CapAnswer
            }
            // One recipient refused: nothing was written, the key is not kept.
            None => Arc::new(|_: &[Capped]| None) as CapAnswer,
        },
    });
    match state
        .writer
        .write(WriteRequest {
            messages,
            idempotency,
            cap,
        })
        .await?
    {
        WriteOutcome::Committed { capped } if capped.is_empty() => {
            note.accepted = count;
            Ok(json_response(status, response_body, false))
        }
        WriteOutcome::Committed { capped } => match &batch_results {
            Some(results) => {
                let response = batch_response(results, &capped);
                note.accepted = response.accepted;
                note.first_error = response.results.iter().find_map(|r| r.error.clone());
                Ok(json_response(
                    StatusCode::ACCEPTED,
                    crate::store::to_json(&response),
                    false,
                ))
            }
            None => Err(ApiError::FrequencyCapped {
                field: "to".into(),
                retry_at_ms: capped[0].retry_at,
            }),
        },
        WriteOutcome::KeyExists(record) => {
            note.replayed = true;
            replay(&record, &hash)
        }
    }
}

/// The messages to queue, and each item's result before the frequency cap.
type Prepared = (Vec<NewMessage>, Vec<BatchItemResult>);

/// A batch's answer: `results` with the items whose message the frequency cap refused
/// (`capped`) turned into refusals of `messages[i].to`.
fn batch_response(results: &[BatchItemResult], capped: &[Capped]) -> BatchSendResponse {
    let results: Vec<BatchItemResult> = results
        .iter()
        .map(|result| {
            let refusal = result
                .id
                .and_then(|id| capped.iter().find(|capped| capped.id == id));
            match refusal {
                Some(capped) => BatchItemResult {
                    index: result.index,
                    id: None,
                    status: None,
                    error: Some(
                        ApiError::FrequencyCapped {
                            field: format!("messages[{}].to", result.index),
                            retry_at_ms: capped.retry_at,
                        }
                        .to_wire(),
                    ),
                },
                None => result.clone(),
            }
        })
        .collect();
    let accepted = results.iter().filter(|result| result.id.is_some()).count() as u32;
    BatchSendResponse {
        accepted,
        rejected: results.len() as u32 - accepted,
        results,
    }
}

/// The refusal of a send to a number on the workspace's do-not-message list.
fn opted_out_error() -> ApiError {
    ApiError::invalid(
        "recipient_opted_out",
        "to",
        "this number asked not to receive messages (it is on the workspace's do-not-message list)",
    )
}

/// Refuses a send to a number on the workspace's do-not-message list.
async fn check_not_opted_out(
    state: &AppState,
    workspace_id: Uuid,
    message: &NewMessage,
) -> Result<(), ApiError> {
    if state
        .store
        .opted_out(workspace_id, &[message.to.as_str()])
        .await?
        .is_empty()
    {
        Ok(())
    } else {
        Err(opted_out_error())
    }
}

async fn batch(
    state: &AppState,
    context: &SendContext,
    items: Vec<serde_json::Value>,
    now: i64,
    test: bool,
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
                let message = new_message(context, validated, now, test);
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
    // Numbers on the do-not-message list: refused one by one, nothing queued for them.
    let phones: Vec<&str> = messages.iter().map(|m| m.to.as_str()).collect();
    let blocked = state
        .store
        .opted_out(context.target.workspace_id, &phones)
        .await?;
    if !blocked.is_empty() {
        let refused: Vec<Uuid> = messages
            .iter()
            .filter(|m| blocked.contains(&m.to))
            .map(|m| m.id)
            .collect();
        messages.retain(|m| !blocked.contains(&m.to));
        for result in results.iter_mut() {
            if result.id.is_some_and(|id| refused.contains(&id)) {
                let mut error = opted_out_error().to_wire();
                error.field = Some(format!("messages[{}].to", result.index));
                result.id = None;
                result.status = None;
                result.error = Some(error);
            }
        }
    }
    Ok((messages, results))
}

/// "Send a test to my phone" (issue 12): the campaign's template with the given values to one
/// number, through the campaign's sender (a real phone on WhatsApp Cloud senders), marked as
/// a test: left out of the statistics and the status callbacks, shown as a test in the
/// activity. Refused like a live send when the campaign cannot send.
#[utoipa::path(post, path = "/v1/campaigns/{id}/test-message", tag = "messages", security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Campaign id")),
    request_body = SendMessageRequest,
    responses(
        (status = 202, body = SendAccepted),
        (status = 404, description = "`campaign_not_found`", body = wire::ApiErrorBody),
        (status = 409, description = "`campaign_inactive`, `template_not_approved`, `template_unsupported`, `sender_inactive`", body = wire::ApiErrorBody),
        (status = 422, description = "`invalid_phone_number`, `recipient_opted_out`, a missing or unknown variable, ...", body = wire::ApiErrorBody)))]
pub async fn send_test_message(
    State(state): State<AppState>,
    super::extractor::Allowed(staff, _): super::extractor::Allowed<
        super::extractor::need::SendTests,
    >,
    Path(id): Path<String>,
    super::extractor::ApiJson(request): super::extractor::ApiJson<SendMessageRequest>,
) -> Result<(StatusCode, axum::Json<SendAccepted>), ApiError> {
    let campaign_id = parse_id(&id, ApiError::campaign_not_found)?;
    let context = state
        .send_context(campaign_id)
        .await?
        .filter(|context| context.target.workspace_id == staff.workspace_id)
        .ok_or_else(ApiError::campaign_not_found)?;
    check_sendable(&context)?;
    let message = new_message_of(
        &context,
        validate(&context, &request)?,
        now_ms(),
        true,
        true,
    );
    check_not_opted_out(&state, staff.workspace_id, &message).await?;
    let accepted = SendAccepted {
        id: message.id,
        status: MessageStatus::Queued,
    };
    state
        .writer
        .write(WriteRequest {
            messages: vec![message],
            idempotency: None,
            // A staff member's test to their own phone is not capped (nor counted).
            cap: None,
        })
        .await?;
    Ok((StatusCode::ACCEPTED, axum::Json(accepted)))
}
