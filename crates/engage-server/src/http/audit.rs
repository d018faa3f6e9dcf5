//! The audit log (admins): read with filters, export as CSV. Read-only routes: nothing in
//! the API edits or deletes an entry.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use engage_core::wire::{ApiErrorBody, AuditEntry, AuditPage};
use engage_core::AuditAction;
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::IntoParams;
use uuid::Uuid;

use super::error::ApiError;
use super::extractor::{need, Allowed, ApiQuery};
use super::AppState;
use crate::store::{enum_str, millis, AuditFilter};

/// Most entries one CSV export holds.
pub const MAX_EXPORT_ROWS: u32 = 100_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/audit", get(list))
        .route("/v1/audit/export", get(export))
}

/// A query struct of the audit routes: the filters (person, action, campaign, period), and
/// the fields given; `filters()` reads them. One list of filters for the list and the export.
macro_rules! audit_query {
    ($(#[$attr:meta])* pub struct $name:ident { $($(#[$field_attr:meta])* pub $field:ident: $ty:ty,)* }) => {
        $(#[$attr])*
        #[derive(Debug, Deserialize, IntoParams)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            /// Only entries by this person (user id).
            #[param(value_type = Option<Uuid>, format = Uuid)]
            pub actor: Option<String>,
            /// Only this action.
            #[param(value_type = Option<AuditAction>)]
            pub action: Option<AuditAction>,
            /// Only entries about this campaign.
            #[param(value_type = Option<Uuid>, format = Uuid)]
            pub campaign: Option<String>,
            /// From this time (RFC 3339), inclusive.
            #[param(value_type = Option<String>, format = DateTime)]
            pub from: Option<String>,
            /// Until this time (RFC 3339), exclusive.
            #[param(value_type = Option<String>, format = DateTime)]
            pub to: Option<String>,
            $($(#[$field_attr])* pub $field: $ty,)*
        }

        impl $name {
            fn filters(&self) -> Result<AuditFilter, ApiError> {
                Ok(AuditFilter {
                    actor_user_id: uuid_param(self.actor.as_deref(), "actor")?,
                    action: self.action,
                    campaign_id: uuid_param(self.campaign.as_deref(), "campaign")?,
                    from_ms: time_param(self.from.as_deref(), "from")?,
                    to_ms: time_param(self.to.as_deref(), "to")?,
                    before_id: None,
                })
            }
        }
    };
}

audit_query! {
    /// The filters of `GET /v1/audit`, and its paging.
    pub struct AuditQuery {
        /// `next_cursor` of the previous page.
        #[param(value_type = Option<Uuid>, format = Uuid)]
        pub cursor: Option<String>,
        /// Page size, 1 to 200 (default 50).
        #[param(minimum = 1, maximum = 200)]
        pub limit: Option<u32>,
    }
}

audit_query! {
    /// The filters of `GET /v1/audit/export`: those of the list, without paging (the export
    /// holds every matching entry, up to its row limit).
    pub struct AuditExportQuery {}
}

fn uuid_param(value: Option<&str>, field: &'static str) -> Result<Option<Uuid>, ApiError> {
    value
        .map(|value| {
            Uuid::parse_str(value).map_err(|_| {
                ApiError::invalid("invalid_query", field, format!("{field} must be an id"))
            })
        })
        .transpose()
}

fn time_param(value: Option<&str>, field: &'static str) -> Result<Option<i64>, ApiError> {
    value
        .map(|value| {
            OffsetDateTime::parse(value, &Rfc3339)
                .map(millis)
                .map_err(|_| {
                    ApiError::invalid(
                        "invalid_query",
                        field,
                        format!("{field} must be a time like 2026-12-01T18:00:00Z"),
                    )
                })
        })
        .transpose()
}

impl AuditQuery {
    fn filter(&self) -> Result<AuditFilter, ApiError> {
        Ok(AuditFilter {
            before_id: uuid_param(self.cursor.as_deref(), "cursor")?,
            ..self.filters()?
        })
    }
}

/// Entries of the workspace, newest first, filtered by person, action, campaign and period.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", params(AuditQuery), security(("staff" = [])),
    responses(
        (status = 200, body = AuditPage),
        (status = 422, description = "`invalid_query`, `invalid_limit`", body = ApiErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ViewAuditLog>,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid(
            "invalid_limit",
            "limit",
            "limit must be between 1 and 200",
        ));
    }
    let filter = query.filter()?;
    Ok(Json(
        state
            .store
            .audit_entries(staff.workspace_id, &filter, limit)
            .await?,
    ))
}

/// The entries matching the filters as CSV (UTF-8, newest first, at most 100,000 rows).
#[utoipa::path(get, path = "/v1/audit/export", tag = "audit", params(AuditExportQuery), security(("staff" = [])),
    responses(
        (status = 200, description = "CSV: at, person, action, campaign_id, target, address, before, after", content_type = "text/csv", body = String),
        (status = 422, description = "`invalid_query`", body = ApiErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ViewAuditLog>,
    ApiQuery(query): ApiQuery<AuditExportQuery>,
) -> Result<Response, ApiError> {
    let filter = query.filters()?;
    let page = state
        .store
        .audit_entries(staff.workspace_id, &filter, MAX_EXPORT_ROWS)
        .await?;
    let mut response = to_csv(&page.items).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"engage-audit-log.csv\""),
    );
    Ok(response)
}

/// RFC 4180 CSV of `entries`. A cell a spreadsheet would run as a formula (starting with
/// `=`, `+`, `-`, `@`, tab or carriage return) is prefixed with `'`.
pub fn to_csv(entries: &[AuditEntry]) -> String {
    let mut out = String::from("at,person,action,campaign_id,target,address,before,after\r\n");
    for entry in entries {
        let cells = [
            entry.at.format(&Rfc3339).unwrap_or_default(),
            entry.actor.label.clone(),
            enum_str(&entry.action),
            entry
                .campaign_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            entry.target.clone().unwrap_or_default(),
            entry.address.clone().unwrap_or_default(),
            entry
                .before
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_default(),
            entry
                .after
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ];
        let line: Vec<String> = cells.iter().map(|cell| csv_cell(cell)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

pub(super) fn csv_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_cell_is_quoted_when_it_holds_a_separator_and_defused_when_it_looks_like_a_formula() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_cell("-1,2"), "\"'-1,2\"");
    }
}
