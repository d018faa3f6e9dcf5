//! Staff sign-in: login, refresh-token rotation, logout, and `GET /v1/me`.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use engage_core::wire::{LoginRequest, LogoutRequest, Me, RefreshRequest, StaffTokenResponse};

use super::error::ApiError;
use super::extractor::{ApiJson, RawBody, StaffUser};
use super::AppState;
use crate::crypto::{hash_password, random_token, sha256, verify_password};
use crate::store::{now_ms, TokenKind, TokenOwner};

/// Staff access tokens live 15 minutes.
pub const STAFF_ACCESS_TTL_SECS: u64 = 15 * 60;
/// Staff refresh tokens live 30 days (and are single use).
pub const STAFF_REFRESH_TTL_SECS: u64 = 30 * 24 * 3600;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/auth/login", post(login))
        .route("/v1/auth/refresh", post(refresh))
        .route("/v1/auth/logout", post(logout))
        .route("/v1/me", get(me))
}

/// Trims and lower-cases an email address.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn invalid_credentials() -> ApiError {
    ApiError::unauthorized("invalid_credentials", "the email or password is incorrect")
}

/// A hash to verify against when the email is unknown, so both cases take as long.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password("engage-timing-equaliser").unwrap_or_default())
}

/// A fresh access + refresh token pair with their hashes and expiry times.
struct TokenPair {
    access: String,
    access_hash: [u8; 32],
    access_expires_at: i64,
    refresh: String,
    refresh_hash: [u8; 32],
    refresh_expires_at: i64,
}

impl TokenPair {
    fn generate() -> Self {
        let now = now_ms();
        let access = random_token();
        let refresh = random_token();
        TokenPair {
            access_hash: sha256(&access),
            refresh_hash: sha256(&refresh),
            access,
            refresh,
            access_expires_at: now + (STAFF_ACCESS_TTL_SECS as i64) * 1000,
            refresh_expires_at: now + (STAFF_REFRESH_TTL_SECS as i64) * 1000,
        }
    }

    fn response(self) -> StaffTokenResponse {
        StaffTokenResponse {
            access_token: self.access,
            token_type: "Bearer".into(),
            expires_in: STAFF_ACCESS_TTL_SECS,
            refresh_token: self.refresh,
        }
    }
}

/// Exchange email and password for an access token and a refresh token.
#[utoipa::path(post, path = "/v1/auth/login", tag = "staff auth", request_body = LoginRequest,
    responses(
        (status = 200, body = StaffTokenResponse),
        (status = 401, description = "`invalid_credentials`", body = engage_core::wire::ApiErrorBody),
        (status = 422, body = engage_core::wire::ApiErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Json<StaffTokenResponse>, ApiError> {
    let email = normalize_email(&request.email);
    if email.is_empty() {
        return Err(ApiError::invalid(
            "email_required",
            "email",
            "the email is required",
        ));
    }
    let user = state.store.user_by_email(&email).await?;
    let stored = user
        .as_ref()
        .map(|user| user.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_owned());
    let password = request.password;
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
        .await
        .map_err(|error| ApiError::Internal(format!("password check panicked: {error}")))?;
    let user = match user {
        Some(user) if matches => user,
        _ => return Err(invalid_credentials()),
    };
    let pair = TokenPair::generate();
    let owner = TokenOwner::User {
        workspace_id: user.workspace_id,
        user_id: user.id,
    };
    state
        .store
        .insert_token(
            &pair.access_hash,
            TokenKind::StaffAccess,
            owner,
            pair.access_expires_at,
        )
        .await?;
    state
        .store
        .insert_token(
            &pair.refresh_hash,
            TokenKind::StaffRefresh,
            owner,
            pair.refresh_expires_at,
        )
        .await?;
    Ok(Json(pair.response()))
}

/// Exchange a refresh token for a new pair; the old refresh token stops working.
#[utoipa::path(post, path = "/v1/auth/refresh", tag = "staff auth", request_body = RefreshRequest,
    responses(
        (status = 200, body = StaffTokenResponse),
        (status = 401, description = "`invalid_refresh_token`: unknown, expired or already used", body = engage_core::wire::ApiErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<RefreshRequest>,
) -> Result<Json<StaffTokenResponse>, ApiError> {
    let pair = TokenPair::generate();
    let rotated = state
        .store
        .rotate_refresh_token(
            &sha256(&request.refresh_token),
            (&pair.access_hash, pair.access_expires_at),
            (&pair.refresh_hash, pair.refresh_expires_at),
        )
        .await?;
    if rotated.is_none() {
        return Err(ApiError::unauthorized(
            "invalid_refresh_token",
            "the refresh token is invalid, expired or already used; sign in again",
        ));
    }
    Ok(Json(pair.response()))
}

/// Revoke the access token of the request and, when given, the refresh token.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "staff auth", request_body(content = Option<LogoutRequest>),
    security(("staff" = [])),
    responses((status = 204, description = "Signed out"), (status = 401, body = engage_core::wire::ApiErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    staff: StaffUser,
    RawBody(body): RawBody,
) -> Result<StatusCode, ApiError> {
    let request: LogoutRequest = if body.iter().all(u8::is_ascii_whitespace) {
        LogoutRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|error| ApiError::BadRequest {
            code: "malformed_json",
            message: format!("the request body is not valid JSON: {error}"),
        })?
    };
    state
        .store
        .revoke_user_token(&staff.token_hash, staff.user_id)
        .await?;
    if let Some(refresh) = request.refresh_token {
        state
            .store
            .revoke_user_token(&sha256(&refresh), staff.user_id)
            .await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Who the staff token belongs to.
#[utoipa::path(get, path = "/v1/me", tag = "staff auth", security(("staff" = [])),
    responses((status = 200, body = Me), (status = 401, body = engage_core::wire::ApiErrorBody)))]
pub async fn me(State(state): State<AppState>, staff: StaffUser) -> Result<Json<Me>, ApiError> {
    let user = state
        .store
        .user_by_id(staff.user_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("invalid_token", "the user no longer exists"))?;
    let workspace_name = state
        .store
        .workspace_name(staff.workspace_id)
        .await?
        .unwrap_or_default();
    Ok(Json(Me {
        user_id: user.id,
        email: user.email,
        workspace_id: staff.workspace_id,
        workspace_name,
    }))
}
