//! The delivery side of whatsapp_cloud: [`CloudProvider`] sends one claimed message through
//! the Cloud API (paced, checked against its template first), and [`Providers`] routes each
//! message to its sender's provider (`sandbox` or `whatsapp_cloud`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use engage_core::wire::{MessageStatus, TemplateStatus};
use rand::Rng;

use crate::config::WhatsAppConfig;
use crate::crypto::SecretKey;
use crate::store::{now_ms, Store};
use crate::worker::{
    backoff_ms, OutboundMessage, Provider, ProviderError, ProviderReceipt, SandboxProvider,
};

use super::client::GraphClient;
use super::pacing::{Pacer, PacingConfig, PacingDecision};
use super::payload::{build_template_message, PayloadError};
use super::PROVIDER_NAME;

/// How long a sender's Cloud API identity is kept in memory.
const SENDER_CACHE_TTL: Duration = Duration::from_secs(30);
/// How long to hold back messages of a PAUSED template before trying again.
const PAUSED_TEMPLATE_RETRY_MS: i64 = 5 * 60_000;

/// The delay before retrying attempt `attempt`: the worker's exponential backoff with
/// jitter (between half and all of it), and never sooner than Meta's `Retry-After`.
pub fn retry_delay_ms(attempt: u32, retry_after: Option<Duration>) -> i64 {
    retry_delay_from(backoff_ms(attempt), retry_after)
}

/// [`retry_delay_ms`] from an explicit backoff `base` (ms).
pub fn retry_delay_from(base: i64, retry_after: Option<Duration>) -> i64 {
    let base = base.max(2);
    let jittered = base / 2 + rand::thread_rng().gen_range(0..=base / 2);
    let floor = retry_after
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    jittered.max(floor)
}

#[derive(Clone)]
struct SenderIdentity {
    phone_number_id: String,
    access_token: String,
    rate_per_second: Option<u32>,
}

/// Sends template messages through the Cloud API.
pub struct CloudProvider {
    store: Store,
    key: SecretKey,
    client: GraphClient,
    pacer: Mutex<Pacer>,
    origin: Instant,
    senders: Mutex<HashMap<String, (SenderIdentity, Instant)>>,
    /// First retry delay (ms), doubled per attempt; `None`: the worker's backoff.
    retry_base_ms: Option<i64>,
}

impl CloudProvider {
    pub fn new(store: Store, key: SecretKey, client: GraphClient, pacing: PacingConfig) -> Self {
        CloudProvider {
            store,
            key,
            client,
            pacer: Mutex::new(Pacer::new(pacing)),
            origin: Instant::now(),
            senders: Mutex::new(HashMap::new()),
            retry_base_ms: None,
        }
    }

    /// Retries start after `base_ms` (doubling per attempt) instead of the worker's backoff.
    #[must_use]
    pub fn with_retry_base_ms(mut self, base_ms: i64) -> Self {
        self.retry_base_ms = Some(base_ms.max(1));
        self
    }

    fn retry_delay(&self, attempt: u32, retry_after: Option<Duration>) -> i64 {
        match self.retry_base_ms {
            Some(base) => {
                let exponent = attempt.saturating_sub(1).min(20);
                retry_delay_from((base << exponent).min(600_000), retry_after)
            }
            None => retry_delay_ms(attempt, retry_after),
        }
    }

    fn permanent(code: impl Into<String>, message: impl Into<String>) -> ProviderError {
        ProviderError::Permanent {
            code: code.into(),
            message: message.into(),
        }
    }

    fn database(error: impl std::fmt::Display) -> ProviderError {
        ProviderError::Transient {
            code: "database_error".into(),
            message: error.to_string(),
        }
    }

    async fn identity(&self, sender_id: &str) -> Result<SenderIdentity, ProviderError> {
        if let Some((identity, at)) = self.senders.lock().expect("sender cache").get(sender_id) {
            if at.elapsed() < SENDER_CACHE_TTL {
                return Ok(identity.clone());
            }
        }
        let sender = self
            .store
            .cloud_sender(sender_id)
            .await
            .map_err(Self::database)?
            .ok_or_else(|| {
                Self::permanent(
                    "sender_not_configured",
                    "the sender has no WhatsApp Cloud API phone number id and access token",
                )
            })?;
        let access_token = self
            .key
            .decrypt(&sender.access_token_encrypted)
            .map_err(|_| {
                Self::permanent(
                    "sender_not_configured",
                    "the sender's access token cannot be decrypted with this server's key",
                )
            })?;
        let identity = SenderIdentity {
            phone_number_id: sender.phone_number_id,
            access_token,
            rate_per_second: sender.rate_per_second.and_then(|r| u32::try_from(r).ok()),
        };
        self.senders
            .lock()
            .expect("sender cache")
            .insert(sender_id.to_owned(), (identity.clone(), Instant::now()));
        Ok(identity)
    }

    /// Waits for the sender's rate; a recipient hit too recently defers the message.
    async fn pace(
        &self,
        message: &OutboundMessage,
        identity: &SenderIdentity,
    ) -> Result<(), ProviderError> {
        loop {
            let decision = self.pacer.lock().expect("pacer").decide(
                &message.sender_id,
                identity.rate_per_second,
                &message.to,
                self.origin.elapsed(),
            );
            match decision {
                PacingDecision::Go => return Ok(()),
                PacingDecision::WaitSender(wait) => tokio::time::sleep(wait).await,
                PacingDecision::WaitRecipient(wait) => {
                    let until = now_ms() + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
                    let reason = format!(
                        "held back: one message every {} s to the same recipient",
                        self.pacer
                            .lock()
                            .expect("pacer")
                            .config()
                            .recipient_interval
                            .as_secs()
                    );
                    self.store
                        .defer_message(&message.id, until, "recipient_paced", &reason)
                        .await
                        .map_err(Self::database)?;
                    return Err(ProviderError::Deferred {
                        code: "recipient_paced".into(),
                        message: reason,
                        until_ms: until,
                    });
                }
            }
        }
    }

    pub async fn send_message(
        &self,
        message: &OutboundMessage,
    ) -> Result<ProviderReceipt, ProviderError> {
        let identity = self.identity(&message.sender_id).await?;
        let context = self
            .store
            .delivery_context(&message.id)
            .await
            .map_err(Self::database)?
            .ok_or_else(|| Self::permanent("message_not_found", "the message is gone"))?;
        let template = engage_core::Template::from_wire(&context.template).map_err(|error| {
            Self::permanent("invalid_template", format!("stored template: {error}"))
        })?;
        let payload = match build_template_message(&template, &message.to, &context.variables) {
            Ok(payload) => payload,
            Err(PayloadError::TemplateNotApproved {
                name,
                status: TemplateStatus::Paused,
            }) => {
                return Err(ProviderError::RetryAt {
                    code: "template_paused".into(),
                    message: format!(
                        "the template {name} is PAUSED by WhatsApp; sends resume when it is APPROVED again"
                    ),
                    at_ms: now_ms() + PAUSED_TEMPLATE_RETRY_MS,
                })
            }
            Err(error) => {
                let message = match error.field() {
                    Some(field) => format!("{error} ({field})"),
                    None => error.to_string(),
                };
                return Err(Self::permanent(error.code(), message));
            }
        };
        self.pace(message, &identity).await?;
        match self
            .client
            .send_template(&identity.phone_number_id, &identity.access_token, &payload)
            .await
        {
            Ok(outcome) => {
                if let Err(error) = self
                    .store
                    .record_sent(&message.id, &outcome.message_id)
                    .await
                {
                    // The worker records it with its batch anyway.
                    tracing::warn!(%error, message = %message.id, "recording a sent message early failed");
                }
                Ok(ProviderReceipt {
                    provider_message_id: outcome.message_id,
                    status: MessageStatus::Sent,
                })
            }
            Err(error) if error.is_transient() => Err(ProviderError::RetryAt {
                code: error.code(),
                message: error.detail(),
                at_ms: now_ms() + self.retry_delay(message.attempt, error.retry_after()),
            }),
            Err(error) => {
                if error.code() == "whatsapp_190" {
                    // The token is refused: drop it so a corrected sender is read again.
                    self.senders
                        .lock()
                        .expect("sender cache")
                        .remove(&message.sender_id);
                }
                Err(Self::permanent(error.code(), error.detail()))
            }
        }
    }
}

/// Routes each message to its sender's provider.
pub struct Providers {
    sandbox: SandboxProvider,
    cloud: Arc<CloudProvider>,
}

impl Providers {
    pub fn new(cloud: CloudProvider) -> Self {
        Providers {
            sandbox: SandboxProvider,
            cloud: Arc::new(cloud),
        }
    }

    /// The Graph API, pacing and retries as configured.
    pub fn from_config(store: Store, key: SecretKey, config: &WhatsAppConfig) -> Self {
        let mut cloud = CloudProvider::new(
            store,
            key,
            GraphClient::from_config(config),
            super::pacing(config),
        );
        if let Some(base) = config.retry_base {
            cloud = cloud.with_retry_base_ms(i64::try_from(base.as_millis()).unwrap_or(i64::MAX));
        }
        Providers::new(cloud)
    }
}

impl Provider for Providers {
    async fn send(&self, message: &OutboundMessage) -> Result<ProviderReceipt, ProviderError> {
        match message.provider.as_str() {
            "sandbox" => self.sandbox.send(message).await,
            PROVIDER_NAME => self.cloud.send_message(message).await,
            other => Err(ProviderError::Permanent {
                code: "provider_unavailable".into(),
                message: format!("the {other} provider is not available in this server"),
            }),
        }
    }
}
