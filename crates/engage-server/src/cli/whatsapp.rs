//! The admin commands of the whatsapp_cloud provider: `sender create --provider
//! whatsapp_cloud …` (from [`super::sender`]), `whatsapp sync` and `whatsapp settings`.

use clap::Subcommand;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::whatsapp::senders::{create_cloud_sender, set_webhook_settings, CloudSenderInput};
use crate::whatsapp::sync::sync_workspace;
use crate::whatsapp::{GraphClient, WhatsAppError};

#[derive(Debug, Subcommand)]
pub enum WhatsappCommand {
    /// Fetch the templates and phone numbers of the workspace's WhatsApp Business Accounts
    /// and update its templates and senders → the sync report.
    Sync {
        #[arg(long)]
        workspace: Uuid,
    },
    /// Set the workspace's own webhook verify token and app secret (read from stdin) → {}.
    Settings {
        #[arg(long)]
        workspace: Uuid,
        #[arg(long)]
        verify_token: String,
    },
}

pub async fn run(config: &ServerConfig, command: WhatsappCommand) -> Result<Value, ServerError> {
    match command {
        WhatsappCommand::Sync { workspace } => sync(config, workspace).await,
        WhatsappCommand::Settings {
            workspace,
            verify_token,
        } => settings(config, workspace, &verify_token).await,
    }
}

/// Reads the access token from stdin, then creates the sender → `{"id"}`.
pub async fn create_sender(
    config: &ServerConfig,
    mut input: CloudSenderInput,
) -> Result<Value, ServerError> {
    for (field, value) in [
        ("phone_number_id", &input.phone_number_id),
        ("waba_id", &input.waba_id),
    ] {
        if value.trim().is_empty() {
            return Err(WhatsAppError::InvalidInput {
                field,
                message: format!(
                    "--{} is required with --provider whatsapp_cloud",
                    field.replace('_', "-")
                ),
            }
            .into());
        }
    }
    input.access_token = super::read_stdin("the access token")?.trim().to_owned();
    let key = config.load_secret_key()?;
    let store = super::open_workspace(config, input.workspace_id).await?;
    let result = create_cloud_sender(&store, &key, input).await;
    store.close().await;
    Ok(json!({ "id": result? }))
}

/// Syncs the workspace from its WhatsApp Business Accounts → the sync report.
pub async fn sync(config: &ServerConfig, workspace: Uuid) -> Result<Value, ServerError> {
    let key = config.load_secret_key()?;
    let store = super::open_workspace(config, workspace).await?;
    let client = GraphClient::from_config(&config.whatsapp);
    let result = sync_workspace(&store, &key, &client, workspace).await;
    store.close().await;
    Ok(serde_json::to_value(result?).expect("the sync report serialises"))
}

/// Reads the app secret from stdin and stores the workspace's webhook settings → `{}`.
pub async fn settings(
    config: &ServerConfig,
    workspace: Uuid,
    verify_token: &str,
) -> Result<Value, ServerError> {
    let secret = super::read_stdin("the app secret")?;
    let key = config.load_secret_key()?;
    let store = super::open_workspace(config, workspace).await?;
    let result = set_webhook_settings(&store, &key, workspace, secret.trim(), verify_token).await;
    store.close().await;
    result?;
    Ok(json!({}))
}
