//! The admin commands of the whatsapp_cloud provider (called from [`crate::cli`]):
//! `sender create --provider whatsapp_cloud ...` and `whatsapp sync`.

use std::io::Read;

use serde_json::{json, Value};
use uuid::Uuid;

use crate::config::SecretKeySource;
use crate::error::ServerError;
use crate::store::Store;

use super::client::GraphClient;
use super::senders::{create_cloud_sender, set_webhook_settings, CloudSenderInput};
use super::sync::sync_workspace;
use super::WhatsAppError;

async fn open(database_url: &str, workspace: Uuid) -> Result<Store, ServerError> {
    let store = Store::connect(database_url).await?;
    if store.workspace_name(workspace).await?.is_none() {
        store.close().await;
        return Err(ServerError::NotFound {
            what: "workspace",
            id: workspace.to_string(),
        });
    }
    Ok(store)
}

/// Reads the access token from stdin, then creates the sender → `{"id"}`.
pub async fn create_sender(
    database_url: &str,
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
    let mut token = String::new();
    std::io::stdin()
        .read_to_string(&mut token)
        .map_err(|source| ServerError::Io {
            context: "reading the access token from stdin".into(),
            source,
        })?;
    input.access_token = token.trim().to_owned();
    let key = SecretKeySource::from_env_or_beside(database_url).load()?;
    let store = open(database_url, input.workspace_id).await?;
    let result = create_cloud_sender(&store, &key, input).await;
    store.close().await;
    Ok(json!({ "id": result? }))
}

/// Syncs the workspace from its WhatsApp Business Accounts → the sync report.
pub async fn sync(database_url: &str, workspace: Uuid) -> Result<Value, ServerError> {
    let key = SecretKeySource::from_env_or_beside(database_url).load()?;
    let store = open(database_url, workspace).await?;
    let result = sync_workspace(&store, &key, &GraphClient::from_env(), workspace).await;
    store.close().await;
    Ok(serde_json::to_value(result?).expect("the sync report serialises"))
}

/// Reads the app secret from stdin and stores the workspace's webhook settings → `{}`.
pub async fn settings(
    database_url: &str,
    workspace: Uuid,
    verify_token: &str,
) -> Result<Value, ServerError> {
    let mut secret = String::new();
    std::io::stdin()
        .read_to_string(&mut secret)
        .map_err(|source| ServerError::Io {
            context: "reading the app secret from stdin".into(),
            source,
        })?;
    let key = SecretKeySource::from_env_or_beside(database_url).load()?;
    let store = open(database_url, workspace).await?;
    let result = set_webhook_settings(&store, &key, workspace, secret.trim(), verify_token).await;
    store.close().await;
    result?;
    Ok(json!({}))
}
