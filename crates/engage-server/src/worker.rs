//! Delivery worker: claims queued messages with a lease, hands them to the sender's
//! [`Provider`], and records the outcome through engage-core's status rules. Transient
//! failures are retried with exponential backoff; permanent ones fail the message.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use engage_core::wire::{MessageStatus, RenderedMessage};
use engage_core::MessageStatusExt;
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

use crate::store::writer::MessageWriter;
use crate::store::{now_ms, ClaimedMessage, StatusUpdate, Store, StoreError};

/// A message ready to hand to a provider.
#[derive(Debug, Clone)]
pub struct OutboundMessage {
    pub id: String,
    /// The sender number's id and its provider (`sandbox`, `whatsapp_cloud`).
    pub sender_id: String,
    pub provider: String,
    /// E.164 recipient.
    pub to: String,
    pub rendered: RenderedMessage,
    pub text: String,
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
    /// Worth retrying later (network, rate limit, provider outage).
    #[error("{code}: {message}")]
    Transient { code: String, message: String },
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
    /// Not attempted (held back by pacing) and already put back in the queue until
    /// `until_ms` by the provider; does not count as an attempt.
    #[error("{code}: {message}")]
    Deferred {
        code: String,
        message: String,
        until_ms: i64,
    },
}

/// A way to deliver messages (`sandbox`; the WhatsApp Cloud API later).
pub trait Provider: Send + Sync {
    fn send(
        &self,
        message: &OutboundMessage,
    ) -> impl std::future::Future<Output = Result<ProviderReceipt, ProviderError>> + Send;
}

/// The sandbox provider: no external call; every message is delivered with its rendered
/// text kept, so the app can show what the recipient would receive.
#[derive(Debug, Clone, Default)]
pub struct SandboxProvider;

impl Provider for SandboxProvider {
    async fn send(&self, message: &OutboundMessage) -> Result<ProviderReceipt, ProviderError> {
        if message.provider != "sandbox" {
            return Err(ProviderError::Permanent {
                code: "provider_unavailable".to_owned(),
                message: format!(
                    "the {} provider is not available in this server",
                    message.provider
                ),
            });
        }
        Ok(ProviderReceipt {
            provider_message_id: format!("sandbox-{}", message.id),
            status: MessageStatus::Delivered,
        })
    }
}

/// Attempts before a transiently failing message is given up.
pub const MAX_ATTEMPTS: u32 = 8;
/// Messages claimed per round.
const CLAIM_BATCH: u32 = 200;
/// How long a claim is held before another worker may take the message over.
const LEASE_MS: i64 = 60_000;
/// Messages of one claimed batch handed to providers at the same time. Pacing (per-sender
/// rate, per-recipient interval) is enforced by the provider, so concurrency only overlaps
/// the waits on the network.
const MAX_IN_FLIGHT: usize = 64;
/// Poll interval when nothing wakes the worker.
const IDLE_POLL: Duration = Duration::from_millis(500);

/// Delay before attempt `attempt + 1`: 2 s, 4 s, 8 s, ... capped at 10 minutes.
pub fn backoff_ms(attempt: u32) -> i64 {
    let exponent = attempt.saturating_sub(1).min(20);
    (2_000i64 << exponent).min(600_000)
}

/// Runs until `shutdown` turns true, finishing the current batch first.
///
/// Claims and status updates go through `writer`, the same task that commits new messages.
pub async fn run<P: Provider + 'static>(
    store: Store,
    writer: MessageWriter,
    provider: P,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    let provider = Arc::new(provider);
    let mut providers: HashMap<String, String> = HashMap::new();
    loop {
        if *shutdown.borrow() {
            break;
        }
        match process_batch(&store, &writer, &provider, &mut providers).await {
            Ok(count) if count as u32 == CLAIM_BATCH => continue,
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "delivery worker round failed"),
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(IDLE_POLL) => {}
            _ = shutdown.changed() => {}
        }
    }
    tracing::info!("delivery worker stopped");
}

/// Delivers one claimed batch, up to [`MAX_IN_FLIGHT`] messages at a time, then records
/// every outcome in one transaction.
async fn process_batch<P: Provider + 'static>(
    store: &Store,
    writer: &MessageWriter,
    provider: &Arc<P>,
    providers: &mut HashMap<String, String>,
) -> Result<usize, StoreError> {
    let claimed = writer.claim(CLAIM_BATCH, LEASE_MS).await?;
    let count = claimed.len();
    if count == 0 {
        return Ok(0);
    }
    let mut updates = Vec::with_capacity(count);
    let mut in_flight = JoinSet::new();
    for message in claimed {
        let provider_name = match providers.get(&message.sender_id) {
            Some(name) => name.clone(),
            None => {
                let name = store
                    .sender_provider(&message.sender_id)
                    .await?
                    .unwrap_or_else(|| "sandbox".to_owned());
                providers.insert(message.sender_id.clone(), name.clone());
                name
            }
        };
        while in_flight.len() >= MAX_IN_FLIGHT {
            if let Some(update) = next_update(&mut in_flight).await {
                updates.push(update);
            }
        }
        let provider = Arc::clone(provider);
        in_flight.spawn(async move { deliver(provider.as_ref(), &provider_name, message).await });
    }
    while !in_flight.is_empty() {
        if let Some(update) = next_update(&mut in_flight).await {
            updates.push(update);
        }
    }
    writer.apply(updates).await?;
    Ok(count)
}

/// The next finished delivery. A delivery task that panicked leaves its message leased;
/// it is claimed again when the lease runs out.
async fn next_update(in_flight: &mut JoinSet<StatusUpdate>) -> Option<StatusUpdate> {
    match in_flight.join_next().await? {
        Ok(update) => Some(update),
        Err(error) => {
            tracing::error!(%error, "a delivery task failed; its message is retried after the lease");
            None
        }
    }
}

async fn deliver<P: Provider>(
    provider: &P,
    provider_name: &str,
    message: ClaimedMessage,
) -> StatusUpdate {
    let attempt = u32::try_from(message.attempts).unwrap_or(u32::MAX);
    let fail = |code: &str, text: String| StatusUpdate::Fail {
        id: message.id.clone(),
        from: MessageStatus::Queued,
        error_code: code.to_owned(),
        error_message: text,
    };
    let rendered: RenderedMessage = match serde_json::from_str(&message.rendered) {
        Ok(rendered) => rendered,
        Err(error) => return fail("unreadable_message", error.to_string()),
    };
    let outbound = OutboundMessage {
        id: message.id.clone(),
        sender_id: message.sender_id.clone(),
        provider: provider_name.to_owned(),
        to: message.to_phone.clone(),
        rendered,
        text: message.text.clone(),
        attempt,
    };
    match provider.send(&outbound).await {
        Ok(receipt) => {
            // queued → sent → (delivered): each step checked against the status rules.
            let mut status = MessageStatus::Queued;
            for step in [
                MessageStatus::Sent,
                MessageStatus::Delivered,
                MessageStatus::Read,
            ] {
                if rank(step) > rank(receipt.status) {
                    break;
                }
                match status.apply(step) {
                    Ok(Some(next)) => status = next,
                    Ok(None) => {}
                    Err(error) => return fail("invalid_status_transition", error.to_string()),
                }
            }
            if status == MessageStatus::Queued {
                return fail(
                    "invalid_provider_receipt",
                    format!(
                        "the provider reported {:?} for a queued message",
                        receipt.status
                    ),
                );
            }
            StatusUpdate::Advance {
                id: message.id,
                from: MessageStatus::Queued,
                to: status,
                provider_message_id: Some(receipt.provider_message_id),
            }
        }
        Err(ProviderError::Transient {
            code,
            message: text,
        }) if attempt < MAX_ATTEMPTS => StatusUpdate::Retry {
            id: message.id,
            next_attempt_at: now_ms() + backoff_ms(attempt),
            error_code: code,
            error_message: text,
        },
        Err(ProviderError::RetryAt {
            code,
            message: text,
            at_ms,
        }) if attempt < MAX_ATTEMPTS => StatusUpdate::Retry {
            id: message.id,
            next_attempt_at: at_ms,
            error_code: code,
            error_message: text,
        },
        Err(ProviderError::Deferred {
            code,
            message: text,
            until_ms,
        }) => StatusUpdate::Retry {
            id: message.id,
            next_attempt_at: until_ms,
            error_code: code,
            error_message: text,
        },
        Err(ProviderError::Transient {
            code,
            message: text,
        })
        | Err(ProviderError::RetryAt {
            code,
            message: text,
            ..
        })
        | Err(ProviderError::Permanent {
            code,
            message: text,
        }) => fail(&code, text),
    }
}

fn rank(status: MessageStatus) -> u8 {
    match status {
        MessageStatus::Queued => 0,
        MessageStatus::Sent => 1,
        MessageStatus::Delivered => 2,
        MessageStatus::Read => 3,
        MessageStatus::Failed => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_ms(1), 2_000);
        assert_eq!(backoff_ms(2), 4_000);
        assert_eq!(backoff_ms(3), 8_000);
        assert_eq!(backoff_ms(30), 600_000);
    }
}
