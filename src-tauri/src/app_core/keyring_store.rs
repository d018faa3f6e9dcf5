//! Where the server-mode refresh token survives a restart: the OS keyring (Secret Service on
//! Linux, Keychain on macOS, Credential Manager on Windows) through the `keyring` crate.
//! The entry's service is the app identifier, its user `<server_url>|<email>`.

use super::AppError;

/// The app identifier (`identifier` in tauri.conf.json), used as the keyring service name.
pub const SERVICE: &str = "com.engage.desktop";

/// Names one saved session: the keyring user `<server_url>|<email>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SecretKey(String);

impl SecretKey {
    pub fn new(server_url: &str, email: &str) -> SecretKey {
        SecretKey(format!("{server_url}|{email}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why the keyring could not be used, in words for a person.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("This computer has no keyring the app can reach ({detail}). On Linux that is a Secret Service such as GNOME Keyring or KWallet, on a D-Bus session. You stay signed in until you close the app; next time you will need to sign in again.")]
    NoService { detail: String },
    #[error("The system keyring is locked or refused access ({detail}). Unlock it to stay signed in after closing the app; for now you stay signed in until you close it.")]
    Locked { detail: String },
    #[error("The system keyring refused to keep the session ({detail}). You stay signed in until you close the app.")]
    Refused { detail: String },
    #[error("The session saved in the system keyring is damaged; sign in again.")]
    Damaged,
}

impl From<KeyringError> for AppError {
    fn from(error: KeyringError) -> AppError {
        AppError::KeyringUnavailable(error.to_string())
    }
}

/// Keeps one secret per [`SecretKey`]. Calls block (D-Bus round trips): run them off the
/// async executor (`spawn_blocking`).
pub trait SecretStore: Send + Sync + 'static {
    fn get(&self, key: &SecretKey) -> Result<Option<String>, KeyringError>;
    fn set(&self, key: &SecretKey, secret: &str) -> Result<(), KeyringError>;
    /// Deleting an absent entry succeeds.
    fn delete(&self, key: &SecretKey) -> Result<(), KeyringError>;
}

/// The OS keyring.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsKeyring;

impl OsKeyring {
    fn entry(key: &SecretKey) -> Result<keyring::Entry, KeyringError> {
        keyring::Entry::new(SERVICE, key.as_str()).map_err(map_keyring_error)
    }
}

impl SecretStore for OsKeyring {
    fn get(&self, key: &SecretKey) -> Result<Option<String>, KeyringError> {
        match Self::entry(key)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring_error(e)),
        }
    }

    fn set(&self, key: &SecretKey, secret: &str) -> Result<(), KeyringError> {
        Self::entry(key)?
            .set_password(secret)
            .map_err(map_keyring_error)
    }

    fn delete(&self, key: &SecretKey) -> Result<(), KeyringError> {
        match Self::entry(key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring_error(e)),
        }
    }
}

fn map_keyring_error(error: keyring::Error) -> KeyringError {
    match error {
        keyring::Error::PlatformFailure(e) => KeyringError::NoService {
            detail: e.to_string(),
        },
        keyring::Error::NoStorageAccess(e) => KeyringError::Locked {
            detail: e.to_string(),
        },
        keyring::Error::BadEncoding(_) => KeyringError::Damaged,
        other => KeyringError::Refused {
            detail: other.to_string(),
        },
    }
}

/// A store in memory, for tests of the session logic; `unavailable()` behaves like a machine
/// without a keyring.
#[cfg(test)]
#[derive(Debug, Default)]
pub struct MemorySecretStore {
    secrets: std::sync::Mutex<std::collections::HashMap<SecretKey, String>>,
    unavailable: bool,
}

#[cfg(test)]
impl MemorySecretStore {
    pub fn unavailable() -> MemorySecretStore {
        MemorySecretStore {
            unavailable: true,
            ..Default::default()
        }
    }

    fn check(&self) -> Result<(), KeyringError> {
        if self.unavailable {
            return Err(KeyringError::NoService {
                detail: "no D-Bus session".into(),
            });
        }
        Ok(())
    }

    pub fn snapshot(&self) -> std::collections::HashMap<SecretKey, String> {
        self.secrets.lock().unwrap().clone()
    }
}

#[cfg(test)]
impl SecretStore for MemorySecretStore {
    fn get(&self, key: &SecretKey) -> Result<Option<String>, KeyringError> {
        self.check()?;
        Ok(self.secrets.lock().unwrap().get(key).cloned())
    }

    fn set(&self, key: &SecretKey, secret: &str) -> Result<(), KeyringError> {
        self.check()?;
        self.secrets
            .lock()
            .unwrap()
            .insert(key.clone(), secret.to_owned());
        Ok(())
    }

    fn delete(&self, key: &SecretKey) -> Result<(), KeyringError> {
        self.check()?;
        self.secrets.lock().unwrap().remove(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keyring_user_is_server_url_and_email() {
        assert_eq!(
            SecretKey::new("https://engage.example.com", "ana@example.com").as_str(),
            "https://engage.example.com|ana@example.com"
        );
    }

    #[test]
    fn keyring_failures_become_keyring_unavailable_in_plain_words() {
        let error = AppError::from(map_keyring_error(keyring::Error::PlatformFailure(
            "Unable to autolaunch a dbus-daemon".into(),
        )));
        assert_eq!(error.code(), "keyring_unavailable");
        let message = error.to_string();
        assert!(message.contains("Secret Service"), "{message}");
        assert!(message.contains("until you close the app"), "{message}");

        let locked = AppError::from(map_keyring_error(keyring::Error::NoStorageAccess(
            "locked".into(),
        )));
        assert_eq!(locked.code(), "keyring_unavailable");
        assert!(locked.to_string().contains("locked"));
    }

    /// Runs against the real OS keyring; needs a Secret Service on Linux, e.g.
    /// `dbus-run-session -- sh -c 'printf pw | gnome-keyring-daemon --foreground --unlock --components=secrets & sleep 1; cargo test -p engage-desktop -- --ignored'`.
    #[test]
    #[ignore = "needs a reachable, unlocked OS keyring (Secret Service on Linux); the e2e suite covers it"]
    fn os_keyring_keeps_reads_and_deletes_a_secret() {
        let key = SecretKey::new(
            "http://127.0.0.1:1",
            &format!("keyring-test-{}@example.com", uuid::Uuid::new_v4()),
        );
        let store = OsKeyring;
        assert_eq!(store.get(&key).expect("keyring reachable"), None);
        store.set(&key, "refresh-token-value").expect("set");
        assert_eq!(
            store.get(&key).expect("get").as_deref(),
            Some("refresh-token-value")
        );
        store.delete(&key).expect("delete");
        assert_eq!(store.get(&key).expect("get after delete"), None);
        store
            .delete(&key)
            .expect("deleting an absent entry succeeds");
    }
}
