//! A campaign's message log (issue 12): the filtered pages, and the CSV export streamed from
//! the server into the file the person chose, chunk by chunk (never the whole file in
//! memory), with progress and cancel.

use std::path::Path;
use std::sync::Arc;

use engage_core::message_log::{MessageFilter, RawMessageFilter};
use engage_core::wire::MessagePage;
use tokio::io::AsyncWriteExt as _;
use tokio::sync::Notify;

use super::{validate, AppCore, AppError, MESSAGES_PAGE};
use crate::models::{ExportOutcome, ExportProgress, MessageLogFilter};

/// The filter's query pairs, checked by the server's own rule (`engage_core::message_log`)
/// before they travel; empty values are no filter.
pub fn filter_pairs(filter: &MessageLogFilter) -> Result<Vec<(&'static str, String)>, AppError> {
    let present = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    let status = present(&filter.status);
    let recipient = present(&filter.recipient).map(|r| r.replace([' ', '-', '(', ')', '.'], ""));
    let from = present(&filter.from);
    let to = present(&filter.to);
    let test = filter.test.map(|test| test.to_string());
    MessageFilter::parse(RawMessageFilter {
        status: status.as_deref(),
        recipient: recipient.as_deref(),
        from: from.as_deref(),
        to: to.as_deref(),
        test: test.as_deref(),
    })
    .map_err(|refusal| AppError::invalid(refusal.field, refusal.message))?;
    Ok([
        ("status", status),
        ("recipient", recipient),
        ("from", from),
        ("to", to),
        ("test", test),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.map(|value| (name, value)))
    .collect())
}

fn as_refs<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Rows in written CSV bytes: record ends (CRLF) counted as they pass, the header's excluded.
#[derive(Debug, Default)]
pub struct RowCounter {
    line_ends: u64,
    after_cr: bool,
}

impl RowCounter {
    pub fn feed(&mut self, bytes: &[u8]) {
        for byte in bytes {
            if *byte == b'\n' && self.after_cr {
                self.line_ends += 1;
            }
            self.after_cr = *byte == b'\r';
        }
    }

    pub fn rows(&self) -> u64 {
        self.line_ends.saturating_sub(1)
    }
}

/// Progress is sent at most this often (bytes between two reports).
const PROGRESS_EVERY_BYTES: u64 = 256 * 1024;

impl AppCore {
    /// The campaign's messages matching `filter`, newest first; `cursor` from the previous
    /// page's `next_cursor` (with the same filter).
    pub async fn message_log(
        &self,
        campaign_id: &str,
        cursor: Option<&str>,
        filter: &MessageLogFilter,
    ) -> Result<MessagePage, AppError> {
        let id = validate::uuid(campaign_id, "campaign_id")?;
        let cursor = validate::cursor(cursor)?;
        let pairs = filter_pairs(filter)?;
        let session = self.signed_in().await?;
        let api = session.api();
        let refs = as_refs(&pairs);
        let refs = &refs;
        session
            .authorized(|t| async move { api.messages(&t, id, MESSAGES_PAGE, cursor, refs).await })
            .await
    }

    /// Stops the export in progress, if any (its partial file is removed).
    pub fn cancel_message_export(&self) {
        if let Some(cancel) = self
            .export_cancel
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .as_ref()
        {
            cancel.notify_one();
        }
    }

    /// Streams the campaign's messages matching `filter` as CSV (times in the IANA zone `tz`)
    /// into `path`, reporting progress; on cancel, failure or a broken transfer the partial
    /// file is removed.
    pub async fn export_messages_csv(
        &self,
        campaign_id: &str,
        filter: &MessageLogFilter,
        tz: &str,
        path: &Path,
        progress: impl Fn(ExportProgress),
    ) -> Result<ExportOutcome, AppError> {
        let id = validate::uuid(campaign_id, "campaign_id")?;
        let mut pairs = filter_pairs(filter)?;
        let tz = tz.trim();
        if tz.is_empty() || tz.chars().count() > 64 {
            return Err(AppError::invalid("tz", "Choose a time zone."));
        }
        pairs.push(("tz", tz.to_owned()));
        let cancel = Arc::new(Notify::new());
        *self
            .export_cancel
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(cancel.clone());
        let result = self
            .stream_export(id, &pairs, path, &progress, &cancel)
            .await;
        *self
            .export_cancel
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
        match result {
            Ok(outcome) if !outcome.cancelled => Ok(outcome),
            other => {
                // Cancelled or failed: no partial file is left behind.
                let _ = tokio::fs::remove_file(path).await;
                other
            }
        }
    }

    async fn stream_export(
        &self,
        id: uuid::Uuid,
        pairs: &[(&'static str, String)],
        path: &Path,
        progress: &impl Fn(ExportProgress),
        cancel: &Notify,
    ) -> Result<ExportOutcome, AppError> {
        let session = self.signed_in().await?;
        let api = session.api();
        let refs = as_refs(pairs);
        let refs = &refs;
        let mut response = session
            .authorized(|t| async move { api.messages_export(&t, id, refs).await })
            .await?;
        let total_rows = response
            .headers()
            .get("x-total-count")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse().ok())
            .unwrap_or(0);
        let unwritable = |e: std::io::Error| AppError::FileUnwritable {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let mut file =
            tokio::io::BufWriter::new(tokio::fs::File::create(path).await.map_err(unwritable)?);
        let mut counter = RowCounter::default();
        let mut state = ExportProgress {
            rows: 0,
            total_rows,
            bytes: 0,
        };
        let mut reported = 0_u64;
        progress(state);
        loop {
            let chunk = tokio::select! {
                // A cancel wins over a chunk that is ready at the same moment.
                biased;
                () = cancel.notified() => {
                    return Ok(ExportOutcome { path: None, cancelled: true, rows: state.rows });
                }
                chunk = api.chunk(&mut response) => chunk.map_err(|error| match error {
                    AppError::ServerUnreachable { reason, .. } => AppError::ExportInterrupted(reason),
                    other => other,
                })?,
            };
            let Some(chunk) = chunk else { break };
            let bytes = chunk.as_ref();
            file.write_all(bytes).await.map_err(unwritable)?;
            counter.feed(bytes);
            state.bytes += bytes.len() as u64;
            state.rows = counter.rows();
            if state.bytes - reported >= PROGRESS_EVERY_BYTES {
                reported = state.bytes;
                progress(state);
            }
        }
        file.flush().await.map_err(unwritable)?;
        file.into_inner().sync_all().await.map_err(unwritable)?;
        progress(state);
        Ok(ExportOutcome {
            path: Some(path.display().to_string()),
            cancelled: false,
            rows: state.rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_travel_as_the_servers_query_pairs_and_bad_ones_stop_here() {
        let filter = MessageLogFilter {
            status: Some("failed".into()),
            recipient: Some(" +55 (11) 98765-".into()),
            from: Some("2026-12-01T00:00:00-03:00".into()),
            to: Some(String::new()),
            test: Some(false),
        };
        assert_eq!(
            filter_pairs(&filter).unwrap(),
            vec![
                ("status", "failed".to_owned()),
                ("recipient", "+551198765".to_owned()),
                ("from", "2026-12-01T00:00:00-03:00".to_owned()),
                ("test", "false".to_owned()),
            ]
        );
        assert!(filter_pairs(&MessageLogFilter::default())
            .unwrap()
            .is_empty());
        let field = |filter: MessageLogFilter| match filter_pairs(&filter).unwrap_err() {
            AppError::InvalidInput { field, .. } => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(MessageLogFilter {
                status: Some("lost".into()),
                ..Default::default()
            }),
            "status"
        );
        assert_eq!(
            field(MessageLogFilter {
                recipient: Some("ana".into()),
                ..Default::default()
            }),
            "recipient"
        );
        assert_eq!(
            field(MessageLogFilter {
                from: Some("2026-12-02T00:00:00Z".into()),
                to: Some("2026-12-01T00:00:00Z".into()),
                ..Default::default()
            }),
            "to"
        );
    }

    #[test]
    fn rows_are_counted_by_record_ends_even_when_a_chunk_splits_one() {
        let mut counter = RowCounter::default();
        counter.feed(b"\xEF\xBB\xBFid,created\r\n1,a\r");
        assert_eq!(counter.rows(), 0);
        counter.feed(b"\n2,\"two\nlines\"\r\n3,c\r\n");
        assert_eq!(counter.rows(), 3);
    }
}
