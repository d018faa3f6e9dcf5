//! The delivery side of whatsapp_cloud: [`CloudProvider`] sends one claimed message through
//! the Cloud API (paced, checked against its template first), and [`Providers`] routes each
//! message to its sender's provider (`sandbox` or `whatsapp_cloud`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use engage_core::wire::{MessageStatus, ProviderKind, TemplateStatus};

use crate::config::WhatsAppConfig;
use crate::crypto::SecretKey;
use crate::store::{now_ms, Backend, Store};
use crate::worker::{OutboundMessage, Provider, ProviderError, ProviderReceipt, SandboxProvider};

use super::client::GraphClient;
use super::pacing::{Pacer, PacingConfig, PacingDecision};
use super::payload::{build_template_message, PayloadError};

/// How long a sender's Cloud API identity is kept in memory.
const SENDER_CACHE_TTL: Duration = Duration::from_secs(30);
/// How long to hold back messages of a PAUSED template before trying again.
const PAUSED_TEMPLATE_RETRY_MS: i64 = 5 * 60_000;

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
            retry_after: None,
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
    ///
    /// The recipient interval is kept in this instance's memory. The sender's rate is kept
    /// there too on SQLite (one instance per database); on PostgreSQL it is a slot booked in
    /// the database, so it holds for the number as a whole however many instances send.
    async fn pace(
        &self,
        message: &OutboundMessage,
        identity: &SenderIdentity,
    ) -> Result<(), ProviderError> {
        let shared_rate = self.store.backend() == Backend::Postgres;
        loop {
            let now = self.origin.elapsed();
            let decision = {
                let mut pacer = self.pacer.lock().expect("pacer");
                if shared_rate {
                    match pacer.recipient_wait(&message.sender_id, &message.to, now) {
                        Some(wait) => PacingDecision::WaitRecipient(wait),
                        None => PacingDecision::Go,
                    }
                } else {
                    pacer.decide(
                        &message.sender_id,
                        identity.rate_per_second,
                        &message.to,
                        now,
                    )
                }
            };
            match decision {
                PacingDecision::Go if shared_rate => break,
                PacingDecision::Go => return Ok(()),
                PacingDecision::WaitSender(wait) => tokio::time::sleep(wait).await,
                PacingDecision::WaitRecipient(wait) => {
                    let interval = self
                        .pacer
                        .lock()
                        .expect("pacer")
                        .config()
                        .recipient_interval;
                    return Err(ProviderError::Deferred {
                        code: "recipient_paced".into(),
                        message: format!(
                            "held back: one message every {} s to the same recipient",
                            interval.as_secs()
                        ),
                        until_ms: now_ms()
                            + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX)
                            + 1,
                    });
                }
            }
        }
        let rate = identity.rate_per_second.unwrap_or(
            self.pacer
                .lock()
                .expect("pacer")
                .config()
                .default_rate_per_second,
        );
        let step_us = 1_000_000 / i64::from(rate.max(1));
        let slot_us = self
            .store
            .book_send_slot(&message.sender_id, step_us)
            .await
            .map_err(Self::database)?;
        let now_us = now_ms() * 1_000;
        if slot_us > now_us {
            tokio::time::sleep(Duration::from_micros((slot_us - now_us).unsigned_abs())).await;
        }
        self.pacer.lock().expect("pacer").book_recipient(
            &message.sender_id,
            &message.to,
            self.origin.elapsed(),
        );
        Ok(())
    }

    pub async fn send_message(
        &self,
        message: &OutboundMessage,
    ) -> Result<ProviderReceipt, ProviderError> {
        let identity = self.identity(&message.sender_id).await?;
        let template = engage_core::Template::from_wire(&message.template).map_err(|error| {
            Self::permanent("invalid_template", format!("stored template: {error}"))
        })?;
        let payload = match build_template_message(&template, &message.to, &message.variables) {
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
        let sent = self
            .client
            .send_template(&identity.phone_number_id, &identity.access_token, &payload)
            .await;
        // The recipient interval counts from when Meta had the message, not from when it was
        // let go: a slow request does not shorten the gap before the next one.
        self.pacer.lock().expect("pacer").book_recipient(
            &message.sender_id,
            &message.to,
            self.origin.elapsed(),
        );
        match sent {
            Ok(outcome) => Ok(ProviderReceipt {
                provider_message_id: outcome.message_id,
                status: MessageStatus::Sent,
            }),
            Err(error) if error.is_transient() => Err(ProviderError::Transient {
                code: error.code(),
                message: error.detail(),
                retry_after: error.retry_after(),
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
    pub fn new(sandbox: SandboxProvider, cloud: CloudProvider) -> Self {
        Providers {
            sandbox,
            cloud: Arc::new(cloud),
        }
    }

    /// The Graph API and pacing as configured (retries are the worker's); the sandbox's
    /// later statuses go through `writer`.
    pub fn from_config(
        store: Store,
        key: SecretKey,
        config: &WhatsAppConfig,
        writer: &crate::store::writer::MessageWriter,
    ) -> Self {
        Providers::new(
            SandboxProvider::with_reports(writer, store.clone()),
            CloudProvider::new(
                store,
                key,
                GraphClient::from_config(config),
                super::pacing(config),
            ),
        )
    }
}

impl Provider for Providers {
    async fn send(&self, message: &OutboundMessage) -> Result<ProviderReceipt, ProviderError> {
        match message.provider {
            ProviderKind::Sandbox => self.sandbox.send(message).await,
            ProviderKind::WhatsappCloud => self.cloud.send_message(message).await,
        }
    }
}
