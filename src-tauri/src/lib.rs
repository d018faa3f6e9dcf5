//! Engage desktop app (skeleton; filled in by the desktop work).
pub fn run() {
    tauri::Builder::default()
        .plugin(tauri_plugin_clipboard_manager::init())
        .run(tauri::generate_context!())
        .expect("error while running the Engage app");
}
