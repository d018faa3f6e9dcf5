//! The message log (issue 12) on both backends: `GET /v1/campaigns/{id}/messages` filtered by
//! status, recipient (a number or its start), creation period and test / live, paged with the
//! filters; bad values refused with their code and field; `GET
//! /v1/campaigns/{id}/messages/export`, the streamed CSV read back with the `csv` crate and
//! compared row by row with the database.

use std::collections::BTreeMap;

use engage_core::team::Role;
use engage_core::wire::{Campaign, MessagePage};
use reqwest::StatusCode;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::helpers::{assert_error, encode, execute_sql, spawn_app, TestApp};

/// A message put straight into the database, with the times and outcome a test needs.
#[derive(Debug, Clone)]
struct Seeded {
    id: Uuid,
    created_at: i64,
    to: String,
    status: &'static str,
    sent_at: Option<i64>,
    delivered_at: Option<i64>,
    read_at: Option<i64>,
    error: Option<(String, String)>,
    variables: BTreeMap<String, String>,
    test: bool,
}

/// 2025-11-30T12:00:00Z.
const T0: i64 = 1_764_504_000_000;
const MINUTE: i64 = 60_000;

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn opt_int(value: Option<i64>) -> String {
    value.map_or("NULL".to_owned(), |v| v.to_string())
}

fn opt_text(value: Option<&str>) -> String {
    value.map_or("NULL".to_owned(), quote)
}

/// Inserts `rows` into the campaign's messages (multi-row INSERTs of 500). None is `queued`,
/// so the sandbox's worker leaves them alone.
async fn seed(app: &TestApp, campaign: &Campaign, rows: &[Seeded]) {
    for chunk in rows.chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|row| {
                let variables = serde_json::to_string(&row.variables).unwrap();
                format!(
                    "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
                    quote(&row.id.to_string()),
                    quote(&app.creds.workspace_id.to_string()),
                    quote(&campaign.id.to_string()),
                    quote(&campaign.sender.id.to_string()),
                    quote(&row.to),
                    quote(&variables),
                    quote(r#"{"header":null,"body":"Olá","footer":null,"buttons":[]}"#),
                    quote("Olá"),
                    quote(row.status),
                    row.created_at,
                    row.created_at,
                    row.created_at,
                    opt_int(row.sent_at),
                    opt_int(row.delivered_at),
                    opt_int(row.read_at),
                    opt_text(row.error.as_ref().map(|(code, _)| code.as_str())),
                    opt_text(row.error.as_ref().map(|(_, message)| message.as_str())),
                    if row.test { "TRUE" } else { "FALSE" },
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO messages (id, workspace_id, campaign_id, sender_id, to_phone, variables, rendered, text, status, next_attempt_at, created_at, updated_at, sent_at, delivered_at, read_at, error_code, error_message, test) VALUES {}",
            values.join(", ")
        );
        assert_eq!(
            execute_sql(&app.database_url, &sql).await,
            chunk.len() as u64
        );
    }
}

/// The `i`-th message of a varied set: every status but `queued`, three number prefixes,
/// one in seven a test, one minute apart from `T0`, a variable starting with `=` and accents.
fn varied(i: usize, keys: &[String]) -> Seeded {
    let created_at = T0 + i as i64 * MINUTE;
    let status = ["sent", "delivered", "read", "failed"][i % 4];
    let prefix = ["+5511", "+5521", "+34"][i % 3];
    let mut variables = BTreeMap::new();
    for (index, key) in keys.iter().enumerate() {
        let value = match (index, i % 5) {
            (0, 0) => format!("=HYPERLINK(\"http://x.example/{i}\")"),
            (0, _) => format!("João Ñandú, São Paulo #{i}"),
            _ => format!("+{i}"),
        };
        variables.insert(key.clone(), value);
    }
    Seeded {
        id: Uuid::now_v7(),
        created_at,
        to: format!("{prefix}98765{i:04}"),
        status,
        sent_at: Some(created_at + 1_500),
        delivered_at: matches!(status, "delivered" | "read").then_some(created_at + 3_250),
        read_at: (status == "read").then_some(created_at + 60_000),
        error: (status == "failed").then(|| {
            (
                "whatsapp_131026".to_owned(),
                "Message undeliverable, \"not on WhatsApp\"".to_owned(),
            )
        }),
        variables,
        test: i.is_multiple_of(7),
    }
}

async fn campaign_with_keys(app: &TestApp, staff: &str) -> (Campaign, Vec<String>) {
    let template = app.positional_template(staff).await;
    let campaign = app.create_campaign_with(staff, &template).await;
    let mut keys: Vec<String> = Vec::new();
    for variable in &template.variables {
        if !keys.contains(&variable.key) {
            keys.push(variable.key.clone());
        }
    }
    (campaign, keys)
}

fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap()
        .format(&Rfc3339)
        .unwrap()
}

/// Every page of the log for `query` (`limit` per page) → the message ids in order.
async fn all_pages(app: &TestApp, staff: &str, campaign: Uuid, query: &str) -> Vec<Uuid> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut path = format!("/v1/campaigns/{campaign}/messages?limit=4{query}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page: MessagePage = app.get_ok(&path, staff).await;
        assert!(page.items.len() <= 4);
        ids.extend(page.items.iter().map(|message| message.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return ids,
        }
    }
    panic!("more than 100 pages");
}

/// The seeded rows `keep` selects, newest first (the log's order).
fn expected(rows: &[Seeded], keep: impl Fn(&Seeded) -> bool) -> Vec<Uuid> {
    let mut kept: Vec<&Seeded> = rows.iter().filter(|row| keep(row)).collect();
    kept.sort_by_key(|row| std::cmp::Reverse((row.created_at, row.id)));
    kept.iter().map(|row| row.id).collect()
}

#[tokio::test]
async fn the_log_filters_by_status_recipient_period_and_test_and_pages_with_the_filters() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let (campaign, keys) = campaign_with_keys(&app, &staff).await;
    let rows: Vec<Seeded> = (0..40).map(|i| varied(i, &keys)).collect();
    seed(&app, &campaign, &rows).await;
    let id = campaign.id;

    assert_eq!(
        all_pages(&app, &staff, id, "").await,
        expected(&rows, |_| true)
    );
    assert_eq!(
        all_pages(&app, &staff, id, "&status=failed").await,
        expected(&rows, |row| row.status == "failed")
    );
    // A whole number, and the start of one with or without the +.
    assert_eq!(
        all_pages(
            &app,
            &staff,
            id,
            &format!("&recipient={}", encode(&rows[5].to))
        )
        .await,
        vec![rows[5].id]
    );
    let in_sao_paulo = expected(&rows, |row| row.to.starts_with("+5511"));
    assert_eq!(in_sao_paulo.len(), 14);
    assert_eq!(
        all_pages(&app, &staff, id, "&recipient=5511").await,
        in_sao_paulo
    );
    assert_eq!(
        all_pages(&app, &staff, id, "&recipient=%2B5511").await,
        in_sao_paulo
    );
    // `from` included, `to` excluded, given with any offset.
    let from = OffsetDateTime::from_unix_timestamp_nanos(i128::from(T0 + 10 * MINUTE) * 1_000_000)
        .unwrap()
        .to_offset(time::macros::offset!(-3));
    let query = format!(
        "&from={}&to={}",
        encode(&from.format(&Rfc3339).unwrap()),
        encode(&rfc3339(T0 + 20 * MINUTE))
    );
    assert!(query.contains("-03%3A00"), "{query}");
    let period = expected(&rows, |row| {
        (T0 + 10 * MINUTE..T0 + 20 * MINUTE).contains(&row.created_at)
    });
    assert_eq!(period.len(), 10);
    assert_eq!(all_pages(&app, &staff, id, &query).await, period);
    assert_eq!(
        all_pages(&app, &staff, id, "&test=true").await,
        expected(&rows, |row| row.test)
    );
    assert_eq!(
        all_pages(&app, &staff, id, "&test=false").await,
        expected(&rows, |row| !row.test)
    );
    // All at once.
    assert_eq!(
        all_pages(
            &app,
            &staff,
            id,
            &format!("&status=read&recipient=%2B55&test=false{query}")
        )
        .await,
        expected(&rows, |row| {
            row.status == "read"
                && row.to.starts_with("+55")
                && !row.test
                && (T0 + 10 * MINUTE..T0 + 20 * MINUTE).contains(&row.created_at)
        })
    );
    // The first page's items carry what the detail shows.
    let page: MessagePage = app
        .get_ok(
            &format!("/v1/campaigns/{id}/messages?limit=1&status=failed"),
            &staff,
        )
        .await;
    let failed = &page.items[0];
    let seeded = rows.iter().find(|row| row.id == failed.id).unwrap();
    assert_eq!(failed.error.as_ref().unwrap().code, "whatsapp_131026");
    assert_eq!(
        failed.sent_at.unwrap().unix_timestamp_nanos() / 1_000_000,
        i128::from(seeded.sent_at.unwrap())
    );
}

#[tokio::test]
async fn bad_filters_and_foreign_cursors_are_refused_with_their_code_and_field() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let (campaign, keys) = campaign_with_keys(&app, &staff).await;
    let (other, _) = campaign_with_keys(&app, &staff).await;
    let rows: Vec<Seeded> = (0..2).map(|i| varied(i, &keys)).collect();
    seed(&app, &other, &rows).await;
    let id = campaign.id;
    for (query, code, field) in [
        ("status=accepted", "invalid_status", "status"),
        ("recipient=55-11", "invalid_recipient", "recipient"),
        (
            "recipient=1234567890123456",
            "invalid_recipient",
            "recipient",
        ),
        ("from=2026-12-01", "invalid_from", "from"),
        ("to=yesterday", "invalid_to", "to"),
        (
            "from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z",
            "invalid_period",
            "to",
        ),
        ("test=yes", "invalid_test", "test"),
        ("limit=0", "invalid_limit", "limit"),
    ] {
        for route in ["messages", "messages/export"] {
            if route == "messages/export" && query.starts_with("limit") {
                continue;
            }
            let response = app
                .get(&format!("/v1/campaigns/{id}/{route}?{query}"), &staff)
                .await;
            assert_error(
                response,
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                Some(field),
            )
            .await;
        }
    }
    // A message of another campaign is no cursor here.
    let response = app
        .get(
            &format!("/v1/campaigns/{id}/messages?cursor={}", rows[0].id),
            &staff,
        )
        .await;
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_cursor",
        Some("cursor"),
    )
    .await;
    let response = app
        .get(
            &format!("/v1/campaigns/{id}/messages/export?tz=Mars%2FOlympus"),
            &staff,
        )
        .await;
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_time_zone",
        Some("tz"),
    )
    .await;
    let response = app
        .get(
            &format!("/v1/campaigns/{}/messages/export", Uuid::new_v4()),
            &staff,
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "campaign_not_found", None).await;
}

/// A message row as the database holds it, read back for the comparison.
type DbRow = (
    String,
    i64,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
    String,
);

async fn database_rows(app: &TestApp, campaign: Uuid) -> Vec<DbRow> {
    use sqlx::Connection as _;
    let sql = "SELECT id, created_at, to_phone, status, sent_at, delivered_at, read_at, error_code, error_message, variables FROM messages WHERE campaign_id = $1 ORDER BY created_at, id";
    if app.database_url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query_as(sql)
            .bind(campaign.to_string())
            .fetch_all(&mut conn)
            .await
            .unwrap()
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query_as(sql)
            .bind(campaign.to_string())
            .fetch_all(&mut conn)
            .await
            .unwrap()
    }
}

/// The instant in São Paulo's offset (UTC-3 all year since 2019), as the export writes it.
fn in_sao_paulo(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap()
        .to_offset(time::macros::offset!(-3))
        .format(&Rfc3339)
        .unwrap()
}

/// What a spreadsheet cell holds for a value that could run as a formula.
fn defused(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

#[tokio::test]
async fn twenty_thousand_messages_export_as_a_streamed_csv_equal_to_the_database_row_by_row() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let (campaign, keys) = campaign_with_keys(&app, &staff).await;
    let rows: Vec<Seeded> = (0..20_000).map(|i| varied(i, &keys)).collect();
    seed(&app, &campaign, &rows).await;

    let response = app
        .get(
            &format!(
                "/v1/campaigns/{}/messages/export?tz=America%2FSao_Paulo",
                campaign.id
            ),
            &staff,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(response.headers()["x-total-count"], "20000");
    // Streamed: no length known up front.
    assert!(response.headers().get("content-length").is_none());
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with("\u{FEFF}".as_bytes()), "UTF-8 BOM first");

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(&bytes[3..]);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let mut wanted: Vec<String> = [
        "id",
        "created",
        "recipient",
        "status",
        "sent",
        "delivered",
        "read",
        "failure_code",
        "failure_reason",
    ]
    .iter()
    .map(|c| (*c).to_owned())
    .collect();
    wanted.extend(keys.iter().map(|key| format!("{{{{{key}}}}}")));
    assert_eq!(header, wanted);

    let database = database_rows(&app, campaign.id).await;
    assert_eq!(database.len(), 20_000);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), database.len());
    let time = |ms: Option<i64>| ms.map(in_sao_paulo).unwrap_or_default();
    for (record, row) in records.iter().zip(&database) {
        let (id, created, to, status, sent, delivered, read, code, message, variables) = row;
        let variables: BTreeMap<String, String> = serde_json::from_str(variables).unwrap();
        let mut expected = vec![
            id.clone(),
            in_sao_paulo(*created),
            defused(to),
            status.clone(),
            time(*sent),
            time(*delivered),
            time(*read),
            code.as_deref()
                .map(|c| c.trim_start_matches("whatsapp_").to_owned())
                .unwrap_or_default(),
            message.clone().unwrap_or_default(),
        ];
        expected.extend(keys.iter().map(|key| defused(&variables[key])));
        let got: Vec<&str> = record.iter().collect();
        assert_eq!(got, expected, "row of message {id}");
    }
    // What the checks above rely on, seen once in the file itself.
    let first = &records[0];
    assert_eq!(&first[1], "2025-11-30T09:00:00-03:00");
    assert_eq!(&first[2], "'+5511987650000");
    assert_eq!(&first[9], "'=HYPERLINK(\"http://x.example/0\")");
    assert_eq!(&records[1][9], "João Ñandú, São Paulo #1");
    assert_eq!(&records[3][7], "131026");
    assert_eq!(&records[3][8], "Message undeliverable, \"not on WhatsApp\"");
}

#[tokio::test]
async fn the_export_takes_the_logs_filters_and_counts_its_rows_up_front() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let (campaign, keys) = campaign_with_keys(&app, &staff).await;
    let rows: Vec<Seeded> = (0..60).map(|i| varied(i, &keys)).collect();
    seed(&app, &campaign, &rows).await;
    let response = app
        .get(
            &format!(
                "/v1/campaigns/{}/messages/export?status=delivered&test=false&from={}&to={}",
                campaign.id,
                encode(&rfc3339(T0 + 8 * MINUTE)),
                encode(&rfc3339(T0 + 48 * MINUTE)),
            ),
            &staff,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut wanted = expected(&rows, |row| {
        row.status == "delivered"
            && !row.test
            && (T0 + 8 * MINUTE..T0 + 48 * MINUTE).contains(&row.created_at)
    });
    wanted.reverse(); // the export is oldest first
    assert_eq!(
        response.headers()["x-total-count"],
        wanted.len().to_string().as_str()
    );
    let bytes = response.bytes().await.unwrap();
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let ids: Vec<Uuid> = reader
        .records()
        .map(|record| record.unwrap()[0].parse().unwrap())
        .collect();
    assert_eq!(ids, wanted);
    // UTC by default.
    let response = app
        .get(
            &format!("/v1/campaigns/{}/messages/export?status=sent", campaign.id),
            &staff,
        )
        .await;
    let bytes = response.bytes().await.unwrap();
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let first = reader.records().next().unwrap().unwrap();
    assert_eq!(&first[1], "2025-11-30T12:00:00Z");
    assert_eq!(&first[4], "2025-11-30T12:00:01.5Z");
}

#[tokio::test]
async fn a_viewer_may_read_the_log_but_not_export_it() {
    let app = spawn_app().await;
    let admin = app.staff_token().await;
    let (campaign, _) = campaign_with_keys(&app, &admin).await;
    let (_, viewer) = crate::team::member(&app, &admin, Role::Viewer).await;
    let page: MessagePage = app
        .get_ok(&format!("/v1/campaigns/{}/messages", campaign.id), &viewer)
        .await;
    assert!(page.items.is_empty());
    let response = app
        .get(
            &format!("/v1/campaigns/{}/messages/export", campaign.id),
            &viewer,
        )
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "forbidden", Some("export")).await;
    let (_, editor) = crate::team::member(&app, &admin, Role::Editor).await;
    let response = app
        .get(
            &format!("/v1/campaigns/{}/messages/export", campaign.id),
            &editor,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-total-count"], "0");
    let text = response.text().await.unwrap();
    assert!(text.starts_with("\u{FEFF}id,created,recipient,"));
    assert_eq!(text.lines().count(), 1, "only the header: {text}");
}
