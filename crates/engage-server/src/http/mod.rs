//! The HTTP API — every route of the product, WhatsApp webhooks included: one `router()` per
//! domain merged here, the shared [`AppState`], and the OpenAPI document served at
//! `GET /openapi.json`. Every handler answers refusals with the one [`error::ApiError`].

mod audit;
pub(crate) mod auth;
mod cache;
mod callbacks;
mod campaigns;
mod catalog;
mod credentials;
pub mod error;
pub mod extractor;
mod health;
mod integration_log;
mod message_log;
mod messages;
mod oauth;
mod openapi;
mod opt_outs;
mod password;
pub mod rate_limit;
mod send;
mod stats;
mod team;
mod whatsapp;

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use uuid::Uuid;

use crate::config::{CallbackConfig, TeamConfig, WhatsAppConfig};
use crate::crypto::SecretKey;
use crate::store::writer::MessageWriter;
use crate::store::{SendTarget, Store, StoreError};
use crate::whatsapp::GraphClient;
use cache::TtlCache;
use error::ApiError;
use extractor::ApiClientAuth;

pub use auth::normalize_email;
pub use campaigns::DEFAULT_API_CLIENT_NAME;
pub use openapi::{document as openapi_document, ApiDoc};
pub use password::PasswordGate;

/// Largest accepted request body (a batch of 1,000 messages fits comfortably).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// How long a client token or a campaign's send context is reused without reading the
/// database again: the bound on how late another instance sees a revoked token, a
/// deactivated campaign or a paused template.
pub const CACHE_TTL: Duration = Duration::from_secs(1);

/// A campaign as the send endpoint needs it, with its template compiled.
#[derive(Debug)]
pub struct SendContext {
    pub target: SendTarget,
    pub template: engage_core::Template,
}

pub struct Inner {
    pub store: Store,
    pub writer: MessageWriter,
    pub secret_key: SecretKey,
    /// Base URL without a trailing slash, e.g. `http://127.0.0.1:8787`.
    pub public_url: String,
    /// The server-wide webhook secrets and the Graph API settings.
    pub whatsapp: WhatsAppConfig,
    /// The Graph API at `whatsapp.graph_url` (one connection pool for every sync).
    pub graph: GraphClient,
    /// Sign-in password checks, bounded (see [`PasswordGate`]).
    pub passwords: PasswordGate,
    /// Where status callbacks may go.
    pub callbacks: CallbackConfig,
    /// Sign-in throttling.
    pub team: TeamConfig,
    /// Invitation emails, when `ENGAGE_SMTP_URL` is set.
    pub mailer: Option<crate::mail::Mailer>,
    /// Each campaign's recent token and send requests (issue 15), written off the request.
    pub integration_log: crate::integration_log::IntegrationLog,
    client_tokens: TtlCache<[u8; 32], (ApiClientAuth, i64)>,
    send_contexts: TtlCache<Uuid, Arc<SendContext>>,
    /// The send endpoint's per-client buckets, the server's default rate and each
    /// workspace's own rate (cached for [`CACHE_TTL`]).
    pub send_rates: rate_limit::SendRateLimiter,
    default_send_rate: u32,
    workspace_send_rates: TtlCache<Uuid, Option<u32>>,
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(
        store: Store,
        writer: MessageWriter,
        secret_key: SecretKey,
        public_url: String,
        config: &crate::config::ServerConfig,
        integration_log: crate::integration_log::IntegrationLog,
    ) -> Self {
        let (whatsapp, limits, callbacks, team) = (
            config.whatsapp.clone(),
            &config.limits,
            config.callbacks,
            config.team.clone(),
        );
        AppState(Arc::new(Inner {
            store,
            writer,
            secret_key,
            public_url: public_url.trim_end_matches('/').to_owned(),
            graph: GraphClient::from_config(&whatsapp),
            whatsapp,
            passwords: PasswordGate::new(limits),
            callbacks,
            mailer: team.smtp_url.as_deref().and_then(|url| {
                crate::mail::Mailer::new(url, &team.smtp_from)
                    .map_err(|error| tracing::warn!(%error, "invitations will not be emailed"))
                    .ok()
            }),
            team,
            integration_log,
            client_tokens: TtlCache::new(CACHE_TTL, 100_000),
            send_contexts: TtlCache::new(CACHE_TTL, 10_000),
            send_rates: rate_limit::SendRateLimiter::default(),
            default_send_rate: limits.send_rate_per_second,
            workspace_send_rates: TtlCache::new(CACHE_TTL, 10_000),
        }))
    }

    /// The send rate of the workspace's clients: its own, else the server's default.
    pub async fn send_rate(&self, workspace_id: Uuid) -> Result<u32, StoreError> {
        let own = match self.workspace_send_rates.get(&workspace_id) {
            Some(rate) => rate,
            None => {
                let rate = self.store.workspace_send_rate(workspace_id).await?;
                self.workspace_send_rates.insert(workspace_id, rate);
                rate
            }
        };
        Ok(own.unwrap_or(self.default_send_rate))
    }

    /// The live client-credentials token with this hash (cached briefly).
    pub async fn client_token(&self, hash: &[u8; 32]) -> Result<Option<ApiClientAuth>, StoreError> {
        let now = crate::store::now_ms();
        if let Some((auth, expires_at)) = self.client_tokens.get(hash) {
            if expires_at > now {
                return Ok(Some(auth));
            }
        }
        let Some(record) = self.store.live_client_token(hash).await? else {
            return Ok(None);
        };
        let auth = ApiClientAuth {
            workspace_id: record.workspace_id,
            api_client_id: record.api_client_id,
            campaign_id: record.campaign_id,
            test: record.test,
        };
        if record
            .last_used_at
            .is_none_or(|at| at < now - crate::store::LAST_USED_PRECISION_MS)
        {
            if let Err(error) = self.store.touch_api_client(record.api_client_id).await {
                tracing::warn!(%error, "recording when an API client was last used failed");
            }
        }
        self.client_tokens.insert(*hash, (auth, record.expires_at));
        Ok(Some(auth))
    }

    /// Drops this instance's cached tokens of an API client (rotated or revoked here).
    pub fn forget_client_tokens(&self, api_client_id: Uuid) {
        self.client_tokens
            .retain(|(auth, _)| auth.api_client_id != api_client_id);
    }

    /// The campaign's send context (cached for [`CACHE_TTL`]; dropped on campaign updates).
    pub async fn send_context(
        &self,
        campaign_id: Uuid,
    ) -> Result<Option<Arc<SendContext>>, ApiError> {
        if let Some(context) = self.send_contexts.get(&campaign_id) {
            return Ok(Some(context));
        }
        let Some(target) = self.store.send_target(campaign_id).await? else {
            return Ok(None);
        };
        let template = engage_core::Template::from_wire(&target.template).map_err(|error| {
            ApiError::Internal(format!(
                "stored template {} is invalid: {error}",
                target.template.id
            ))
        })?;
        let context = Arc::new(SendContext { target, template });
        self.send_contexts.insert(campaign_id, context.clone());
        Ok(Some(context))
    }

    pub fn forget_send_context(&self, campaign_id: Uuid) {
        self.send_contexts.remove(&campaign_id);
    }
}

/// `Cache-Control: no-store` (and `Pragma: no-cache` for HTTP/1.0 caches) on every answer of
/// the routes of `router`, whose successes carry credentials (tokens, the client secret).
pub fn no_store<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .route_layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .route_layer(SetResponseHeaderLayer::overriding(
            header::PRAGMA,
            HeaderValue::from_static("no-cache"),
        ))
}

/// The answer to a handler panic: logged, then the usual 500 error body.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    ApiError::Internal(format!("a request handler panicked: {detail}")).into_response()
}

/// Routes only the tests compile in (feature `test-routes`).
#[cfg(feature = "test-routes")]
fn test_routes() -> Router<AppState> {
    async fn panics() -> &'static str {
        panic!("GET /__test/panic panics on purpose")
    }
    Router::new().route("/__test/panic", axum::routing::get(panics))
}

#[cfg(not(feature = "test-routes"))]
fn test_routes() -> Router<AppState> {
    Router::new()
}

/// Counts each routed request and its latency by route template, method and status.
async fn track_request(
    path: axum::extract::MatchedPath,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let started = std::time::Instant::now();
    let method = request.method().clone();
    let response = next.run(request).await;
    crate::metrics::http_request(
        method.as_str(),
        path.as_str(),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// The whole API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(test_routes())
        .merge(health::router())
        .merge(auth::router())
        .merge(oauth::router())
        .merge(catalog::router())
        .merge(campaigns::router())
        .merge(send::router())
        .merge(messages::router())
        .merge(whatsapp::router())
        .merge(credentials::router())
        .merge(callbacks::router())
        .merge(team::router())
        .merge(audit::router())
        .merge(integration_log::router())
        .merge(stats::router())
        .merge(opt_outs::router())
        .merge(message_log::router())
        .route_layer(axum::middleware::from_fn(track_request))
        .fallback(|| async {
            ApiError::not_found("route_not_found", "no such endpoint; see GET /openapi.json")
        })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
