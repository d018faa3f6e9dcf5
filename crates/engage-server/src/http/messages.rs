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
    Router::new().route("/v1/messages/{id}", get(get_message))
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
        .filter(|record| record.workspace_id == auth.workspace_id)
        .map(|record| Json(record.message))
        .ok_or_else(message_not_found)
}
