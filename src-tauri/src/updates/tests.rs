//! The update path the app uses (tauri-plugin-updater under a mock Tauri runtime, no window)
//! against a local HTTP server: a throwaway minisign key pair made here (the format Tauri's
//! signer writes), a signed package, `latest.json` as the release workflow publishes it. The
//! only differences from the shipped app are the public key (the throwaway one) and plain HTTP
//! on loopback (`dangerousInsecureTransportProtocol`, as the server has no certificate).

use std::io::Cursor;
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use base64::Engine;
use serde_json::json;
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime};

use super::*;

const NEW_VERSION: &str = "9.9.9";
const NOTES: &str = "Campanhas recorrentes mais rápidas.";

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A throwaway key pair: (public key as tauri.conf.json holds it, the secret key).
fn throwaway_key() -> (String, minisign::SecretKey) {
    let pair = minisign::KeyPair::generate_unencrypted_keypair().expect("key pair");
    let public = b64(&pair.pk.to_box().expect("public key box").to_string());
    (public, pair.sk)
}

/// The `.sig` content Tauri's signer writes for `bytes`, base64-encoded as in latest.json.
fn sign(secret: &minisign::SecretKey, bytes: &[u8]) -> String {
    let trusted =
        format!("timestamp:1764547200\tfile:engage_{NEW_VERSION}_amd64.deb\tversion:{NEW_VERSION}");
    let signature = minisign::sign(
        None,
        secret,
        Cursor::new(bytes),
        Some(&trusted),
        Some("signature from tauri secret key"),
    )
    .expect("signature");
    b64(&signature.to_string())
}

/// A package of 64 KiB standing in for the new version's installer.
fn package() -> Vec<u8> {
    (0..65_536u32)
        .map(|n| (n.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect()
}

/// Serves `/latest.json` (announcing `NEW_VERSION`, signature of `signed`) and `/package`
/// (the bytes `served`) on 127.0.0.1; the base URL.
async fn release_server(signature: String, served: Vec<u8>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let manifest = json!({
        "version": NEW_VERSION,
        "notes": NOTES,
        "pub_date": "2026-12-01T12:00:00Z",
        "platforms": {
            tauri_plugin_updater::target().expect("a supported target"): { "signature": signature, "url": format!("{base}/package") },
            "linux-x86_64": { "signature": signature, "url": format!("{base}/package") },
        }
    });
    let served = Arc::new(served);
    let app = Router::new()
        .route(
            "/latest.json",
            get(move || async move { axum::Json(manifest) }),
        )
        .route(
            "/package",
            get(move || async move { served.as_ref().clone() }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// The app's Tauri side under the mock runtime, with the updater plugin configured like
/// tauri.conf.json but with `public_key`.
fn app_with_key(public_key: &str) -> tauri::App<MockRuntime> {
    let mut context = mock_context(noop_assets());
    context.config_mut().plugins.0.insert(
        "updater".into(),
        json!({ "pubkey": public_key, "endpoints": [], "dangerousInsecureTransportProtocol": true }),
    );
    mock_builder()
        .plugin(tauri_plugin_updater::Builder::new().build())
        .build(context)
        .expect("mock app")
}

fn updates_at(base: &str) -> Updates {
    Updates::new(UpdateSource::Endpoint(
        format!("{base}/latest.json").parse().unwrap(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_signed_version_is_found_downloaded_and_verified() {
    let (public, secret) = throwaway_key();
    let bytes = package();
    let base = release_server(sign(&secret, &bytes), bytes.clone()).await;
    let app = app_with_key(&public);
    let updates = updates_at(&base);

    let found = updates
        .check(app.handle())
        .await
        .expect("the check succeeds");
    let found = found.expect("9.9.9 is newer than 0.1.0");
    assert_eq!(found.version, NEW_VERSION);
    assert_eq!(found.notes.as_deref(), Some(NOTES));
    assert_eq!(found.date.as_deref(), Some("2026-12-01T12:00:00Z"));

    let (update, downloaded) = updates.download().await.expect("the signature verifies");
    assert_eq!(downloaded, bytes);
    assert_eq!(update.version, NEW_VERSION);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_changed_by_one_byte_is_refused_and_nothing_is_installed() {
    let (public, secret) = throwaway_key();
    let bytes = package();
    let mut tampered = bytes.clone();
    tampered[40_000] ^= 0x01;
    let base = release_server(sign(&secret, &bytes), tampered).await;
    let app = app_with_key(&public);
    let updates = updates_at(&base);
    let exe = std::env::current_exe().unwrap();
    let before = std::fs::metadata(&exe).unwrap().modified().unwrap();

    updates
        .check(app.handle())
        .await
        .unwrap()
        .expect("an update is announced");
    let error = updates
        .install_and_restart(app.handle())
        .await
        .expect_err("a tampered package is never installed");
    assert_eq!(error.code(), "update_signature_invalid");
    assert!(
        error
            .to_string()
            .starts_with("The downloaded update is not signed by Engage's publisher"),
        "{error}"
    );
    assert_eq!(
        std::fs::metadata(&exe).unwrap().modified().unwrap(),
        before,
        "nothing was replaced"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_signed_with_another_key_is_refused() {
    let (public, _) = throwaway_key();
    let (_, other_secret) = throwaway_key();
    let bytes = package();
    let base = release_server(sign(&other_secret, &bytes), bytes).await;
    let app = app_with_key(&public);
    let updates = updates_at(&base);
    updates
        .check(app.handle())
        .await
        .unwrap()
        .expect("an update is announced");
    let error = updates.download().await.map(|_| ()).expect_err("wrong key");
    assert_eq!(error.code(), "update_signature_invalid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_version_is_no_update() {
    let app = app_with_key(&throwaway_key().0);
    // The mock app is version 0.1.0; an endpoint announcing 0.1.0 offers nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let same = format!("http://{}", listener.local_addr().unwrap());
    let manifest = json!({ "version": "0.1.0", "platforms": { "linux-x86_64": { "signature": "x", "url": format!("{same}/package") } } });
    tokio::spawn(async move {
        axum::serve(
            listener,
            Router::new().route(
                "/latest.json",
                get(move || async move { axum::Json(manifest) }),
            ),
        )
        .await
        .unwrap()
    });
    let updates = updates_at(&same);
    assert_eq!(updates.check(app.handle()).await.unwrap(), None);
    let error = updates
        .download()
        .await
        .map(|_| ())
        .expect_err("nothing pending");
    assert_eq!(error.code(), "update_not_found");
}

#[tokio::test]
async fn an_unreachable_endpoint_is_update_check_failed() {
    let app = app_with_key(&throwaway_key().0);
    let updates = updates_at("http://127.0.0.1:9");
    let error = updates
        .check(app.handle())
        .await
        .expect_err("nothing listens on port 9");
    assert_eq!(error.code(), "update_check_failed");
}

#[test]
fn without_an_endpoint_settings_say_updates_are_not_configured() {
    let info = Updates::new(UpdateSource::NotConfigured).app_info("0.1.0".into());
    assert_eq!(info.version, "0.1.0");
    assert_eq!(info.update_url, None);
    let problem = info.update_problem.expect("why");
    assert_eq!(problem.code, "updates_not_configured");
    assert!(
        problem.message.contains("ENGAGE_UPDATE_URL"),
        "{}",
        problem.message
    );
}
