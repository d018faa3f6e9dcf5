//! `settings.json` in the app data directory: the chosen language, who was signed in last
//! (server URL, email, mode) and when updates were last checked. Never a secret: tokens live in
//! Rust memory and the OS keyring.

use std::path::Path;

use engage_core::SnippetLang;
use serde::{Deserialize, Serialize};

use super::AppError;
use crate::models::{Language, SessionMode, Theme};

const FILE_NAME: &str = "settings.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastSession {
    pub mode: SessionMode,
    pub server_url: String,
    pub email: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub language: Option<Language>,
    #[serde(default)]
    pub last_session: Option<LastSession>,
    /// When the app last asked the update endpoint, in seconds since 1970 (background checks
    /// happen at most once a day).
    #[serde(default)]
    pub last_update_check: Option<u64>,
    /// The language the documentation screen shows the integration code in.
    #[serde(default)]
    pub snippet_lang: SnippetLang,
    /// System, light or dark (issue 15).
    #[serde(default)]
    pub theme: Theme,
    /// The staff member's own number for "Send a test to my phone" (issue 12), as last used.
    #[serde(default)]
    pub test_phone: Option<String>,
}

impl Settings {
    /// Reads the settings; a missing or unreadable file gives the defaults (logged).
    pub fn load(data_dir: &Path) -> Settings {
        let path = data_dir.join(FILE_NAME);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(path = %path.display(), error = %e, "settings file unreadable; using defaults");
                Settings::default()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Settings::default(),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "settings file unreadable; using defaults");
                Settings::default()
            }
        }
    }

    /// Writes the settings atomically (temporary file, then rename).
    pub fn save(&self, data_dir: &Path) -> Result<(), AppError> {
        let path = data_dir.join(FILE_NAME);
        let failed = |e: std::io::Error| AppError::SettingsUnwritable {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(data_dir).map_err(failed)?;
        let temporary = data_dir.join(format!("{FILE_NAME}.tmp"));
        // Serialising plain strings and enums cannot fail.
        let json = serde_json::to_vec_pretty(self).unwrap_or_default();
        std::fs::write(&temporary, json).map_err(failed)?;
        std::fs::rename(&temporary, &path).map_err(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            language: Some(Language::Es),
            last_session: Some(LastSession {
                mode: SessionMode::Server,
                server_url: "https://engage.example.com".into(),
                email: "ana@example.com".into(),
            }),
            last_update_check: Some(1_764_547_200),
            snippet_lang: SnippetLang::Python,
            theme: Theme::Dark,
            test_phone: Some("+5511987650002".into()),
        };
        settings.save(dir.path()).unwrap();
        assert_eq!(Settings::load(dir.path()), settings);
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(
            text.contains("\"es\"")
                && text.contains("\"server\"")
                && text.contains("\"python\"")
                && text.contains("\"dark\""),
            "{text}"
        );
    }

    #[test]
    fn missing_or_damaged_settings_give_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Settings::load(dir.path()), Settings::default());
        std::fs::write(dir.path().join(FILE_NAME), b"{not json").unwrap();
        assert_eq!(Settings::load(dir.path()), Settings::default());
    }

    #[test]
    fn unwritable_data_dir_is_settings_unwritable() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"x").unwrap();
        let error = Settings::default()
            .save(&file.join("sub"))
            .expect_err("a file is not a directory");
        assert_eq!(error.code(), "settings_unwritable");
    }
}
