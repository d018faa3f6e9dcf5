//! [`ServerError`]: failures of the library entry points (`start`, `seed_demo`, the CLI).

use std::net::SocketAddr;

use crate::config::ConfigError;
use crate::crypto::CryptoError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("a background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid {field}: {message}")]
    InvalidInput {
        field: &'static str,
        message: String,
    },
    #[error("no {what} with id {id}")]
    NotFound { what: &'static str, id: String },
    #[error(transparent)]
    WhatsApp(#[from] crate::whatsapp::WhatsAppError),
    #[error("{field}: {source}")]
    Domain {
        field: &'static str,
        #[source]
        source: engage_core::CoreError,
    },
}

impl ServerError {
    /// Stable snake_case code (the CLI prints it).
    pub fn code(&self) -> &'static str {
        match self {
            ServerError::Store(StoreError::CampaignNameTaken) => "campaign_name_taken",
            ServerError::Store(StoreError::EmailTaken) => "email_taken",
            ServerError::Store(StoreError::SenderPhoneTaken) => "sender_phone_taken",
            ServerError::Store(StoreError::Unreachable { .. }) => "database_unreachable",
            ServerError::Store(StoreError::SchemaTooNew { .. }) => "schema_too_new",
            ServerError::Store(_) => "database_error",
            ServerError::Crypto(_) => "crypto_error",
            ServerError::Config(error) => error.code(),
            ServerError::Io { .. } => "io_error",
            ServerError::Task(_) => "task_failed",
            ServerError::Bind { .. } => "bind_failed",
            ServerError::InvalidInput { .. } => "invalid_input",
            ServerError::NotFound { .. } => "not_found",
            ServerError::Domain { source, .. } => source.code(),
            ServerError::WhatsApp(error) => error.static_code(),
        }
    }
}
