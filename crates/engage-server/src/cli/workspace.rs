//! `workspace create`, `workspace set-send-rate`.

use clap::Subcommand;
use serde_json::{json, Value};

use uuid::Uuid;

use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::store::SEND_RATE_RANGE;

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace → {"id"}.
    Create {
        #[arg(long)]
        name: String,
    },
    /// Set the send rate of the workspace's API clients (requests per second per client and
    /// server instance), or go back to the server's default → {"workspace",
    /// "send_rate_per_second"} (null: the default, ENGAGE_SEND_RATE_PER_SECOND).
    SetSendRate {
        #[arg(long)]
        workspace: Uuid,
        /// 1 to 1,000,000.
        #[arg(long, conflicts_with = "default", required_unless_present = "default")]
        per_second: Option<u32>,
        /// Use the server's default rate.
        #[arg(long)]
        default: bool,
    },
}

pub async fn run(config: &ServerConfig, command: WorkspaceCommand) -> Result<Value, ServerError> {
    match command {
        WorkspaceCommand::Create { name } => create(config, &name).await,
        WorkspaceCommand::SetSendRate {
            workspace,
            per_second,
            ..
        } => set_send_rate(config, workspace, per_second).await,
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

/// `workspace set-send-rate --workspace (--per-second N | --default)`.
pub async fn set_send_rate(
    config: &ServerConfig,
    workspace: Uuid,
    rate: Option<u32>,
) -> Result<Value, ServerError> {
    if rate.is_some_and(|rate| !SEND_RATE_RANGE.contains(&rate)) {
        return Err(ServerError::InvalidInput {
            field: "per_second",
            message: format!(
                "the send rate must be {} to {} requests per second",
                SEND_RATE_RANGE.start(),
                SEND_RATE_RANGE.end()
            ),
        });
    }
    let store = super::open_workspace(config, workspace).await?;
    let result = store.set_workspace_send_rate(workspace, rate).await;
    store.close().await;
    result?;
    Ok(json!({ "workspace": workspace, "send_rate_per_second": rate }))
}
