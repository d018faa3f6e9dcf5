//! Server configuration: where the database lives, where to listen, the public URL and the
//! secret key that encrypts client secrets at rest.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

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
                std::fs::create_dir_all(parent).map_err(io_error)?;
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
    fn key_file_sits_beside_the_database() {
        assert_eq!(
            key_file_beside("sqlite:///var/lib/engage/engage.db?mode=rwc"),
            PathBuf::from("/var/lib/engage/secret.key")
        );
    }
}
