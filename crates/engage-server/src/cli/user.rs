//! `user create` (the password is read from stdin).

use clap::Subcommand;
use serde_json::{json, Value};
use uuid::Uuid;

use engage_core::Role;

use crate::config::ServerConfig;
use crate::demo;
use crate::error::ServerError;

use super::MIN_PASSWORD_CHARS;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff user; the password is read from stdin → {"id", "role"}. The first
    /// admin of a workspace is made here; the rest are invited from the app.
    Create {
        #[arg(long)]
        workspace: Uuid,
        #[arg(long)]
        email: String,
        /// admin, editor or viewer.
        #[arg(long, default_value = "admin", value_parser = parse_role)]
        role: Role,
    },
}

pub async fn run(config: &ServerConfig, command: UserCommand) -> Result<Value, ServerError> {
    match command {
        UserCommand::Create {
            workspace,
            email,
            role,
        } => create(config, workspace, &email, role).await,
    }
}

/// `user create --workspace --email` (password on stdin) → `{"id"}`.
pub async fn create(
    config: &ServerConfig,
    workspace: Uuid,
    email: &str,
    role: Role,
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
        Ok::<_, ServerError>(store.create_user(workspace, &email, &hash, role).await?)
    }
    .await;
    store.close().await;
    Ok(json!({ "id": result?, "role": role }))
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

fn parse_role(value: &str) -> Result<Role, String> {
    serde_json::from_value(Value::String(value.trim().to_ascii_lowercase()))
        .map_err(|_| format!("`{value}` is not a role: admin, editor or viewer"))
}
