//! Repository layer over SQLite or PostgreSQL: every SQL statement of the product lives under
//! this folder. Handlers, the CLI and the worker only see [`Store`] methods (one module per
//! aggregate) and the [`writer::MessageWriter`], the only code that changes `messages`.
//!
//! One query text serves both backends: statements use `$1`-style placeholders and portable
//! SQL; where the engines differ (claiming with `SKIP LOCKED`, substring search), the module
//! picks the text by [`Backend`]. Identifiers are stored as UUID text, times as Unix
//! milliseconds, in both.
//!
//! SQLite runs in WAL mode with `synchronous=NORMAL`: a committed transaction survives a crash
//! (`kill -9`) of the process.

mod api_clients;
pub mod audit;
mod callbacks;
mod campaigns;
pub mod files;
mod frequency_cap;
mod idempotency;
pub mod integration_calls;
mod messages;
pub mod name_keys;
mod notify;
mod opt_outs;
mod pacing;
mod schema;
pub mod secrets;
mod senders;
pub mod sessions;
pub mod stats;
pub mod team;
mod template_events;
mod templates;
mod tokens;
mod users;
mod whatsapp;
mod workspaces;
pub use workspaces::SEND_RATE_RANGE;
pub mod writer;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use time::OffsetDateTime;
use uuid::Uuid;

pub use api_clients::{ApiClientRecord, ClientTokenRecord, NewApiClient, LAST_USED_PRECISION_MS};
pub use audit::{Actor, AuditContext, AuditFilter, NewAuditEntry};
pub use callbacks::{
    CallbackOutcome, ClaimedCallback, EndpointRecord, StatusChange, PAUSE_AFTER_MS, RETRY_WINDOW_MS,
};
pub use campaigns::{CampaignFilter, CampaignRecord, NewCampaign, SendTarget};
pub use files::sqlite_path;
pub use idempotency::{IdempotencyRecord, NewIdempotencyKey};
pub use integration_calls::NewIntegrationCall;
pub use messages::{
    ClaimedMessage, ExportedMessage, MessageRecord, NewMessage, Outcome, ProviderReport,
    ReportsApplied,
};
pub use notify::QueueListener;
pub use schema::{binary_schema_version, MigrationReport};
pub use senders::NewSender;
pub use sessions::{Rotation, StaffToken};
pub use team::{Accepted, NewInvitation, SessionOrigin};
pub use template_events::{
    normalise_language, TemplateEventOutcome, TemplateEventRecord, TemplateEventTarget,
    TemplateUpdate,
};
pub use templates::{NewTemplate, TemplateState};
pub use tokens::{TokenKind, TokenOwner, TokenRecord};
pub use users::UserRecord;
pub use whatsapp::{CloudSender, NewCloudSender};

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
    #[error("the workspace would have no active admin left")]
    LastAdmin,
    #[error("this workspace already has a sender with this phone number")]
    SenderPhoneTaken,
    #[error("cannot create the database directory or file {path}: {source}")]
    CreateDirectory {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the message writer has stopped")]
    WriterStopped,
    #[error("cannot connect to {target}: {detail}")]
    Unreachable { target: String, detail: String },
    #[error("the database schema is at version {database}, newer than this engage-server (which knows up to {binary}): upgrade engage-server before serving this database")]
    SchemaTooNew { database: i64, binary: i64 },
}

/// Which database engine a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A local file (the embedded default: the desktop sandbox, a single-machine install).
    Sqlite,
    /// A PostgreSQL server (production: several instances on one database).
    Postgres,
}

impl Backend {
    /// `Postgres` for `postgres://` and `postgresql://` URLs, else `Sqlite`.
    pub fn of_url(database_url: &str) -> Backend {
        let lower = database_url.trim_start().to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// The connection pool of one backend.
#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool of the store's backend. The body is
/// compiled once per backend, so one query text (with `$1`-style placeholders, which both
/// SQLite-through-sqlx and PostgreSQL accept) serves both.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($pool) => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// An open transaction of either backend.
pub(crate) enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs `$body` with `$conn` bound to the transaction's connection (`&mut SqliteConnection`
/// or `&mut PgConnection`); reborrow it as `&mut *$conn` for each statement.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(tx) => {
                let $conn: &mut sqlx::SqliteConnection = &mut *tx;
                $body
            }
            $crate::store::Tx::Postgres(tx) => {
                let $conn: &mut sqlx::PgConnection = &mut *tx;
                $body
            }
        }
    };
}
pub(crate) use on_tx;

impl Tx {
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: Pool,
    /// On SQLite, where the integration log is written and read: a second, small pool whose
    /// connections attach the log's own file as `log` (see `connect_sqlite`). The main pool
    /// never attaches it, so its `BEGIN IMMEDIATE` never takes the log's lock either. On
    /// PostgreSQL the log is in the database, through the main pool.
    sqlite_log: Option<SqlitePool>,
}

/// How long a request waits for a database connection before it is answered 503.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the integration log's writer or reader waits for one of its SQLite connections.
const LOG_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

impl Store {
    /// Connects to the database of `database_url` (`sqlite://…` or `postgres://…`) and
    /// applies the migrations this binary carries. A SQLite file is created when missing.
    pub async fn connect(database_url: &str) -> Result<Store, StoreError> {
        let store = Store::open(database_url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without migrating; refuses a database whose schema is newer than this binary.
    pub async fn open(database_url: &str) -> Result<Store, StoreError> {
        let store = match Backend::of_url(database_url) {
            Backend::Sqlite => {
                let (pool, log_pool) = connect_sqlite(database_url).await?;
                Store {
                    pool: Pool::Sqlite(pool),
                    sqlite_log: Some(log_pool),
                }
            }
            Backend::Postgres => Store {
                pool: Pool::Postgres(connect_postgres(database_url).await?),
                sqlite_log: None,
            },
        };
        store.check_schema_not_newer().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// The PostgreSQL pool (the worker listens for wake-ups on it); `None` on SQLite.
    pub fn pg_pool(&self) -> Option<&PgPool> {
        match &self.pool {
            Pool::Postgres(pool) => Some(pool),
            Pool::Sqlite(_) => None,
        }
    }

    /// The SQLite pool, for tests and tools that inspect a SQLite database; `None` on
    /// PostgreSQL. The product's own code goes through `Store` methods.
    pub fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.pool {
            Pool::Sqlite(pool) => Some(pool),
            Pool::Postgres(_) => None,
        }
    }

    pub(crate) async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match &self.pool {
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Pool::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// A transaction that reads and then writes: on SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so concurrent ones wait for each other (busy timeout) instead of
    /// failing when a read lock cannot be upgraded.
    pub(crate) async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        Ok(match &self.pool {
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// The store seen through the integration log's pool (what `integration_calls` runs on).
    pub(crate) fn log_store(&self) -> Store {
        match &self.sqlite_log {
            Some(log) => Store {
                pool: Pool::Sqlite(log.clone()),
                sqlite_log: Some(log.clone()),
            },
            None => self.clone(),
        }
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await);
        if let Some(log) = &self.sqlite_log {
            log.close().await;
        }
    }
}

/// The main pool and the integration log's pool of a SQLite database.
async fn connect_sqlite(database_url: &str) -> Result<(SqlitePool, SqlitePool), StoreError> {
    files::prepare_sqlite_files(database_url)?;
    let options = SqliteConnectOptions::from_str(database_url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .pragma("temp_store", "memory");
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .min_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // A local SQLite file connection does not go stale: skip the ping round trip to
        // the connection's thread on every acquire (every request and every group commit).
        .test_before_acquire(false)
        .connect_with(
            options
                .clone()
                .pragma("cache_size", "-16000")
                // The writer's multi-row INSERTs and UPDATEs come in up to ~200 shapes (1 to
                // 100 rows); keep them all prepared instead of re-preparing evicted ones.
                .statement_cache_capacity(512),
        )
        .await?;
    // The integration log lives in a file of its own, attached as `log` to the connections
    // of a pool of its own: its appends and trims (deferred transactions) take that file's
    // write lock only, never the one the message writer's group commits need (on one file
    // they made sends ~27 % slower). Reads of campaigns and messages see the main file.
    let log = files::integration_log_attachment(database_url);
    let log_pool = SqlitePoolOptions::new()
        .max_connections(2)
        .min_connections(1)
        // Off the send path (the log task, and staff reading the log): it may wait longer
        // than a request for the database, e.g. for its first connection on a loaded machine.
        .acquire_timeout(LOG_ACQUIRE_TIMEOUT)
        .test_before_acquire(false)
        .after_connect(move |conn, _meta| {
            let log = log.clone();
            Box::pin(async move { integration_calls::attach_sqlite_log(conn, &log).await })
        })
        .connect_with(options)
        .await?;
    integration_calls::create_sqlite_log_schema(&log_pool).await?;
    Ok((pool, log_pool))
}

async fn connect_postgres(database_url: &str) -> Result<PgPool, StoreError> {
    let options = PgConnectOptions::from_str(database_url)
        .map_err(|error| StoreError::Unreachable {
            target: "the PostgreSQL URL".to_owned(),
            detail: error.to_string(),
        })?
        .statement_cache_capacity(512)
        .application_name("engage-server");
    let target = format!(
        "PostgreSQL at {}:{} (database {}, user {})",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("<default>"),
        options.get_username()
    );
    PgPoolOptions::new()
        .max_connections(16)
        .min_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(|error| StoreError::Unreachable {
            target,
            detail: error.to_string(),
        })
}

impl StoreError {
    /// Whether the database could not be reached (down, restarting, out of connections):
    /// worth retrying shortly, unlike a failed statement.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Unreachable { .. } | StoreError::WriterStopped => true,
            StoreError::Database(error) => match error {
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::WorkerCrashed => true,
                sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                    // Connection exceptions (08…), admin/crash shutdown and "cannot connect
                    // now" (57P01–57P03), too many connections (53300).
                    code.starts_with("08")
                        || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "53300")
                }),
                _ => false,
            },
            _ => false,
        }
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

/// Serialises a snake_case / SCREAMING_SNAKE_CASE wire enum to its JSON string form (the
/// stored value; also the label of metrics and logs).
pub fn enum_str<T: serde::Serialize>(value: &T) -> String {
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
