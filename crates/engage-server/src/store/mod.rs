//! Repository layer over SQLite. Handlers and the CLI only see [`Store`] methods (one module
//! per aggregate), so another backend (PostgreSQL) can be added without touching them.
//!
//! SQLite runs in WAL mode with `synchronous=NORMAL`: a committed transaction survives a crash
//! (`kill -9`) of the process. Identifiers are stored as UUID text, times as Unix milliseconds.

mod api_clients;
mod campaigns;
mod idempotency;
mod messages;
pub mod secrets;
mod senders;
mod templates;
mod tokens;
mod users;
mod workspaces;
pub mod writer;

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use time::OffsetDateTime;
use uuid::Uuid;

pub use api_clients::ApiClientRecord;
pub use campaigns::{CampaignFilter, CampaignRecord, NewCampaign, SendTarget};
pub use idempotency::{IdempotencyRecord, NewIdempotencyKey};
pub use messages::{ClaimedMessage, MessageRecord, NewMessage, StatusUpdate};
pub use senders::NewSender;
pub use templates::NewTemplate;
pub use tokens::{TokenKind, TokenOwner, TokenRecord};
pub use users::UserRecord;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored {what} is unreadable: {detail}")]
    Corrupt { what: &'static str, detail: String },
    #[error("a campaign with this name already exists in the workspace")]
    CampaignNameTaken,
    #[error("a user with this email already exists")]
    EmailTaken,
    #[error("this workspace already has a sender with this phone number")]
    SenderPhoneTaken,
    #[error("cannot create the database directory {path}: {source}")]
    CreateDirectory {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the message writer has stopped")]
    WriterStopped,
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating the file when missing) and migrates the database.
    pub async fn connect(database_url: &str) -> Result<Store, StoreError> {
        if let Some(path) = crate::config::sqlite_path(database_url) {
            if let Some(parent) = path.parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent).map_err(|source| {
                        StoreError::CreateDirectory {
                            path: parent.to_path_buf(),
                            source,
                        }
                    })?;
                }
            }
        }
        let options = SqliteConnectOptions::from_str(database_url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory")
            .pragma("cache_size", "-16000")
            // The writer's multi-row INSERTs and UPDATEs come in up to ~200 shapes (1 to 100
            // rows); keep them all prepared instead of re-preparing evicted ones.
            .statement_cache_capacity(512);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            // A local SQLite file connection does not go stale: skip the ping round trip to
            // the connection's thread on every acquire (every request and every group commit).
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    millis(OffsetDateTime::now_utc())
}

pub fn millis(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

pub(crate) fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub(crate) fn parse_uuid(what: &'static str, value: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(value).map_err(|error| StoreError::Corrupt {
        what,
        detail: error.to_string(),
    })
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    what: &'static str,
    value: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(value).map_err(|error| StoreError::Corrupt {
        what,
        detail: error.to_string(),
    })
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("wire types serialise to JSON")
}

/// `true` when the error is a violation of a UNIQUE index or PRIMARY KEY.
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// `taken` when `error` is a unique-constraint violation, else the database error itself.
pub(crate) fn unique_or(error: sqlx::Error, taken: StoreError) -> StoreError {
    if is_unique_violation(&error) {
        taken
    } else {
        StoreError::Database(error)
    }
}

/// Serialises a snake_case / SCREAMING_SNAKE_CASE wire enum to its JSON string form.
pub(crate) fn enum_str<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        _ => unreachable!("unit enum variants serialise to strings"),
    }
}

pub(crate) fn parse_enum<T: serde::de::DeserializeOwned>(
    what: &'static str,
    value: &str,
) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).map_err(|error| {
        StoreError::Corrupt {
            what,
            detail: error.to_string(),
        }
    })
}
