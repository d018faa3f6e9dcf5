//! The integration log's writer (issue 15): handlers hand each token and send request of a
//! campaign to [`IntegrationLog::record`], which never waits: the request goes into a bounded
//! queue (dropped and counted when it is full, so a flood never slows the send path), and
//! one task appends what it finds there in batches (what arrives within [`GATHER`] of the
//! first), one transaction each, and trims the
//! campaigns it wrote to to their newest 1,000 requests once per [`TRIM_EVERY`]. The purge
//! loop drops requests older than 7 days.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::store::{NewIntegrationCall, Store};

/// Requests waiting to be written, at most.
pub const QUEUE_CAPACITY: usize = 8_192;
/// Requests written in one transaction, at most.
const BATCH: usize = 512;
/// How long the task gathers requests after the first one before writing them.
const GATHER: Duration = Duration::from_millis(100);
/// How often one campaign's log is trimmed to its newest requests, at most.
const TRIM_EVERY: Duration = Duration::from_secs(1);

/// The handle kept in the HTTP state.
#[derive(Clone, Debug)]
pub struct IntegrationLog {
    /// `None`: the log is off (a benchmark measuring its cost).
    sender: Option<mpsc::Sender<NewIntegrationCall>>,
}

impl IntegrationLog {
    /// The handle and its writing task, which ends once every handle is dropped and the
    /// queue is written.
    pub fn spawn(store: Store) -> (IntegrationLog, JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let task = tokio::spawn(run(store, receiver));
        (
            IntegrationLog {
                sender: Some(sender),
            },
            task,
        )
    }

    /// A handle that records nothing, and its (already finished) task.
    pub fn off() -> (IntegrationLog, JoinHandle<()>) {
        (IntegrationLog { sender: None }, tokio::spawn(async {}))
    }

    /// Queues `call` for writing, without waiting.
    pub fn record(&self, call: NewIntegrationCall) {
        let Some(sender) = &self.sender else { return };
        if sender.try_send(call).is_err() {
            crate::metrics::integration_call_dropped();
        }
    }
}

async fn run(store: Store, mut receiver: mpsc::Receiver<NewIntegrationCall>) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut untrimmed: HashSet<Uuid> = HashSet::new();
    let mut trimmed_at = Instant::now();
    loop {
        match tokio::time::timeout(TRIM_EVERY, receiver.recv_many(&mut batch, BATCH)).await {
            Ok(0) => break,
            Ok(_) => {
                // What arrives in the next moment joins this batch: under load the log takes
                // a few short transactions a second, not one per request.
                tokio::time::sleep(GATHER).await;
                while batch.len() < BATCH {
                    match receiver.try_recv() {
                        Ok(call) => batch.push(call),
                        Err(_) => break,
                    }
                }
                if let Err(error) = store.append_integration_calls(&batch).await {
                    tracing::warn!(%error, count = batch.len(), "writing the integration log failed");
                }
                untrimmed.extend(batch.drain(..).map(|call| call.campaign_id));
            }
            Err(_) => {}
        }
        if trimmed_at.elapsed() >= TRIM_EVERY {
            trim(&store, &mut untrimmed).await;
            trimmed_at = Instant::now();
        }
    }
    trim(&store, &mut untrimmed).await;
}

async fn trim(store: &Store, campaigns: &mut HashSet<Uuid>) {
    for campaign in campaigns.drain() {
        if let Err(error) = store.trim_integration_calls(campaign).await {
            tracing::warn!(%error, "trimming the integration log failed");
        }
    }
}

/// The last 4 digits of a phone number as the caller wrote it (`None` with fewer than 4).
pub fn phone_last4(raw: &str) -> Option<String> {
    let digits: Vec<char> = raw.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 4).then(|| digits[digits.len() - 4..].iter().collect())
}

/// `text` with every run of 7 or more digits (a phone number, whole) masked but its last 4.
pub fn mask_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 7 {
            out.push_str("••••");
            out.push_str(&run[run.len() - 4..]);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_number_is_kept_by_its_last_four_digits_only() {
        assert_eq!(phone_last4("+55 11 98765-4321").as_deref(), Some("4321"));
        assert_eq!(phone_last4("123"), None);
        assert_eq!(phone_last4("abc"), None);
    }

    #[test]
    fn long_digit_runs_in_a_reason_are_masked_and_short_numbers_kept() {
        assert_eq!(
            mask_numbers("\"5511987654321\" has 1500 characters"),
            "\"••••4321\" has 1500 characters"
        );
        assert_eq!(mask_numbers("variables.2"), "variables.2");
    }
}
