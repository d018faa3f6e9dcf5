//! Types that cross the IPC boundary between the Rust side and the Svelte UI.
//!
//! They are generated for TypeScript into `ui/src/lib/bindings` by the test
//! `ipc_bindings_are_current` (run by `cargo test -p engage-desktop`), which fails when the
//! committed files were stale. The HTTP wire types (`Campaign`, `Sender`, ...) come from
//! `engage_core::wire` and are exported by engage-core's tests into the same folder.

use engage_core::callback::{CallbackAttempt, CallbackEndpoint, CallbackScope};
use engage_core::snippet::SnippetLangOption;
use engage_core::wire::{
    Campaign, CampaignStatus, CredentialMode, CredentialScope, RenderedMessage, SendMessageRequest,
    TemplateCategory, TemplateChange, TemplateStatus,
};
use engage_core::SnippetLang;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use ts_rs::TS;
use uuid::Uuid;

pub use engage_core::Language;
use engage_core::{Permission, Role};

/// Where the session's server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SessionMode {
    /// The engage-server library started inside the app, on 127.0.0.1, with the demo workspace.
    Sandbox,
    /// An Engage server the user signed in to with email and password.
    Server,
}

/// The window's colours (issue 15): the OS's light or dark appearance, or one of them always.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// One row of the campaign list (all recurrent): what the list shows and is searched by
/// (issue 14). The template's components and variables and the sender's details stay out:
/// with them 1,000 rows were 1.1 MB across the IPC, parsed and kept by the web process. A
/// campaign is read whole when it is opened.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CampaignRow {
    #[ts(type = "string")]
    pub id: Uuid,
    pub name: String,
    pub status: CampaignStatus,
    pub sender: SenderRow,
    pub template: TemplateRow,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub created_at: OffsetDateTime,
    /// Live messages sent in the last 7 days.
    #[ts(type = "number")]
    pub sent_last_7_days: u64,
    #[serde(with = "time::serde::rfc3339::option")]
    #[ts(type = "string | null")]
    pub last_sent_at: Option<OffsetDateTime>,
}

/// The sender of a [`CampaignRow`]: its name and number as people read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SenderRow {
    pub name: String,
    /// e.g. `+55 11 98765-4321`.
    pub phone_display: String,
}

/// The template of a [`CampaignRow`]: its name, language and category, and what the row's
/// notice badge needs (its status and Meta's last change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TemplateRow {
    pub name: String,
    pub language: String,
    pub category: TemplateCategory,
    pub status: TemplateStatus,
    pub last_change: Option<TemplateChange>,
}

impl From<Campaign> for CampaignRow {
    fn from(campaign: Campaign) -> Self {
        let template = campaign.template;
        CampaignRow {
            id: campaign.id,
            name: campaign.name,
            status: campaign.status,
            sender: SenderRow {
                name: campaign.sender.name,
                phone_display: campaign.sender.phone_display,
            },
            template: TemplateRow {
                name: template.name,
                language: template.language,
                category: template.category,
                status: template.status,
                last_change: template.last_change,
            },
            created_at: campaign.created_at,
            sent_last_7_days: campaign.sent_last_7_days,
            last_sent_at: campaign.last_sent_at,
        }
    }
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
    /// What the signed-in person is in the workspace, and what that allows: the UI hides or
    /// disables the rest and says why.
    pub role: Role,
    pub permissions: Vec<Permission>,
}

/// The last server sign-in (no secret), to pre-fill the sign-in form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LastSignIn {
    pub server_url: String,
    pub email: String,
}

/// Everything the UI needs on its first screen, answered at once (no network).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Startup {
    /// The current session (already signed in in this run), if any.
    pub session: Option<SessionInfo>,
    /// A last session is being restored: show the first screen with a quiet progress state
    /// and call `restore_session`.
    pub restoring: bool,
    /// The language chosen in settings; `null` means "follow the OS" (`system_language`).
    pub language: Option<Language>,
    /// The supported language closest to the OS locale.
    pub system_language: Language,
    /// Always `null` here (kept for the sign-in screen's shape); see [`Restored::notice`].
    pub notice: Option<IpcError>,
    /// The last server sign-in, to pre-fill the form.
    pub last_sign_in: Option<LastSignIn>,
    /// The theme chosen in settings (issue 15).
    pub theme: Theme,
    /// The campaign list, when the session restored at launch has read it by now: the first
    /// screen shows it without another round trip (issue 14). `null`: ask `list_campaigns`.
    pub campaigns: Option<Vec<CampaignRow>>,
}

/// The outcome of restoring the last session (`restore_session`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Restored {
    /// The restored session, when there was one and it could be restored.
    pub session: Option<SessionInfo>,
    /// Why the last session could not be restored (`server_unreachable`, `session_expired`,
    /// `keyring_unavailable`, `sandbox_failed`), to show on the sign-in screen.
    pub notice: Option<IpcError>,
}

/// A moment of the UI's start that the footprint benchmark measures (`ui_ready`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum UiStage {
    /// The first screen is interactive (before the last session is restored).
    FirstScreen,
    /// The campaign list has been shown for the first time.
    Campaigns,
}

impl UiStage {
    pub fn as_str(self) -> &'static str {
        match self {
            UiStage::FirstScreen => "first_screen",
            UiStage::Campaigns => "campaigns",
        }
    }
}

/// The app's version and how it finds updates (Settings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AppInfo {
    pub version: String,
    /// The endpoint the app checks for updates; `null` when updates are not configured.
    pub update_url: Option<String>,
    /// Why updates are off (`updates_not_configured` or an invalid `ENGAGE_UPDATE_URL`).
    pub update_problem: Option<IpcError>,
}

/// A newer version offered by the update endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UpdateInfo {
    pub version: String,
    /// The release notes, as published (plain text or Markdown).
    pub notes: Option<String>,
    /// The publication date, RFC 3339, when the endpoint gives one.
    pub date: Option<String>,
}

/// The answer of `check_for_updates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UpdateCheck {
    /// `false` when a background check was skipped (one already happened today).
    pub checked: bool,
    /// The newer version, if there is one.
    pub update: Option<UpdateInfo>,
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
    /// The language the steps are shown in (the remembered choice).
    pub lang: SnippetLang,
    /// Every language of the picker, curl first.
    pub languages: Vec<SnippetLangOption>,
    /// Step 1: the code that prints the token response (secret masked).
    pub token_snippet_masked: String,
    /// Step 2: the code that sends the message with the token from `ENGAGE_TOKEN`.
    pub send_snippet_masked: String,
    /// The JSON body of the send curl.
    pub request: SendMessageRequest,
    /// The message the recipient gets with these values.
    pub rendered: RenderedMessage,
    // ---- per-campaign credentials and test mode (issue 11, part B)
    /// Which credentials the curls use: `live` or `test`.
    pub mode: CredentialMode,
    /// `campaign` (its own client) or `workspace` (the shared client, until rotated).
    pub scope: CredentialScope,
    /// RFC 3339: when a token of these credentials was last issued or used.
    pub last_used_at: Option<String>,
    /// RFC 3339: until when the previous secret still works after a rotation.
    pub previous_secret_expires_at: Option<String>,
    /// The number "Send a test to my phone" used last time (issue 12).
    pub test_phone: Option<String>,
}

/// A document the documentation screen saves for the technical team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ApiDocument {
    /// The server's OpenAPI document, JSON.
    OpenapiJson,
    /// The same document, YAML.
    OpenapiYaml,
    /// A Postman collection (v2.1) with the campaign's two requests prefilled.
    Postman,
}

impl ApiDocument {
    /// The file name the save dialog proposes, and its filter (name, extension).
    pub fn file(self) -> (&'static str, &'static str, &'static str) {
        match self {
            ApiDocument::OpenapiJson => ("engage-openapi.json", "OpenAPI (JSON)", "json"),
            ApiDocument::OpenapiYaml => ("engage-openapi.yaml", "OpenAPI (YAML)", "yaml"),
            ApiDocument::Postman => (
                "engage.postman_collection.json",
                "Postman collection",
                "json",
            ),
        }
    }
}

/// The formats of the guide for the technical team (issue 15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum GuideFormat {
    /// One self-contained HTML file (styles inside, no scripts).
    Html,
    Markdown,
}

impl GuideFormat {
    /// The save dialog's filter (name, extension).
    pub fn filter(self) -> (&'static str, &'static str) {
        match self {
            GuideFormat::Html => ("HTML", "html"),
            GuideFormat::Markdown => ("Markdown", "md"),
        }
    }
}

/// Filters of the audit log screen (all optional): person (user id), action (snake_case),
/// campaign id, period (RFC 3339 times, `to` exclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AuditQuery {
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub campaign: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
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

// ---- status callbacks (issue 11, part B)

/// The status callback endpoint receiving a campaign's events, as the app shows it (the
/// signing secret never crosses to the webview: Rust copies it to the clipboard).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CallbackView {
    pub url: String,
    /// `campaign`: the campaign's own endpoint; `workspace`: the workspace's.
    pub scope: CallbackScope,
    /// Failing for 24 hours: nothing is sent until it is saved again.
    pub paused: bool,
    /// RFC 3339: since when every attempt has failed.
    pub failing_since: Option<String>,
    /// Newest first.
    pub recent_attempts: Vec<CallbackAttempt>,
}

impl From<CallbackEndpoint> for CallbackView {
    fn from(endpoint: CallbackEndpoint) -> Self {
        CallbackView {
            url: endpoint.url,
            scope: endpoint.scope,
            paused: endpoint.paused,
            failing_since: endpoint.failing_since.and_then(|at| {
                at.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            }),
            recent_attempts: endpoint.recent_attempts,
        }
    }
}

/// What saving a callback URL did: the endpoint, and whether it was created (its signing
/// secret, shown once, is then on the clipboard).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct CallbackSaved {
    pub callback: CallbackView,
    pub secret_copied: bool,
}

/// How to verify `Engage-Signature` in one language: code, or a note for the curl
/// "languages" (they send, they do not receive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CallbackRecipe {
    pub lang: SnippetLang,
    /// The name people know the language by.
    pub label: String,
    pub code: Option<String>,
    pub note: Option<String>,
}

/// The message log's filters (issue 12), all optional: status, recipient (a number or its
/// start), period of creation (RFC 3339, `to` exclusive), test (`true`) or live (`false`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MessageLogFilter {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub recipient: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub test: Option<bool>,
}

/// How far a message export is (sent to the UI through a channel as the file is written).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ExportProgress {
    /// Rows written so far (the header not counted).
    #[ts(type = "number")]
    pub rows: u64,
    /// Rows the file will hold (the server's `X-Total-Count`).
    #[ts(type = "number")]
    pub total_rows: u64,
    #[ts(type = "number")]
    pub bytes: u64,
}

/// How a message export ended: saved at `path`, or cancelled (the partial file removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ExportOutcome {
    pub path: Option<String>,
    pub cancelled: bool,
    #[ts(type = "number")]
    pub rows: u64,
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
        export_checked::<AuditQuery>(&mut stale);
        export_checked::<SessionMode>(&mut stale);
        export_checked::<SessionInfo>(&mut stale);
        export_checked::<CampaignRow>(&mut stale);
        export_checked::<TemplateRow>(&mut stale);
        export_checked::<SenderRow>(&mut stale);
        export_checked::<LastSignIn>(&mut stale);
        export_checked::<Startup>(&mut stale);
        export_checked::<Restored>(&mut stale);
        export_checked::<UiStage>(&mut stale);
        export_checked::<AppInfo>(&mut stale);
        export_checked::<UpdateInfo>(&mut stale);
        export_checked::<UpdateCheck>(&mut stale);
        export_checked::<IpcError>(&mut stale);
        export_checked::<CampaignDocs>(&mut stale);
        export_checked::<WhatsAppSyncSkipped>(&mut stale);
        export_checked::<WhatsAppSyncSummary>(&mut stale);
        export_checked::<ApiDocument>(&mut stale);
        export_checked::<CallbackView>(&mut stale);
        export_checked::<CallbackRecipe>(&mut stale);
        export_checked::<CallbackSaved>(&mut stale);
        export_checked::<Theme>(&mut stale);
        export_checked::<GuideFormat>(&mut stale);
        export_checked::<MessageLogFilter>(&mut stale);
        export_checked::<ExportProgress>(&mut stale);
        export_checked::<ExportOutcome>(&mut stale);
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
