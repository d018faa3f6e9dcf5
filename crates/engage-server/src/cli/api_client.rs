//! `api-client create`.

use clap::Subcommand;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::config::ServerConfig;
use crate::demo;
use crate::error::ServerError;

#[derive(Debug, Subcommand)]
pub enum ApiClientCommand {
    /// Create an API client → {"client_id", "client_secret"}.
    Create {
        #[arg(long)]
        workspace: Uuid,
        #[arg(long, default_value = "API client")]
        name: String,
    },
}

pub async fn run(config: &ServerConfig, command: ApiClientCommand) -> Result<Value, ServerError> {
    match command {
        ApiClientCommand::Create { workspace, name } => create(config, workspace, &name).await,
    }
}

/// `api-client create --workspace [--name]` → `{"client_id", "client_secret"}`.
pub async fn create(
    config: &ServerConfig,
    workspace: Uuid,
    name: &str,
) -> Result<Value, ServerError> {
    let key = config.load_secret_key()?;
    let store = super::open_workspace(config, workspace).await?;
    let result = demo::create_api_client(&store, &key, workspace, name.trim()).await;
    store.close().await;
    let (client_id, client_secret) = result?;
    Ok(json!({ "client_id": client_id, "client_secret": client_secret }))
}
