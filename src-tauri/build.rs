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
    "set_campaign_frequency_cap",
    "set_opt_out_buttons",
    "campaign_docs",
    "copy_token_curl",
    "copy_send_curl",
    "list_messages",
    "ui_ready",
    // issue 14: start-up, updates, diagnostics
    "restore_session",
    "app_info",
    "check_for_updates",
    "install_update",
    "copy_diagnostics",
    "open_log_folder",
    "set_snippet_lang",
    "save_api_document",
    // per-campaign credentials (issue 11, part B)
    "rotate_credentials",
    "revoke_credentials",
    "get_callback",
    "set_callback",
    "rotate_callback_secret",
    "send_test_callback",
    "callback_recipes",
    "accept_invitation",
    "get_team",
    "invite_member",
    "update_member",
    "reset_member_password",
    "unblock_member",
    "change_password",
    "list_sessions",
    "sign_out_everywhere",
    "audit_log",
    "export_audit_csv",
    // issue 15: the integration log
    "integration_log",
    "integration_health",
    "set_theme",
    "save_integration_guide",
    // issue 12: campaign results
    "campaign_stats",
    "send_test_message",
    "list_opt_outs",
    "add_opt_out",
    "remove_opt_out",
    "opt_out_keywords",
    "export_opt_outs_csv",
    "import_opt_outs_csv",
    "simulate_reply",
    // issue 12: the message log's export
    "export_messages_csv",
    "cancel_message_export",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run the Tauri build script");
}
