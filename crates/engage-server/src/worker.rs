//! Delivery worker: claims queued messages with a lease (through the message writer, which
//! also returns each message's template, variables and provider), hands them to the
//! sender's [`Provider`], and turns the provider's answer into an [`Outcome`] for the
//! writer. Leases, retries and backoff are decided here and nowhere else: providers only
//! say what happened.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use engage_core::wire::{MessageError, MessageStatus, ProviderKind, RenderedMessage, Template};
use rand::Rng;
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

use crate::metrics::DeliveryResult;
use crate::store::writer::MessageWriter;
use crate::store::{now_ms, ClaimedMessage, Outcome, QueueListener, Store, StoreError};

/// A message ready to hand to a provider.
#[derive(Debug, Clone)]
pub struct OutboundMessage {
    pub id: String,
    pub sender_id: String,
    pub provider: ProviderKind,
    /// E.164 recipient.
    pub to: String,
    pub rendered: RenderedMessage,
    pub text: String,
    /// The campaign's template as it is now, and the request's variables.
    pub template: Template,
    pub variables: BTreeMap<String, String>,
    /// 1 for the first attempt.
    pub attempt: u32,
}

/// What a provider reports after accepting a message.
#[derive(Debug, Clone)]
pub struct ProviderReceipt {
    pub provider_message_id: String,
    /// The furthest status reached now: `Sent`, or `Delivered` for providers that deliver
    /// synchronously (the sandbox).
    pub status: MessageStatus,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    /// Worth retrying later (network, rate limit, provider outage): the worker's backoff,
    /// never sooner than `retry_after` when the provider asked for it.
    #[error("{code}: {message}")]
    Transient {
        code: String,
        message: String,
        retry_after: Option<Duration>,
    },
    /// Will never succeed (invalid recipient, template refused).
    #[error("{code}: {message}")]
    Permanent { code: String, message: String },
    /// Worth retrying at `at_ms` (the provider chose the time: backoff with jitter,
    /// `Retry-After`); counts as an attempt.
    #[error("{code}: {message}")]
    RetryAt {
        code: String,
        message: String,
        at_ms: i64,
    },
    /// Not attempted (held back by pacing): back in the queue until `until_ms`; does not
    /// count as an attempt.
    #[error("{code}: {message}")]
    Deferred {
        code: String,
        message: String,
        until_ms: i64,
    },
}

/// A way to deliver messages. It never writes the database: it only says what happened.
pub trait Provider: Send + Sync {
    fn send(
        &self,
        message: &OutboundMessage,
    ) -> impl std::future::Future<Output = Result<ProviderReceipt, ProviderError>> + Send;
}

/// What the sandbox does with a recipient: its documented test numbers, like a payment
/// provider's test cards (README, "Sandbox test numbers").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxBehaviour {
    /// Ending in 0001: sent, then failed with WhatsApp's 131026 (not on WhatsApp) a moment
    /// later.
    FailsNotOnWhatsApp,
    /// Ending in 0002: delivered, never read.
    DeliveredNeverRead,
    /// Ending in 0003: delivered, then the person replies "PARAR" (an opt-out keyword).
    RepliesStop,
    /// Any other number: delivered, then read after a short random delay.
    DeliveredThenRead,
}

impl SandboxBehaviour {
    pub fn of(to: &str) -> SandboxBehaviour {
        if to.ends_with("0001") {
            SandboxBehaviour::FailsNotOnWhatsApp
        } else if to.ends_with("0002") {
            SandboxBehaviour::DeliveredNeverRead
        } else if to.ends_with("0003") {
            SandboxBehaviour::RepliesStop
        } else {
            SandboxBehaviour::DeliveredThenRead
        }
    }
}

/// How long the sandbox keeps trying to report a later status whose message's acceptance is
/// not yet recorded.
const SANDBOX_REPORT_PATIENCE: Duration = Duration::from_secs(30);

/// The code and reason a sandbox test number ending in 0001 fails with (WhatsApp's own).
pub const SANDBOX_FAILURE_CODE: &str = "whatsapp_131026";

/// The sandbox provider: no external call; every message keeps its rendered text, so the
/// app can show what the recipient would receive. The test numbers ([`SandboxBehaviour`])
/// get their later statuses the way WhatsApp's webhooks bring them: as reports through the
/// message writer, after a short delay.
#[derive(Clone, Default)]
pub struct SandboxProvider {
    reports: Option<crate::store::writer::WeakMessageWriter>,
    /// Where the simulated replies go (the workspace's opt-out keywords apply).
    replies: Option<Store>,
    /// Later statuses come between `delay_ms.0` and `delay_ms.1` after the send.
    delay_ms: (u64, u64),
}

impl SandboxProvider {
    /// A sandbox whose later statuses (read, the 0001 failure) go to `writer`, and whose
    /// simulated replies (0003) to `store`.
    pub fn with_reports(writer: &MessageWriter, store: Store) -> Self {
        SandboxProvider {
            reports: Some(writer.downgrade()),
            replies: Some(store),
            delay_ms: (4_000, 8_000),
        }
    }

    /// The person behind `message.to` replies `text` after the delay, as WhatsApp's
    /// `messages` webhook would bring it.
    fn reply_later(&self, message: &OutboundMessage, text: &'static str) {
        let Some(store) = self.replies.clone() else {
            return;
        };
        let (low, high) = self.delay_ms;
        let delay = rand::thread_rng().gen_range(low..=high.max(low));
        let (sender_id, from) = (message.sender_id.clone(), message.to.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            let recorded = async {
                let Some(workspace) = store.sender_workspace(None, Some(&sender_id)).await? else {
                    return Ok(None);
                };
                store.record_reply(workspace, &from, text).await
            };
            if let Err(error) = recorded.await {
                tracing::debug!(%error, "a sandbox reply was not recorded");
            }
        });
    }

    /// Reports `report` after the delay; retried every half second, for up to
    /// [`SANDBOX_REPORT_PATIENCE`], while the acceptance it follows is not yet committed (a
    /// busy machine can take seconds to record it).
    fn later(&self, report: crate::store::ProviderReport) {
        let Some(reports) = self.reports.clone() else {
            return;
        };
        let (low, high) = self.delay_ms;
        let delay = rand::thread_rng().gen_range(low..=high.max(low));
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            let patience = tokio::time::Instant::now() + SANDBOX_REPORT_PATIENCE;
            while tokio::time::Instant::now() < patience {
                let Some(writer) = reports.upgrade() else {
                    return;
                };
                match writer.report(None, vec![report.clone()]).await {
                    Ok(applied) if applied.applied > 0 => return,
                    Ok(_) => {}
                    // A transient database error is retried like an acceptance not yet seen.
                    Err(error) => tracing::debug!(%error, "a sandbox report was not recorded yet"),
                }
                drop(writer);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            tracing::warn!(
                provider_message_id = %report.provider_message_id,
                status = ?report.status,
                "a sandbox report was dropped: its message could not take it in time"
            );
        });
    }
}

impl Provider for SandboxProvider {
    async fn send(&self, message: &OutboundMessage) -> Result<ProviderReceipt, ProviderError> {
        let provider_message_id = format!("sandbox-{}", message.id);
        let report = |status, error| crate::store::ProviderReport {
            provider_message_id: provider_message_id.clone(),
            status,
            error,
            at_ms: None,
        };
        let status = match SandboxBehaviour::of(&message.to) {
            SandboxBehaviour::FailsNotOnWhatsApp => {
                self.later(report(
                    MessageStatus::Failed,
                    Some(MessageError {
                        code: SANDBOX_FAILURE_CODE.into(),
                        message:
                            "(131026) Message undeliverable (sandbox test number ending in 0001)"
                                .into(),
                    }),
                ));
                MessageStatus::Sent
            }
            SandboxBehaviour::DeliveredNeverRead => MessageStatus::Delivered,
            SandboxBehaviour::RepliesStop => {
                self.reply_later(message, "PARAR");
                MessageStatus::Delivered
            }
            SandboxBehaviour::DeliveredThenRead => {
                self.later(report(MessageStatus::Read, None));
                MessageStatus::Delivered
            }
        };
        Ok(ProviderReceipt {
            provider_message_id,
            status,
        })
    }
}

/// Attempts before a transiently failing message is given up.
pub const MAX_ATTEMPTS: u32 = 8;
/// Messages claimed per round.
const CLAIM_BATCH: u32 = 200;
/// Messages of one claimed batch handed to providers at the same time. Pacing (per-sender
/// rate, per-recipient interval) is enforced by the provider, so concurrency only overlaps
/// the waits on the network.
const MAX_IN_FLIGHT: usize = 64;
/// Longest sleep when nothing wakes the worker (a new message in this instance, a
/// notification from another, or the next scheduled retry).
const IDLE_POLL: Duration = Duration::from_secs(5);
/// Shortest sleep between rounds that claimed nothing.
const MIN_SLEEP: Duration = Duration::from_millis(10);
/// Default first retry delay: 2 s, doubling per attempt.
pub const DEFAULT_RETRY_BASE_MS: i64 = 2_000;
/// Longest retry delay.
const MAX_BACKOFF_MS: i64 = 600_000;

/// The worker's retry policy: exponential backoff from `base_ms` with jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base_ms: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base_ms: DEFAULT_RETRY_BASE_MS,
        }
    }
}

impl RetryPolicy {
    /// The default policy, or one starting at `base` (the `ENGAGE_WHATSAPP_RETRY_BASE_MS`
    /// setting).
    pub fn with_base(base: Option<Duration>) -> Self {
        match base {
            Some(base) => RetryPolicy {
                base_ms: i64::try_from(base.as_millis()).unwrap_or(i64::MAX).max(1),
            },
            None => RetryPolicy::default(),
        }
    }

    /// Backoff before attempt `attempt + 1`: base, 2×base, 4×base, … capped at 10 minutes.
    pub fn backoff_ms(&self, attempt: u32) -> i64 {
        let exponent = attempt.saturating_sub(1).min(20);
        (self.base_ms.max(1) << exponent).min(MAX_BACKOFF_MS)
    }

    /// The delay before retrying after attempt `attempt`: the backoff with jitter (between
    /// half and all of it), and never sooner than the provider's `retry_after`.
    pub fn delay_ms(&self, attempt: u32, retry_after: Option<Duration>) -> i64 {
        let base = self.backoff_ms(attempt).max(2);
        let jittered = base / 2 + rand::thread_rng().gen_range(0..=base / 2);
        let floor = retry_after
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        jittered.max(floor)
    }
}

/// Resolves when another instance announces new messages (never without a listener).
async fn remote_wakeup(listener: &mut Option<QueueListener>) {
    match listener {
        Some(listener) => listener.next().await,
        None => std::future::pending().await,
    }
}

/// Runs until `shutdown` turns true, finishing the current batch first.
///
/// `wake` is notified by this instance's commits of new messages; `listener` (PostgreSQL)
/// hears other instances' commits. Claims are leased for `lease_ms`.
#[allow(clippy::too_many_arguments)]
pub async fn run<P: Provider + 'static>(
    store: Store,
    writer: MessageWriter,
    provider: P,
    retry: RetryPolicy,
    lease_ms: i64,
    wake: Arc<Notify>,
    mut listener: Option<QueueListener>,
    mut shutdown: watch::Receiver<bool>,
) {
    let provider = Arc::new(provider);
    loop {
        if *shutdown.borrow() {
            break;
        }
        match process_batch(&writer, &provider, retry, lease_ms).await {
            Ok(count) if count as u32 == CLAIM_BATCH => continue,
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "delivery worker round failed"),
        }
        let sleep = match store.next_due_at().await {
            Ok(Some(at)) => Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0))
                .clamp(MIN_SLEEP, IDLE_POLL),
            Ok(None) | Err(_) => IDLE_POLL,
        };
        tokio::select! {
            _ = wake.notified() => {}
            _ = remote_wakeup(&mut listener) => {}
            _ = tokio::time::sleep(sleep) => {}
            _ = shutdown.changed() => {}
        }
    }
    tracing::info!("delivery worker stopped");
}

/// Delivers one claimed batch, up to [`MAX_IN_FLIGHT`] messages at a time; each outcome is
/// recorded (and committed) as soon as the provider answers.
async fn process_batch<P: Provider + 'static>(
    writer: &MessageWriter,
    provider: &Arc<P>,
    retry: RetryPolicy,
    lease_ms: i64,
) -> Result<usize, StoreError> {
    let claimed = writer.claim(CLAIM_BATCH, lease_ms).await?;
    let count = claimed.len();
    let mut in_flight = JoinSet::new();
    for message in claimed {
        while in_flight.len() >= MAX_IN_FLIGHT {
            finished(&mut in_flight).await;
        }
        let provider = Arc::clone(provider);
        let writer = writer.clone();
        in_flight.spawn(async move {
            let kind = message.provider;
            let outcome = deliver(provider.as_ref(), retry, message).await;
            crate::metrics::delivery(
                kind,
                match &outcome {
                    Outcome::Accepted { .. } => DeliveryResult::Accepted,
                    Outcome::Retry { .. } => DeliveryResult::Retry,
                    Outcome::Deferred { .. } => DeliveryResult::Deferred,
                    Outcome::Failed { .. } => DeliveryResult::Failed,
                },
            );
            writer.record(outcome).await
        });
    }
    while !in_flight.is_empty() {
        finished(&mut in_flight).await;
    }
    Ok(count)
}

/// Waits for the next delivery to be recorded. A delivery whose outcome could not be
/// recorded keeps its lease and is tried again when the lease runs out.
async fn finished(in_flight: &mut JoinSet<Result<(), StoreError>>) {
    match in_flight.join_next().await {
        Some(Ok(Ok(()))) | None => {}
        Some(Ok(Err(error))) => {
            tracing::error!(%error, "recording a delivery outcome failed; the message is retried after its lease");
        }
        Some(Err(error)) => {
            tracing::error!(%error, "a delivery task failed; its message is retried after its lease");
        }
    }
}

/// One attempt: the provider's answer as an [`Outcome`].
pub async fn deliver<P: Provider>(
    provider: &P,
    retry: RetryPolicy,
    message: ClaimedMessage,
) -> Outcome {
    let attempt = u32::try_from(message.attempts).unwrap_or(u32::MAX);
    let id = message.id.clone();
    let error = |code: &str, text: String| MessageError {
        code: code.to_owned(),
        message: text,
    };
    let outbound = match outbound(message, attempt) {
        Ok(outbound) => outbound,
        Err(detail) => {
            return Outcome::Failed {
                id,
                error: error("unreadable_message", detail),
            }
        }
    };
    match provider.send(&outbound).await {
        Ok(receipt) => Outcome::Accepted {
            id,
            status: receipt.status,
            provider_message_id: receipt.provider_message_id,
        },
        Err(ProviderError::Transient {
            code,
            message,
            retry_after,
        }) if attempt < MAX_ATTEMPTS => Outcome::Retry {
            id,
            at_ms: now_ms() + retry.delay_ms(attempt, retry_after),
            error: error(&code, message),
        },
        Err(ProviderError::RetryAt {
            code,
            message,
            at_ms,
        }) if attempt < MAX_ATTEMPTS => Outcome::Retry {
            id,
            at_ms,
            error: error(&code, message),
        },
        Err(ProviderError::Deferred {
            code,
            message,
            until_ms,
        }) => Outcome::Deferred {
            id,
            at_ms: until_ms,
            error: error(&code, message),
        },
        Err(ProviderError::Transient { code, message, .. })
        | Err(ProviderError::RetryAt { code, message, .. })
        | Err(ProviderError::Permanent { code, message }) => Outcome::Failed {
            id,
            error: error(&code, message),
        },
    }
}

fn outbound(message: ClaimedMessage, attempt: u32) -> Result<OutboundMessage, String> {
    let rendered: RenderedMessage =
        serde_json::from_str(&message.rendered).map_err(|error| error.to_string())?;
    let template = message.template().map_err(|error| error.to_string())?;
    let variables = message.variables().map_err(|error| error.to_string())?;
    Ok(OutboundMessage {
        id: message.id,
        sender_id: message.sender_id,
        provider: message.provider,
        to: message.to_phone,
        rendered,
        text: message.text,
        template,
        variables,
        attempt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_its_base_and_is_capped() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff_ms(1), 2_000);
        assert_eq!(policy.backoff_ms(2), 4_000);
        assert_eq!(policy.backoff_ms(3), 8_000);
        assert_eq!(policy.backoff_ms(30), 600_000);
        assert_eq!(RetryPolicy { base_ms: 50 }.backoff_ms(3), 200);
    }

    #[test]
    fn a_retry_is_jittered_within_half_of_the_backoff_and_never_before_retry_after() {
        let policy = RetryPolicy::default();
        for _ in 0..100 {
            let delay = policy.delay_ms(2, None);
            assert!((2_000..=4_000).contains(&delay), "{delay}");
        }
        assert_eq!(policy.delay_ms(1, Some(Duration::from_secs(30))), 30_000);
    }
}
