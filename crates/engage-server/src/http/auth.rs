//! Staff sign-in: login, refresh-token rotation, logout, and `GET /v1/me`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use engage_core::team::{check_new_password, device_label};
use engage_core::wire::{
    AcceptInvitationRequest, ApiErrorBody, ChangePasswordRequest, LoginRequest, LogoutRequest, Me,
    RefreshRequest, SessionList, StaffTokenResponse,
};
use engage_core::AuditAction;

use super::error::ApiError;
use super::extractor::{ApiJson, ClientAddress, RawBody, StaffUser, UserAgent};
use super::{no_store, AppState};
use crate::crypto::{random_token, sha256};
use crate::store::team::{account_key, address_key};
use crate::store::{
    now_ms, Actor, AuditContext, NewAuditEntry, Rotation, SessionOrigin, Store, StoreError,
};
use uuid::Uuid;

/// Staff access tokens live 15 minutes.
pub const STAFF_ACCESS_TTL_SECS: u64 = 15 * 60;
/// Staff refresh tokens live 30 days (and are single use).
pub const STAFF_REFRESH_TTL_SECS: u64 = 30 * 24 * 3600;

/// Longest email accepted at sign-in (RFC 5321's path limit, with room).
pub const MAX_EMAIL_CHARS: usize = 320;
/// Longest password accepted at sign-in.
pub const MAX_PASSWORD_CHARS: usize = 1024;

pub fn router() -> Router<AppState> {
    let credentials = Router::new()
        .route("/v1/auth/login", post(login))
        .route("/v1/auth/refresh", post(refresh))
        .route("/v1/auth/invitation", post(accept_invitation));
    no_store(credentials)
        .route("/v1/auth/logout", post(logout))
        .route("/v1/me", get(me))
        .route("/v1/me/password", post(change_password))
        .route("/v1/me/sessions", get(sessions))
        .route("/v1/me/sessions/end-all", post(end_all_sessions))
}

/// Trims and lower-cases an email address.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn invalid_credentials() -> ApiError {
    ApiError::unauthorized("invalid_credentials", "the email or password is incorrect")
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

/// Exchange email and password for an access token and a refresh token (a new session).
#[utoipa::path(post, path = "/v1/auth/login", tag = "staff auth", request_body = LoginRequest,
    responses(
        (status = 200, body = StaffTokenResponse, headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "`malformed_json`", body = ApiErrorBody),
        (status = 401, description = "`invalid_credentials`", body = ApiErrorBody),
        (status = 429, description = "`too_many_attempts`: repeated failures; retry after `Retry-After` seconds", body = ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 413, description = "`payload_too_large`", body = ApiErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ApiErrorBody),
        (status = 422, description = "`email_required`, `invalid_body`", body = ApiErrorBody),
        (status = 503, description = "`busy`: too many sign-ins at once; retry after `Retry-After` seconds", body = ApiErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    UserAgent(agent): UserAgent,
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
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(ApiError::invalid(
            "invalid_body",
            "email",
            format!("the email holds at most {MAX_EMAIL_CHARS} characters"),
        ));
    }
    if request.password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(ApiError::invalid(
            "invalid_body",
            "password",
            format!("the password holds at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    let mut keys = vec![(account_key(&email), state.team.account_throttle)];
    if let Some(address) = &address {
        keys.push((address_key(address), state.team.address_throttle));
    }
    let names: Vec<String> = keys.iter().map(|(key, _)| key.clone()).collect();
    if let Some(until) = state.store.sign_in_blocked_until(&names).await? {
        return Err(too_many_attempts(until));
    }
    // Unknown and deactivated accounts are checked against a dummy hash: the same answer in
    // about the same time as a wrong password.
    let user = state.store.user_by_email(&email).await?;
    let stored = user
        .as_ref()
        .filter(|user| user.active)
        .map(|user| user.password_hash.clone());
    let matches = state.passwords.verify(request.password, stored).await?;
    let context = AuditContext {
        workspace_id: user.as_ref().map(|user| user.workspace_id),
        actor: match &user {
            Some(user) => Actor::User {
                id: user.id,
                email: user.email.clone(),
            },
            None => Actor::Anonymous {
                email: email.clone(),
            },
        },
        address: address.clone(),
    };
    let user = match user {
        Some(user) if matches => user,
        _ => {
            let entry = NewAuditEntry::new(AuditAction::SignInFailed).target(&email);
            state
                .store
                .record_sign_in_failure(&keys, &context, &entry)
                .await?;
            return Err(invalid_credentials());
        }
    };
    state.store.clear_sign_in_failures(&names[0]).await?;
    let origin = SessionOrigin {
        device: device_label(agent.as_deref()),
        address,
    };
    Ok(Json(
        open_session(&state.store, &context, user.id, &origin).await?,
    ))
}

/// Starts a session for a user whose sign-in was accepted (audited as `signed_in`) and
/// returns its tokens: after a password check ([`login`]), or for the demo user of the
/// desktop app's own sandbox ([`crate::sandbox::Sandbox::sign_in`]).
pub(crate) async fn open_session(
    store: &Store,
    context: &AuditContext,
    user_id: Uuid,
    origin: &SessionOrigin,
) -> Result<StaffTokenResponse, StoreError> {
    let pair = TokenPair::generate();
    store
        .start_session(
            context,
            &NewAuditEntry::new(AuditAction::SignedIn),
            user_id,
            origin,
            (&pair.access_hash, pair.access_expires_at),
            (&pair.refresh_hash, pair.refresh_expires_at),
        )
        .await?;
    Ok(pair.response())
}

/// 429 `too_many_attempts` until `until` (Unix ms), rounded up to whole seconds.
fn too_many_attempts(until: i64) -> ApiError {
    let wait_ms = (until - now_ms()).max(0);
    ApiError::TooManyAttempts {
        retry_after_secs: u64::try_from((wait_ms + 999) / 1000).unwrap_or(1).max(1),
    }
}

/// Accept an invitation (or a password reset) with its one-time code and a new password,
/// and sign in.
#[utoipa::path(post, path = "/v1/auth/invitation", tag = "staff auth", request_body = AcceptInvitationRequest,
    responses(
        (status = 200, body = StaffTokenResponse, headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 404, description = "`invitation_not_found`: unknown, expired or already used", body = ApiErrorBody),
        (status = 409, description = "`email_taken`", body = ApiErrorBody),
        (status = 422, description = "`password_too_short`, `password_too_long`, `password_too_common`, `invalid_body`", body = ApiErrorBody)))]
pub async fn accept_invitation(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    UserAgent(agent): UserAgent,
    ApiJson(request): ApiJson<AcceptInvitationRequest>,
) -> Result<Json<StaffTokenResponse>, ApiError> {
    check_new_password(&request.password)?;
    let code = request.code.trim();
    if code.is_empty() || code.chars().count() > 200 {
        return Err(invitation_not_found());
    }
    let password_hash = crate::demo::password_hash(request.password).await?;
    let pair = TokenPair::generate();
    let origin = SessionOrigin {
        device: device_label(agent.as_deref()),
        address,
    };
    state
        .store
        .accept_invitation(
            &sha256(code),
            &password_hash,
            &origin,
            (&pair.access_hash, pair.access_expires_at),
            (&pair.refresh_hash, pair.refresh_expires_at),
        )
        .await?
        .ok_or_else(invitation_not_found)?;
    Ok(Json(pair.response()))
}

fn invitation_not_found() -> ApiError {
    ApiError::not_found(
        "invitation_not_found",
        "this invitation code is unknown, expired (codes last 72 hours) or already used; ask your admin for a new one",
    )
}

/// Exchange a refresh token for a new pair in the same session; the old refresh token stops
/// working. Presenting a refresh token that was already exchanged ends the whole session
/// (every access and refresh token of it): someone else has a copy.
#[utoipa::path(post, path = "/v1/auth/refresh", tag = "staff auth", request_body = RefreshRequest,
    responses(
        (status = 200, body = StaffTokenResponse, headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "`malformed_json`", body = ApiErrorBody),
        (status = 401, description = "`invalid_refresh_token`: unknown, expired or signed out; `refresh_token_reused`: already exchanged, the session is now ended", body = ApiErrorBody),
        (status = 413, description = "`payload_too_large`", body = ApiErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ApiErrorBody),
        (status = 422, description = "`invalid_body`", body = ApiErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<RefreshRequest>,
) -> Result<Json<StaffTokenResponse>, ApiError> {
    let pair = TokenPair::generate();
    let rotation = state
        .store
        .rotate_session_refresh_token(
            &sha256(&request.refresh_token),
            (&pair.access_hash, pair.access_expires_at),
            (&pair.refresh_hash, pair.refresh_expires_at),
        )
        .await?;
    match rotation {
        Rotation::Rotated { .. } => Ok(Json(pair.response())),
        Rotation::Reused { session_id } => {
            tracing::warn!(%session_id, "a spent refresh token was presented again; the session is revoked");
            Err(ApiError::unauthorized(
                "refresh_token_reused",
                "this refresh token was already used, so the session has been ended for safety; sign in again",
            ))
        }
        Rotation::Invalid => Err(ApiError::unauthorized(
            "invalid_refresh_token",
            "the refresh token is invalid, expired or already used; sign in again",
        )),
    }
}

/// Sign out: ends the session of the access token (every access and refresh token of it),
/// whatever the body holds. A refresh token in the body ends its session too.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "staff auth", request_body(content = Option<LogoutRequest>),
    security(("staff" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 400, description = "`malformed_json` (the session is ended all the same)", body = ApiErrorBody),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 413, description = "`payload_too_large`", body = ApiErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    staff: StaffUser,
    body: Result<RawBody, ApiError>,
) -> Result<StatusCode, ApiError> {
    match staff.session_id {
        Some(session_id) => state.store.end_session(session_id, staff.user_id).await?,
        None => {
            state
                .store
                .revoke_user_token(&staff.token_hash, staff.user_id)
                .await?
        }
    }
    let RawBody(body) = body?;
    let request: LogoutRequest = if body.iter().all(u8::is_ascii_whitespace) {
        LogoutRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|error| ApiError::BadRequest {
            code: "malformed_json",
            message: format!(
                "the request body is not valid JSON ({error}); you are signed out all the same"
            ),
        })?
    };
    if let Some(refresh) = request.refresh_token {
        let hash = sha256(&refresh);
        match state.store.session_of_token(&hash, staff.user_id).await? {
            Some(session_id) => state.store.end_session(session_id, staff.user_id).await?,
            None => state.store.revoke_user_token(&hash, staff.user_id).await?,
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Who the staff token belongs to, with their role and what it allows.
#[utoipa::path(get, path = "/v1/me", tag = "staff auth", security(("staff" = [])),
    responses((status = 200, body = Me), (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody)))]
pub async fn me(State(state): State<AppState>, staff: StaffUser) -> Result<Json<Me>, ApiError> {
    let workspace_name = state
        .store
        .workspace_name(staff.workspace_id)
        .await?
        .unwrap_or_default();
    Ok(Json(Me {
        user_id: staff.user_id,
        email: staff.email,
        workspace_id: staff.workspace_id,
        workspace_name,
        role: staff.role,
        permissions: staff.role.permissions(),
    }))
}

/// Change your own password (the current one is required). Your other sessions end.
#[utoipa::path(post, path = "/v1/me/password", tag = "staff auth", security(("staff" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed"),
        (status = 422, description = "`wrong_password` (field `current_password`), `password_too_short`, `password_too_long`, `password_too_common`", body = ApiErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    staff: StaffUser,
    ApiJson(request): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    check_new_password(&request.new_password)
        .map_err(|error| ApiError::invalid(error.code(), "new_password", error.to_string()))?;
    let user = state
        .store
        .user_by_id(staff.user_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("invalid_token", "the user no longer exists"))?;
    if !state
        .passwords
        .verify(request.current_password, Some(user.password_hash))
        .await?
    {
        return Err(ApiError::invalid(
            "wrong_password",
            "current_password",
            "the current password is incorrect",
        ));
    }
    let hash = crate::demo::password_hash(request.new_password).await?;
    state
        .store
        .change_password(&staff.audit(), staff.user_id, staff.session_id, &hash)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Your active sign-in sessions: device, address, last use.
#[utoipa::path(get, path = "/v1/me/sessions", tag = "staff auth", security(("staff" = [])),
    responses((status = 200, body = SessionList)))]
pub async fn sessions(
    State(state): State<AppState>,
    staff: StaffUser,
) -> Result<Json<SessionList>, ApiError> {
    let items = state
        .store
        .user_sessions(staff.user_id, staff.session_id)
        .await?;
    Ok(Json(SessionList { items }))
}

/// Sign out everywhere: every session of yours ends, this one included.
#[utoipa::path(post, path = "/v1/me/sessions/end-all", tag = "staff auth", security(("staff" = [])),
    responses((status = 204, description = "Every session ended")))]
pub async fn end_all_sessions(
    State(state): State<AppState>,
    staff: StaffUser,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .end_all_sessions(&staff.audit(), staff.user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
