//! `POST /oauth/token`: OAuth 2.0 client credentials grant (RFC 6749 §4.4). The client
//! authenticates with HTTP Basic or with `client_id` / `client_secret` form fields; errors
//! follow §5.2 (`{"error": "invalid_client", "error_description": ...}`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use engage_core::wire::ClientTokenResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use crate::crypto::{random_token, secret_matches, sha256};
use crate::store::{now_ms, StoreError, TokenKind, TokenOwner};

/// Client-credentials access tokens live one hour.
pub const CLIENT_ACCESS_TTL_SECS: u64 = 3600;
/// The only scope: sending messages of the client's workspace.
pub const SCOPE: &str = "messages:send";

pub fn router() -> Router<AppState> {
    Router::new().route("/oauth/token", post(token))
}

/// RFC 6749 §5.2 error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthErrorBody {
    /// `invalid_request`, `invalid_client`, `unsupported_grant_type` or `invalid_scope`.
    pub error: String,
    pub error_description: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("client authentication failed: unknown client or wrong secret")]
    InvalidClient,
    #[error("only grant_type=client_credentials is supported")]
    UnsupportedGrantType,
    #[error("the requested scope is not available; use {SCOPE} or omit scope")]
    InvalidScope,
    #[error("internal error")]
    Internal(#[from] StoreError),
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            OAuthError::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            OAuthError::InvalidClient => (StatusCode::UNAUTHORIZED, "invalid_client"),
            OAuthError::UnsupportedGrantType => (StatusCode::BAD_REQUEST, "unsupported_grant_type"),
            OAuthError::InvalidScope => (StatusCode::BAD_REQUEST, "invalid_scope"),
            OAuthError::Internal(error) => {
                tracing::error!(%error, "token endpoint failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "server_error")
            }
        };
        let body = OAuthErrorBody {
            error: code.to_owned(),
            error_description: self.to_string(),
        };
        let mut response = (status, no_store(), Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"engage\", charset=\"UTF-8\""),
            );
        }
        response
    }
}

fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

/// The `application/x-www-form-urlencoded` body of `POST /oauth/token` (its schema in the
/// OpenAPI document; the handler reads the form itself, refusing repeated parameters).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TokenRequest {
    /// Only `client_credentials`.
    #[schema(pattern = "^client_credentials$")]
    pub grant_type: String,
    /// With `client_secret`, when the client does not authenticate with HTTP Basic.
    #[schema(max_length = 255, nullable = false)]
    pub client_id: Option<String>,
    #[schema(max_length = 255, nullable = false)]
    pub client_secret: Option<String>,
    /// `messages:send` (the only scope) or nothing.
    #[schema(pattern = "^ *(messages:send( +|$))*$", nullable = false)]
    pub scope: Option<String>,
}

/// The form parameters, each at most once (§3.2).
#[derive(Default)]
struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

fn parse_form(body: &[u8]) -> Result<TokenForm, OAuthError> {
    let mut form = TokenForm::default();
    for (name, value) in url::form_urlencoded::parse(body) {
        let slot = match name.as_ref() {
            "grant_type" => &mut form.grant_type,
            "client_id" => &mut form.client_id,
            "client_secret" => &mut form.client_secret,
            "scope" => &mut form.scope,
            _ => continue,
        };
        if slot.is_some() {
            return Err(OAuthError::InvalidRequest(format!(
                "the parameter {name} is repeated"
            )));
        }
        *slot = Some(value.into_owned());
    }
    Ok(form)
}

/// Credentials from `Authorization: Basic` (client id and secret are form-urlencoded, §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| OAuthError::InvalidClient)?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(OAuthError::InvalidClient);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::InvalidClient);
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .map_err(|_| OAuthError::InvalidClient)?;
    let decoded = String::from_utf8(decoded).map_err(|_| OAuthError::InvalidClient)?;
    let (id, secret) = decoded.split_once(':').ok_or(OAuthError::InvalidClient)?;
    let unescape = |part: &str| -> String {
        url::form_urlencoded::parse(format!("x={part}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}

/// Obtain a bearer token with the client credentials grant.
#[utoipa::path(post, path = "/oauth/token", tag = "client auth",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded",
        description = "`grant_type=client_credentials`; client credentials by HTTP Basic or `client_id` and `client_secret` fields (not both)"),
    security((), ("client_basic" = [])),
    responses(
        (status = 200, body = ClientTokenResponse, headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "`invalid_request`, `unsupported_grant_type`, `invalid_scope`", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`", body = OAuthErrorBody)))]
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if !content_type.split(';').next().is_some_and(|mime| {
        mime.trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    }) {
        return Err(OAuthError::InvalidRequest(
            "the body must be application/x-www-form-urlencoded".into(),
        ));
    }
    let form = parse_form(&body)?;
    match form.grant_type.as_deref() {
        None => {
            return Err(OAuthError::InvalidRequest(
                "the grant_type parameter is required".into(),
            ))
        }
        Some("client_credentials") => {}
        Some(_) => return Err(OAuthError::UnsupportedGrantType),
    }
    if let Some(scope) = form.scope.as_deref() {
        if scope.split(' ').any(|s| !s.is_empty() && s != SCOPE) {
            return Err(OAuthError::InvalidScope);
        }
    }
    let (client_id, client_secret) = match (
        basic_credentials(&headers)?,
        form.client_id,
        form.client_secret,
    ) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(OAuthError::InvalidRequest(
                "authenticate the client with HTTP Basic or with form fields, not both".into(),
            ))
        }
        (Some(credentials), None, None) => credentials,
        (None, Some(id), Some(secret)) => (id, secret),
        (None, Some(_), None) | (None, None, Some(_)) => {
            return Err(OAuthError::InvalidRequest(
                "both client_id and client_secret are required".into(),
            ))
        }
        (None, None, None) => return Err(OAuthError::InvalidClient),
    };
    let client = state
        .store
        .api_client_by_client_id(&client_id)
        .await?
        .ok_or(OAuthError::InvalidClient)?;
    if !secret_matches(&client_secret, &client.secret_hash) {
        return Err(OAuthError::InvalidClient);
    }
    let access = random_token();
    let expires_at = now_ms() + (CLIENT_ACCESS_TTL_SECS as i64) * 1000;
    state
        .store
        .insert_token(
            &sha256(&access),
            TokenKind::ClientAccess,
            TokenOwner::Client {
                workspace_id: client.workspace_id,
                api_client_id: client.id,
            },
            expires_at,
        )
        .await?;
    let body = ClientTokenResponse {
        access_token: access,
        token_type: "Bearer".into(),
        expires_in: CLIENT_ACCESS_TTL_SECS,
        scope: SCOPE.into(),
    };
    Ok((no_store(), Json(body)).into_response())
}
