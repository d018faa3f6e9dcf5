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

use super::extractor::ClientAddress;
use super::integration_log::Call;
use super::AppState;
use crate::crypto::{random_token, secret_matches, sha256};
use crate::store::ApiClientRecord;
use crate::store::{now_ms, StoreError};
use engage_core::wire::{ApiError as ApiErrorWire, IntegrationCallKind};

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

impl OAuthError {
    /// The status and the RFC 6749 error code.
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            OAuthError::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            OAuthError::InvalidClient => (StatusCode::UNAUTHORIZED, "invalid_client"),
            OAuthError::UnsupportedGrantType => (StatusCode::BAD_REQUEST, "unsupported_grant_type"),
            OAuthError::InvalidScope => (StatusCode::BAD_REQUEST, "invalid_scope"),
            OAuthError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
        }
    }

    /// The form parameter the refusal concerns, when there is one.
    fn field(&self) -> Option<&'static str> {
        match self {
            OAuthError::UnsupportedGrantType => Some("grant_type"),
            OAuthError::InvalidScope => Some("scope"),
            OAuthError::InvalidClient => Some("client_secret"),
            _ => None,
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let OAuthError::Internal(error) = &self {
            tracing::error!(%error, "token endpoint failed");
        }
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
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let mut client = None;
    let answer = issue(&state, &headers, &body, &mut client).await;
    // The integration log (issue 15): token requests of a campaign's own credentials. A
    // refusal before the client was looked up names it by the id it sent, when there is one.
    if client.is_none()
        && matches!(&answer, Err(error) if !matches!(error, OAuthError::Internal(_)))
    {
        if let Some(id) = claimed_client_id(&headers, &body) {
            client = state
                .store
                .api_client_by_client_id(&id)
                .await
                .ok()
                .flatten();
        }
    }
    if let Some(ApiClientRecord {
        workspace_id,
        campaign_id: Some(campaign_id),
        test,
        ..
    }) = client
    {
        let call = Call {
            kind: IntegrationCallKind::Token,
            campaign_id,
            workspace_id: Some(workspace_id),
            address,
            test,
            to: None,
        };
        let outcome = match &answer {
            Ok(response) => call.outcome(response.status().as_u16(), 0, false, None),
            Err(error) => {
                let (status, code) = error.status_and_code();
                let wire = ApiErrorWire {
                    code: code.to_owned(),
                    message: error.to_string(),
                    field: error.field().map(str::to_owned),
                    retry_at: None,
                };
                call.outcome(status.as_u16(), 0, true, Some(&wire))
            }
        };
        state.integration_log.record(outcome);
    }
    answer
}

/// The client id a token request names (form field or HTTP Basic), whatever else is wrong.
fn claimed_client_id(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    if let Ok(Some((id, _))) = basic_credentials(headers) {
        return Some(id);
    }
    url::form_urlencoded::parse(body)
        .find(|(name, _)| name == "client_id")
        .map(|(_, value)| value.into_owned())
}

/// [`token`]: the answer, with `client` set once the client is known.
async fn issue(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
    known: &mut Option<ApiClientRecord>,
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
    let form = parse_form(body)?;
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
        basic_credentials(headers)?,
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
    *known = Some(client.clone());
    let now = now_ms();
    let mut expires_at = now + (CLIENT_ACCESS_TTL_SECS as i64) * 1000;
    if !secret_matches(&client_secret, &client.secret_hash) {
        // The previous secret of a rotation, during its grace period: its tokens end with it.
        match client.previous_secret(now) {
            Some((hash, until)) if secret_matches(&client_secret, hash) => {
                expires_at = expires_at.min(until)
            }
            _ => return Err(OAuthError::InvalidClient),
        }
    }
    let access = random_token();
    let issued = state
        .store
        .issue_client_token(
            &sha256(&access),
            &client,
            &sha256(&client_secret),
            expires_at,
        )
        .await?;
    if !issued {
        // Rotated or revoked between the check and the insert.
        return Err(OAuthError::InvalidClient);
    }
    let body = ClientTokenResponse {
        access_token: access,
        token_type: "Bearer".into(),
        expires_in: u64::try_from((expires_at - now) / 1000).unwrap_or(0),
        scope: SCOPE.into(),
    };
    Ok((no_store(), Json(body)).into_response())
}
