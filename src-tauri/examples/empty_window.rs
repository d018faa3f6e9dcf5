//! The floor of the footprint benchmark (scripts/footprint-bench.sh): an empty Tauri window of
//! the app's size, built from this crate with the same dependencies, features and release
//! profile, that prints `engage: ui ready first_screen <ms>` when its page has painted. The
//! app's start-up time and memory are printed as ratios to this one's.
//!   cargo build --release -p engage-desktop --example empty_window --features tauri/custom-protocol

/// The page has painted (same line format as the app's `ui_ready`).
#[tauri::command]
fn ui_ready(stage: engage_desktop::models::UiStage) {
    eprintln!(
        "engage: ui ready {} {}",
        stage.as_str(),
        engage_desktop::process_uptime_ms()
    );
}

fn main() {
    engage_desktop::process_uptime_ms();
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ui_ready])
        .run(tauri::generate_context!(
            "examples/empty-window/tauri.conf.json"
        ))
        .expect("the empty window runs");
}
