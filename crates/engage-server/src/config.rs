//! Every setting of the server, read once — from the command line and the environment — into
//! one typed tree, [`ServerConfig`], that is passed down: to [`crate::start`], to the delivery
//! providers and the Graph API client ([`WhatsAppConfig`]), and through `AppState` to the
//! webhook handlers. Nothing else in the crate reads the environment: [`process_env`] is the
//! only reader, and [`ServerConfig::read`] takes the lookup as an argument, so tests build
//! configurations from maps (or literally) and run in parallel.
//!
//! This module depends on nothing of ours but [`crate::crypto`] (it loads the keys), so every
//! other module may use its types without forming a circle.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::crypto::SecretKey;

/// Default listen address of `serve`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";
/// Meta's Graph API, at the version the whatsapp_cloud provider speaks.
pub const DEFAULT_GRAPH_URL: &str = "https://graph.facebook.com/v23.0";

/// The environment variables read by [`ServerConfig::read`].
pub mod env {
    /// `sqlite://…` (default: a file in the user's data directory) or `postgres://…`.
    pub const DATABASE_URL: &str = "ENGAGE_DATABASE_URL";
    /// Address `serve` listens on (default `127.0.0.1:8787`).
    pub const LISTEN: &str = "ENGAGE_LISTEN";
    /// Base URL clients use to reach the server (the copied curls use it).
    pub const PUBLIC_URL: &str = "ENGAGE_PUBLIC_URL";
    /// The key that seals secrets at rest: base64 of 32 bytes.
    pub const SECRET_KEY: &str = "ENGAGE_SECRET_KEY";
    /// A file holding [`SECRET_KEY`]'s value (instead of the variable).
    pub const SECRET_KEY_FILE: &str = "ENGAGE_SECRET_KEY_FILE";
    /// During a key rotation, the key being replaced (still used to open older secrets).
    pub const SECRET_KEY_PREVIOUS: &str = "ENGAGE_SECRET_KEY_PREVIOUS";
    /// Overrides [`super::DEFAULT_GRAPH_URL`] (tests and staging point it at a stand-in).
    pub const WHATSAPP_GRAPH_URL: &str = "ENGAGE_WHATSAPP_GRAPH_URL";
    /// Key of the `X-Hub-Signature-256` HMAC of Meta's webhooks (the Meta app secret).
    pub const WHATSAPP_APP_SECRET: &str = "ENGAGE_WHATSAPP_APP_SECRET";
    /// Token Meta echoes in the webhook subscription handshake.
    pub const WHATSAPP_VERIFY_TOKEN: &str = "ENGAGE_WHATSAPP_VERIFY_TOKEN";
    /// Messages per second of senders without their own rate (default 80).
    pub const WHATSAPP_RATE_PER_SECOND: &str = "ENGAGE_WHATSAPP_RATE_PER_SECOND";
    /// Minimum milliseconds between two messages of one sender to one recipient (default 6000).
    pub const WHATSAPP_RECIPIENT_INTERVAL_MS: &str = "ENGAGE_WHATSAPP_RECIPIENT_INTERVAL_MS";
    /// First retry delay of a transient Cloud API failure, in ms (doubling per attempt);
    /// default: the worker's backoff (2 s, 4 s, …).
    pub const WHATSAPP_RETRY_BASE_MS: &str = "ENGAGE_WHATSAPP_RETRY_BASE_MS";
    /// How long the delivery worker holds a claimed message, in ms (default 60000, at least
    /// 1000): see [`super::ServerConfig::delivery_lease`].
    pub const LEASE_MS: &str = "ENGAGE_LEASE_MS";
    /// `1`: status callbacks may go to loopback, link-local and private addresses (the
    /// embedded sandbox sets it; default: refused).
    pub const CALLBACKS_ALLOW_PRIVATE: &str = "ENGAGE_CALLBACKS_ALLOW_PRIVATE";
    /// Failed sign-ins to one account within 15 minutes before each further one blocks it
    /// for a growing time (default 5).
    pub const SIGN_IN_FREE_FAILURES: &str = "ENGAGE_SIGN_IN_FREE_FAILURES";
    /// The same from one client address (default 20).
    pub const SIGN_IN_ADDRESS_FREE_FAILURES: &str = "ENGAGE_SIGN_IN_ADDRESS_FREE_FAILURES";
    /// A mail server to email invitations through: `smtp://host:25`,
    /// `smtp://user:pass@host:587?tls=required`, `smtps://user:pass@host:465`.
    pub const SMTP_URL: &str = "ENGAGE_SMTP_URL";
    /// The sender of those emails (default `Engage <engage@localhost>`).
    pub const SMTP_FROM: &str = "ENGAGE_SMTP_FROM";
}

/// Default [`ServerConfig::delivery_lease`]: 60 s.
pub const DEFAULT_DELIVERY_LEASE: Duration = Duration::from_secs(60);
/// Shortest [`ServerConfig::delivery_lease`] accepted.
const MIN_DELIVERY_LEASE: Duration = Duration::from_secs(1);

/// A setting that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{what} must be base64 of exactly 32 bytes")]
    InvalidSecretKey { what: String },
    #[error("no secret key: set ENGAGE_SECRET_KEY (base64 of 32 bytes, e.g. `openssl rand -base64 32`) or ENGAGE_SECRET_KEY_FILE; with a PostgreSQL database every instance must share one key, so none is generated")]
    SecretKeyRequired,
    #[error("set ENGAGE_SECRET_KEY or ENGAGE_SECRET_KEY_FILE, not both")]
    ConflictingSecretKeys,
    #[error("secret key file {}: {source}", path.display())]
    KeyFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid {name}: {message}")]
    Invalid { name: &'static str, message: String },
}

impl ConfigError {
    /// Stable snake_case code (the CLI prints it).
    pub fn code(&self) -> &'static str {
        match self {
            ConfigError::InvalidSecretKey { .. } => "invalid_secret_key",
            ConfigError::SecretKeyRequired => "secret_key_required",
            ConfigError::ConflictingSecretKeys => "conflicting_secret_keys",
            ConfigError::KeyFile { .. } => "secret_key_file_unreadable",
            ConfigError::Invalid { .. } => "invalid_config",
        }
    }
}

/// The whole configuration of a server (and of the admin commands, which use its parts).
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `sqlite://path/to/engage.db` (created when missing) or `postgres://…`.
    pub database_url: String,
    pub listen: SocketAddr,
    /// Base URL clients use to reach the server (the curls use it); defaults to
    /// `http://<bound address>`.
    pub public_url: Option<String>,
    /// The key that seals secrets at rest.
    pub secret_key: SecretKeySource,
    /// During a key rotation, the key being replaced: secrets it sealed still open.
    pub previous_secret_key: Option<SecretKeySource>,
    pub whatsapp: WhatsAppConfig,
    /// Connection, header, timeout and password-hashing limits.
    pub limits: Limits,
    /// How long the delivery worker holds a message it claimed (its lease) before another
    /// instance may take it over ([`env::LEASE_MS`]; default [`DEFAULT_DELIVERY_LEASE`]). A
    /// lease left by a killed instance is taken over only once it runs out; one that runs
    /// out while its instance is still delivering lets another instance send the message
    /// again, so it must stay well above the time a claimed batch takes to deliver (200
    /// messages at the sender's rate, shared by all instances).
    pub delivery_lease: Duration,
    /// Status callbacks to the customers' systems (issue 11).
    pub callbacks: CallbackConfig,
    /// Sign-in throttling (issue 13).
    pub team: TeamConfig,
    /// Keep each campaign's integration log (issue 15). Always on in the server; the send
    /// benchmark turns it off (`--without-integration-log`) to measure what it costs.
    pub integration_log: bool,
}

/// Status callbacks: where they may go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallbackConfig {
    /// Deliver to loopback, link-local and private addresses too
    /// ([`env::CALLBACKS_ALLOW_PRIVATE`]`=1`).
    pub allow_private: bool,
}

impl CallbackConfig {
    fn read(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let allow_private = match get(env::CALLBACKS_ALLOW_PRIVATE).as_deref().map(str::trim) {
            None | Some("0") => false,
            Some("1") => true,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: env::CALLBACKS_ALLOW_PRIVATE,
                    message: format!("`{other}` is neither 1 nor 0"),
                })
            }
        };
        Ok(CallbackConfig { allow_private })
    }
}

/// How failed sign-ins are slowed down, per account (email) and per client address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamConfig {
    /// Default: 5 free failures in 15 minutes, then 30 s doubling per failure up to 15 min.
    pub account_throttle: engage_core::team::ThrottlePolicy,
    /// Default: 20 free failures in 15 minutes (one office behind one address), then 30 s
    /// doubling per failure up to 15 min.
    pub address_throttle: engage_core::team::ThrottlePolicy,
    /// Where invitations are also emailed ([`env::SMTP_URL`]); `None`: not emailed.
    pub smtp_url: Option<String>,
    /// [`env::SMTP_FROM`].
    pub smtp_from: String,
}

/// Default [`TeamConfig::smtp_from`].
pub const DEFAULT_SMTP_FROM: &str = "Engage <engage@localhost>";

impl Default for TeamConfig {
    fn default() -> Self {
        let policy = |free_failures| engage_core::team::ThrottlePolicy {
            free_failures,
            window_secs: 15 * 60,
            base_delay_secs: 30,
            max_delay_secs: 15 * 60,
        };
        TeamConfig {
            account_throttle: policy(5),
            address_throttle: policy(20),
            smtp_url: None,
            smtp_from: DEFAULT_SMTP_FROM.to_owned(),
        }
    }
}

impl TeamConfig {
    fn read(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut team = TeamConfig::default();
        for (name, slot) in [
            (
                env::SIGN_IN_FREE_FAILURES,
                &mut team.account_throttle.free_failures,
            ),
            (
                env::SIGN_IN_ADDRESS_FREE_FAILURES,
                &mut team.address_throttle.free_failures,
            ),
        ] {
            if let Some(value) = get(name) {
                *slot = value
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|count| *count >= 1)
                    .ok_or(ConfigError::Invalid {
                        name,
                        message: format!("`{value}` is not a whole number of at least 1"),
                    })?;
            }
        }
        team.smtp_url = get(env::SMTP_URL).map(|url| url.trim().to_owned());
        if let Some(from) = get(env::SMTP_FROM) {
            team.smtp_from = from.trim().to_owned();
        }
        if let Some(url) = &team.smtp_url {
            crate::mail::Mailer::check(url, &team.smtp_from).map_err(|error| {
                let name = match error {
                    crate::mail::MailSettingsError::Url(_) => env::SMTP_URL,
                    crate::mail::MailSettingsError::From(_) => env::SMTP_FROM,
                };
                ConfigError::Invalid {
                    name,
                    message: error.to_string(),
                }
            })?;
        }
        Ok(team)
    }
}

/// What the command line said; each `Some` wins over the environment.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub database_url: Option<String>,
    pub listen: Option<SocketAddr>,
    pub public_url: Option<String>,
}

impl ServerConfig {
    /// A configuration with every other setting at its default: listen on
    /// [`DEFAULT_LISTEN`], no public URL, no previous key, Meta's Graph API.
    pub fn new(database_url: impl Into<String>, secret_key: SecretKeySource) -> Self {
        ServerConfig {
            database_url: database_url.into(),
            listen: DEFAULT_LISTEN
                .parse()
                .expect("the default listen address parses"),
            public_url: None,
            secret_key,
            previous_secret_key: None,
            whatsapp: WhatsAppConfig::default(),
            limits: Limits::default(),
            delivery_lease: DEFAULT_DELIVERY_LEASE,
            callbacks: CallbackConfig::default(),
            team: TeamConfig::default(),
            integration_log: true,
        }
    }

    /// Reads the configuration from `flags` and the environment (`env`: [`process_env`] in
    /// the binary, a map in tests); the flags win. Values that are set but unusable are
    /// refused here, naming the variable. A missing key on PostgreSQL is refused when the
    /// key is loaded (by [`crate::start`] before it connects, by the commands that need it).
    pub fn read(
        flags: Flags,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let database_url = flags
            .database_url
            .or_else(|| get(env::DATABASE_URL))
            .unwrap_or_else(default_database_url);
        let listen = match flags.listen {
            Some(listen) => listen,
            None => match get(env::LISTEN) {
                Some(value) => value.trim().parse().map_err(|_| ConfigError::Invalid {
                    name: env::LISTEN,
                    message: format!("`{value}` is not an address like 0.0.0.0:8787"),
                })?,
                None => DEFAULT_LISTEN
                    .parse()
                    .expect("the default listen address parses"),
            },
        };
        let public_url = flags.public_url.or_else(|| get(env::PUBLIC_URL));
        let secret_key = SecretKeySource::resolve(
            &database_url,
            get(env::SECRET_KEY),
            get(env::SECRET_KEY_FILE).map(PathBuf::from),
        )?;
        Ok(ServerConfig {
            previous_secret_key: get(env::SECRET_KEY_PREVIOUS).map(SecretKeySource::Env),
            whatsapp: WhatsAppConfig::read(&get)?,
            limits: Limits::read(get)?,
            delivery_lease: delivery_lease(&get)?,
            callbacks: CallbackConfig::read(&get)?,
            team: TeamConfig::read(&get)?,
            integration_log: true,
            database_url,
            listen,
            public_url,
            secret_key,
        })
    }

    /// The secret key, able to open what the previous key sealed when one is configured.
    pub fn load_secret_key(&self) -> Result<SecretKey, ConfigError> {
        let key = self.secret_key.load()?;
        match &self.previous_secret_key {
            None => Ok(key),
            Some(previous) => {
                let previous = previous.load().map_err(|error| match error {
                    ConfigError::InvalidSecretKey { .. } => ConfigError::InvalidSecretKey {
                        what: format!("the previous secret key ({})", env::SECRET_KEY_PREVIOUS),
                    },
                    other => other,
                })?;
                Ok(key.with_previous(&previous))
            }
        }
    }

    /// `true` for a `postgres://` or `postgresql://` database URL.
    pub fn is_postgres(&self) -> bool {
        is_postgres_url(&self.database_url)
    }
}

/// [`env::LEASE_MS`], else [`DEFAULT_DELIVERY_LEASE`].
fn delivery_lease(get: &impl Fn(&str) -> Option<String>) -> Result<Duration, ConfigError> {
    let Some(value) = get(env::LEASE_MS) else {
        return Ok(DEFAULT_DELIVERY_LEASE);
    };
    value
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_millis)
        .filter(|lease| *lease >= MIN_DELIVERY_LEASE)
        .ok_or_else(|| ConfigError::Invalid {
            name: env::LEASE_MS,
            message: format!("`{value}` is not a whole number of milliseconds, at least 1000"),
        })
}

/// The process environment: the one place the crate reads it.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// `true` for a `postgres://` or `postgresql://` URL.
pub fn is_postgres_url(database_url: &str) -> bool {
    let scheme = database_url
        .split_once("://")
        .map(|(scheme, _)| scheme.to_ascii_lowercase());
    matches!(scheme.as_deref(), Some("postgres" | "postgresql"))
}

fn is_sqlite_url(database_url: &str) -> bool {
    database_url
        .get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("sqlite:"))
}

/// Where the 32-byte key that seals secrets at rest comes from.
#[derive(Clone)]
pub enum SecretKeySource {
    /// The key itself, base64 (standard alphabet) of 32 bytes, e.g. from `ENGAGE_SECRET_KEY`.
    Env(String),
    /// A file holding the base64 key; created with a fresh random key (mode 0600) on first run
    /// (SQLite: `secret.key` beside the database).
    File(PathBuf),
    /// A file holding the base64 key that must exist (`ENGAGE_SECRET_KEY_FILE`).
    ExistingFile(PathBuf),
    /// No key was given and none may be generated (a PostgreSQL database, shared by several
    /// instances): loading it is refused with [`ConfigError::SecretKeyRequired`].
    Missing,
}

impl std::fmt::Debug for SecretKeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretKeySource::Env(_) => f.write_str("Env(<redacted>)"),
            SecretKeySource::File(path) => f.debug_tuple("File").field(path).finish(),
            SecretKeySource::ExistingFile(path) => {
                f.debug_tuple("ExistingFile").field(path).finish()
            }
            SecretKeySource::Missing => f.write_str("Missing"),
        }
    }
}

impl SecretKeySource {
    /// The key given (`ENGAGE_SECRET_KEY` or `ENGAGE_SECRET_KEY_FILE`, not both); else, on
    /// SQLite, `secret.key` beside the database (created on first run); else
    /// [`SecretKeySource::Missing`].
    pub fn resolve(
        database_url: &str,
        key: Option<String>,
        key_file: Option<PathBuf>,
    ) -> Result<SecretKeySource, ConfigError> {
        match (key, key_file) {
            (Some(_), Some(_)) => Err(ConfigError::ConflictingSecretKeys),
            (Some(key), None) => Ok(SecretKeySource::Env(key)),
            (None, Some(path)) => Ok(SecretKeySource::ExistingFile(path)),
            (None, None) if is_sqlite_url(database_url) => {
                Ok(SecretKeySource::File(key_file_beside(database_url)))
            }
            (None, None) => Ok(SecretKeySource::Missing),
        }
    }

    /// Reads (or, for a missing [`SecretKeySource::File`], creates) the key.
    pub fn load(&self) -> Result<SecretKey, ConfigError> {
        match self {
            SecretKeySource::Env(value) => decode_key(value.trim(), || {
                format!("the secret key ({})", env::SECRET_KEY)
            }),
            SecretKeySource::File(path) => load_or_create_key_file(path),
            SecretKeySource::ExistingFile(path) => {
                let contents =
                    std::fs::read_to_string(path).map_err(|source| ConfigError::KeyFile {
                        path: path.clone(),
                        source,
                    })?;
                decode_key(contents.trim(), || {
                    format!("the secret key file {}", path.display())
                })
            }
            SecretKeySource::Missing => Err(ConfigError::SecretKeyRequired),
        }
    }
}

fn decode_key(value: &str, what: impl Fn() -> String) -> Result<SecretKey, ConfigError> {
    let invalid = || ConfigError::InvalidSecretKey { what: what() };
    let bytes = STANDARD.decode(value).map_err(|_| invalid())?;
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| invalid())?;
    Ok(SecretKey::from_bytes(bytes))
}

fn load_or_create_key_file(path: &Path) -> Result<SecretKey, ConfigError> {
    let io_error = |source| ConfigError::KeyFile {
        path: path.to_path_buf(),
        source,
    };
    let what = || format!("the secret key file {}", path.display());
    match std::fs::read_to_string(path) {
        Ok(contents) => decode_key(contents.trim(), what),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent() {
                crate::store::files::create_private_dir(parent).map_err(io_error)?;
            }
            let key = SecretKey::generate();
            match write_private_file(path, &STANDARD.encode(key.as_bytes())) {
                Ok(()) => Ok(key),
                // Another process created it first: use theirs.
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    let contents = std::fs::read_to_string(path).map_err(io_error)?;
                    decode_key(contents.trim(), what)
                }
                Err(error) => Err(io_error(error)),
            }
        }
        Err(error) => Err(io_error(error)),
    }
}

#[cfg(unix)]
fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// The settings of the whatsapp_cloud provider: where the Graph API is, the server-wide
/// webhook secrets (workspaces may add their own), pacing and retries.
#[derive(Clone, PartialEq, Eq)]
pub struct WhatsAppConfig {
    /// Base URL of the Graph API, without a trailing slash.
    pub graph_url: String,
    /// The Meta app secret that signs webhook notifications (`X-Hub-Signature-256`).
    pub app_secret: Option<String>,
    /// The token Meta echoes in the subscription handshake.
    pub verify_token: Option<String>,
    /// Messages per second of senders without their own rate; `None`: Meta's 80.
    pub rate_per_second: Option<u32>,
    /// Minimum time between two messages of one sender to one recipient; `None`: 6 s.
    pub recipient_interval: Option<Duration>,
    /// First retry delay of a transient Cloud API failure (doubling per attempt); `None`:
    /// the worker's backoff.
    pub retry_base: Option<Duration>,
}

impl Default for WhatsAppConfig {
    fn default() -> Self {
        WhatsAppConfig {
            graph_url: DEFAULT_GRAPH_URL.to_owned(),
            app_secret: None,
            verify_token: None,
            rate_per_second: None,
            recipient_interval: None,
            retry_base: None,
        }
    }
}

impl std::fmt::Debug for WhatsAppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |value: &Option<String>| value.as_ref().map(|_| "<redacted>");
        f.debug_struct("WhatsAppConfig")
            .field("graph_url", &self.graph_url)
            .field("app_secret", &redacted(&self.app_secret))
            .field("verify_token", &redacted(&self.verify_token))
            .field("rate_per_second", &self.rate_per_second)
            .field("recipient_interval", &self.recipient_interval)
            .field("retry_base", &self.retry_base)
            .finish()
    }
}

impl WhatsAppConfig {
    fn read(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let number = |name: &'static str| -> Result<Option<u64>, ConfigError> {
            get(name)
                .map(|value| {
                    value
                        .trim()
                        .parse::<u64>()
                        .map_err(|_| ConfigError::Invalid {
                            name,
                            message: format!("`{value}` is not a whole number"),
                        })
                })
                .transpose()
        };
        let rate_per_second = match number(env::WHATSAPP_RATE_PER_SECOND)? {
            Some(rate) => Some(u32::try_from(rate).ok().filter(|rate| *rate >= 1).ok_or(
                ConfigError::Invalid {
                    name: env::WHATSAPP_RATE_PER_SECOND,
                    message: "must be between 1 and 4294967295".into(),
                },
            )?),
            None => None,
        };
        Ok(WhatsAppConfig {
            graph_url: get(env::WHATSAPP_GRAPH_URL)
                .map(|url| url.trim().trim_end_matches('/').to_owned())
                .unwrap_or_else(|| DEFAULT_GRAPH_URL.to_owned()),
            app_secret: get(env::WHATSAPP_APP_SECRET),
            verify_token: get(env::WHATSAPP_VERIFY_TOKEN),
            rate_per_second,
            recipient_interval: number(env::WHATSAPP_RECIPIENT_INTERVAL_MS)?
                .map(Duration::from_millis),
            retry_base: number(env::WHATSAPP_RETRY_BASE_MS)?.map(Duration::from_millis),
        })
    }
}

/// `sqlite://<data dir>/engage/engage.db`.
pub fn default_database_url() -> String {
    let dir = dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("engage");
    sqlite_url(&dir.join("engage.db"))
}

/// `sqlite://` URL of a file path.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// The file path of a `sqlite:` URL (kept with the store, which owns database URLs).
pub use crate::store::sqlite_path;

/// `secret.key` in the directory of the database file (the current directory for in-memory).
pub fn key_file_beside(database_url: &str) -> PathBuf {
    sqlite_path(database_url)
        .and_then(|path| path.parent().map(Path::to_path_buf))
        .unwrap_or_default()
        .join("secret.key")
}

/// What one client (or many) may cost the server. Every field has a safe default and an
/// `ENGAGE_*` environment variable read by [`ServerConfig::read`] ([`Limits::read`]); the
/// README's "Security" section lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// A request's headers must arrive within this time from when the server starts waiting
    /// for them (connection opened, or previous response sent). `ENGAGE_HEADER_READ_TIMEOUT_SECS`.
    pub header_read_timeout: Duration,
    /// A connection with no request in progress and no bytes moving for this long is closed.
    /// `ENGAGE_KEEP_ALIVE_TIMEOUT_SECS`.
    pub keep_alive_timeout: Duration,
    /// Longest wait for the next piece of a request body. `ENGAGE_BODY_READ_TIMEOUT_SECS`.
    pub body_read_timeout: Duration,
    /// Most connections served at once; further ones wait in the kernel's accept queue.
    /// `ENGAGE_MAX_CONNECTIONS`.
    pub max_connections: usize,
    /// Largest request head (request line and headers), in bytes; more is answered 431.
    /// `ENGAGE_MAX_HEADER_BYTES`.
    pub max_header_bytes: usize,
    /// Most headers in one request; more is answered 431. `ENGAGE_MAX_HEADERS`.
    pub max_headers: usize,
    /// Password hashes (argon2id, ~19 MiB each) computed at once.
    /// `ENGAGE_PASSWORD_HASH_CONCURRENCY`; default: the number of CPUs.
    pub password_hash_concurrency: usize,
    /// Sign-ins that may wait for a hashing slot; beyond that they get 503 `busy`.
    /// `ENGAGE_PASSWORD_HASH_QUEUE`.
    pub password_hash_queue: usize,
    /// Longest wait for a hashing slot before 503 `busy`. `ENGAGE_PASSWORD_HASH_WAIT_SECS`.
    pub password_hash_wait: Duration,
    /// Whether each hashing slot keeps its ~19 MiB of argon2 memory for the next sign-in
    /// (a server: no allocation per sign-in) or frees it after each one (the desktop app's
    /// sandbox, which signs in once per launch). Not an environment variable.
    pub keep_password_memory: bool,
    /// Whether `start` loads libphonenumber's metadata before it takes requests (a server:
    /// the first send, which validates its recipient, does not stall its worker thread for
    /// the load, ~170 ms in release and seconds in a debug build) or leaves it to the first
    /// use (the desktop app's sandbox, whose start competes with its window's for the CPU).
    /// Not an environment variable.
    pub load_phone_metadata_at_start: bool,
    /// Send requests per second each API client may make to one instance
    /// (`POST /v1/campaigns/{id}/messages`), unless its workspace sets its own rate.
    /// `ENGAGE_SEND_RATE_PER_SECOND`.
    pub send_rate_per_second: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(5),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 1024,
            max_header_bytes: 16 * 1024,
            max_headers: 64,
            password_hash_concurrency: std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(2),
            password_hash_queue: 64,
            password_hash_wait: Duration::from_secs(10),
            keep_password_memory: true,
            load_phone_metadata_at_start: true,
            send_rate_per_second: 1_000,
        }
    }
}

impl Limits {
    /// The defaults, overridden by the `ENGAGE_*` variables `lookup` finds. Durations are in
    /// seconds (fractions allowed, e.g. `0.5`); counts are whole numbers.
    pub fn read(lookup: impl Fn(&str) -> Option<String>) -> Result<Limits, ConfigError> {
        let mut limits = Limits::default();
        let value = |name: &'static str| lookup(name).filter(|value| !value.trim().is_empty());
        let invalid = |name: &'static str, what: &str| ConfigError::Invalid {
            name,
            message: format!("must be {what}"),
        };
        let secs = |name: &'static str, slot: &mut Duration| -> Result<(), ConfigError> {
            if let Some(text) = value(name) {
                let parsed: f64 = text
                    .trim()
                    .parse()
                    .map_err(|_| invalid(name, "a number of seconds"))?;
                if !(parsed > 0.0 && parsed <= 86_400.0) {
                    return Err(invalid(name, "more than 0 and at most 86400 seconds"));
                }
                *slot = Duration::from_secs_f64(parsed);
            }
            Ok(())
        };
        let count = |name: &'static str, slot: &mut usize, min: usize| -> Result<(), ConfigError> {
            if let Some(text) = value(name) {
                let parsed: usize = text
                    .trim()
                    .parse()
                    .map_err(|_| invalid(name, "a whole number"))?;
                if parsed < min {
                    return Err(invalid(name, &format!("at least {min}")));
                }
                *slot = parsed;
            }
            Ok(())
        };
        secs(
            "ENGAGE_HEADER_READ_TIMEOUT_SECS",
            &mut limits.header_read_timeout,
        )?;
        secs(
            "ENGAGE_KEEP_ALIVE_TIMEOUT_SECS",
            &mut limits.keep_alive_timeout,
        )?;
        secs(
            "ENGAGE_BODY_READ_TIMEOUT_SECS",
            &mut limits.body_read_timeout,
        )?;
        count("ENGAGE_MAX_CONNECTIONS", &mut limits.max_connections, 1)?;
        count(
            "ENGAGE_MAX_HEADER_BYTES",
            &mut limits.max_header_bytes,
            1024,
        )?;
        count("ENGAGE_MAX_HEADERS", &mut limits.max_headers, 8)?;
        count(
            "ENGAGE_PASSWORD_HASH_CONCURRENCY",
            &mut limits.password_hash_concurrency,
            1,
        )?;
        count(
            "ENGAGE_PASSWORD_HASH_QUEUE",
            &mut limits.password_hash_queue,
            0,
        )?;
        secs(
            "ENGAGE_PASSWORD_HASH_WAIT_SECS",
            &mut limits.password_hash_wait,
        )?;
        let mut send_rate = limits.send_rate_per_second as usize;
        count("ENGAGE_SEND_RATE_PER_SECOND", &mut send_rate, 1)?;
        limits.send_rate_per_second = u32::try_from(send_rate)
            .map_err(|_| invalid("ENGAGE_SEND_RATE_PER_SECOND", "at most 4294967295"))?;
        Ok(limits)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn key_b64(byte: u8) -> String {
        STANDARD.encode([byte; 32])
    }

    #[test]
    fn private_callback_destinations_are_refused_unless_allowed_with_1() {
        let read = |pairs: &[(&str, &str)]| {
            ServerConfig::read(Flags::default(), env_of(pairs)).map(|c| c.callbacks.allow_private)
        };
        assert!(!read(&[]).unwrap());
        assert!(!read(&[(env::CALLBACKS_ALLOW_PRIVATE, "0")]).unwrap());
        assert!(read(&[(env::CALLBACKS_ALLOW_PRIVATE, "1")]).unwrap());
        let error = read(&[(env::CALLBACKS_ALLOW_PRIVATE, "yes")]).unwrap_err();
        assert!(
            error.to_string().contains("ENGAGE_CALLBACKS_ALLOW_PRIVATE"),
            "{error}"
        );
    }

    #[test]
    fn the_delivery_lease_defaults_to_60_s_and_is_read_in_milliseconds() {
        let read = |pairs: &[(&str, &str)]| {
            ServerConfig::read(Flags::default(), env_of(pairs)).map(|c| c.delivery_lease)
        };
        assert_eq!(read(&[]).unwrap(), Duration::from_secs(60));
        assert_eq!(
            read(&[(env::LEASE_MS, "3000")]).unwrap(),
            Duration::from_secs(3)
        );
        for bad in ["999", "0", "-5", "3s", "1.5"] {
            let error = read(&[(env::LEASE_MS, bad)]).unwrap_err();
            assert!(
                error.to_string().contains("ENGAGE_LEASE_MS"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn key_file_is_created_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let source = SecretKeySource::File(dir.path().join("secret.key"));
        let first = source.load().unwrap();
        let second = source.load().unwrap();
        assert_eq!(first.as_bytes(), second.as_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secret.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn env_key_must_be_32_bytes_of_base64() {
        assert!(SecretKeySource::Env("c2hvcnQ=".into()).load().is_err());
        assert!(SecretKeySource::Env(key_b64(7)).load().is_ok());
    }

    #[test]
    fn limits_come_from_engage_variables_and_bad_values_are_refused() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| value.to_string())
            }
        };
        assert_eq!(Limits::read(env(&[])).unwrap(), Limits::default());
        let limits = Limits::read(env(&[
            ("ENGAGE_HEADER_READ_TIMEOUT_SECS", "0.5"),
            ("ENGAGE_MAX_CONNECTIONS", "3"),
            ("ENGAGE_PASSWORD_HASH_QUEUE", "0"),
        ]))
        .unwrap();
        assert_eq!(limits.header_read_timeout, Duration::from_millis(500));
        assert_eq!(limits.max_connections, 3);
        assert_eq!(limits.password_hash_queue, 0);
        for bad in [
            &[("ENGAGE_MAX_CONNECTIONS", "0")][..],
            &[("ENGAGE_HEADER_READ_TIMEOUT_SECS", "soon")],
            &[("ENGAGE_KEEP_ALIVE_TIMEOUT_SECS", "-1")],
            &[("ENGAGE_MAX_HEADER_BYTES", "10")],
        ] {
            let pairs: &'static [(&'static str, &'static str)] = bad;
            assert!(Limits::read(env(pairs)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn key_file_sits_beside_the_database() {
        assert_eq!(
            key_file_beside("sqlite:///var/lib/engage/engage.db?mode=rwc"),
            PathBuf::from("/var/lib/engage/secret.key")
        );
    }

    #[test]
    fn a_postgres_url_without_a_key_is_refused_with_a_one_line_message_naming_both_settings() {
        for url in [
            "postgres://engage:pw@db.internal:5432/engage",
            "postgresql://engage@localhost/engage",
            "POSTGRES://engage@localhost/engage",
        ] {
            let config =
                ServerConfig::read(Flags::default(), env_of(&[(env::DATABASE_URL, url)])).unwrap();
            assert!(config.is_postgres(), "{url}");
            let refused = config.load_secret_key().unwrap_err();
            assert_eq!(refused.code(), "secret_key_required");
            let message = refused.to_string();
            assert!(!message.contains('\n'));
            assert!(
                message.contains("ENGAGE_SECRET_KEY") && message.contains("ENGAGE_SECRET_KEY_FILE")
            );
        }
    }

    #[test]
    fn a_postgres_url_never_creates_a_key_file_in_the_working_directory() {
        let config = ServerConfig::read(
            Flags {
                database_url: Some("postgres://localhost/engage".into()),
                ..Flags::default()
            },
            env_of(&[]),
        )
        .unwrap();
        assert!(matches!(config.secret_key, SecretKeySource::Missing));
    }

    #[test]
    fn a_postgres_url_takes_the_key_from_the_variable_or_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("engage.key");
        std::fs::write(&path, format!("{}\n", key_b64(3))).unwrap();
        let url = "postgres://localhost/engage";
        let from_file = ServerConfig::read(
            Flags::default(),
            env_of(&[
                (env::DATABASE_URL, url),
                (env::SECRET_KEY_FILE, path.to_str().unwrap()),
            ]),
        )
        .unwrap();
        assert_eq!(from_file.load_secret_key().unwrap().as_bytes(), &[3; 32]);
        let from_var = ServerConfig::read(
            Flags::default(),
            env_of(&[(env::DATABASE_URL, url), (env::SECRET_KEY, &key_b64(4))]),
        )
        .unwrap();
        assert_eq!(from_var.load_secret_key().unwrap().as_bytes(), &[4; 32]);
    }

    #[test]
    fn a_missing_key_file_is_refused_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.key");
        let config = ServerConfig::read(
            Flags::default(),
            env_of(&[
                (env::DATABASE_URL, "postgres://localhost/engage"),
                (env::SECRET_KEY_FILE, path.to_str().unwrap()),
            ]),
        )
        .unwrap();
        let refused = config.load_secret_key().unwrap_err();
        assert_eq!(refused.code(), "secret_key_file_unreadable");
        assert!(refused.to_string().contains("absent.key"));
        assert!(!path.exists());
    }

    #[test]
    fn both_key_settings_at_once_are_refused() {
        let refused = ServerConfig::read(
            Flags::default(),
            env_of(&[
                (env::SECRET_KEY, &key_b64(1)),
                (env::SECRET_KEY_FILE, "/run/secrets/engage"),
            ]),
        )
        .unwrap_err();
        assert_eq!(refused.code(), "conflicting_secret_keys");
    }

    #[test]
    fn on_sqlite_the_key_defaults_to_a_file_beside_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let url = sqlite_url(&dir.path().join("engage.db"));
        let config =
            ServerConfig::read(Flags::default(), env_of(&[(env::DATABASE_URL, &url)])).unwrap();
        config.load_secret_key().unwrap();
        assert!(dir.path().join("secret.key").exists());
    }

    #[test]
    fn the_previous_key_opens_what_it_sealed_and_a_bad_one_is_named() {
        let previous = SecretKeySource::Env(key_b64(9)).load().unwrap();
        let sealed = previous.encrypt("token");
        let config = ServerConfig::read(
            Flags::default(),
            env_of(&[
                (env::DATABASE_URL, "postgres://localhost/engage"),
                (env::SECRET_KEY, &key_b64(8)),
                (env::SECRET_KEY_PREVIOUS, &key_b64(9)),
            ]),
        )
        .unwrap();
        assert_eq!(
            config.load_secret_key().unwrap().decrypt(&sealed).unwrap(),
            "token"
        );

        let bad = ServerConfig::read(
            Flags::default(),
            env_of(&[
                (env::SECRET_KEY, &key_b64(8)),
                (env::SECRET_KEY_PREVIOUS, "c2hvcnQ="),
            ]),
        )
        .unwrap();
        let refused = bad.load_secret_key().unwrap_err();
        assert!(refused.to_string().contains(env::SECRET_KEY_PREVIOUS));
    }

    #[test]
    fn flags_win_over_the_environment() {
        let config = ServerConfig::read(
            Flags {
                database_url: Some("sqlite://flag.db".into()),
                listen: Some("0.0.0.0:9000".parse().unwrap()),
                public_url: Some("https://flag.example".into()),
            },
            env_of(&[
                (env::DATABASE_URL, "sqlite://env.db"),
                (env::LISTEN, "127.0.0.1:1"),
                (env::PUBLIC_URL, "https://env.example"),
            ]),
        )
        .unwrap();
        assert_eq!(config.database_url, "sqlite://flag.db");
        assert_eq!(config.listen, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(config.public_url.as_deref(), Some("https://flag.example"));
    }

    #[test]
    fn whatsapp_settings_are_read_once_with_their_defaults() {
        let defaults = ServerConfig::read(Flags::default(), env_of(&[])).unwrap();
        assert_eq!(defaults.whatsapp, WhatsAppConfig::default());
        assert_eq!(defaults.whatsapp.graph_url, DEFAULT_GRAPH_URL);
        assert_eq!(defaults.listen, DEFAULT_LISTEN.parse().unwrap());

        let set = ServerConfig::read(
            Flags::default(),
            env_of(&[
                (env::WHATSAPP_GRAPH_URL, "http://127.0.0.1:9/v23.0/"),
                (env::WHATSAPP_APP_SECRET, "app-secret"),
                (env::WHATSAPP_VERIFY_TOKEN, "verify"),
                (env::WHATSAPP_RATE_PER_SECOND, "1000"),
                (env::WHATSAPP_RECIPIENT_INTERVAL_MS, "0"),
                (env::WHATSAPP_RETRY_BASE_MS, "50"),
            ]),
        )
        .unwrap();
        assert_eq!(
            set.whatsapp,
            WhatsAppConfig {
                graph_url: "http://127.0.0.1:9/v23.0".into(),
                app_secret: Some("app-secret".into()),
                verify_token: Some("verify".into()),
                rate_per_second: Some(1000),
                recipient_interval: Some(Duration::ZERO),
                retry_base: Some(Duration::from_millis(50)),
            }
        );
        assert!(!format!("{set:?}").contains("app-secret"));
    }

    #[test]
    fn an_unusable_value_is_refused_naming_the_variable() {
        for (name, value) in [
            (env::LISTEN, "not-an-address"),
            (env::WHATSAPP_RATE_PER_SECOND, "0"),
            (env::WHATSAPP_RECIPIENT_INTERVAL_MS, "6s"),
        ] {
            let refused =
                ServerConfig::read(Flags::default(), env_of(&[(name, value)])).unwrap_err();
            assert_eq!(refused.code(), "invalid_config");
            assert!(refused.to_string().contains(name), "{refused}");
        }
    }
}
