//! [`ApiError`]: every refusal of the HTTP API, rendered as
//! `{"error": {"code", "message", "field"}}` with its status. Internal failures are logged
//! (never returned) and answered with a generic 500 body.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use engage_core::wire::{self, ApiErrorBody};
use engage_core::CoreError;

use crate::crypto::CryptoError;
use crate::store::StoreError;
use crate::whatsapp::WhatsAppError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 422: the request is well formed but breaks a rule (names the field).
    #[error("{message}")]
    Invalid {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    /// 422 from engage-core's rules (phone numbers, variables, names).
    #[error(transparent)]
    Domain(#[from] CoreError),
    /// 400: the body is not parseable JSON (or form).
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    /// 409: the state of the resource forbids it.
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        field: Option<&'static str>,
    },
    /// 401 with `WWW-Authenticate`.
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{message}")]
    UnsupportedMediaType { message: String },
    /// 403: understood and refused (names the field).
    #[error("{message}")]
    Forbidden {
        code: &'static str,
        message: String,
        field: Option<&'static str>,
    },
    /// 401 of a signed webhook whose `X-Hub-Signature-256` is missing or wrong (no bearer
    /// challenge: the caller is Meta, not a token holder).
    #[error("{message}")]
    BadSignature { code: &'static str, message: String },
    /// 502: Meta's Graph API refused or failed; its code as `whatsapp_<code>`.
    #[error("{message}")]
    Upstream { code: String, message: String },
    /// 503: something this endpoint needs is not configured on this server.
    #[error("{message}")]
    NotConfigured { code: &'static str, message: String },
    #[error("this endpoint does not accept this HTTP method; see GET /openapi.json")]
    MethodNotAllowed,
    #[error("the database cannot be reached right now; retry shortly")]
    DatabaseUnavailable,
    #[error("the database schema is at version {database}, older than this server needs ({binary}): run `engage-server migrate`")]
    SchemaNotCurrent { database: i64, binary: i64 },
    /// 503 `busy` with `Retry-After`: a bounded resource (password hashing) is saturated.
    #[error("the server is busy; retry in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    /// 429 `rate_limited` with `Retry-After` (the `RateLimit-*` headers are added by
    /// [`super::rate_limit`]).
    #[error(
        "this API client sent more than {limit} requests per second; retry in {retry_after_secs} s"
    )]
    RateLimited { limit: u32, retry_after_secs: u64 },
    /// 429 `too_many_attempts` with `Retry-After`: sign-ins to this account or from this
    /// address are blocked for a while after repeated failures.
    #[error("too many failed sign-ins; try again in {retry_after_secs} s (or ask an admin to lift the block)")]
    TooManyAttempts { retry_after_secs: u64 },
    /// 422 `frequency_capped` with `Retry-After` and `retry_at`: the campaign's frequency
    /// cap allows no more messages to this recipient until `retry_at_ms`.
    #[error("this campaign's frequency cap allows no more messages to this number for now; the next one is allowed at {}", rfc3339(*.retry_at_ms))]
    FrequencyCapped { field: String, retry_at_ms: i64 },
    #[error("internal error: {0}")]
    Internal(String),
}

fn rfc3339(ms: i64) -> String {
    use time::format_description::well_known::Rfc3339;
    crate::store::from_millis(ms)
        .format(&Rfc3339)
        .unwrap_or_else(|_| ms.to_string())
}

/// Whole seconds from now until `ms` (at least 1).
pub fn seconds_until(ms: i64) -> u64 {
    let wait = ms - crate::store::now_ms();
    u64::try_from((wait + 999) / 1000).unwrap_or(0).max(1)
}

impl ApiError {
    pub fn invalid(
        code: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ApiError::Invalid {
            code,
            message: message.into(),
            field: Some(field.into()),
        }
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::NotFound {
            code,
            message: message.into(),
        }
    }

    pub fn conflict(
        code: &'static str,
        field: Option<&'static str>,
        message: impl Into<String>,
    ) -> Self {
        ApiError::Conflict {
            code,
            message: message.into(),
            field,
        }
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Unauthorized {
            code,
            message: message.into(),
        }
    }

    pub fn campaign_not_found() -> Self {
        ApiError::not_found(
            "campaign_not_found",
            "no campaign with this id in your workspace",
        )
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Invalid { .. } | ApiError::Domain(_) | ApiError::FrequencyCapped { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::BadSignature { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Upstream { .. } => StatusCode::BAD_GATEWAY,
            ApiError::NotConfigured { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::DatabaseUnavailable
            | ApiError::SchemaNotCurrent { .. }
            | ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The wire form (a generic text for internal errors).
    pub fn to_wire(&self) -> wire::ApiError {
        let (code, field) = match self {
            ApiError::Invalid { code, field, .. } => (*code, field.clone()),
            ApiError::Domain(error) => return error.to_api_error(),
            ApiError::BadRequest { code, .. }
            | ApiError::NotFound { code, .. }
            | ApiError::Unauthorized { code, .. }
            | ApiError::NotConfigured { code, .. } => (*code, None),
            ApiError::Conflict { code, field, .. } | ApiError::Forbidden { code, field, .. } => {
                (*code, field.map(str::to_owned))
            }
            ApiError::BadSignature { code, .. } => (*code, Some("X-Hub-Signature-256".to_owned())),
            ApiError::Upstream { code, message } => {
                return wire::ApiError {
                    code: code.clone(),
                    message: message.clone(),
                    field: None,
                    retry_at: None,
                }
            }
            ApiError::PayloadTooLarge { .. } => ("payload_too_large", None),
            ApiError::UnsupportedMediaType { .. } => ("unsupported_media_type", None),
            ApiError::MethodNotAllowed => ("method_not_allowed", None),
            ApiError::DatabaseUnavailable => ("database_unavailable", None),
            ApiError::SchemaNotCurrent { .. } => ("schema_not_current", None),
            ApiError::Busy { .. } => ("busy", None),
            ApiError::RateLimited { .. } => ("rate_limited", None),
            ApiError::TooManyAttempts { .. } => ("too_many_attempts", None),
            ApiError::FrequencyCapped { field, retry_at_ms } => {
                return wire::ApiError {
                    code: "frequency_capped".into(),
                    message: self.to_string(),
                    field: Some(field.clone()),
                    retry_at: Some(crate::store::from_millis(*retry_at_ms)),
                }
            }
            ApiError::Internal(_) => {
                return wire::ApiError {
                    code: "internal_error".into(),
                    message: "internal server error; the details are in the server log".into(),
                    field: None,
                    retry_at: None,
                }
            }
        };
        wire::ApiError {
            code: code.to_owned(),
            message: self.to_string(),
            field,
            retry_at: None,
        }
    }
}

/// `Retry-After` of a 503: the database is usually back within seconds (a failover, a
/// restart).
const RETRY_AFTER_SECONDS: &str = "2";

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::CampaignNameTaken => ApiError::conflict(
                "campaign_name_taken",
                Some("name"),
                "a campaign with this name already exists (names are compared ignoring case, accents' composition and extra spaces)",
            ),
            StoreError::EmailTaken => ApiError::conflict(
                "email_taken",
                Some("email"),
                "someone in Engage already has an account with this email",
            ),
            StoreError::LastAdmin => ApiError::conflict(
                "last_admin",
                None,
                "the workspace needs at least one active admin; make someone else admin first",
            ),
            error if error.is_unavailable() => {
                tracing::warn!(%error, "database unavailable");
                ApiError::DatabaseUnavailable
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<CryptoError> for ApiError {
    fn from(error: CryptoError) -> Self {
        ApiError::Internal(error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(error = %detail, "internal error");
        }
        let status = self.status();
        let mut response = (
            status,
            Json(ApiErrorBody {
                error: self.to_wire(),
            }),
        )
            .into_response();
        if let ApiError::Busy { retry_after_secs }
        | ApiError::TooManyAttempts { retry_after_secs }
        | ApiError::RateLimited {
            retry_after_secs, ..
        } = &self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        } else if let ApiError::FrequencyCapped { retry_at_ms, .. } = &self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(seconds_until(*retry_at_ms)),
            );
        } else if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            let challenge = match &self {
                ApiError::Unauthorized {
                    code: "missing_token",
                    ..
                } => "Bearer realm=\"engage\"",
                _ => "Bearer realm=\"engage\", error=\"invalid_token\"",
            };
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

impl From<crate::error::ServerError> for ApiError {
    fn from(error: crate::error::ServerError) -> Self {
        match error {
            crate::error::ServerError::Store(error) => ApiError::from(error),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// The one mapping of the whatsapp_cloud operations' failures onto the API's refusals.
impl From<WhatsAppError> for ApiError {
    fn from(error: WhatsAppError) -> Self {
        let code = error.static_code();
        let field = error.field();
        match error {
            WhatsAppError::InvalidInput { field, message } => ApiError::Invalid {
                code,
                message,
                field: Some(field.to_owned()),
            },
            WhatsAppError::PhoneNumberIdTaken { .. }
            | WhatsAppError::NoCloudSender
            | WhatsAppError::Store(StoreError::SenderPhoneTaken) => {
                ApiError::conflict(code, field, error.to_string())
            }
            WhatsAppError::Graph(_) => ApiError::Upstream {
                code: error.code(),
                message: error.to_string(),
            },
            WhatsAppError::Store(error) => ApiError::from(error),
            WhatsAppError::Crypto(error) => ApiError::from(error),
        }
    }
}
