//! Engage desktop app: the Tauri shell. The work happens in [`app_core`] (no Tauri types,
//! tested without a window); [`commands`] are one-liners over it; [`models`] are the IPC
//! types, exported to TypeScript.

pub mod app_core;
pub mod commands;
pub mod models;

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use tauri::{Manager, RunEvent};

use app_core::keyring_store::OsKeyring;
use app_core::{settings, AppCore};
use models::Language;

static STARTED: OnceLock<Instant> = OnceLock::new();

/// Milliseconds since the process entered `run` (the footprint benchmark reads it).
pub fn process_uptime_ms() -> u128 {
    STARTED.get_or_init(Instant::now).elapsed().as_millis()
}

pub fn run() {
    STARTED.get_or_init(Instant::now);
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    let system_language = Language::from_locale(&sys_locale::get_locale().unwrap_or_default());
    let core = AppCore::new(settings::data_dir(), Arc::new(OsKeyring), system_language);
    tracing::info!(data_dir = %core.data_dir().display(), "starting");

    let app = tauri::Builder::default()
        .plugin(tauri_plugin_clipboard_manager::init())
        .manage(core)
        .invoke_handler(tauri::generate_handler![
            commands::get_startup,
            commands::start_sandbox,
            commands::sign_in,
            commands::sign_out,
            commands::set_language,
            commands::list_senders,
            commands::list_templates,
            commands::sync_whatsapp,
            commands::list_campaigns,
            commands::check_campaign_name,
            commands::create_campaign,
            commands::get_campaign,
            commands::set_campaign_status,
            commands::campaign_docs,
            commands::copy_token_curl,
            commands::copy_send_curl,
            commands::list_messages,
            commands::ui_ready,
        ])
        .build(tauri::generate_context!())
        .expect("error while building the Engage app");

    app.run(|app, event| {
        if let RunEvent::Exit = event {
            // Stops the sandbox server cleanly (its SQLite file stays for next launch).
            tauri::async_runtime::block_on(app.state::<AppCore>().shutdown());
        }
    });
}
