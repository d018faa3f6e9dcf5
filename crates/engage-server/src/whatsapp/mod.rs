//! The `whatsapp_cloud` provider: Meta's WhatsApp Cloud API (Graph API).
//!
//! - [`payload`]: the template message request built from a stored template and a message's
//!   variables, checked against the template before anything is sent.
//! - [`client`]: [`GraphClient`] — send a template message, list the templates and phone
//!   numbers of a WhatsApp Business Account; Meta's error bodies classified into transient
//!   and permanent failures ([`GraphError`]).
//! - [`webhook`]: `X-Hub-Signature-256` verification, the subscription handshake and the
//!   parsing of status and template-status notifications.
//! - [`pacing`]: per-sender throughput and per-recipient spacing, over an injected clock.

pub mod cli;
pub mod client;
mod error;
pub mod http;
pub mod pacing;
pub mod payload;
pub mod provider;
pub mod senders;
pub mod sync;
pub mod webhook;

pub use client::{GraphClient, GraphError, MetaPhoneNumber, MetaTemplateRecord, SendOutcome};
pub use error::WhatsAppError;
pub use pacing::{Pacer, PacingConfig, PacingDecision};
pub use payload::{build_template_message, PayloadError, TemplateMessage};
pub use webhook::{
    parse_notification, verify_signature, DeliveryReport, SignatureError, TemplateStatusChange,
    WebhookEvent,
};

/// Meta's Graph API, at the version this provider speaks.
pub const DEFAULT_GRAPH_URL: &str = "https://graph.facebook.com/v23.0";
/// Overrides [`DEFAULT_GRAPH_URL`] (tests and staging point it at a stand-in).
pub const GRAPH_URL_ENV: &str = "ENGAGE_WHATSAPP_GRAPH_URL";
/// Key of the `X-Hub-Signature-256` HMAC (the Meta app secret).
pub const APP_SECRET_ENV: &str = "ENGAGE_WHATSAPP_APP_SECRET";
/// Token Meta echoes in the subscription handshake.
pub const VERIFY_TOKEN_ENV: &str = "ENGAGE_WHATSAPP_VERIFY_TOKEN";
/// Name of the provider in `senders.provider`.
pub const PROVIDER_NAME: &str = "whatsapp_cloud";

/// Messages per second of senders without their own rate (default 80).
pub const RATE_ENV: &str = "ENGAGE_WHATSAPP_RATE_PER_SECOND";
/// Minimum milliseconds between two messages of one sender to one recipient (default 6000).
pub const RECIPIENT_INTERVAL_ENV: &str = "ENGAGE_WHATSAPP_RECIPIENT_INTERVAL_MS";

/// First retry delay of a transient Cloud API failure, in ms (doubling per attempt, with
/// jitter); default: the worker's backoff (2 s, 4 s, ...).
pub const RETRY_BASE_ENV: &str = "ENGAGE_WHATSAPP_RETRY_BASE_MS";

/// Pacing from [`RATE_ENV`] and [`RECIPIENT_INTERVAL_ENV`], else Meta's defaults.
pub fn pacing_from_env() -> PacingConfig {
    let mut config = PacingConfig::default();
    let read = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    if let Some(rate) = read(RATE_ENV).and_then(|r| u32::try_from(r).ok()) {
        config.default_rate_per_second = rate.max(1);
    }
    if let Some(ms) = read(RECIPIENT_INTERVAL_ENV) {
        config.recipient_interval = std::time::Duration::from_millis(ms);
    }
    config
}

/// The worker's retry policy, with its first delay from [`RETRY_BASE_ENV`] when set.
pub fn retry_policy_from_env() -> crate::worker::RetryPolicy {
    let mut policy = crate::worker::RetryPolicy::default();
    if let Some(base) = std::env::var(RETRY_BASE_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
    {
        policy.base_ms = base.max(1);
    }
    policy
}
