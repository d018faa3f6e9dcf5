use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::AppState;
use crate::store::binary_schema_version;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// The server's version (`engage-server` package version), shown in the desktop app's
    /// diagnostics.
    pub version: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` when the database answers and its schema is the one this binary needs.
    pub status: String,
    /// The database's schema version and the one this binary carries.
    pub schema_version: i64,
    pub binary_schema_version: i64,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
}

/// Liveness: the process is up and serving HTTP (nothing else is checked).
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// Readiness, for a load balancer: the database answers and its schema is current.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, body = Readiness),
              (status = 503, description = "The database does not answer (`database_unavailable`) or its schema is older than this binary (`schema_not_current`)", body = engage_core::wire::ApiErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Readiness>, ApiError> {
    state.store.ping().await?;
    let schema_version = state.store.schema_version().await?;
    let binary_schema_version = binary_schema_version(state.store.backend());
    if schema_version < binary_schema_version {
        return Err(ApiError::SchemaNotCurrent {
            database: schema_version,
            binary: binary_schema_version,
        });
    }
    Ok(Json(Readiness {
        status: "ready".into(),
        schema_version,
        binary_schema_version,
    }))
}

/// Prometheus metrics (text format): requests by route and status, request latency, queue
/// depth by status, deliveries by provider and outcome, webhook verifications by result.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    crate::metrics::record_queue_depth(&state.store).await;
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(),
    )
        .into_response()
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "health",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API")))]
pub async fn openapi() -> Json<&'static serde_json::Value> {
    Json(super::openapi::document())
}
