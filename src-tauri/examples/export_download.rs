//! The app's side of the export benchmark (`engage-export-bench --app`, README "Message
//! export"): the desktop app's own code (`AppCore::sign_in`, then
//! `AppCore::export_messages_csv`, the function behind the Export button) downloading a
//! campaign's messages into a CSV file, in a process of its own so that the benchmark can
//! measure this process's memory apart from the server's.
//!
//! Driven by the benchmark through the environment and a handshake on stdin/stdout: it signs in
//! (`ENGAGE_BENCH_URL`, `ENGAGE_BENCH_EMAIL`, `ENGAGE_BENCH_PASSWORD`), prints `ready`, waits
//! for a line on stdin, exports campaign `ENGAGE_BENCH_CAMPAIGN` into `ENGAGE_BENCH_OUT` and
//! prints `exported <rows> <bytes>`.
//!   cargo build --release -p engage-desktop --example export_download

use std::collections::HashMap;
use std::io::BufRead as _;
use std::sync::{Arc, Mutex};

use engage_core::team::Language;
use engage_desktop::app_core::keyring_store::{KeyringError, SecretKey, SecretStore};
use engage_desktop::app_core::AppCore;
use engage_desktop::models::MessageLogFilter;

/// The session's tokens, in this process only: the benchmark has no keyring to talk to.
#[derive(Default)]
struct InMemory(Mutex<HashMap<String, String>>);

impl SecretStore for InMemory {
    fn get(&self, key: &SecretKey) -> Result<Option<String>, KeyringError> {
        Ok(self.0.lock().unwrap().get(key.as_str()).cloned())
    }
    fn set(&self, key: &SecretKey, secret: &str) -> Result<(), KeyringError> {
        self.0
            .lock()
            .unwrap()
            .insert(key.as_str().to_owned(), secret.to_owned());
        Ok(())
    }
    fn delete(&self, key: &SecretKey) -> Result<(), KeyringError> {
        self.0.lock().unwrap().remove(key.as_str());
        Ok(())
    }
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

#[tokio::main]
async fn main() {
    let data = tempfile::tempdir().expect("a data directory");
    let core = AppCore::new(
        data.path().to_path_buf(),
        Arc::new(InMemory::default()),
        Language::En,
    );
    core.sign_in(
        &env("ENGAGE_BENCH_URL"),
        &env("ENGAGE_BENCH_EMAIL"),
        &env("ENGAGE_BENCH_PASSWORD"),
    )
    .await
    .expect("signed in");
    println!("ready");
    let mut go = String::new();
    std::io::stdin().lock().read_line(&mut go).expect("stdin");
    let out = std::path::PathBuf::from(env("ENGAGE_BENCH_OUT"));
    let outcome = core
        .export_messages_csv(
            &env("ENGAGE_BENCH_CAMPAIGN"),
            &MessageLogFilter::default(),
            "America/Sao_Paulo",
            &out,
            |_| {},
        )
        .await
        .expect("exported");
    let bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    println!("exported {} {bytes}", outcome.rows);
    core.shutdown().await;
}
