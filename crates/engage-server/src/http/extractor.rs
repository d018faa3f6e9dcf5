//! Request extractors: bearer-token authentication (staff and API client) and JSON/query
//! bodies whose rejections become [`ApiError`]s with stable codes.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use std::marker::PhantomData;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use engage_core::{Permission, Role};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::error::ApiError;
use super::AppState;
use crate::crypto::sha256;
use crate::store::{Actor, AuditContext};

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

/// A signed-in staff member (staff access token) of an active account.
#[derive(Debug, Clone)]
pub struct StaffUser {
    pub user_id: Uuid,
    pub workspace_id: Uuid,
    pub email: String,
    pub role: Role,
    pub token_hash: [u8; 32],
    /// The sign-in session of the token (`None` for tokens issued before sessions existed).
    pub session_id: Option<Uuid>,
    /// The address the request came from.
    pub address: Option<String>,
}

/// How often a session's "last used" time is written (at most once per this many ms).
const TOUCH_EVERY_MS: i64 = 60_000;

impl FromRequestParts<AppState> for StaffUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let hash = sha256(bearer(parts)?);
        let token = state
            .store
            .live_staff_token(&hash)
            .await?
            .ok_or_else(invalid_token)?;
        if let Some(session_id) = token.session_id {
            let stale = token
                .last_used_at
                .is_none_or(|at| at + TOUCH_EVERY_MS < crate::store::now_ms());
            if stale {
                state.store.touch_session(session_id).await?;
            }
        }
        Ok(StaffUser {
            user_id: token.user_id,
            workspace_id: token.workspace_id,
            email: token.email,
            role: token.role,
            token_hash: hash,
            session_id: token.session_id,
            address: client_address(parts),
        })
    }
}

impl StaffUser {
    /// This person, in this workspace, from this address: what their changes are recorded with.
    pub fn audit(&self) -> AuditContext {
        AuditContext {
            workspace_id: Some(self.workspace_id),
            actor: Actor::User {
                id: self.user_id,
                email: self.email.clone(),
            },
            address: self.address.clone(),
        }
    }
}

/// The peer address of the connection (set by the listener), as text.
pub fn client_address(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip().to_string())
}

/// The address the request came from (`None` when the server was not given it).
pub struct ClientAddress(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Ok(ClientAddress(client_address(parts)))
    }
}

/// The `User-Agent` of the request.
pub struct UserAgent(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for UserAgent {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Ok(UserAgent(
            parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
        ))
    }
}

/// A permission a route needs, as a type: `Allowed<need::EditCampaigns>`.
pub trait Need: Send + Sync {
    const PERMISSION: Permission;
}

/// The permissions as types for [`Allowed`], one per [`Permission`].
pub mod need {
    use super::{Need, Permission};

    macro_rules! needs {
        ($($name:ident),* $(,)?) => {$(
            pub struct $name;
            impl Need for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )*};
    }
    needs!(
        ViewWorkspace,
        EditCampaigns,
        RevealCredentials,
        SendTests,
        Export,
        ManageSenders,
        ManageWhatsapp,
        ManageCredentials,
        ManageCallbacks,
        ManageTeam,
        ViewAuditLog,
    );
}

/// A signed-in staff member whose role allows `P`; otherwise 403 `forbidden` naming the
/// permission (in `field` and the message).
pub struct Allowed<P: Need>(pub StaffUser, pub PhantomData<P>);

impl<P: Need> FromRequestParts<AppState> for Allowed<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let staff = StaffUser::from_request_parts(parts, state).await?;
        if !staff.role.allows(P::PERMISSION) {
            return Err(forbidden(staff.role, P::PERMISSION));
        }
        Ok(Allowed(staff, PhantomData))
    }
}

/// 403 `forbidden`: `role` lacks `permission`.
pub fn forbidden(role: Role, permission: Permission) -> ApiError {
    ApiError::Forbidden {
        code: "forbidden",
        message: format!(
            "your role ({}) does not have the permission `{}`; ask an admin of the workspace",
            crate::store::enum_str(&role),
            permission.as_str()
        ),
        field: Some(permission.as_str()),
    }
}

/// An API client authenticated by a client-credentials access token.
#[derive(Debug, Clone, Copy)]
pub struct ApiClientAuth {
    pub workspace_id: Uuid,
    pub api_client_id: Uuid,
    /// The only campaign the client sends for (`None`: a workspace-wide client).
    pub campaign_id: Option<Uuid>,
    /// Test credentials: messages go through the sandbox and are marked as tests.
    pub test: bool,
}

impl ApiClientAuth {
    /// Refuses a campaign outside the client's scope (403 `campaign_not_in_scope`).
    pub fn check_scope(&self, campaign_id: Uuid) -> Result<(), ApiError> {
        match self.campaign_id {
            Some(scope) if scope != campaign_id => Err(ApiError::Forbidden {
                code: "campaign_not_in_scope",
                message: "these credentials send only for their own campaign; use the credentials shown on this campaign's documentation screen".into(),
                field: None,
            }),
            _ => Ok(()),
        }
    }
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
    /// A campaign-scoped client sees only its campaign.
    pub campaign_id: Option<Uuid>,
}

impl FromRequestParts<AppState> for AnyAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let hash = sha256(bearer(parts)?);
        if let Some(client) = state.client_token(&hash).await? {
            return Ok(AnyAuth {
                workspace_id: client.workspace_id,
                campaign_id: client.campaign_id,
            });
        }
        let token = state
            .store
            .live_staff_token(&hash)
            .await?
            .ok_or_else(invalid_token)?;
        Ok(AnyAuth {
            workspace_id: token.workspace_id,
            campaign_id: None,
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

/// `axum::Json` with [`ApiError`] rejections. Every request body of the API is a JSON
/// object: anything else (`[]`, `"x"`, `1`) is refused with 422 `invalid_body`, even
/// where serde would read a struct from an array.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        axum::Json::<JsonObject<T>>::from_request(request, state)
            .await
            .map(|axum::Json(JsonObject(value))| ApiJson(value))
            .map_err(json_rejection)
    }
}

/// A `T` read only from a JSON object. serde's derived structs also accept a JSON array
/// (their fields in order), which no client of this API means.
struct JsonObject<T>(T);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for JsonObject<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);

        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for ObjectVisitor<T> {
            type Value = JsonObject<T>;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a JSON object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(JsonObject)
            }
        }

        deserializer.deserialize_map(ObjectVisitor(PhantomData))
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
