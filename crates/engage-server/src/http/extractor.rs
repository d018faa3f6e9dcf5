//! Request extractors: bearer-token authentication (staff and API client) and JSON/query
//! bodies whose rejections become [`ApiError`]s with stable codes.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::error::ApiError;
use super::AppState;
use crate::crypto::sha256;

/// The bearer token of the request, or a 401.
fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthorized(
            "missing_token",
            "send an Authorization: Bearer <token> header",
        )
    })?;
    let value = value.to_str().map_err(|_| {
        ApiError::unauthorized(
            "invalid_token",
            "the Authorization header is not valid text",
        )
    })?;
    let (scheme, token) = value.split_once(' ').ok_or_else(|| {
        ApiError::unauthorized(
            "invalid_token",
            "the Authorization header must be `Bearer <token>`",
        )
    })?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::unauthorized(
            "invalid_token",
            "the Authorization header must be `Bearer <token>`",
        ));
    }
    Ok(token)
}

fn invalid_token() -> ApiError {
    ApiError::unauthorized(
        "invalid_token",
        "the access token is invalid or has expired",
    )
}

/// A signed-in staff member (staff access token).
#[derive(Debug, Clone)]
pub struct StaffUser {
    pub user_id: Uuid,
    pub workspace_id: Uuid,
    pub token_hash: [u8; 32],
    /// The sign-in session of the token (`None` for tokens issued before sessions existed).
    pub session_id: Option<Uuid>,
}

impl FromRequestParts<AppState> for StaffUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let hash = sha256(bearer(parts)?);
        let token = state
            .store
            .live_staff_token(&hash)
            .await?
            .ok_or_else(invalid_token)?;
        Ok(StaffUser {
            user_id: token.user_id,
            workspace_id: token.workspace_id,
            token_hash: hash,
            session_id: token.session_id,
        })
    }
}

/// An API client authenticated by a client-credentials access token.
#[derive(Debug, Clone, Copy)]
pub struct ApiClientAuth {
    pub workspace_id: Uuid,
    pub api_client_id: Uuid,
}

impl FromRequestParts<AppState> for ApiClientAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let hash = sha256(bearer(parts)?);
        state.client_token(&hash).await?.ok_or_else(invalid_token)
    }
}

/// Either kind of token: the workspace the caller acts in.
#[derive(Debug, Clone, Copy)]
pub struct AnyAuth {
    pub workspace_id: Uuid,
}

impl FromRequestParts<AppState> for AnyAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let hash = sha256(bearer(parts)?);
        if let Some(client) = state.client_token(&hash).await? {
            return Ok(AnyAuth {
                workspace_id: client.workspace_id,
            });
        }
        let token = state
            .store
            .live_staff_token(&hash)
            .await?
            .ok_or_else(invalid_token)?;
        Ok(AnyAuth {
            workspace_id: token.workspace_id,
        })
    }
}

/// Maps axum's JSON rejections to API errors.
pub fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType {
            message: "the request body must be JSON: send Content-Type: application/json".into(),
        },
        JsonRejection::JsonSyntaxError(error) => ApiError::BadRequest {
            code: "malformed_json",
            message: format!("the request body is not valid JSON: {}", error.body_text()),
        },
        JsonRejection::JsonDataError(error) => ApiError::Invalid {
            code: "invalid_body",
            message: error.body_text(),
            field: None,
        },
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge {
            limit: super::BODY_LIMIT,
        },
        other => ApiError::BadRequest {
            code: "unreadable_body",
            message: other.body_text(),
        },
    }
}

/// `axum::Json` with [`ApiError`] rejections.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        axum::Json::<T>::from_request(request, state)
            .await
            .map(|axum::Json(value)| ApiJson(value))
            .map_err(json_rejection)
    }
}

/// `axum::extract::Query` with [`ApiError`] rejections.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| ApiQuery(value))
            .map_err(|rejection: QueryRejection| ApiError::Invalid {
                code: "invalid_query",
                message: rejection.body_text(),
                field: None,
            })
    }
}

/// Parses an id from the path; anything but a UUID is reported as `not_found`.
pub fn parse_id(value: &str, not_found: fn() -> ApiError) -> Result<Uuid, ApiError> {
    Uuid::parse_str(value).map_err(|_| not_found())
}

/// The raw request body, with the body limit reported as a JSON 413.
pub struct RawBody(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        axum::body::Bytes::from_request(request, state)
            .await
            .map(RawBody)
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge {
                        limit: super::BODY_LIMIT,
                    }
                } else {
                    ApiError::BadRequest {
                        code: "unreadable_body",
                        message: rejection.body_text(),
                    }
                }
            })
    }
}
