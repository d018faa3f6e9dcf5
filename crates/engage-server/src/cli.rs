//! The admin command line. Every command prints exactly one JSON object on stdout; errors go
//! to stderr (also as JSON) with a non-zero exit status.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use engage_core::wire::SenderStatus;
use engage_core::PhoneNumber;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::config::{default_database_url, Limits, SecretKeySource, ServerConfig, DEFAULT_LISTEN};
use crate::error::ServerError;
use crate::store::{NewSender, Store};
use crate::{demo, server};

#[derive(Debug, Parser)]
#[command(
    name = "engage-server",
    version,
    about = "Engage API server and admin commands"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct DatabaseArgs {
    /// SQLite database URL (created when missing).
    #[arg(long, env = "ENGAGE_DATABASE_URL")]
    pub database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API and the delivery worker.
    Serve {
        #[command(flatten)]
        db: DatabaseArgs,
        /// Address to listen on.
        #[arg(long, env = "ENGAGE_LISTEN", default_value = DEFAULT_LISTEN)]
        listen: SocketAddr,
        /// Base URL clients use to reach this server (used in the copied curls).
        #[arg(long, env = "ENGAGE_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Create (idempotently) the sandbox workspace and print its credentials.
    Demo {
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Workspaces.
    Workspace {
        #[command(subcommand)]
        command: WorkspaceCommand,
    },
    /// Staff users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Sender numbers.
    Sender {
        #[command(subcommand)]
        command: SenderCommand,
    },
    /// WhatsApp Cloud API.
    Whatsapp {
        #[command(subcommand)]
        command: WhatsappCommand,
    },
    /// WhatsApp templates.
    Template {
        #[command(subcommand)]
        command: TemplateCommand,
    },
    /// API clients (OAuth2 client credentials).
    ApiClient {
        #[command(subcommand)]
        command: ApiClientCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace → {"id"}.
    Create {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff user; the password is read from stdin → {"id"}.
    Create {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        workspace: Uuid,
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SenderCommand {
    /// Add a sender number → {"id"}.
    Create {
        #[command(flatten)]
        db: DatabaseArgs,
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

#[derive(Debug, Subcommand)]
pub enum WhatsappCommand {
    /// Fetch the templates and phone numbers of the workspace's WhatsApp Business Accounts
    /// and update its templates and senders → the sync report.
    Sync {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        workspace: Uuid,
    },
    /// Set the workspace's own webhook verify token and app secret (read from stdin) → {}.
    Settings {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        workspace: Uuid,
        #[arg(long)]
        verify_token: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Import templates from a WhatsApp Cloud API message_templates JSON file →
    /// {"imported", "ids"}.
    Import {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        workspace: Uuid,
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiClientCommand {
    /// Create an API client → {"client_id", "client_secret"}.
    Create {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        workspace: Uuid,
        #[arg(long, default_value = "API client")]
        name: String,
    },
}

/// Minimum staff password length.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Parses the arguments and runs the command on a new Tokio runtime.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!(
                "{}",
                json!({"error": {"code": "runtime_error", "message": error.to_string()}})
            );
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!(
                "{}",
                json!({"error": {"code": error.code(), "message": error.to_string()}})
            );
            ExitCode::FAILURE
        }
    }
}

fn database_url(db: &DatabaseArgs) -> String {
    db.database_url.clone().unwrap_or_else(default_database_url)
}

async fn open(db: &DatabaseArgs) -> Result<Store, ServerError> {
    Ok(Store::connect(&database_url(db)).await?)
}

async fn require_workspace(store: &Store, workspace: Uuid) -> Result<(), ServerError> {
    match store.workspace_name(workspace).await? {
        Some(_) => Ok(()),
        None => Err(ServerError::NotFound {
            what: "workspace",
            id: workspace.to_string(),
        }),
    }
}

/// Runs one command; returns the JSON object to print.
pub async fn run(command: Command) -> Result<Value, ServerError> {
    match command {
        Command::Serve {
            db,
            listen,
            public_url,
        } => serve(db, listen, public_url).await,
        Command::Demo { db } => {
            let url = database_url(&db);
            let key = SecretKeySource::from_env_or_beside(&url);
            let credentials = demo::seed_demo(&url, &key).await?;
            Ok(serde_json::to_value(credentials).expect("credentials serialise"))
        }
        Command::Workspace {
            command: WorkspaceCommand::Create { db, name },
        } => {
            let name = name.trim();
            if name.is_empty() {
                return Err(ServerError::InvalidInput {
                    field: "name",
                    message: "the workspace name is required".into(),
                });
            }
            let store = open(&db).await?;
            let id = store.create_workspace(name).await?;
            store.close().await;
            Ok(json!({ "id": id }))
        }
        Command::User {
            command:
                UserCommand::Create {
                    db,
                    workspace,
                    email,
                },
        } => {
            let email = crate::http::normalize_email(&email);
            if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
                return Err(ServerError::InvalidInput {
                    field: "email",
                    message: "not an email address".into(),
                });
            }
            let password = read_password()?;
            let store = open(&db).await?;
            require_workspace(&store, workspace).await?;
            let hash = demo::password_hash(password).await?;
            let id = store.create_user(workspace, &email, &hash).await?;
            store.close().await;
            Ok(json!({ "id": id }))
        }
        Command::Sender {
            command:
                SenderCommand::Create {
                    db,
                    workspace,
                    phone,
                    name,
                    inactive,
                    provider,
                    phone_number_id,
                    waba_id,
                    rate_per_second,
                },
        } if provider == crate::whatsapp::PROVIDER_NAME => {
            crate::whatsapp::cli::create_sender(
                &database_url(&db),
                crate::whatsapp::senders::CloudSenderInput {
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
        Command::Whatsapp {
            command: WhatsappCommand::Sync { db, workspace },
        } => crate::whatsapp::cli::sync(&database_url(&db), workspace).await,
        Command::Whatsapp {
            command:
                WhatsappCommand::Settings {
                    db,
                    workspace,
                    verify_token,
                },
        } => crate::whatsapp::cli::settings(&database_url(&db), workspace, &verify_token).await,
        Command::Sender {
            command:
                SenderCommand::Create {
                    db,
                    workspace,
                    phone,
                    name,
                    inactive,
                    ..
                },
        } => {
            let phone = PhoneNumber::parse_field(&phone, "phone").map_err(|source| {
                ServerError::Domain {
                    field: "phone",
                    source,
                }
            })?;
            let name = name.trim();
            if name.is_empty() {
                return Err(ServerError::InvalidInput {
                    field: "name",
                    message: "the sender name is required".into(),
                });
            }
            let store = open(&db).await?;
            require_workspace(&store, workspace).await?;
            let id = store
                .create_sender(NewSender {
                    workspace_id: workspace,
                    name,
                    phone: phone.as_e164(),
                    status: if inactive {
                        SenderStatus::Inactive
                    } else {
                        SenderStatus::Active
                    },
                    provider: "sandbox",
                })
                .await?;
            store.close().await;
            Ok(json!({ "id": id }))
        }
        Command::Template {
            command:
                TemplateCommand::Import {
                    db,
                    workspace,
                    file,
                },
        } => {
            let json = std::fs::read_to_string(&file).map_err(|source| ServerError::Io {
                context: format!("reading {}", file.display()),
                source,
            })?;
            let store = open(&db).await?;
            require_workspace(&store, workspace).await?;
            let ids = demo::import_templates(&store, workspace, &json).await?;
            store.close().await;
            Ok(json!({ "imported": ids.len(), "ids": ids }))
        }
        Command::ApiClient {
            command:
                ApiClientCommand::Create {
                    db,
                    workspace,
                    name,
                },
        } => {
            let url = database_url(&db);
            let key = SecretKeySource::from_env_or_beside(&url).load()?;
            let store = open(&db).await?;
            require_workspace(&store, workspace).await?;
            let (client_id, client_secret) =
                demo::create_api_client(&store, &key, workspace, name.trim()).await?;
            store.close().await;
            Ok(json!({ "client_id": client_id, "client_secret": client_secret }))
        }
    }
}

fn read_password() -> Result<String, ServerError> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|source| ServerError::Io {
            context: "reading the password from stdin".into(),
            source,
        })?;
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

async fn serve(
    db: DatabaseArgs,
    listen: SocketAddr,
    public_url: Option<String>,
) -> Result<Value, ServerError> {
    let database_url = database_url(&db);
    let config = ServerConfig {
        secret_key: SecretKeySource::from_env_or_beside(&database_url),
        database_url,
        listen,
        public_url,
        limits: Limits::from_env()?,
    };
    let running = server::start(config).await?;
    let addr = running.local_addr();
    wait_for_signal().await;
    tracing::info!("shutting down");
    running.shutdown().await;
    Ok(json!({ "stopped": true, "listen": addr.to_string() }))
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
