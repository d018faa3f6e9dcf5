//! Campaign statistics (issue 12): `GET /v1/campaigns/{id}/stats` and `GET /v1/stats`, read
//! from the counters the message writer keeps (`store/stats.rs`), never from the messages,
//! and cut into the caller's time zone by `engage_core::stats`.

use std::collections::HashSet;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use engage_core::stats::Period;
use engage_core::wire::{
    ApiErrorBody, CampaignStats, CampaignStatsResponse, StatsBucket, StatusCounts,
    WorkspaceStatsResponse,
};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::IntoParams;
use uuid::Uuid;

use super::error::ApiError;
use super::extractor::{need, parse_id, Allowed, ApiQuery};
use super::AppState;
use crate::store::stats::{BucketCounts, FailureCount, StatsScope};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/campaigns/{id}/stats", get(campaign_stats))
        .route("/v1/stats", get(workspace_stats))
}

/// The period of a statistics request.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Start (RFC 3339, included; `+` in an offset written `%2B`). Default: 7 days before `to`.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<OffsetDateTime>,
    /// End (RFC 3339, excluded). Default: now.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<OffsetDateTime>,
    /// `hour` (periods up to 31 days) or `day` (up to 400 days; the default).
    #[param(value_type = Option<StatsBucket>)]
    pub bucket: Option<StatsBucket>,
    /// IANA time zone of the buckets (default `UTC`).
    #[param(max_length = 64)]
    pub tz: Option<String>,
}

impl StatsQuery {
    fn period(&self) -> Result<Period, ApiError> {
        let to = self.to.unwrap_or_else(OffsetDateTime::now_utc);
        let from = self.from.unwrap_or(to - time::Duration::days(7));
        let tz = self.tz.as_deref().unwrap_or("UTC");
        if tz.chars().count() > 64 {
            return Err(ApiError::invalid(
                "invalid_time_zone",
                "tz",
                "tz holds at most 64 characters",
            ));
        }
        Period::new(from, to, self.bucket.unwrap_or_default(), tz).map_err(|refused| {
            ApiError::invalid(refused.code(), refused.field(), refused.to_string())
        })
    }
}

fn summarize(
    period: &Period,
    campaign_id: Uuid,
    name: String,
    buckets: &[BucketCounts],
    failures: &[FailureCount],
) -> CampaignStats {
    let mut per_bucket = vec![StatusCounts::default(); period_len(buckets)];
    for bucket in buckets.iter().filter(|b| b.campaign_id == campaign_id) {
        if let Some(counts) = per_bucket.get_mut(bucket.bucket) {
            *counts = bucket.counts;
        }
    }
    let failures: Vec<(String, u64)> = failures
        .iter()
        .filter(|failure| failure.campaign_id == campaign_id)
        .map(|failure| (failure.code.clone(), failure.count))
        .collect();
    period.summarize(campaign_id, name, &per_bucket, &failures)
}

fn period_len(buckets: &[BucketCounts]) -> usize {
    buckets.iter().map(|b| b.bucket + 1).max().unwrap_or(0)
}

/// The counters of `scope` in the period: per bucket, and the failures by code.
async fn read(
    state: &AppState,
    period: &Period,
    scope: StatsScope,
) -> Result<(Vec<BucketCounts>, Vec<FailureCount>), ApiError> {
    let bounds = period.bucket_bounds();
    let (first, end) = period.slot_range();
    // Two reads side by side (two pooled connections; SQLite's WAL lets readers overlap).
    Ok(tokio::try_join!(
        state.store.stat_buckets(scope, &bounds),
        state.store.failure_counts(scope, first, end),
    )?)
}

/// A campaign's statistics for a period: totals, delivery and read rates, a series by hour or
/// day in the given time zone, and the most frequent failure codes. Test messages are not
/// counted; delivered and read times are WhatsApp's. Counted at 15-minute precision.
#[utoipa::path(get, path = "/v1/campaigns/{id}/stats", tag = "campaigns", security(("staff" = [])),
    params(("id" = uuid::Uuid, Path, description = "Campaign id"), StatsQuery),
    responses(
        (status = 200, body = CampaignStatsResponse),
        (status = 404, description = "`campaign_not_found`", body = ApiErrorBody),
        (status = 422, description = "`invalid_query`, `invalid_time_zone`, `invalid_period`, `period_too_long`", body = ApiErrorBody)))]
pub async fn campaign_stats(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ViewWorkspace>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<StatsQuery>,
) -> Result<Json<CampaignStatsResponse>, ApiError> {
    let id = parse_id(&id, ApiError::campaign_not_found)?;
    let period = query.period()?;
    let campaign = state
        .store
        .campaign_name(staff.workspace_id, id)
        .await?
        .ok_or_else(ApiError::campaign_not_found)?;
    let (buckets, failures) = read(&state, &period, StatsScope::Campaign(id)).await?;
    Ok(Json(CampaignStatsResponse {
        period: period.to_wire(),
        stats: summarize(&period, id, campaign, &buckets, &failures),
    }))
}

/// The same for every campaign of the workspace with activity in the period (newest
/// campaign first).
#[utoipa::path(get, path = "/v1/stats", tag = "campaigns", security(("staff" = [])),
    params(StatsQuery),
    responses(
        (status = 200, body = WorkspaceStatsResponse),
        (status = 422, description = "`invalid_query`, `invalid_time_zone`, `invalid_period`, `period_too_long`", body = ApiErrorBody)))]
pub async fn workspace_stats(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ViewWorkspace>,
    ApiQuery(query): ApiQuery<StatsQuery>,
) -> Result<Json<WorkspaceStatsResponse>, ApiError> {
    let period = query.period()?;
    let (buckets, failures) =
        read(&state, &period, StatsScope::Workspace(staff.workspace_id)).await?;
    let active: HashSet<Uuid> = buckets
        .iter()
        .map(|bucket| bucket.campaign_id)
        .chain(failures.iter().map(|failure| failure.campaign_id))
        .collect();
    let campaigns = state
        .store
        .campaign_names(staff.workspace_id)
        .await?
        .into_iter()
        .filter(|(id, _)| active.contains(id))
        .map(|(id, name)| summarize(&period, id, name, &buckets, &failures))
        .collect();
    Ok(Json(WorkspaceStatsResponse {
        period: period.to_wire(),
        campaigns,
    }))
}
