//! `user create` (the password is read from stdin).

use clap::Subcommand;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::config::ServerConfig;
use crate::demo;
use crate::error::ServerError;

use super::MIN_PASSWORD_CHARS;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff user; the password is read from stdin → {"id"}.
    Create {
        #[arg(long)]
        workspace: Uuid,
        #[arg(long)]
        email: String,
    },
}

pub async fn run(config: &ServerConfig, command: UserCommand) -> Result<Value, ServerError> {
    match command {
        UserCommand::Create { workspace, email } => create(config, workspace, &email).await,
    }
}

/// `user create --workspace --email` (password on stdin) → `{"id"}`.
pub async fn create(
    config: &ServerConfig,
    workspace: Uuid,
    email: &str,
) -> Result<Value, ServerError> {
    let email = crate::http::normalize_email(email);
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return Err(ServerError::InvalidInput {
            field: "email",
            message: "not an email address".into(),
        });
    }
    let password = read_password()?;
    let store = super::open_workspace(config, workspace).await?;
    let result = async {
        let hash = demo::password_hash(password).await?;
        Ok::<_, ServerError>(store.create_user(workspace, &email, &hash).await?)
    }
    .await;
    store.close().await;
    Ok(json!({ "id": result? }))
}

fn read_password() -> Result<String, ServerError> {
    let input = super::read_stdin("the password")?;
    let password = input.trim_end_matches(['\r', '\n']).to_owned();
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ServerError::InvalidInput {
            field: "password",
            message: format!(
                "the password (read from stdin) must have at least {MIN_PASSWORD_CHARS} characters"
            ),
        });
    }
    Ok(password)
}
