//! `workspace create`.

use clap::Subcommand;
use serde_json::{json, Value};

use crate::config::ServerConfig;
use crate::error::ServerError;

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace → {"id"}.
    Create {
        #[arg(long)]
        name: String,
    },
}

pub async fn run(config: &ServerConfig, command: WorkspaceCommand) -> Result<Value, ServerError> {
    match command {
        WorkspaceCommand::Create { name } => create(config, &name).await,
    }
}

/// `workspace create --name` → `{"id"}`.
pub async fn create(config: &ServerConfig, name: &str) -> Result<Value, ServerError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ServerError::InvalidInput {
            field: "name",
            message: "the workspace name is required".into(),
        });
    }
    let store = super::open(config).await?;
    let result = store.create_workspace(name).await;
    store.close().await;
    Ok(json!({ "id": result? }))
}
