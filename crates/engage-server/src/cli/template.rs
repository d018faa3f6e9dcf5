//! `template import` (Meta's `message_templates` JSON).

use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde_json::Value;
use uuid::Uuid;

use crate::config::ServerConfig;
use crate::demo;
use crate::error::ServerError;

#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Import templates from a WhatsApp Cloud API message_templates JSON file, each on its
    /// own → {"imported": [...], "updated": [...], "skipped": [{"item", "field", "reason"}]}.
    Import {
        #[arg(long)]
        workspace: Uuid,
        file: PathBuf,
    },
}

pub async fn run(config: &ServerConfig, command: TemplateCommand) -> Result<Value, ServerError> {
    match command {
        TemplateCommand::Import { workspace, file } => import(config, workspace, &file).await,
    }
}

/// `template import --workspace FILE` → the import report (the same as a sync's `templates`).
pub async fn import(
    config: &ServerConfig,
    workspace: Uuid,
    file: &Path,
) -> Result<Value, ServerError> {
    let json = std::fs::read_to_string(file).map_err(|source| ServerError::Io {
        context: format!("reading {}", file.display()),
        source,
    })?;
    let store = super::open_workspace(config, workspace).await?;
    let result = demo::import_templates(&store, workspace, &json).await;
    store.close().await;
    Ok(serde_json::to_value(result?).expect("the import report serialises"))
}
