//! The admin command line. Every command prints exactly one JSON object on stdout; errors go
//! to stderr (also as JSON, one line) with a non-zero exit status.
//!
//! [`main`] parses the arguments, reads the configuration once ([`ServerConfig::read`]: the
//! flags, then the environment) and runs one function per subcommand, each in the file of
//! its command group: [`serve`] (`serve`, `demo`), [`workspace`], [`user`], [`sender`],
//! [`template`], [`api_client`], [`whatsapp`], [`secrets`] (`rotate-secret-key`) and
//! [`snippet`].

pub mod api_client;
pub mod secrets;
pub mod sender;
pub mod serve;
pub mod snippet;
pub mod template;
pub mod user;
pub mod whatsapp;
pub mod workspace;

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::config::{process_env, Flags, ServerConfig};
use crate::error::ServerError;
use crate::store::Store;

#[derive(Debug, Parser)]
#[command(
    name = "engage-server",
    version,
    about = "Engage API server and admin commands",
    after_help = "Settings not given as flags come from the environment: ENGAGE_DATABASE_URL, \
                  ENGAGE_LISTEN, ENGAGE_PUBLIC_URL, ENGAGE_SECRET_KEY or ENGAGE_SECRET_KEY_FILE \
                  (required with PostgreSQL), ENGAGE_SECRET_KEY_PREVIOUS, ENGAGE_WHATSAPP_* \
                  (see the README)."
)]
pub struct Cli {
    /// Database URL: `sqlite://path` (created when missing) or `postgres://…`; else
    /// ENGAGE_DATABASE_URL, else a SQLite file in the user's data directory.
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API and the delivery worker.
    Serve(serve::ServeArgs),
    /// Create (idempotently) the sandbox workspace and print its credentials.
    Demo,
    /// Workspaces.
    Workspace {
        #[command(subcommand)]
        command: workspace::WorkspaceCommand,
    },
    /// Staff users.
    User {
        #[command(subcommand)]
        command: user::UserCommand,
    },
    /// Sender numbers.
    Sender {
        #[command(subcommand)]
        command: sender::SenderCommand,
    },
    /// WhatsApp Cloud API.
    Whatsapp {
        #[command(subcommand)]
        command: whatsapp::WhatsappCommand,
    },
    /// WhatsApp templates.
    Template {
        #[command(subcommand)]
        command: template::TemplateCommand,
    },
    /// API clients (OAuth2 client credentials).
    ApiClient {
        #[command(subcommand)]
        command: api_client::ApiClientCommand,
    },
    /// Apply the database migrations this binary carries (idempotent; safe while other
    /// instances serve or migrate) → {"backend", "applied", "version"}.
    Migrate,
    /// Re-encrypt every stored secret with the current key (ENGAGE_SECRET_KEY or
    /// ENGAGE_SECRET_KEY_FILE), opening those sealed with ENGAGE_SECRET_KEY_PREVIOUS; in one
    /// transaction → {"resealed", "already_current", "unreadable", "columns"}.
    RotateSecretKey,
    /// A campaign's integration code in one language, with the real client secret →
    /// {"lang", "token", "send"} (step 1 and step 2; `jq -r .send` prints the program).
    Snippet(snippet::SnippetArgs),
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
    match runtime.block_on(run(cli, process_env)) {
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

/// Reads the configuration (the flags, then `env`) and runs one command; returns the JSON
/// object to print.
pub async fn run(cli: Cli, env: impl Fn(&str) -> Option<String>) -> Result<Value, ServerError> {
    let mut flags = Flags {
        database_url: cli.database_url,
        ..Flags::default()
    };
    if let Command::Serve(args) = &cli.command {
        flags.listen = args.listen;
        flags.public_url = args.public_url.clone();
    }
    if let Command::Snippet(args) = &cli.command {
        flags.public_url = args.public_url.clone();
    }
    let config = ServerConfig::read(flags, env)?;
    match cli.command {
        Command::Serve(_) => serve::serve(config).await,
        Command::Demo => serve::demo(&config).await,
        Command::Workspace { command } => workspace::run(&config, command).await,
        Command::User { command } => user::run(&config, command).await,
        Command::Sender { command } => sender::run(&config, command).await,
        Command::Whatsapp { command } => whatsapp::run(&config, command).await,
        Command::Template { command } => template::run(&config, command).await,
        Command::ApiClient { command } => api_client::run(&config, command).await,
        Command::Migrate => migrate(&config).await,
        Command::RotateSecretKey => secrets::rotate_secret_key(&config).await,
        Command::Snippet(args) => snippet::snippet(&config, &args).await,
    }
}

/// `migrate`: applies the pending migrations and reports them.
async fn migrate(config: &ServerConfig) -> Result<Value, ServerError> {
    let store = Store::open(&config.database_url).await?;
    let report = store.migrate().await?;
    store.close().await;
    Ok(serde_json::to_value(report).expect("the report serialises"))
}

/// Opens (and migrates) the configured database.
async fn open(config: &ServerConfig) -> Result<Store, ServerError> {
    Ok(Store::connect(&config.database_url).await?)
}

/// Opens the database and checks that the workspace exists.
async fn open_workspace(config: &ServerConfig, workspace: Uuid) -> Result<Store, ServerError> {
    let store = open(config).await?;
    if store.workspace_name(workspace).await?.is_none() {
        store.close().await;
        return Err(ServerError::NotFound {
            what: "workspace",
            id: workspace.to_string(),
        });
    }
    Ok(store)
}

/// All of stdin (a password, a token, a secret), never taken from the command line.
fn read_stdin(what: &str) -> Result<String, ServerError> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|source| ServerError::Io {
            context: format!("reading {what} from stdin"),
            source,
        })?;
    Ok(input)
}
