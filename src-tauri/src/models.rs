//! Types that cross the IPC boundary between the Rust side and the Svelte UI.
//!
//! They are generated for TypeScript into `ui/src/lib/bindings` by the test
//! `ipc_bindings_are_current` (run by `cargo test -p engage-desktop`), which fails when the
//! committed files were stale. The HTTP wire types (`Campaign`, `Sender`, ...) come from
//! `engage_core::wire` and are exported by engage-core's tests into the same folder.

use engage_core::wire::{Campaign, RenderedMessage, SendMessageRequest};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A language of the UI's message catalogues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub enum Language {
    #[serde(rename = "pt-BR")]
    PtBr,
    #[serde(rename = "es")]
    Es,
    #[serde(rename = "en")]
    En,
}

impl Language {
    /// The supported language closest to a BCP 47 locale such as `pt-BR`, `es_AR.UTF-8` or
    /// `en-US`; English when nothing matches.
    pub fn from_locale(locale: &str) -> Language {
        let primary = locale
            .split(['-', '_', '.', '@'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match primary.as_str() {
            "pt" => Language::PtBr,
            "es" => Language::Es,
            _ => Language::En,
        }
    }
}

/// Where the session's server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SessionMode {
    /// The engage-server library started inside the app, on 127.0.0.1, with the demo workspace.
    Sandbox,
    /// An Engage server the user signed in to with email and password.
    Server,
}

/// The signed-in session as the UI sees it (no token: those stay in Rust).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SessionInfo {
    pub mode: SessionMode,
    /// Base URL of the server, e.g. `http://127.0.0.1:8787`.
    pub server_url: String,
    pub email: String,
    pub workspace_name: String,
    /// `true` when the session is kept in the OS keyring and survives a restart; `false` in
    /// sandbox mode (the sandbox signs in by itself) and when the keyring is unavailable.
    pub persisted: bool,
}

/// The last server sign-in (no secret), to pre-fill the sign-in form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LastSignIn {
    pub server_url: String,
    pub email: String,
}

/// Everything the UI needs on its first screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Startup {
    /// The restored session, when there was one and it could be restored.
    pub session: Option<SessionInfo>,
    /// The language chosen in settings; `null` means "follow the OS" (`system_language`).
    pub language: Option<Language>,
    /// The supported language closest to the OS locale.
    pub system_language: Language,
    /// Why the last session could not be restored (`server_unreachable`, `session_expired`,
    /// `keyring_unavailable`, `sandbox_failed`), to show on the sign-in screen.
    pub notice: Option<IpcError>,
    /// The last server sign-in, to pre-fill the form.
    pub last_sign_in: Option<LastSignIn>,
}

/// An error as it crosses IPC: branch on `code`, show the catalogue's text for it; `message`
/// is an English explanation for logs and for codes the UI does not know; `field` names the
/// input it concerns (`name`, `sender_id`, `variables.1`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IpcError {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
}

/// The documentation screen of one campaign: the two curls with the client secret masked,
/// the request body built from the example values, and the message as the recipient sees it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CampaignDocs {
    pub campaign: Campaign,
    /// Absolute URL of `POST /oauth/token`.
    pub token_url: String,
    /// Absolute URL of `POST /v1/campaigns/{id}/messages`.
    pub send_url: String,
    pub client_id: String,
    /// Step 1: the curl that prints the token response as JSON (secret masked).
    pub token_curl_masked: String,
    /// Step 2: the curl that sends the message with `Authorization: Bearer $ENGAGE_TOKEN`.
    pub send_curl_masked: String,
    /// The JSON body of the send curl.
    pub request: SendMessageRequest,
    /// The message the recipient gets with these values.
    pub rendered: RenderedMessage,
}

/// A template or phone number that "Sync from WhatsApp" left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WhatsAppSyncSkipped {
    /// `name (language)` of a template, or the number as Meta displays it.
    pub item: String,
    /// The server's English explanation.
    pub reason: String,
}

/// What "Sync from WhatsApp" changed in the workspace, as the server reports it
/// (`POST /v1/whatsapp/sync`; its body type lives in engage-server, so it is mirrored here).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WhatsAppSyncSummary {
    /// Templates new to the workspace.
    pub templates_created: u32,
    /// Templates already known, brought up to date.
    pub templates_updated: u32,
    /// Templates Meta no longer lists, now disabled.
    pub templates_disabled: u32,
    /// Phone numbers new to the workspace, added as senders.
    pub senders_created: u32,
    /// Senders whose name, number or status changed.
    pub senders_updated: u32,
    /// Senders whose number Meta no longer lists, now inactive.
    pub senders_deactivated: u32,
    /// Templates and numbers left out (unsupported template, invalid or taken number).
    pub skipped: Vec<WhatsAppSyncSkipped>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes the TypeScript of one IPC type and reports whether the committed file differed.
    fn export_checked<T: TS + 'static>(stale: &mut Vec<String>) {
        let path = T::default_output_path().expect("IPC types are exportable");
        let fresh = T::export_to_string().expect("IPC type renders to TypeScript");
        let committed = std::fs::read_to_string(&path).ok();
        if committed.as_deref() != Some(fresh.as_str()) {
            std::fs::create_dir_all(path.parent().expect("bindings dir")).expect("bindings dir");
            std::fs::write(&path, &fresh).expect("write binding");
            stale.push(path.display().to_string());
        }
    }

    #[test]
    fn ipc_bindings_are_current() {
        let mut stale = Vec::new();
        export_checked::<Language>(&mut stale);
        export_checked::<SessionMode>(&mut stale);
        export_checked::<SessionInfo>(&mut stale);
        export_checked::<LastSignIn>(&mut stale);
        export_checked::<Startup>(&mut stale);
        export_checked::<IpcError>(&mut stale);
        export_checked::<CampaignDocs>(&mut stale);
        export_checked::<WhatsAppSyncSkipped>(&mut stale);
        export_checked::<WhatsAppSyncSummary>(&mut stale);
        assert!(
            stale.is_empty(),
            "TypeScript bindings were stale and have been regenerated; commit them: {stale:?}"
        );
    }

    #[test]
    fn languages_serialise_as_catalogue_names() {
        let json = serde_json::to_string(&[Language::PtBr, Language::Es, Language::En]).unwrap();
        assert_eq!(json, r#"["pt-BR","es","en"]"#);
    }

    #[test]
    fn system_locale_maps_to_the_closest_supported_language() {
        assert_eq!(Language::from_locale("pt-BR"), Language::PtBr);
        assert_eq!(Language::from_locale("pt_PT.UTF-8"), Language::PtBr);
        assert_eq!(Language::from_locale("es-AR"), Language::Es);
        assert_eq!(Language::from_locale("en-US"), Language::En);
        assert_eq!(Language::from_locale("de-DE"), Language::En);
        assert_eq!(Language::from_locale(""), Language::En);
    }

    #[test]
    fn session_mode_is_snake_case() {
        assert_eq!(
            serde_json::to_string(&SessionMode::Sandbox).unwrap(),
            r#""sandbox""#
        );
        assert_eq!(
            serde_json::to_string(&SessionMode::Server).unwrap(),
            r#""server""#
        );
    }
}
