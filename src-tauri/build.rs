//! Declares the app's commands so that each one gets an `allow-<command>` permission: with an
//! app manifest, a command is callable only from windows whose capability grants it
//! (capabilities/default.json grants them to the main window).

const COMMANDS: &[&str] = &[
    "get_startup",
    "start_sandbox",
    "sign_in",
    "sign_out",
    "set_language",
    "list_senders",
    "list_templates",
    "sync_whatsapp",
    "list_campaigns",
    "check_campaign_name",
    "create_campaign",
    "get_campaign",
    "set_campaign_status",
    "campaign_docs",
    "copy_token_curl",
    "copy_send_curl",
    "list_messages",
    "ui_ready",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run the Tauri build script");
}
