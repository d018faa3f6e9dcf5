//! End-to-end suite: the real `engage-desktop` window (debug build, UI embedded), driven
//! through tauri-driver + WebKitWebDriver under Xvfb, with the copied curls run for real.
//!
//! Run by scripts/test.sh:
//! `ENGAGE_E2E=1 xvfb-run -a dbus-run-session -- scripts/with-keyring.sh cargo test --workspace --test e2e -- --test-threads=1`
//! Without `ENGAGE_E2E=1` every test prints that the suite was not run and passes; with it,
//! a missing prerequisite (tauri-driver, xclip, display, binaries) fails the run.
//! Screenshots of every screen visited: `target/e2e-screenshots/<test>-<NN>-<step>.png`;
//! logs of tauri-driver + the app and of the external server: `target/e2e-logs/`.

mod accessibility;
mod callbacks;
mod campaigns;
mod credentials;
mod curls;
mod diagnostics;
mod first_run;
mod frequency_cap;
mod insights;
mod integration;
mod languages;
mod message_log;
mod opt_out_buttons;
mod opt_outs;
mod renderer;
mod session;
mod share;
mod shortcuts;
mod snippets;
mod team;
mod templates;
mod test_send;
