//! The Tauri commands: one line each over [`AppCore`], which validates the input and does the
//! work. Arguments arrive in camelCase from JS (`serverUrl`, `senderId`, ...); errors cross as
//! `IpcError {code, message, field?}` (see [`AppError`]).
//!
//! The two copy commands write the FULL curl, client secret included, to the system clipboard
//! from Rust, so the secret never enters the webview.

use std::collections::BTreeMap;

use engage_core::wire::{Campaign, MessagePage, NameAvailability, Sender, Template};
use tauri::{AppHandle, State};
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::app_core::{AppCore, AppError};
use crate::models::{CampaignDocs, SessionInfo, Startup, WhatsAppSyncSummary};

type Core<'a> = State<'a, AppCore>;
type Reply<T> = Result<T, AppError>;

#[tauri::command]
pub async fn get_startup(core: Core<'_>) -> Reply<Startup> {
    Ok(core.startup().await)
}

#[tauri::command]
pub async fn start_sandbox(core: Core<'_>) -> Reply<SessionInfo> {
    core.start_sandbox().await
}

#[tauri::command]
pub async fn sign_in(
    core: Core<'_>,
    server_url: String,
    email: String,
    password: String,
) -> Reply<SessionInfo> {
    core.sign_in(&server_url, &email, &password).await
}

#[tauri::command]
pub async fn sign_out(core: Core<'_>) -> Reply<()> {
    core.sign_out().await
}

#[tauri::command]
pub async fn set_language(core: Core<'_>, language: Option<String>) -> Reply<()> {
    core.set_language(language.as_deref()).await
}

#[tauri::command]
pub async fn list_senders(core: Core<'_>) -> Reply<Vec<Sender>> {
    core.list_senders().await
}

#[tauri::command]
pub async fn list_templates(core: Core<'_>) -> Reply<Vec<Template>> {
    core.list_templates().await
}

#[tauri::command]
pub async fn sync_whatsapp(core: Core<'_>) -> Reply<WhatsAppSyncSummary> {
    core.sync_whatsapp().await
}

#[tauri::command]
pub async fn list_campaigns(core: Core<'_>, query: Option<String>) -> Reply<Vec<Campaign>> {
    core.list_campaigns(query.as_deref()).await
}

#[tauri::command]
pub async fn check_campaign_name(core: Core<'_>, name: String) -> Reply<NameAvailability> {
    core.check_campaign_name(&name).await
}

#[tauri::command]
pub async fn create_campaign(
    core: Core<'_>,
    name: String,
    sender_id: String,
    template_id: String,
) -> Reply<Campaign> {
    core.create_campaign(&name, &sender_id, &template_id).await
}

#[tauri::command]
pub async fn get_campaign(core: Core<'_>, id: String) -> Reply<Campaign> {
    core.get_campaign(&id).await
}

#[tauri::command]
pub async fn set_campaign_status(core: Core<'_>, id: String, status: String) -> Reply<Campaign> {
    core.set_campaign_status(&id, &status).await
}

#[tauri::command]
pub async fn campaign_docs(
    core: Core<'_>,
    id: String,
    variables: BTreeMap<String, String>,
    to: Option<String>,
) -> Reply<CampaignDocs> {
    core.campaign_docs(&id, &variables, to.as_deref()).await
}

#[tauri::command]
pub async fn copy_token_curl(app: AppHandle, core: Core<'_>, id: String) -> Reply<()> {
    copy_secret(&app, core.token_curl(&id).await?)
}

#[tauri::command]
pub async fn copy_send_curl(
    app: AppHandle,
    core: Core<'_>,
    id: String,
    variables: BTreeMap<String, String>,
    to: Option<String>,
) -> Reply<()> {
    copy_secret(&app, core.send_curl(&id, &variables, to.as_deref()).await?)
}

#[tauri::command]
pub async fn list_messages(
    core: Core<'_>,
    campaign_id: String,
    cursor: Option<String>,
) -> Reply<MessagePage> {
    core.list_messages(&campaign_id, cursor.as_deref()).await
}

/// The UI has mounted: one line on stderr that the footprint benchmark reads.
#[tauri::command]
pub fn ui_ready() {
    eprintln!("engage: ui ready {}", crate::process_uptime_ms());
}

/// Writes text holding a secret to the clipboard, hinting clipboard managers to keep it out of
/// their history.
fn copy_secret(app: &AppHandle, text: String) -> Reply<()> {
    app.clipboard()
        .write_secret(text)
        .map_err(|e| AppError::ClipboardUnavailable(e.to_string()))
}
