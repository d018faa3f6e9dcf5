//! A campaign's message log (issue 12): the filters of `GET /v1/campaigns/{id}/messages`
//! (`engage_core::message_log`) and `GET /v1/campaigns/{id}/messages/export`, the CSV of the
//! filtered messages streamed in keyset chunks read from the store as the client takes them,
//! so the server's memory stays flat whatever the number of rows.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use engage_core::message_log::{MessageFilter, RawMessageFilter};
use engage_core::stats::{meta_code, LocalZone};
use engage_core::wire::{ApiErrorBody, MessageStatus};
use serde::Deserialize;
use std::collections::BTreeMap;
use time::format_description::well_known::Rfc3339;
use utoipa::IntoParams;
use uuid::Uuid;

use super::audit::csv_cell;
use super::error::ApiError;
use super::extractor::{need, parse_id, Allowed, ApiQuery};
use super::AppState;
use crate::store::{ExportedMessage, Store, StoreError};

/// Rows read from the store per query of an export.
pub const EXPORT_CHUNK_ROWS: u32 = 5_000;

/// The header carrying the number of rows an export holds, sent before the rows.
pub const TOTAL_COUNT_HEADER: &str = "x-total-count";

/// The fixed columns of the export, before one column per template variable.
pub const EXPORT_COLUMNS: [&str; 9] = [
    "id",
    "created",
    "recipient",
    "status",
    "sent",
    "delivered",
    "read",
    "failure_code",
    "failure_reason",
];

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/campaigns/{id}/messages/export", get(export))
}

/// The filters and page of the message log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageLogQuery {
    /// Page size, 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (the same filters must be sent again).
    #[param(value_type = Option<Uuid>, format = Uuid)]
    pub cursor: Option<String>,
    /// Only messages in this status.
    #[param(value_type = Option<MessageStatus>)]
    pub status: Option<String>,
    /// Only messages to this number or to numbers starting with these digits (`+` optional).
    #[param(value_type = Option<String>, pattern = r"^\+?[0-9]{1,15}$")]
    pub recipient: Option<String>,
    /// Created at or after this time (RFC 3339 with its offset; `+` written `%2B`).
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<String>,
    /// Created before this time (RFC 3339; not before `from`).
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<String>,
    /// Only test messages (`true`) or only live ones (`false`); both when absent.
    #[param(value_type = Option<bool>)]
    pub test: Option<String>,
}

impl MessageLogQuery {
    pub fn filter(&self) -> Result<MessageFilter, ApiError> {
        parse_filter(RawMessageFilter {
            status: self.status.as_deref(),
            recipient: self.recipient.as_deref(),
            from: self.from.as_deref(),
            to: self.to.as_deref(),
            test: self.test.as_deref(),
        })
    }
}

fn parse_filter(raw: RawMessageFilter<'_>) -> Result<MessageFilter, ApiError> {
    MessageFilter::parse(raw)
        .map_err(|refusal| ApiError::invalid(refusal.code, refusal.field, refusal.message))
}

/// The filters of an export and the time zone of its times.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageExportQuery {
    /// Only messages in this status.
    #[param(value_type = Option<MessageStatus>)]
    pub status: Option<String>,
    /// Only messages to this number or to numbers starting with these digits (`+` optional).
    #[param(value_type = Option<String>, pattern = r"^\+?[0-9]{1,15}$")]
    pub recipient: Option<String>,
    /// Created at or after this time (RFC 3339 with its offset; `+` written `%2B`).
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<String>,
    /// Created before this time (RFC 3339; not before `from`).
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<String>,
    /// Only test messages (`true`) or only live ones (`false`); both when absent.
    #[param(value_type = Option<bool>)]
    pub test: Option<String>,
    /// IANA time zone the times are written in, with its offset (default `UTC`).
    #[param(max_length = 64)]
    pub tz: Option<String>,
}

/// The campaign's messages matching the filters as CSV, oldest first, streamed: UTF-8 with
/// a byte order mark (spreadsheets then read accents), a header row, one row per message:
/// `id, created, recipient, status, sent, delivered, read` (ISO 8601 with the offset of `tz`),
/// `failure_code` (Meta's number for WhatsApp's failures), `failure_reason`, then one column
/// per template variable (`{{name}}`, in the template's order). RFC 4180 quoting; a cell a
/// spreadsheet would run as a formula (a number starting with `+` included) starts with `'`.
/// `X-Total-Count` gives the number of rows before they come.
#[utoipa::path(get, path = "/v1/campaigns/{id}/messages/export", operation_id = "export_campaign_messages", tag = "campaigns", security(("staff" = [])),
    params(("id" = Uuid, Path, description = "Campaign id"), MessageExportQuery),
    responses(
        (status = 200, description = "CSV (UTF-8 with BOM): id, created, recipient, status, sent, delivered, read, failure_code, failure_reason, then the template's variables",
            content_type = "text/csv",
            headers(("X-Total-Count" = u64, description = "Rows in the file (the header row not counted)")),
            body = String),
        (status = 401, description = "`missing_token`, `invalid_token`", body = ApiErrorBody),
        (status = 403, description = "`forbidden` (field `export`)", body = ApiErrorBody),
        (status = 404, description = "`campaign_not_found`", body = ApiErrorBody),
        (status = 422, description = "`invalid_status`, `invalid_recipient`, `invalid_from`, `invalid_to`, `invalid_period`, `invalid_test`, `invalid_time_zone`, `invalid_query`", body = ApiErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::Export>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<MessageExportQuery>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, ApiError::campaign_not_found)?;
    let filter = parse_filter(RawMessageFilter {
        status: query.status.as_deref(),
        recipient: query.recipient.as_deref(),
        from: query.from.as_deref(),
        to: query.to.as_deref(),
        test: query.test.as_deref(),
    })?;
    let tz = query.tz.as_deref().unwrap_or("UTC");
    if tz.chars().count() > 64 {
        return Err(ApiError::invalid(
            "invalid_time_zone",
            "tz",
            "tz holds at most 64 characters",
        ));
    }
    let zone = LocalZone::get(tz)
        .map_err(|refused| ApiError::invalid(refused.code(), "tz", refused.to_string()))?;
    let campaign = state
        .store
        .campaign(staff.workspace_id, id)
        .await?
        .ok_or_else(ApiError::campaign_not_found)?;
    let mut variables: Vec<String> = Vec::new();
    for variable in &campaign.template.variables {
        if !variables.contains(&variable.key) {
            variables.push(variable.key.clone());
        }
    }
    let total = state.store.count_campaign_messages(id, &filter).await?;
    let export = Export {
        store: state.store.clone(),
        campaign_id: id,
        filter,
        zone,
        variables,
        after: None,
        started: false,
        finished: false,
    };
    let stream = futures_util::stream::try_unfold(export, |mut export| async move {
        let chunk = export.next_chunk().await?;
        Ok::<_, std::io::Error>(chunk.map(|bytes| (bytes, export)))
    });
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"engage-messages.csv\""),
    );
    headers.insert(TOTAL_COUNT_HEADER, HeaderValue::from(total));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Where a streamed export is: the next chunk starts after `after`.
struct Export {
    store: Store,
    campaign_id: Uuid,
    filter: MessageFilter,
    zone: LocalZone,
    variables: Vec<String>,
    after: Option<(i64, String)>,
    started: bool,
    finished: bool,
}

impl Export {
    /// The byte order mark and the header first, then the rows of one store query at a time;
    /// `None` at the end. A failing read ends the body with an error (the client sees the
    /// transfer break, not a short file passing as whole).
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, std::io::Error> {
        if !self.started {
            self.started = true;
            let mut out = String::from("\u{FEFF}");
            let header: Vec<String> = EXPORT_COLUMNS
                .iter()
                .map(|column| (*column).to_owned())
                .chain(self.variables.iter().map(|key| format!("{{{{{key}}}}}")))
                .collect();
            push_record(&mut out, header.iter().map(String::as_str));
            return Ok(Some(Bytes::from(out)));
        }
        if self.finished {
            return Ok(None);
        }
        let rows = self
            .store
            .export_messages(
                self.campaign_id,
                &self.filter,
                self.after.as_ref(),
                EXPORT_CHUNK_ROWS,
            )
            .await
            .map_err(|error: StoreError| {
                tracing::error!(%error, campaign = %self.campaign_id, "message export: a read failed");
                std::io::Error::other(error.to_string())
            })?;
        if rows.len() < EXPORT_CHUNK_ROWS as usize {
            self.finished = true;
        }
        let Some(last) = rows.last() else {
            return Ok(None);
        };
        self.after = Some((last.created_at, last.id.clone()));
        let mut out = String::with_capacity(rows.len() * 160);
        for row in &rows {
            export_row(&mut out, row, &self.zone, &self.variables);
        }
        Ok(Some(Bytes::from(out)))
    }
}

/// Appends one record: cells through the shared CSV cell rule, CRLF at the end (RFC 4180).
fn push_record<'a>(out: &mut String, cells: impl Iterator<Item = &'a str>) {
    for (index, cell) in cells.enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(&csv_cell(cell));
    }
    out.push_str("\r\n");
}

/// Appends the row of one message.
fn export_row(out: &mut String, row: &ExportedMessage, zone: &LocalZone, variables: &[String]) {
    let time = |ms: Option<i64>| {
        ms.and_then(|ms| zone.offset_datetime(ms).format(&Rfc3339).ok())
            .unwrap_or_default()
    };
    let failure_code = row
        .error_code
        .as_deref()
        .map(|code| meta_code(code).map_or_else(|| code.to_owned(), |meta| meta.to_string()))
        .unwrap_or_default();
    let values: BTreeMap<String, String> = serde_json::from_str(&row.variables).unwrap_or_default();
    let fixed = [
        row.id.clone(),
        time(Some(row.created_at)),
        row.to_phone.clone(),
        row.status.clone(),
        time(row.sent_at),
        time(row.delivered_at),
        time(row.read_at),
        failure_code,
        row.error_message.clone().unwrap_or_default(),
    ];
    push_record(
        out,
        fixed.iter().map(String::as_str).chain(
            variables
                .iter()
                .map(|key| values.get(key).map_or("", String::as_str)),
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> ExportedMessage {
        ExportedMessage {
            id: "019ad000-0000-7000-8000-000000000001".into(),
            created_at: 1_764_583_200_000, // 2025-12-01T10:00:00Z
            to_phone: "+5511987650001".into(),
            status: "failed".into(),
            sent_at: Some(1_764_583_201_500),
            delivered_at: None,
            read_at: None,
            error_code: Some("whatsapp_131026".into()),
            error_message: Some("Message undeliverable, \"not on WhatsApp\"".into()),
            variables: r#"{"1":"=HYPERLINK(\"x\")","2":"João, São Paulo"}"#.into(),
        }
    }

    #[test]
    fn a_row_writes_times_in_the_zone_metas_number_and_the_variables_in_template_order() {
        let mut out = String::new();
        let zone = LocalZone::get("America/Sao_Paulo").unwrap();
        export_row(
            &mut out,
            &row(),
            &zone,
            &["2".to_owned(), "1".to_owned(), "3".to_owned()],
        );
        assert_eq!(
            out,
            "019ad000-0000-7000-8000-000000000001,2025-12-01T07:00:00-03:00,'+5511987650001,failed,\
             2025-12-01T07:00:01.5-03:00,,,131026,\"Message undeliverable, \"\"not on WhatsApp\"\"\",\
             \"João, São Paulo\",\"'=HYPERLINK(\"\"x\"\")\",\r\n"
        );
    }
}
