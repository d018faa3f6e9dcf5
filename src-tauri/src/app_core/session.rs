//! A signed-in session: the server, who is signed in, and the two staff tokens, held in Rust
//! memory only (the refresh token also in the OS keyring when the session is persisted).
//! A call refused with 401 refreshes the access token once and is retried; if that fails the
//! session has expired.

use std::future::Future;
use std::sync::Arc;

use engage_core::wire::{Me, StaffTokenResponse};
use engage_core::Role;
use tokio::sync::Mutex;

use super::api::ApiClient;
use super::keyring_store::{SecretKey, SecretStore};
use super::AppError;
use crate::models::{SessionInfo, SessionMode};

struct Tokens {
    access: String,
    refresh: String,
    /// Bumped on every refresh, so concurrent 401s refresh only once.
    generation: u64,
}

/// Where a persisted session keeps its refresh token.
#[derive(Clone)]
pub struct Persistence {
    pub store: Arc<dyn SecretStore>,
    pub key: SecretKey,
}

pub struct Session {
    api: ApiClient,
    mode: SessionMode,
    email: String,
    workspace_name: String,
    role: Role,
    tokens: Mutex<Tokens>,
    persistence: Option<Persistence>,
}

impl Session {
    pub fn new(
        api: ApiClient,
        mode: SessionMode,
        email: String,
        me: Me,
        tokens: StaffTokenResponse,
        persistence: Option<Persistence>,
    ) -> Session {
        Session {
            api,
            mode,
            email,
            workspace_name: me.workspace_name,
            role: me.role,
            tokens: Mutex::new(Tokens {
                access: tokens.access_token,
                refresh: tokens.refresh_token,
                generation: 0,
            }),
            persistence,
        }
    }

    pub fn api(&self) -> &ApiClient {
        &self.api
    }

    pub fn mode(&self) -> SessionMode {
        self.mode
    }

    pub fn email(&self) -> &str {
        &self.email
    }

    pub fn persistence(&self) -> Option<&Persistence> {
        self.persistence.as_ref()
    }

    pub fn info(&self) -> SessionInfo {
        SessionInfo {
            mode: self.mode,
            server_url: self.api.base().to_string(),
            email: self.email.clone(),
            workspace_name: self.workspace_name.clone(),
            persisted: self.persistence.is_some(),
            role: self.role,
            permissions: self.role.permissions(),
        }
    }

    /// Runs `call` with the access token; on a 401 refreshes once and runs it again.
    /// A second 401, or a refused refresh, is `session_expired`.
    pub async fn authorized<T, F, Fut>(&self, call: F) -> Result<T, AppError>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        let (token, generation) = {
            let tokens = self.tokens.lock().await;
            (tokens.access.clone(), tokens.generation)
        };
        match call(token).await {
            Err(e) if e.http_status() == Some(401) => {
                let token = self.refresh(generation).await?;
                match call(token).await {
                    Err(e) if e.http_status() == Some(401) => Err(AppError::SessionExpired),
                    other => other,
                }
            }
            other => other,
        }
    }

    /// Exchanges the refresh token for new tokens unless another call already did since
    /// `seen_generation`; returns the current access token.
    async fn refresh(&self, seen_generation: u64) -> Result<String, AppError> {
        let mut tokens = self.tokens.lock().await;
        if tokens.generation != seen_generation {
            return Ok(tokens.access.clone());
        }
        let fresh = self.api.refresh(&tokens.refresh).await?;
        tokens.access = fresh.access_token;
        tokens.refresh = fresh.refresh_token;
        tokens.generation += 1;
        if let Some(persistence) = &self.persistence {
            let (store, key, refresh) = (
                persistence.store.clone(),
                persistence.key.clone(),
                tokens.refresh.clone(),
            );
            let saved = tokio::task::spawn_blocking(move || store.set(&key, &refresh)).await;
            match saved {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "could not save the refreshed session in the keyring")
                }
                Err(e) => tracing::warn!(error = %e, "keyring task failed"),
            }
        }
        Ok(tokens.access.clone())
    }

    /// Revokes both tokens on the server (best effort: signing out never fails because the
    /// server is away).
    pub async fn revoke(&self) {
        let tokens = self.tokens.lock().await;
        if let Err(e) = self.api.logout(&tokens.access, &tokens.refresh).await {
            tracing::warn!(
                code = e.code(),
                "could not revoke the session on the server"
            );
        }
    }
}
