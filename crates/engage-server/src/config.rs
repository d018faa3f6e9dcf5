//! Server configuration: where the database lives, where to listen, the public URL and the
//! secret key that encrypts client secrets at rest.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::crypto::SecretKey;
use crate::error::ServerError;

/// Default listen address of `serve`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `sqlite://path/to/engage.db` (created when missing).
    pub database_url: String,
    pub listen: SocketAddr,
    /// Base URL clients use to reach the server (the curls use it); defaults to
    /// `http://<bound address>`.
    pub public_url: Option<String>,
    pub secret_key: SecretKeySource,
    /// Connection, header, timeout and password-hashing limits.
    pub limits: Limits,
}

/// What one client (or many) may cost the server. Every field has a safe default and an
/// `ENGAGE_*` environment variable read by `engage-server serve` ([`Limits::from_env`]);
/// the README's "Security" section lists them.
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
        }
    }
}

impl Limits {
    /// The defaults, overridden by the `ENGAGE_*` variables that are set. Durations are in
    /// seconds (fractions allowed, e.g. `0.5`); counts are positive integers.
    pub fn from_env() -> Result<Limits, ServerError> {
        Limits::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`Limits::from_env`] over any variable lookup (tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Limits, ServerError> {
        let mut limits = Limits::default();
        let value = |name: &'static str| lookup(name).filter(|value| !value.trim().is_empty());
        let invalid = |name: &'static str, what: &str| ServerError::InvalidInput {
            field: name,
            message: format!("must be {what}"),
        };
        let secs = |name: &'static str, slot: &mut Duration| -> Result<(), ServerError> {
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
        let count = |name: &'static str, slot: &mut usize, min: usize| -> Result<(), ServerError> {
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
        Ok(limits)
    }
}

/// Where the 32-byte key that encrypts client secrets comes from.
#[derive(Clone)]
pub enum SecretKeySource {
    /// The key itself, base64 (standard alphabet) of 32 bytes, e.g. from `ENGAGE_SECRET_KEY`.
    Env(String),
    /// A file holding the base64 key; created with a fresh random key (mode 0600) on first run.
    File(PathBuf),
}

impl std::fmt::Debug for SecretKeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretKeySource::Env(_) => f.write_str("Env(<redacted>)"),
            SecretKeySource::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

impl SecretKeySource {
    /// `Env` when `ENGAGE_SECRET_KEY` is set, else a `secret.key` file beside the database.
    pub fn from_env_or_beside(database_url: &str) -> SecretKeySource {
        match std::env::var("ENGAGE_SECRET_KEY") {
            Ok(value) if !value.trim().is_empty() => SecretKeySource::Env(value),
            _ => SecretKeySource::File(key_file_beside(database_url)),
        }
    }

    /// Reads (or, for a missing key file, creates) the key.
    pub fn load(&self) -> Result<SecretKey, ServerError> {
        match self {
            SecretKeySource::Env(value) => decode_key(value.trim()),
            SecretKeySource::File(path) => load_or_create_key_file(path),
        }
    }
}

fn decode_key(value: &str) -> Result<SecretKey, ServerError> {
    let bytes = STANDARD
        .decode(value)
        .map_err(|_| ServerError::InvalidSecretKey)?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| ServerError::InvalidSecretKey)?;
    Ok(SecretKey::from_bytes(bytes))
}

fn load_or_create_key_file(path: &Path) -> Result<SecretKey, ServerError> {
    let io_error = |source| ServerError::Io {
        context: format!("secret key file {}", path.display()),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(contents) => decode_key(contents.trim()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent() {
                crate::store::files::create_private_dir(parent).map_err(io_error)?;
            }
            let key = SecretKey::generate();
            write_private_file(path, &STANDARD.encode(key.as_bytes())).map_err(io_error)?;
            Ok(key)
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

/// The file path of a `sqlite:` URL, without query string; `None` for in-memory databases.
pub fn sqlite_path(database_url: &str) -> Option<PathBuf> {
    let rest = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(PathBuf::from(path))
}

/// `secret.key` in the directory of the database file (the current directory for in-memory).
pub fn key_file_beside(database_url: &str) -> PathBuf {
    sqlite_path(database_url)
        .and_then(|path| path.parent().map(Path::to_path_buf))
        .unwrap_or_default()
        .join("secret.key")
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let good = STANDARD.encode([7u8; 32]);
        assert!(SecretKeySource::Env(good).load().is_ok());
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
        assert_eq!(Limits::from_lookup(env(&[])).unwrap(), Limits::default());
        let limits = Limits::from_lookup(env(&[
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
            assert!(Limits::from_lookup(env(pairs)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn key_file_sits_beside_the_database() {
        assert_eq!(
            key_file_beside("sqlite:///var/lib/engage/engage.db?mode=rwc"),
            PathBuf::from("/var/lib/engage/secret.key")
        );
    }
}
