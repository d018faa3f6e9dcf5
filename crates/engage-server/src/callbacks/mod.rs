//! Status callbacks to the customers' systems: the dispatcher delivers the durable outbox
//! the message writer fills (`store/callbacks.rs`). Each instance runs one; claims are
//! leased (`SKIP LOCKED` on PostgreSQL), so several instances never send the same event at
//! once. An attempt POSTs the event's JSON signed with the endpoint's secret
//! (`Engage-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`) with a 10 s timeout,
//! following no redirects, to public addresses only (see [`destination`]); any 2xx is
//! received; otherwise it is retried with exponential backoff and jitter for 24 hours.

pub mod destination;

use std::sync::Arc;
use std::time::{Duration, Instant};

use engage_core::callback::{signature_header, signed_payload, EVENT_ID_HEADER, SIGNATURE_HEADER};
use rand::Rng;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::CallbackConfig;
use crate::crypto::{hmac_sha256_hex, SecretKey};
use crate::store::{now_ms, CallbackOutcome, ClaimedCallback, Store, StoreError};
use destination::{check_url, PublicResolver};

/// Timeout of one attempt.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Events claimed per round.
const CLAIM_BATCH: u32 = 500;
/// Attempts in flight at once.
const MAX_IN_FLIGHT: usize = 128;
/// Longest sleep between looks at the outbox (events are found within it).
const IDLE_POLL: Duration = Duration::from_millis(250);
/// First retry after 1 s, doubling, at most 1 hour apart.
const RETRY_BASE_MS: i64 = 1_000;
const MAX_BACKOFF_MS: i64 = 3_600_000;

/// The delay before the attempt after `attempt` (1-based): exponential with jitter (half
/// to all of it).
pub fn retry_delay_ms(attempt: i64) -> i64 {
    let exponent = (attempt.max(1) - 1).min(30) as u32;
    let base = RETRY_BASE_MS
        .saturating_mul(1_i64 << exponent.min(22))
        .min(MAX_BACKOFF_MS);
    base / 2 + rand::thread_rng().gen_range(0..=base / 2)
}

/// Signs `body` at `timestamp` with `secret`: the `Engage-Signature` header value.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    signature_header(
        timestamp,
        &hmac_sha256_hex(secret.as_bytes(), &signed_payload(timestamp, body)),
    )
}

/// Delivers the outbox.
#[derive(Clone)]
pub struct Dispatcher {
    store: Store,
    key: SecretKey,
    http: reqwest::Client,
    config: CallbackConfig,
    owner: String,
    /// How long a claimed event is leased: the server's delivery lease (an instance killed
    /// mid-attempt leaves its events to the others after it).
    lease_ms: i64,
}

impl Dispatcher {
    pub fn new(
        store: Store,
        key: SecretKey,
        config: CallbackConfig,
        owner: String,
        lease_ms: i64,
    ) -> Self {
        let mut builder = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Engage-Callbacks/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(MAX_IN_FLIGHT);
        if !config.allow_private {
            builder = builder.dns_resolver(Arc::new(PublicResolver));
        }
        let http = builder.build().expect("the callback HTTP client builds");
        Dispatcher {
            store,
            key,
            http,
            config,
            owner,
            lease_ms,
        }
    }

    /// Runs until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        if self.store.backend() == crate::store::Backend::Sqlite {
            // One server per SQLite file: a lease there is a previous (killed) run's.
            if let Err(error) = self.store.release_callback_leases().await {
                tracing::warn!(%error, "releasing the callback leases of a previous run failed");
            }
        }
        loop {
            if *shutdown.borrow() {
                break;
            }
            match self.round().await {
                Ok(count) if count == CLAIM_BATCH as usize => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "callback dispatcher round failed"),
            }
            let sleep = match self.store.next_callback_due_at().await {
                Ok(Some(at)) => Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0))
                    .clamp(Duration::from_millis(5), IDLE_POLL),
                Ok(None) | Err(_) => IDLE_POLL,
            };
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!("callback dispatcher stopped");
    }

    /// Claims one batch, delivers it, records every outcome; returns how many were claimed.
    pub async fn round(&self) -> Result<usize, StoreError> {
        let claimed = self
            .store
            .claim_callbacks(&self.owner, CLAIM_BATCH, self.lease_ms)
            .await?;
        let count = claimed.len();
        let mut in_flight = JoinSet::new();
        let mut outcomes = Vec::with_capacity(count);
        for event in claimed {
            while in_flight.len() >= MAX_IN_FLIGHT {
                if let Some(Ok(outcome)) = in_flight.join_next().await {
                    outcomes.push(outcome);
                }
            }
            let this = self.clone();
            in_flight.spawn(async move { this.attempt(event).await });
        }
        while let Some(done) = in_flight.join_next().await {
            if let Ok(outcome) = done {
                outcomes.push(outcome);
            }
        }
        if !outcomes.is_empty() {
            self.store.record_callbacks(&outcomes).await?;
        }
        Ok(count)
    }

    /// One POST of one event.
    async fn attempt(&self, event: ClaimedCallback) -> CallbackOutcome {
        let started = Instant::now();
        let kind = serde_json::from_str::<serde_json::Value>(&event.payload)
            .ok()
            .and_then(|v| v.get("status").and_then(|s| s.as_str()).map(str::to_owned))
            .unwrap_or_default();
        let result = self.post(&event).await;
        let (status_code, error) = match result {
            Ok(status) => (Some(status), None),
            Err(error) => (None, Some(error)),
        };
        let received = status_code.is_some_and(|code| (200..300).contains(&code));
        CallbackOutcome {
            outbox_id: event.id,
            endpoint_id: event.endpoint_id,
            event: kind,
            status_code,
            error,
            duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
            retry_at: (!received).then(|| now_ms() + retry_delay_ms(event.attempts)),
            created_at: event.created_at,
        }
    }

    async fn post(&self, event: &ClaimedCallback) -> Result<u16, String> {
        let url = check_url(&event.url, self.config.allow_private).map_err(|e| e.to_string())?;
        let secret = self
            .key
            .decrypt(&event.secret_encrypted)
            .map_err(|e| format!("the endpoint's secret cannot be opened: {e}"))?;
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let response = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(
                SIGNATURE_HEADER,
                sign(&secret, timestamp, event.payload.as_bytes()),
            )
            .header(EVENT_ID_HEADER, event.id.as_str())
            .body(event.payload.clone())
            .send()
            .await
            .map_err(describe)?;
        Ok(response.status().as_u16())
    }
}

/// A failed attempt in words, naming a refused destination plainly.
fn describe(error: reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = Some(&error);
    while let Some(current) = source {
        if let Some(refused) = current.downcast_ref::<destination::DestinationError>() {
            return refused.to_string();
        }
        source = current.source();
    }
    if error.is_timeout() {
        return format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs());
    }
    error.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_with_jitter_up_to_an_hour() {
        for _ in 0..50 {
            assert!((500..=1_000).contains(&retry_delay_ms(1)));
            assert!((2_000..=4_000).contains(&retry_delay_ms(3)));
            assert!((1_800_000..=3_600_000).contains(&retry_delay_ms(40)));
        }
    }

    #[test]
    fn the_signature_is_the_hex_hmac_of_the_timestamp_a_dot_and_the_body() {
        // HMAC-SHA256("key", "1.{}"), computed independently (Python's hmac module).
        assert_eq!(
            sign("key", 1, b"{}"),
            "t=1,v1=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
        );
    }
}
