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
//! - [`provider`]: the delivery side; [`senders`] and [`sync`]: sender set-up and "Sync from
//!   WhatsApp". Their HTTP routes are in `crate::http::whatsapp`, their admin commands in
//!   `crate::cli::whatsapp`; their settings come in as a [`WhatsAppConfig`].

pub mod client;
mod error;
pub mod import;
pub mod pacing;
pub mod payload;
pub mod provider;
pub mod senders;
pub mod sync;
pub mod template_events;
pub mod webhook;

use crate::config::WhatsAppConfig;

pub use client::{GraphClient, GraphError, MetaPhoneNumber, MetaTemplateRecord, SendOutcome};
pub use error::WhatsAppError;
pub use pacing::{Pacer, PacingConfig, PacingDecision};
pub use payload::{build_template_message, PayloadError, TemplateMessage};
pub use webhook::{
    parse_notification, verify_signature, DeliveryReport, SignatureError, TemplateEvent,
    TemplateEventChange, WebhookEvent,
};

pub use crate::config::DEFAULT_GRAPH_URL;

/// Name of the provider in `senders.provider`.
pub const PROVIDER_NAME: &str = "whatsapp_cloud";

/// Pacing from the configuration, else Meta's defaults.
pub fn pacing(config: &WhatsAppConfig) -> PacingConfig {
    let mut pacing = PacingConfig::default();
    if let Some(rate) = config.rate_per_second {
        pacing.default_rate_per_second = rate.max(1);
    }
    if let Some(interval) = config.recipient_interval {
        pacing.recipient_interval = interval;
    }
    pacing
}
