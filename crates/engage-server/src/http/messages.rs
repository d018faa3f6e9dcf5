//! `GET /v1/messages/{id}`: a message's status and rendered text (client or staff token of
//! the message's workspace).

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use engage_core::wire::Message;

use super::error::ApiError;
use super::extractor::{parse_id, AnyAuth};
use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/messages/{id}", get(get_message))
        .route(
            "/v1/messages/{id}/simulate-reply",
            axum::routing::post(simulate_reply),
        )
}

fn message_not_found() -> ApiError {
    ApiError::not_found(
        "message_not_found",
        "no message with this id in your workspace",
    )
}

/// A message: status, the text as the recipient sees it, error reason, timestamps.
#[utoipa::path(get, path = "/v1/messages/{id}", tag = "messages", security(("client" = []), ("staff" = [])),
    params(("id" = uuid::Uuid, Path, description = "Message id")),
    responses((status = 200, body = Message), (status = 401, body = engage_core::wire::ApiErrorBody), (status = 404, body = engage_core::wire::ApiErrorBody)))]
pub async fn get_message(
    State(state): State<AppState>,
    auth: AnyAuth,
    Path(id): Path<String>,
) -> Result<Json<Message>, ApiError> {
    let id = parse_id(&id, message_not_found)?;
    state
        .store
        .message(id)
        .await?
        .filter(|record| {
            record.workspace_id == auth.workspace_id
                && auth
                    .campaign_id
                    .is_none_or(|scope| scope == record.message.campaign_id)
        })
        .map(|record| Json(record.message))
        .ok_or_else(message_not_found)
}

/// The sandbox's stand-in for the recipient answering a message (issue 12): the reply goes
/// through the workspace's opt-out keywords as a WhatsApp reply would. Only for messages the
/// sandbox delivered (a sandbox sender's, or one sent with test credentials): a real
/// recipient's answers come from WhatsApp.
#[utoipa::path(post, path = "/v1/messages/{id}/simulate-reply", tag = "messages", security(("staff" = [])),
    params(("id" = uuid::Uuid, Path, description = "Message id")),
    request_body = engage_core::wire::SimulateReplyRequest,
    responses((status = 200, body = engage_core::wire::SimulatedReply),
        (status = 404, description = "`message_not_found`", body = engage_core::wire::ApiErrorBody),
        (status = 409, description = "`not_a_sandbox_message`", body = engage_core::wire::ApiErrorBody),
        (status = 422, description = "`reply_required`", body = engage_core::wire::ApiErrorBody)))]
pub async fn simulate_reply(
    State(state): State<AppState>,
    super::extractor::Allowed(staff, _): super::extractor::Allowed<
        super::extractor::need::SendTests,
    >,
    Path(id): Path<String>,
    super::extractor::ApiJson(request): super::extractor::ApiJson<
        engage_core::wire::SimulateReplyRequest,
    >,
) -> Result<Json<engage_core::wire::SimulatedReply>, ApiError> {
    let id = parse_id(&id, message_not_found)?;
    let text = request.text.trim();
    if text.is_empty() || text.chars().count() > 1000 {
        return Err(ApiError::invalid(
            "reply_required",
            "text",
            "write the reply (at most 1,000 characters)",
        ));
    }
    let record = state
        .store
        .message(id)
        .await?
        .filter(|record| record.workspace_id == staff.workspace_id)
        .ok_or_else(message_not_found)?;
    let sandbox_sender = state
        .store
        .campaign(staff.workspace_id, record.message.campaign_id)
        .await?
        .is_some_and(|campaign| {
            campaign.sender.provider == engage_core::wire::ProviderKind::Sandbox
        });
    if !sandbox_sender && !record.message.test {
        return Err(ApiError::conflict(
            "not_a_sandbox_message",
            None,
            "only a message the sandbox delivered can get a simulated reply; real replies come from WhatsApp",
        ));
    }
    // A quick-reply button pressed under this message: its template's opt-out marks first.
    let button = if request.button == Some(true) {
        state
            .store
            .record_button_press(
                staff.workspace_id,
                &record.message.to,
                text,
                None,
                Some(record.message.id),
            )
            .await?
    } else {
        None
    };
    let keyword = match button {
        Some(_) => None,
        None => {
            state
                .store
                .record_reply(staff.workspace_id, &record.message.to, text)
                .await?
        }
    };
    Ok(Json(engage_core::wire::SimulatedReply { keyword, button }))
}
