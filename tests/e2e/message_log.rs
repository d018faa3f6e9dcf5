//! Issue 12: the campaign's message log in the real window — messages sent to the sandbox's
//! test numbers, filtered by status, one opened with its status timeline and failure in plain
//! words (Esc closes it), then exported as CSV through the save dialog (`ENGAGE_SAVE_DIR`) and
//! read back with the `csv` crate, row by row against the API's messages.

use engage_e2e::flows::{
    create_campaign, fetch_message, inside, run_send_curl, server_base, start_sandbox,
    token_from_copied_curl,
};
use engage_e2e::poll::{poll, DELIVERY_TIMEOUT, UI_TIMEOUT};
use engage_e2e::{E2eError, E2eResult, Harness};
use fantoccini::key::Key;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const NAME: &str = "Registro de dezembro";
/// The recipient the documentation's send curl carries by default.
const EXAMPLE_TO: &str = "+5511987654321";

fn bad(what: &str, got: impl std::fmt::Debug) -> E2eError {
    E2eError::BadOutput {
        what: what.to_string(),
        got: format!("{got:?}"),
    }
}

/// The instant of an RFC 3339 text, whatever its offset.
fn instant(text: &str) -> E2eResult<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| bad("an RFC 3339 time", text))
}

/// A time of the API (or none) equals a cell of the export (or an empty one).
fn same_time(api: &Value, cell: &str) -> E2eResult<bool> {
    match (api.as_str(), cell) {
        (None, "") => Ok(true),
        (Some(api), cell) if !cell.is_empty() => Ok(instant(api)? == instant(cell)?),
        _ => Ok(false),
    }
}

#[tokio::test]
async fn the_log_filters_opens_a_message_with_its_timeline_and_exports_the_csv_the_api_agrees_with(
) -> E2eResult<()> {
    let Some(h) = Harness::start("12-message-log").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    create_campaign(&app, NAME).await?;
    let (token_curl, token) = token_from_copied_curl(&app, &h.tools.bash).await?;
    let base = server_base(&token_curl)?;
    let send_curl = app.copy_with("copy-send-curl").await?;
    if !send_curl.contains(EXAMPLE_TO) {
        return Err(bad("a send curl with the example number", send_curl));
    }
    // Two fail with 131026 (…0001), two are delivered and never read (…0002), two are read.
    let numbers = [
        "+5511987100001",
        "+5511987200001",
        "+5511987300002",
        "+5511987400002",
        "+5511987504321",
        "+5511987604321",
    ];
    let mut ids = Vec::new();
    for to in numbers {
        let sent = run_send_curl(&h.tools.bash, &send_curl.replace(EXAMPLE_TO, to), &token)?;
        assert_eq!(sent.status, 202, "{sent:?}");
        ids.push(sent.json()?["id"].as_str().unwrap_or_default().to_string());
    }
    // Every message at its last status (the sandbox reports them 4-8 s after the send).
    let finals = poll(
        "every message at its final status",
        DELIVERY_TIMEOUT,
        || {
            let (base, token, ids) = (&base, &token, &ids);
            async move {
                let mut all = Vec::new();
                for id in ids {
                    let message = fetch_message(base, token, id).await?;
                    let status = message["status"].as_str().unwrap_or_default().to_string();
                    let to = message["to"].as_str().unwrap_or_default().to_string();
                    let last = if to.ends_with("0001") {
                        "failed"
                    } else if to.ends_with("0002") {
                        "delivered"
                    } else {
                        "read"
                    };
                    if status != last {
                        return Ok(None);
                    }
                    all.push(message);
                }
                Ok(Some(all))
            }
        },
    )
    .await?;

    app.click("open-activity").await?;
    app.wait("the six messages in the log", UI_TIMEOUT, || async {
        Ok((app.all("activity-item").await?.len() == 6).then_some(()))
    })
    .await?;
    app.shot("message-log").await?;

    // Filter by status: only the two failures stay.
    app.choose_value("log-status", "failed").await?;
    let failed = app
        .wait("only the failed messages", UI_TIMEOUT, || async {
            let items = app.all("activity-item").await?;
            let mut statuses = Vec::new();
            for item in &items {
                statuses.push(item.attr("data-status").await.ok().flatten());
            }
            Ok(
                (items.len() == 2 && statuses.iter().all(|s| s.as_deref() == Some("failed")))
                    .then_some(items),
            )
        })
        .await?;
    app.shot("message-log-failed").await?;

    // A message's detail: the timeline up to the failure, the code in plain words.
    let open = inside(&failed[0], "activity-open").await?;
    app.click_element(&open, "the failed message's details")
        .await?;
    app.visible("message-detail").await?;
    let mut steps = Vec::new();
    for step in app.all("detail-step").await? {
        steps.push((
            step.attr("data-step")
                .await
                .ok()
                .flatten()
                .unwrap_or_default(),
            step.attr("data-reached")
                .await
                .ok()
                .flatten()
                .unwrap_or_default(),
        ));
    }
    assert_eq!(
        steps,
        [
            ("accepted".to_string(), "true".to_string()),
            ("sent".to_string(), "true".to_string()),
            ("failed".to_string(), "true".to_string())
        ],
        "the timeline of a failed message"
    );
    assert_eq!(app.text("detail-failure-code").await?, "131026");
    let failure = app.text("detail-failure").await?;
    assert!(failure.contains("WhatsApp"), "in plain words: {failure}");
    app.shot("message-detail").await?;
    app.visible("detail-close")
        .await?
        .send_keys(&Key::Escape.to_string())
        .await
        .map_err(E2eError::webdriver("pressing Esc in the detail"))?;
    app.gone("detail-close").await?;
    app.visible("log-status").await?; // Esc closed the dialog, not the screen

    // Export everything (the filter cleared) through the save dialog.
    app.choose_value("log-status", "").await?;
    app.wait("all six again", UI_TIMEOUT, || async {
        Ok((app.all("activity-item").await?.len() == 6).then_some(()))
    })
    .await?;
    app.click("log-export").await?;
    let done = app.non_empty_text("log-export-done").await?;
    app.shot("message-log-exported").await?;
    let path = h.save_dir().join("engage-messages.csv");
    assert!(done.contains('6'), "{done}");
    let bytes =
        std::fs::read(&path).map_err(E2eError::io(format!("reading {}", path.display())))?;
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with a BOM");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad("a CSV header", e))?
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        &header[..9],
        [
            "id",
            "created",
            "recipient",
            "status",
            "sent",
            "delivered",
            "read",
            "failure_code",
            "failure_reason"
        ]
    );
    let mut rows = Vec::new();
    for record in reader.records() {
        rows.push(record.map_err(|e| bad("a CSV record", e))?);
    }
    assert_eq!(rows.len(), 6);
    for row in &rows {
        let message = finals
            .iter()
            .find(|m| m["id"].as_str() == Some(&row[0]))
            .ok_or_else(|| bad("a message of the API for each row", row))?;
        assert_eq!(
            &row[2],
            format!("'{}", message["to"].as_str().unwrap_or_default())
        );
        assert_eq!(&row[3], message["status"].as_str().unwrap_or_default());
        for (column, field) in [
            (1, "created_at"),
            (4, "sent_at"),
            (5, "delivered_at"),
            (6, "read_at"),
        ] {
            assert!(
                same_time(&message[field], &row[column])?,
                "{field} of {}: {} vs {:?}",
                &row[0],
                message[field],
                &row[column]
            );
        }
        let code = message["error"]["code"]
            .as_str()
            .map(|c| c.trim_start_matches("whatsapp_").to_string())
            .unwrap_or_default();
        assert_eq!(&row[7], code);
    }
    h.quit(app).await
}
