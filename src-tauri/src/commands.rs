//! The Tauri commands: one line each over [`AppCore`], which validates the input and does the
//! work. Arguments arrive in camelCase from JS (`serverUrl`, `senderId`, ...); errors cross as
//! `IpcError {code, message, field?}` (see [`AppError`]).
//!
//! The two copy commands write the FULL curl, client secret included, to the system clipboard
//! from Rust, so the secret never enters the webview.

use std::collections::BTreeMap;
use std::sync::Arc;

use engage_core::wire::{
    AuditPage, Campaign, FrequencyCap, InvitationCreated, MessagePage, NameAvailability, Sender,
    SessionList, Team, TeamMember, Template,
};
use engage_core::SnippetLang;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_clipboard_manager::ClipboardExt;
use tauri_plugin_dialog::DialogExt;

use crate::app_core::{diagnostics, AppCore, AppError};
use crate::models::{
    ApiDocument, AppInfo, AuditQuery, CallbackRecipe, CallbackSaved, CallbackView, CampaignDocs,
    CampaignRow, ExportOutcome, ExportProgress, MessageLogFilter, Restored, SessionInfo, Startup,
    UiStage, UpdateCheck, WhatsAppSyncSummary,
};
use crate::updates::Updates;

type Core<'a> = State<'a, Arc<AppCore>>;
type Updater<'a> = State<'a, Updates>;
type Reply<T> = Result<T, AppError>;

#[tauri::command]
pub async fn get_startup(core: Core<'_>) -> Reply<Startup> {
    Ok(core.startup().await)
}

#[tauri::command]
pub async fn restore_session(core: Core<'_>) -> Reply<Restored> {
    Ok(core.restore_session().await)
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
pub async fn list_campaigns(core: Core<'_>, query: Option<String>) -> Reply<Vec<CampaignRow>> {
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
    frequency_cap: Option<FrequencyCap>,
) -> Reply<Campaign> {
    core.create_campaign(&name, &sender_id, &template_id, frequency_cap)
        .await
}

#[tauri::command]
pub async fn get_campaign(core: Core<'_>, id: String) -> Reply<Campaign> {
    core.get_campaign(&id).await
}

#[tauri::command]
pub async fn set_campaign_frequency_cap(
    core: Core<'_>,
    id: String,
    frequency_cap: Option<FrequencyCap>,
) -> Reply<Campaign> {
    core.set_campaign_frequency_cap(&id, frequency_cap).await
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
    mode: Option<String>,
) -> Reply<CampaignDocs> {
    core.campaign_docs(&id, &variables, to.as_deref(), mode.as_deref())
        .await
}

/// Copies step 1 in `lang` (else the remembered language).
#[tauri::command]
pub async fn copy_token_curl(
    app: AppHandle,
    core: Core<'_>,
    id: String,
    mode: Option<String>,
    lang: Option<SnippetLang>,
) -> Reply<()> {
    copy_secret(&app, core.token_curl(&id, mode.as_deref(), lang).await?)
}

/// Copies step 2 in `lang` (else the remembered language).
#[tauri::command]
pub async fn copy_send_curl(
    app: AppHandle,
    core: Core<'_>,
    id: String,
    variables: BTreeMap<String, String>,
    to: Option<String>,
    mode: Option<String>,
    lang: Option<SnippetLang>,
) -> Reply<()> {
    let curl = core
        .send_curl(&id, &variables, to.as_deref(), mode.as_deref(), lang)
        .await?;
    copy_secret(&app, curl)
}

/// Rotates the secret and copies the new step 1 (secret included) to the clipboard.
#[tauri::command]
pub async fn rotate_credentials(
    app: AppHandle,
    core: Core<'_>,
    id: String,
    mode: Option<String>,
    grace: String,
) -> Reply<()> {
    copy_secret(
        &app,
        core.rotate_credentials(&id, mode.as_deref(), &grace)
            .await?,
    )
}

// ---- status callbacks (issue 11, part B)

#[tauri::command]
pub async fn get_callback(core: Core<'_>, campaign_id: String) -> Reply<Option<CallbackView>> {
    core.callback(&campaign_id).await
}

/// Saves the URL; a new endpoint's signing secret (shown once) goes to the clipboard.
#[tauri::command]
pub async fn set_callback(
    app: AppHandle,
    core: Core<'_>,
    campaign_id: String,
    scope: String,
    url: String,
) -> Reply<CallbackSaved> {
    let (callback, secret) = core.set_callback(&campaign_id, &scope, &url).await?;
    let secret_copied = secret.is_some();
    if let Some(secret) = secret {
        copy_secret(&app, secret)?;
    }
    Ok(CallbackSaved {
        callback,
        secret_copied,
    })
}

/// A new signing secret, copied to the clipboard.
#[tauri::command]
pub async fn rotate_callback_secret(
    app: AppHandle,
    core: Core<'_>,
    campaign_id: String,
    scope: String,
) -> Reply<()> {
    copy_secret(
        &app,
        core.rotate_callback_secret(&campaign_id, &scope).await?,
    )
}

#[tauri::command]
pub async fn set_snippet_lang(core: Core<'_>, lang: SnippetLang) -> Reply<()> {
    core.set_snippet_lang(lang).await
}

#[tauri::command]
pub async fn send_test_callback(core: Core<'_>, campaign_id: String) -> Reply<()> {
    core.send_test_callback(&campaign_id).await
}

#[tauri::command]
pub fn callback_recipes() -> Vec<CallbackRecipe> {
    crate::app_core::docs::callback_recipes()
}

#[tauri::command]
pub async fn revoke_credentials(core: Core<'_>, id: String, mode: Option<String>) -> Reply<()> {
    core.revoke_credentials(&id, mode.as_deref()).await
}

/// The campaign's message log, filtered (issue 12).
#[tauri::command]
pub async fn list_messages(
    core: Core<'_>,
    campaign_id: String,
    cursor: Option<String>,
    filter: Option<MessageLogFilter>,
) -> Reply<MessagePage> {
    core.message_log(&campaign_id, cursor.as_deref(), &filter.unwrap_or_default())
        .await
}

/// Asks where to save (the system's save dialog, from Rust), then streams the filtered
/// messages' CSV there, reporting progress on `on_progress`; `path: null` when the dialog
/// was cancelled, `cancelled` when [`cancel_message_export`] stopped it (issue 12).
#[tauri::command]
pub async fn export_messages_csv(
    app: AppHandle,
    core: Core<'_>,
    campaign_id: String,
    filter: MessageLogFilter,
    tz: String,
    on_progress: Channel<ExportProgress>,
) -> Reply<ExportOutcome> {
    let Some(path) = choose_save_path(&app, "engage-messages.csv", ("CSV", "csv")).await? else {
        return Ok(ExportOutcome {
            path: None,
            cancelled: false,
            rows: 0,
        });
    };
    core.export_messages_csv(&campaign_id, &filter, &tz, &path, |progress| {
        let _ = on_progress.send(progress);
    })
    .await
}

/// Stops the message export in progress; its partial file is removed.
#[tauri::command]
pub fn cancel_message_export(core: Core<'_>) {
    core.cancel_message_export();
}

/// The do-not-message list (issue 12).
#[tauri::command]
pub async fn list_opt_outs(
    core: Core<'_>,
    query: Option<String>,
    cursor: Option<String>,
) -> Reply<engage_core::wire::OptOutPage> {
    core.list_opt_outs(query.as_deref(), cursor.as_deref())
        .await
}

/// Saves the do-not-message list as CSV where the person picks (save dialog from Rust); the
/// path, or `null` when cancelled.
#[tauri::command]
pub async fn export_opt_outs_csv(app: AppHandle, core: Core<'_>) -> Reply<Option<String>> {
    save_as(
        &app,
        "engage-do-not-message.csv",
        ("CSV", "csv"),
        core.opt_outs_csv().await?,
    )
    .await
}

/// Picks a CSV file in the system's open dialog (from Rust) and imports its numbers; `null`
/// when cancelled.
#[tauri::command]
pub async fn import_opt_outs_csv(
    app: AppHandle,
    core: Core<'_>,
) -> Reply<Option<engage_core::wire::OptOutImport>> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .add_filter("CSV", &["csv", "txt"])
        .pick_file(move |path| {
            let _ = sender.send(path);
        });
    let Some(path) = receiver.await.ok().flatten() else {
        return Ok(None);
    };
    let path = path
        .into_path()
        .map_err(|e| AppError::ImportFailed(e.to_string()))?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| AppError::ImportFailed(format!("{}: {e}", path.display())))?;
    core.import_opt_outs(&bytes).await.map(Some)
}

/// The sandbox's simulated reply to a message (issue 12).
#[tauri::command]
pub async fn simulate_reply(
    core: Core<'_>,
    message_id: String,
    text: String,
    button: Option<bool>,
) -> Reply<engage_core::wire::SimulatedReply> {
    core.simulate_reply(&message_id, &text, button == Some(true))
        .await
}

/// Marks a template's quick-reply buttons as opt-out (issue 12 §4).
#[tauri::command]
pub async fn set_opt_out_buttons(
    core: Core<'_>,
    template_id: String,
    buttons: Vec<String>,
) -> Reply<Template> {
    core.set_opt_out_buttons(&template_id, buttons).await
}

#[tauri::command]
pub async fn add_opt_out(
    core: Core<'_>,
    phone: String,
    reason: Option<String>,
) -> Reply<engage_core::wire::OptOut> {
    core.add_opt_out(&phone, reason.as_deref()).await
}

#[tauri::command]
pub async fn remove_opt_out(core: Core<'_>, phone: String, reason: String) -> Reply<()> {
    core.remove_opt_out(&phone, &reason).await
}

#[tauri::command]
pub async fn opt_out_keywords(
    core: Core<'_>,
    keywords: Option<Vec<String>>,
) -> Reply<engage_core::wire::OptOutKeywords> {
    core.opt_out_keywords(keywords).await
}

/// "Send a test to my phone" (issue 12).
#[tauri::command]
pub async fn send_test_message(
    core: Core<'_>,
    campaign_id: String,
    to: String,
    variables: BTreeMap<String, String>,
) -> Reply<engage_core::wire::SendAccepted> {
    core.send_test_message(&campaign_id, &to, &variables).await
}

/// A campaign's statistics for a period (issue 12).
#[tauri::command]
pub async fn campaign_stats(
    core: Core<'_>,
    campaign_id: String,
    from: String,
    to: String,
    bucket: String,
    tz: String,
) -> Reply<engage_core::wire::CampaignStatsResponse> {
    core.campaign_stats(&campaign_id, &from, &to, &bucket, &tz)
        .await
}

// ---------------------------------------------------------------- team (issue 13)

#[tauri::command]
pub async fn accept_invitation(
    core: Core<'_>,
    server_url: String,
    code: String,
    password: String,
) -> Reply<SessionInfo> {
    core.accept_invitation(&server_url, &code, &password).await
}

#[tauri::command]
pub async fn get_team(core: Core<'_>) -> Reply<Team> {
    core.get_team().await
}

#[tauri::command]
pub async fn invite_member(
    core: Core<'_>,
    email: String,
    role: String,
) -> Reply<InvitationCreated> {
    core.invite_member(&email, &role).await
}

#[tauri::command]
pub async fn update_member(
    core: Core<'_>,
    id: String,
    role: Option<String>,
    active: Option<bool>,
) -> Reply<TeamMember> {
    core.update_member(&id, role.as_deref(), active).await
}

#[tauri::command]
pub async fn reset_member_password(core: Core<'_>, id: String) -> Reply<InvitationCreated> {
    core.reset_member_password(&id).await
}

#[tauri::command]
pub async fn unblock_member(core: Core<'_>, id: String) -> Reply<()> {
    core.unblock_member(&id).await
}

#[tauri::command]
pub async fn change_password(
    core: Core<'_>,
    current_password: String,
    new_password: String,
) -> Reply<()> {
    core.change_password(&current_password, &new_password).await
}

#[tauri::command]
pub async fn list_sessions(core: Core<'_>) -> Reply<SessionList> {
    core.list_sessions().await
}

#[tauri::command]
pub async fn sign_out_everywhere(core: Core<'_>) -> Reply<()> {
    core.sign_out_everywhere().await
}

#[tauri::command]
pub async fn audit_log(
    core: Core<'_>,
    query: AuditQuery,
    cursor: Option<String>,
) -> Reply<AuditPage> {
    core.audit_log(&query, cursor.as_deref()).await
}

/// Asks where to save (the system's save dialog, opened from Rust) and writes the CSV there;
/// `None` when the person cancelled.
#[tauri::command]
pub async fn export_audit_csv(
    app: AppHandle,
    core: Core<'_>,
    query: AuditQuery,
) -> Reply<Option<String>> {
    save_as(
        &app,
        "engage-audit-log.csv",
        ("CSV", "csv"),
        core.audit_csv(&query).await?,
    )
    .await
}

/// Saves the OpenAPI document or the campaign's Postman collection where the person picks
/// in the system's save dialog; the path saved to, or `null` when the dialog was cancelled.
#[tauri::command]
pub async fn save_api_document(
    app: AppHandle,
    core: Core<'_>,
    document: ApiDocument,
    id: String,
) -> Reply<Option<String>> {
    let bytes = core.api_document(document, &id).await?;
    let (name, filter, extension) = document.file();
    save_as(&app, name, (filter, extension), bytes).await
}

/// A moment of the UI's start: one line on stderr that the footprint benchmark reads.
#[tauri::command]
pub fn ui_ready(stage: UiStage) {
    eprintln!(
        "engage: ui ready {} {}",
        stage.as_str(),
        crate::process_uptime_ms()
    );
}

#[tauri::command]
pub fn app_info(app: AppHandle, updates: Updater<'_>) -> AppInfo {
    updates.app_info(app.package_info().version.to_string())
}

#[tauri::command]
pub async fn check_for_updates(
    app: AppHandle,
    core: Core<'_>,
    updates: Updater<'_>,
    force: bool,
) -> Reply<UpdateCheck> {
    updates.check_for_updates(&app, &core, force).await
}

#[tauri::command]
pub async fn install_update(app: AppHandle, updates: Updater<'_>) -> Reply<()> {
    updates.install_and_restart(&app).await
}

/// Puts the support report on the clipboard (no secret in it; see `diagnostics`).
#[tauri::command]
pub async fn copy_diagnostics(app: AppHandle, core: Core<'_>) -> Reply<()> {
    let text = core.diagnostics_report(&environment(&app)).await;
    app.clipboard()
        .write_text(text)
        .map_err(|e| AppError::ClipboardUnavailable(e.to_string()))
}

#[tauri::command]
pub fn open_log_folder(core: Core<'_>) -> Reply<()> {
    core.open_log_folder()
}

fn environment(app: &AppHandle) -> diagnostics::Environment {
    diagnostics::Environment {
        app_version: app.package_info().version.to_string(),
        webview_version: tauri::webview_version().ok(),
    }
}

/// Writes text holding a secret to the clipboard, hinting clipboard managers to keep it out of
/// their history.
fn copy_secret(app: &AppHandle, text: String) -> Reply<()> {
    app.clipboard()
        .write_secret(text)
        .map_err(|e| AppError::ClipboardUnavailable(e.to_string()))
}

/// Where to save a file: the system's save dialog (opened from Rust, `file_name` proposed,
/// one filter), or the folder of `ENGAGE_SAVE_DIR` without asking (the end-to-end suite);
/// `None` when the person cancelled.
pub(crate) async fn choose_save_path(
    app: &AppHandle,
    file_name: &str,
    (filter, extension): (&str, &str),
) -> Reply<Option<std::path::PathBuf>> {
    if let Some(dir) = &app.state::<SaveDir>().0 {
        return Ok(Some(dir.join(file_name)));
    }
    let (sender, receiver) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .add_filter(filter, &[extension])
        .set_file_name(file_name)
        .save_file(move |path| {
            let _ = sender.send(path);
        });
    let chosen = receiver
        .await
        .map_err(|e| AppError::DialogUnavailable(e.to_string()))?;
    chosen
        .map(|path| {
            path.into_path()
                .map_err(|e| AppError::DialogUnavailable(e.to_string()))
        })
        .transpose()
}

/// Asks where to save ([`choose_save_path`]) and writes `bytes` there; the path, or `None`
/// when cancelled.
async fn save_as(
    app: &AppHandle,
    file_name: &str,
    filter: (&str, &str),
    bytes: impl AsRef<[u8]>,
) -> Reply<Option<String>> {
    let Some(path) = choose_save_path(app, file_name, filter).await? else {
        return Ok(None);
    };
    AppCore::write_document(&path, bytes.as_ref())?;
    Ok(Some(path.display().to_string()))
}

// ---------------------------------------------------------------- integration log (issue 15)

#[tauri::command]
pub async fn integration_log(
    core: Core<'_>,
    campaign_id: String,
    refused_only: bool,
) -> Reply<engage_core::wire::IntegrationLog> {
    core.integration_log(&campaign_id, refused_only).await
}

#[tauri::command]
pub async fn integration_health(
    core: Core<'_>,
) -> Reply<Vec<engage_core::wire::CampaignIntegrationHealth>> {
    core.integration_health().await
}

// ---------------------------------------------------------------- first run (issue 15)

/// Remembers the theme (system, light, dark) in the app settings.
#[tauri::command]
pub async fn set_theme(core: Core<'_>, theme: crate::models::Theme) -> Reply<()> {
    core.set_theme(theme).await
}

/// Where "save" writes without asking (`ENGAGE_SAVE_DIR`), if anywhere.
pub struct SaveDir(pub Option<std::path::PathBuf>);

/// "Share with my technical team" (issue 15): the campaign's guide as HTML or Markdown,
/// saved where the person chooses; with `include_secret`, the client secret is in it (the
/// server checks the role and records the read). `None` when the dialog was cancelled.
#[tauri::command]
pub async fn save_integration_guide(
    app: AppHandle,
    core: Core<'_>,
    id: String,
    format: crate::models::GuideFormat,
    include_secret: bool,
) -> Reply<Option<String>> {
    let (file_name, text) = core.integration_guide(&id, format, include_secret).await?;
    save_as(&app, &file_name, format.filter(), text).await
}
