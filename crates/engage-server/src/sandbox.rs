//! The embedded sandbox of the desktop app: a server on loopback over a SQLite file in the
//! app's data directory, with the demo workspace seeded, and the demo user's sign-in
//! ([`Sandbox::sign_in`]).

use std::net::SocketAddr;
use std::path::Path;

use crate::config::{sqlite_url, SecretKeySource, ServerConfig, WhatsAppConfig};
use crate::demo::{seed_demo, DemoCredentials};
use crate::error::ServerError;
use crate::http::auth::open_session;
use crate::server::{start, RunningServer};
use crate::store::{Actor, AuditContext, SessionOrigin};
use engage_core::team::device_label;
use engage_core::wire::StaffTokenResponse;

/// Preferred sandbox port.
pub const SANDBOX_PORT: u16 = 8787;

#[derive(Debug)]
pub struct Sandbox {
    pub server: RunningServer,
    pub credentials: DemoCredentials,
}

impl Sandbox {
    /// Signs the demo user in, as `POST /v1/auth/login` would with the demo password, but
    /// without checking that password: the app that runs the sandbox holds its database and
    /// key, and the check costs an argon2 hash (~19 MiB and tens of milliseconds of CPU) on
    /// every launch of the app, while its window is starting (desktop footprint, issue 14).
    /// The session is an ordinary one: audited as a sign-in from "Engage desktop", refreshed,
    /// listed and ended like any other.
    pub async fn sign_in(&self) -> Result<StaffTokenResponse, ServerError> {
        let store = self.server.store();
        let user = store
            .user_by_email(&self.credentials.user.email)
            .await?
            .filter(|user| user.active)
            .ok_or_else(|| ServerError::NotFound {
                what: "active demo user",
                id: self.credentials.user.email.clone(),
            })?;
        let context = AuditContext {
            workspace_id: Some(user.workspace_id),
            actor: Actor::User {
                id: user.id,
                email: user.email.clone(),
            },
            address: None,
        };
        let origin = SessionOrigin {
            device: device_label(Some(concat!("engage-desktop/", env!("CARGO_PKG_VERSION")))),
            address: None,
        };
        Ok(open_session(store, &context, user.id, &origin).await?)
    }
}

/// Starts the sandbox: database `data_dir/sandbox.db`, key file `data_dir/secret.key`,
/// `127.0.0.1:8787` when free (else any free port), demo workspace seeded, the
/// whatsapp_cloud provider at its defaults (Meta's Graph API; no server-wide webhook secrets).
/// The sandbox reads no environment variable.
pub async fn start_sandbox(data_dir: &Path) -> Result<Sandbox, ServerError> {
    start_sandbox_with(data_dir, WhatsAppConfig::default()).await
}

/// [`start_sandbox`] with these whatsapp_cloud settings (tests point the Graph API at a
/// stand-in).
pub async fn start_sandbox_with(
    data_dir: &Path,
    whatsapp: WhatsAppConfig,
) -> Result<Sandbox, ServerError> {
    crate::store::files::create_private_dir(data_dir).map_err(|source| ServerError::Io {
        context: format!("sandbox data directory {}", data_dir.display()),
        source,
    })?;
    let database_url = format!("{}?mode=rwc", sqlite_url(&data_dir.join("sandbox.db")));
    let secret_key = SecretKeySource::File(data_dir.join("secret.key"));
    let credentials = seed_demo(&database_url, &secret_key).await?;
    let config = |listen: SocketAddr| ServerConfig {
        listen,
        whatsapp: whatsapp.clone(),
        // The sandbox runs on this computer: callbacks to a receiver here are the point.
        callbacks: crate::config::CallbackConfig {
            allow_private: true,
        },
        // Password sign-ins are rare here (the demo user's goes through `Sandbox::sign_in`):
        // each one's ~19 MiB of argon2 memory is freed after it, not kept in the app process
        // for a next one (desktop footprint, issue 14).
        limits: crate::config::Limits {
            keep_password_memory: false,
            // Loaded by the first send instead: the app's start does not read a number.
            load_phone_metadata_at_start: false,
            ..crate::config::Limits::default()
        },
        ..ServerConfig::new(database_url.clone(), secret_key.clone())
    };
    let preferred = SocketAddr::from(([127, 0, 0, 1], SANDBOX_PORT));
    let server = match start(config(preferred)).await {
        Ok(server) => server,
        Err(ServerError::Bind { .. }) => {
            start(config(SocketAddr::from(([127, 0, 0, 1], 0)))).await?
        }
        Err(error) => return Err(error),
    };
    Ok(Sandbox {
        server,
        credentials,
    })
}

/// Compile-time guard: the desktop app awaits these futures inside Tauri commands, which need
/// them `Send` for every lifetime (a borrowed sqlx pool used as `Acquire` breaks that). The
/// test build fails to compile if one stops being `Send`.
#[cfg(test)]
mod send_checks {
    fn require_send<F: std::future::Future + Send>(_: F) {}

    #[allow(dead_code)]
    fn futures_are_send(store: &crate::store::Store, path: &std::path::Path, url: &str) {
        require_send(crate::store::Store::connect(url));
        require_send(store.migrate());
        require_send(store.ping());
        require_send(crate::demo::seed_demo(
            url,
            &crate::SecretKeySource::File(path.into()),
        ));
        require_send(crate::start(crate::ServerConfig::new(
            url.to_owned(),
            crate::SecretKeySource::File(path.into()),
        )));
        require_send(super::start_sandbox(path));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sandbox_signs_its_demo_user_in_with_an_ordinary_session_from_the_desktop_app() {
        let dir = tempfile::tempdir().unwrap();
        let sandbox = start_sandbox(dir.path()).await.unwrap();
        let tokens = sandbox.sign_in().await.unwrap();
        let http = reqwest::Client::new();
        let get = |path: &str, token: &str| {
            http.get(format!("{}{path}", sandbox.server.base_url()))
                .bearer_auth(token)
                .send()
        };
        let me: serde_json::Value = get("/v1/me", &tokens.access_token)
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["email"], "demo@engage.local");
        let sessions: serde_json::Value = get("/v1/me/sessions", &tokens.access_token)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(sessions["items"][0]["device"], "Engage desktop");
        // Its refresh token rotates like any other.
        let refreshed = http
            .post(format!("{}/v1/auth/refresh", sandbox.server.base_url()))
            .json(&serde_json::json!({ "refresh_token": tokens.refresh_token }))
            .send()
            .await
            .unwrap();
        assert_eq!(refreshed.status(), reqwest::StatusCode::OK);
        sandbox.server.shutdown().await;
    }
}
