//! The workspace's do-not-message list (issue 12): see, search, add and remove numbers (a
//! removal needs a reason; both are audited), and the opt-out keywords. Replies with a
//! keyword arrive by WhatsApp's webhook (`http/whatsapp.rs`) or the sandbox's test number
//! ending in 0003; sends to a listed number are refused in `http/send.rs`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use engage_core::wire::{
    AddOptOutRequest, ApiErrorBody, OptOut, OptOutKeywords, OptOutPage, OptOutSource,
    RemoveOptOutRequest,
};
use engage_core::PhoneNumber;
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::ApiError;
use super::extractor::{need, Allowed, ApiJson, ApiQuery};
use super::AppState;

/// Longest reason kept.
const MAX_REASON: usize = 500;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/opt-outs", get(list).post(add))
        .route("/v1/opt-outs/remove", post(remove))
        .route("/v1/opt-outs/keywords", get(keywords).put(set_keywords))
        .route("/v1/opt-outs/export", get(export))
        .route("/v1/opt-outs/import", post(import))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OptOutQuery {
    /// The number or its start (digits, `+` optional).
    #[param(max_length = 20)]
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

fn phone(input: &str) -> Result<String, ApiError> {
    PhoneNumber::parse_field(input.trim(), "phone")
        .map(|phone| phone.as_e164().to_owned())
        .map_err(ApiError::Domain)
}

fn reason(input: Option<&str>, required: bool) -> Result<Option<String>, ApiError> {
    let reason = input.map(str::trim).filter(|r| !r.is_empty());
    match reason {
        None if required => Err(ApiError::invalid(
            "reason_required",
            "reason",
            "say why the number is taken off the list",
        )),
        Some(reason) if reason.chars().count() > MAX_REASON => Err(ApiError::invalid(
            "reason_too_long",
            "reason",
            format!("a reason holds at most {MAX_REASON} characters"),
        )),
        other => Ok(other.map(str::to_owned)),
    }
}

fn invalid_cursor() -> ApiError {
    ApiError::invalid(
        "invalid_cursor",
        "cursor",
        "the cursor is not one this server returned",
    )
}

/// The list, newest first; `q` filters by the number's start.
#[utoipa::path(get, path = "/v1/opt-outs", tag = "opt-outs", params(OptOutQuery), security(("staff" = [])),
    responses((status = 200, body = OptOutPage), (status = 422, description = "`invalid_query`, `invalid_cursor`, `invalid_limit`", body = ApiErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ViewWorkspace>,
    ApiQuery(query): ApiQuery<OptOutQuery>,
) -> Result<Json<OptOutPage>, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid(
            "invalid_limit",
            "limit",
            "limit must be between 1 and 200",
        ));
    }
    let prefix = match query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        None => None,
        Some(q) => {
            let digits: String = q.chars().filter(char::is_ascii_digit).collect();
            if digits.is_empty() || digits.len() > 20 || q.chars().any(|c| c.is_alphabetic()) {
                return Err(ApiError::invalid(
                    "invalid_query",
                    "q",
                    "search by the number or its start, in digits",
                ));
            }
            Some(format!("+{digits}"))
        }
    };
    let before = query
        .cursor
        .as_deref()
        .map(|cursor| {
            let (at, phone) = cursor.split_once('_').ok_or_else(invalid_cursor)?;
            let at: i64 = at.parse().map_err(|_| invalid_cursor())?;
            Ok::<_, ApiError>((at, phone.to_owned()))
        })
        .transpose()?;
    let items = state
        .store
        .list_opt_outs(
            staff.workspace_id,
            prefix.as_deref(),
            before.as_ref().map(|(at, phone)| (*at, phone.as_str())),
            limit,
        )
        .await?;
    let next_cursor = (items.len() == limit as usize)
        .then(|| {
            items
                .last()
                .map(|last| format!("{}_{}", crate::store::millis(last.created_at), last.phone))
        })
        .flatten();
    Ok(Json(OptOutPage { items, next_cursor }))
}

/// Put a number on the list (201; 200 when it already was, unchanged).
#[utoipa::path(post, path = "/v1/opt-outs", tag = "opt-outs", request_body = AddOptOutRequest, security(("staff" = [])),
    responses((status = 201, body = OptOut), (status = 200, body = OptOut),
        (status = 422, description = "`invalid_phone_number`, `reason_too_long`", body = ApiErrorBody)))]
pub async fn add(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::EditCampaigns>,
    ApiJson(request): ApiJson<AddOptOutRequest>,
) -> Result<(StatusCode, Json<OptOut>), ApiError> {
    let phone = phone(&request.phone)?;
    let reason = reason(request.reason.as_deref(), false)?;
    let added = state
        .store
        .add_opt_out(
            staff.workspace_id,
            &phone,
            OptOutSource::Staff,
            reason.as_deref(),
            Some(&staff.audit()),
        )
        .await?;
    let listed = state
        .store
        .list_opt_outs(staff.workspace_id, Some(&phone), None, 10)
        .await?
        .into_iter()
        .find(|entry| entry.phone == phone)
        .ok_or_else(|| ApiError::Internal("an opt-out just written is missing".into()))?;
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(listed)))
}

/// Take a number off the list, with the reason (recorded in the audit log).
#[utoipa::path(post, path = "/v1/opt-outs/remove", tag = "opt-outs", request_body = RemoveOptOutRequest, security(("staff" = [])),
    responses((status = 204, description = "Removed"),
        (status = 404, description = "`opt_out_not_found`", body = ApiErrorBody),
        (status = 422, description = "`invalid_phone_number`, `reason_required`, `reason_too_long`", body = ApiErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::EditCampaigns>,
    ApiJson(request): ApiJson<RemoveOptOutRequest>,
) -> Result<StatusCode, ApiError> {
    let phone = phone(&request.phone)?;
    let reason = reason(Some(&request.reason), true)?.unwrap_or_default();
    if state
        .store
        .remove_opt_out(staff.workspace_id, &phone, &reason, &staff.audit())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(
            "opt_out_not_found",
            "this number is not on the do-not-message list",
        ))
    }
}

/// The opt-out keywords: a reply whose whole text is one of them (without case, accents or
/// punctuation) puts the number on the list.
#[utoipa::path(get, path = "/v1/opt-outs/keywords", tag = "opt-outs", security(("staff" = [])),
    responses((status = 200, body = OptOutKeywords)))]
pub async fn keywords(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::ViewWorkspace>,
) -> Result<Json<OptOutKeywords>, ApiError> {
    Ok(Json(OptOutKeywords {
        keywords: state.store.opt_out_keywords(staff.workspace_id).await?,
    }))
}

/// Replace the opt-out keywords (trimmed; duplicates dropped; 1 to 50, each up to 40
/// characters).
#[utoipa::path(put, path = "/v1/opt-outs/keywords", tag = "opt-outs", request_body = OptOutKeywords, security(("staff" = [])),
    responses((status = 200, body = OptOutKeywords),
        (status = 422, description = "`invalid_keywords`", body = ApiErrorBody)))]
pub async fn set_keywords(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::EditCampaigns>,
    ApiJson(request): ApiJson<OptOutKeywords>,
) -> Result<Json<OptOutKeywords>, ApiError> {
    let keywords =
        engage_core::opt_out::validate_keywords(&request.keywords).map_err(|refused| {
            let field = match refused {
                engage_core::opt_out::KeywordsError::Invalid(index) => format!("keywords[{index}]"),
                _ => "keywords".to_owned(),
            };
            ApiError::invalid("invalid_keywords", field, refused.to_string())
        })?;
    state
        .store
        .set_opt_out_keywords(staff.workspace_id, &keywords, &staff.audit())
        .await?;
    Ok(Json(OptOutKeywords { keywords }))
}

/// Most rows in one export.
const MAX_EXPORT_ROWS: u32 = 1_000_000;

/// The whole list as CSV (UTF-8 with a byte order mark, so spreadsheets read the accents):
/// `phone,source,detail,created_at`, newest first. A cell a spreadsheet would run as a formula
/// (a number starting with `+` included) is prefixed with `'`.
#[utoipa::path(get, path = "/v1/opt-outs/export", tag = "opt-outs", security(("staff" = [])),
    responses((status = 200, description = "text/csv", content_type = "text/csv")))]
pub async fn export(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::Export>,
) -> Result<axum::response::Response, ApiError> {
    use axum::http::{header, HeaderValue};
    use axum::response::IntoResponse;
    let items = state
        .store
        .list_opt_outs(staff.workspace_id, None, None, MAX_EXPORT_ROWS)
        .await?;
    let mut out = String::from("\u{FEFF}phone,source,detail,created_at\r\n");
    for entry in &items {
        let cells = [
            entry.phone.clone(),
            crate::store::enum_str(&entry.source),
            entry.detail.clone().unwrap_or_default(),
            entry
                .created_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        ];
        let line: Vec<String> = cells
            .iter()
            .map(|cell| super::audit::csv_cell(cell))
            .collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    let mut response = out.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"engage-do-not-message.csv\""),
    );
    Ok(response)
}

/// Lines of an import listed in the answer at most.
const MAX_REFUSALS_LISTED: usize = 100;

/// The records of a CSV text (RFC 4180: quoted cells may hold commas, quotes doubled and line
/// breaks), each with its 1-based starting line. A leading byte order mark is skipped.
pub fn csv_records(text: &str) -> Vec<(u32, Vec<String>)> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut records = Vec::new();
    let (mut record, mut cell) = (Vec::new(), String::new());
    let (mut quoted, mut line, mut start) = (false, 1u32, 1u32);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut cell));
                records.push((start, std::mem::take(&mut record)));
                line += 1;
                start = line;
            }
            (_, c) => {
                if c == '\n' {
                    line += 1;
                }
                cell.push(c);
            }
        }
    }
    if !cell.is_empty() || !record.is_empty() {
        record.push(cell);
        records.push((start, record));
    }
    records
}

/// Put the numbers of a CSV file on the list: one number per line in the first column (with
/// or without `+`, a leading `'` from a spreadsheet ignored), an optional reason in the
/// second; a first line starting with `phone` is a header. Lines that are not a number are
/// listed back; the rest is added in one transaction (one audit entry).
#[utoipa::path(post, path = "/v1/opt-outs/import", tag = "opt-outs", security(("staff" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = engage_core::wire::OptOutImport),
        (status = 422, description = "`invalid_csv`: not UTF-8 text; `empty_file`: no body", body = ApiErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    Allowed(staff, _): Allowed<need::EditCampaigns>,
    super::extractor::RawBody(body): super::extractor::RawBody,
) -> Result<Json<engage_core::wire::OptOutImport>, ApiError> {
    use engage_core::wire::{ImportRefusal, OptOutImport};
    if body.is_empty() {
        return Err(ApiError::invalid(
            "empty_file",
            "body",
            "the request holds no CSV file",
        ));
    }
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::invalid("invalid_csv", "body", "the file is not UTF-8 text"))?;
    let mut rows: Vec<(String, Option<String>)> = Vec::new();
    let mut refused = Vec::new();
    for (index, (line, cells)) in csv_records(text).into_iter().enumerate() {
        let first = cells.first().map(|c| c.trim()).unwrap_or_default();
        let first = first.strip_prefix('\'').unwrap_or(first);
        if first.is_empty() && cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if index == 0 && first.eq_ignore_ascii_case("phone") {
            continue;
        }
        let number = if first.starts_with('+') {
            first.to_owned()
        } else {
            format!("+{first}")
        };
        match phone(&number) {
            Ok(e164) => {
                let reason = cells
                    .get(1)
                    .map(|r| r.trim().chars().take(MAX_REASON).collect::<String>())
                    .filter(|r| !r.is_empty());
                if !rows.iter().any(|(p, _)| *p == e164) {
                    rows.push((e164, reason));
                }
            }
            Err(error) => {
                let wire = error.to_wire();
                refused.push(ImportRefusal {
                    line,
                    code: wire.code,
                    message: wire.message,
                });
            }
        }
    }
    let added = if rows.is_empty() {
        0
    } else {
        state
            .store
            .import_opt_outs(staff.workspace_id, &rows, &staff.audit())
            .await?
    };
    let refused_count = u32::try_from(refused.len()).unwrap_or(u32::MAX);
    refused.truncate(MAX_REFUSALS_LISTED);
    Ok(Json(OptOutImport {
        added,
        already_listed: u32::try_from(rows.len())
            .unwrap_or(u32::MAX)
            .saturating_sub(added),
        refused,
        refused_count,
    }))
}

#[cfg(test)]
mod tests {
    use super::csv_records;

    #[test]
    fn csv_records_keep_quoted_commas_quotes_and_line_breaks_with_their_line() {
        let text = "\u{FEFF}phone,reason\r\n'+5511987650001,\"pediu, \"\"já\"\"\"\n5511987650002,\"duas\nlinhas\"\n+5511987650003";
        let records = csv_records(text);
        assert_eq!(records[0], (1, vec!["phone".into(), "reason".into()]));
        assert_eq!(
            records[1],
            (2, vec!["'+5511987650001".into(), "pediu, \"já\"".into()])
        );
        assert_eq!(
            records[2],
            (3, vec!["5511987650002".into(), "duas\nlinhas".into()])
        );
        assert_eq!(records[3], (5, vec!["+5511987650003".into()]));
    }
}
