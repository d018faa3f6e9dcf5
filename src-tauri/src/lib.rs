//! Engage desktop app: the Tauri shell. The work happens in [`app_core`] (no Tauri types,
//! tested without a window); [`commands`] are one-liners over it; [`models`] are the IPC
//! types, exported to TypeScript; [`updates`] drives tauri-plugin-updater.

pub mod app_core;
pub mod commands;
pub mod models;
pub mod updates;

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use tauri::{AppHandle, Manager, RunEvent};

use app_core::config::AppConfig;
use app_core::diagnostics;
use app_core::keyring_store::OsKeyring;
use app_core::AppCore;
use models::Language;

static STARTED: OnceLock<Instant> = OnceLock::new();
/// The running app, for the panic hook to tell the window.
static APP: OnceLock<AppHandle> = OnceLock::new();

/// Milliseconds since the process entered `run` (the footprint benchmark reads it).
pub fn process_uptime_ms() -> u128 {
    STARTED.get_or_init(Instant::now).elapsed().as_millis()
}

/// Tells the window that the Rust side panicked: it shows a message with "Copy diagnostics"
/// (an event dispatched by script evaluation, so no event permission is granted to the page).
fn tell_window_about_panic(_message: &str) {
    if let Some(window) = APP.get().and_then(|app| app.get_webview_window("main")) {
        let _ = window.eval("window.dispatchEvent(new CustomEvent('engage-panic'))");
    }
}

pub fn run() {
    STARTED.get_or_init(Instant::now);
    let config = AppConfig::from_process_env();
    // Before any other thread exists (the log writer, the async runtime, GTK): WebKitGTK and
    // the web processes it spawns read these.
    for (name, value) in &config.webkit_env {
        std::env::set_var(name, value);
    }
    diagnostics::init_logging(&diagnostics::log_dir(&config.data_dir));
    diagnostics::log_panics(tell_window_about_panic);

    let system_language = Language::from_locale(&sys_locale::get_locale().unwrap_or_default());
    let core = AppCore::new(
        config.data_dir.clone(),
        Arc::new(OsKeyring),
        system_language,
    );
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        data_dir = %core.data_dir().display(),
        updates = ?config.updates,
        "starting"
    );
    // Restore the last session (for the sandbox: start the embedded server, sign in, read the
    // campaign list) on the async runtime at once, in parallel with GTK and the webview
    // starting on this thread; the UI shows its first screen and then awaits this through
    // `restore_session`.
    let core = Arc::new(core);
    let restoring = core.clone();
    tauri::async_runtime::spawn(async move {
        restoring.restore_session().await;
    });

    let app = tauri::Builder::default()
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        // The save dialog, opened from Rust only (the webview is granted no dialog permission).
        .plugin(tauri_plugin_dialog::init())
        .manage(core)
        .manage(updates::Updates::new(config.updates))
        .manage(commands::SaveDir(config.save_dir))
        .setup(|app| {
            let _ = APP.set(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::get_startup,
            commands::restore_session,
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
            commands::set_campaign_frequency_cap,
            commands::set_opt_out_buttons,
            commands::campaign_docs,
            commands::copy_token_curl,
            commands::copy_send_curl,
            commands::list_messages,
            commands::ui_ready,
            commands::app_info,
            commands::check_for_updates,
            commands::install_update,
            commands::copy_diagnostics,
            commands::open_log_folder,
            commands::set_snippet_lang,
            commands::save_api_document,
            commands::rotate_credentials,
            commands::revoke_credentials,
            commands::get_callback,
            commands::set_callback,
            commands::rotate_callback_secret,
            commands::send_test_callback,
            commands::callback_recipes,
            commands::accept_invitation,
            commands::get_team,
            commands::invite_member,
            commands::update_member,
            commands::reset_member_password,
            commands::unblock_member,
            commands::change_password,
            commands::list_sessions,
            commands::sign_out_everywhere,
            commands::audit_log,
            commands::export_audit_csv,
            // issue 15: the integration log
            commands::integration_log,
            commands::integration_health,
            commands::set_theme,
            commands::save_integration_guide,
            // issue 12
            commands::campaign_stats,
            commands::send_test_message,
            commands::list_opt_outs,
            commands::add_opt_out,
            commands::remove_opt_out,
            commands::opt_out_keywords,
            commands::export_opt_outs_csv,
            commands::import_opt_outs_csv,
            commands::simulate_reply,
            commands::export_messages_csv,
            commands::cancel_message_export,
        ])
        .build(tauri::generate_context!())
        .expect("error while building the Engage app");

    app.run(|app, event| {
        if let RunEvent::Exit = event {
            // Stops the sandbox server cleanly (its SQLite file stays for next launch).
            tauri::async_runtime::block_on(app.state::<Arc<AppCore>>().shutdown());
        }
    });
}
