//! `sender create` (`--provider sandbox`, or `whatsapp_cloud` through [`super::whatsapp`]).

use clap::Subcommand;
use engage_core::wire::{ProviderKind, SenderStatus};
use engage_core::PhoneNumber;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::store::NewSender;
use crate::whatsapp::senders::CloudSenderInput;
use crate::whatsapp::PROVIDER_NAME;

#[derive(Debug, Subcommand)]
pub enum SenderCommand {
    /// Add a sender number → {"id"}.
    Create {
        #[arg(long)]
        workspace: Uuid,
        /// E.164, e.g. +5511987654321.
        #[arg(long)]
        phone: String,
        #[arg(long)]
        name: String,
        /// Create it inactive.
        #[arg(long)]
        inactive: bool,
        /// `sandbox` (no external call) or `whatsapp_cloud` (Meta's Cloud API; the access
        /// token is read from stdin).
        #[arg(long, default_value = "sandbox", value_parser = ["sandbox", "whatsapp_cloud"])]
        provider: String,
        /// Cloud API phone number id (whatsapp_cloud).
        #[arg(long)]
        phone_number_id: Option<String>,
        /// WhatsApp Business Account id (whatsapp_cloud).
        #[arg(long)]
        waba_id: Option<String>,
        /// Messages per second this number may send (whatsapp_cloud; default 80).
        #[arg(long)]
        rate_per_second: Option<u32>,
    },
}

pub async fn run(config: &ServerConfig, command: SenderCommand) -> Result<Value, ServerError> {
    match command {
        SenderCommand::Create {
            workspace,
            phone,
            name,
            inactive,
            provider,
            phone_number_id,
            waba_id,
            rate_per_second,
        } if provider == PROVIDER_NAME => {
            super::whatsapp::create_sender(
                config,
                CloudSenderInput {
                    workspace_id: workspace,
                    name,
                    phone,
                    phone_number_id: phone_number_id.unwrap_or_default(),
                    waba_id: waba_id.unwrap_or_default(),
                    access_token: String::new(),
                    rate_per_second,
                    inactive,
                },
            )
            .await
        }
        SenderCommand::Create {
            workspace,
            phone,
            name,
            inactive,
            ..
        } => create_sandbox(config, workspace, &phone, &name, inactive).await,
    }
}

/// `sender create --provider sandbox` → `{"id"}`.
pub async fn create_sandbox(
    config: &ServerConfig,
    workspace: Uuid,
    phone: &str,
    name: &str,
    inactive: bool,
) -> Result<Value, ServerError> {
    let phone = PhoneNumber::parse_field(phone, "phone").map_err(|source| ServerError::Domain {
        field: "phone",
        source,
    })?;
    let name = name.trim();
    if name.is_empty() {
        return Err(ServerError::InvalidInput {
            field: "name",
            message: "the sender name is required".into(),
        });
    }
    let store = super::open_workspace(config, workspace).await?;
    let result = store
        .create_sender(NewSender {
            workspace_id: workspace,
            name,
            phone: phone.as_e164(),
            status: if inactive {
                SenderStatus::Inactive
            } else {
                SenderStatus::Active
            },
            provider: ProviderKind::Sandbox,
        })
        .await;
    store.close().await;
    Ok(json!({ "id": result? }))
}
