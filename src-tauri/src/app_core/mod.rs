//! The app core: everything the commands do, without Tauri, so it is tested without a window.
//! [`AppCore`] has one method per command; each validates its input first.

pub mod api;
pub mod docs;
pub mod error;
pub mod keyring_store;
pub mod sandbox;
pub mod session;
pub mod settings;
mod validate;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use engage_core::wire::{
    Campaign, CampaignType, CreateCampaignRequest, MessagePage, NameAvailability, Sender, Template,
    UpdateCampaignRequest,
};
use tokio::sync::{Mutex, RwLock};

pub use error::AppError;

use api::{ApiClient, ServerUrl};
use keyring_store::{SecretKey, SecretStore};
use sandbox::SandboxServer;
use session::{Persistence, Session};
use settings::{LastSession, Settings};

use crate::models::{
    CampaignDocs, IpcError, Language, LastSignIn, SessionInfo, SessionMode, Startup,
    WhatsAppSyncSummary,
};

/// Messages per page of the activity view.
const MESSAGES_PAGE: u32 = 50;

pub struct AppCore {
    data_dir: PathBuf,
    secrets: Arc<dyn SecretStore>,
    system_language: Language,
    settings: Mutex<Settings>,
    session: RwLock<Option<Arc<Session>>>,
    sandbox: Mutex<Option<SandboxServer>>,
    /// Serialises start-up, sign-in and sign-out, so a double click starts one sandbox.
    lifecycle: Mutex<()>,
}

impl AppCore {
    pub fn new(
        data_dir: PathBuf,
        secrets: Arc<dyn SecretStore>,
        system_language: Language,
    ) -> AppCore {
        let settings = Settings::load(&data_dir);
        AppCore {
            data_dir,
            secrets,
            system_language,
            settings: Mutex::new(settings),
            session: RwLock::new(None),
            sandbox: Mutex::new(None),
            lifecycle: Mutex::new(()),
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    // ------------------------------------------------------------ session lifecycle

    /// The first screen: the current session, or the last one restored (server mode from the
    /// keyring, sandbox mode by starting the sandbox again); why not, as a notice.
    pub async fn startup(&self) -> Startup {
        let _lifecycle = self.lifecycle.lock().await;
        let settings = self.settings.lock().await.clone();
        let mut notice = None;
        let session = match self.current().await {
            Some(session) => Some(session.info()),
            None => match &settings.last_session {
                None => None,
                Some(last) => match self.restore(last).await {
                    Ok(info) => info,
                    Err(e) => {
                        tracing::warn!(code = e.code(), error = %e, "could not restore the last session");
                        notice = Some(IpcError::from(&e));
                        None
                    }
                },
            },
        };
        Startup {
            session,
            language: settings.language,
            system_language: self.system_language,
            notice,
            last_sign_in: settings
                .last_session
                .filter(|last| last.mode == SessionMode::Server)
                .map(|last| LastSignIn {
                    server_url: last.server_url,
                    email: last.email,
                }),
        }
    }

    async fn restore(&self, last: &LastSession) -> Result<Option<SessionInfo>, AppError> {
        match last.mode {
            SessionMode::Sandbox => self.open_sandbox().await.map(Some),
            SessionMode::Server => {
                let url = ServerUrl::parse(&last.server_url, "server_url")?;
                let key = SecretKey::new(url.as_str(), &last.email);
                let Some(refresh_token) = self.keyring_get(&key).await? else {
                    return Ok(None);
                };
                let api = ApiClient::new(url);
                let tokens = match api.refresh(&refresh_token).await {
                    Err(AppError::SessionExpired) => {
                        self.keyring_delete(&key).await.ok();
                        return Err(AppError::SessionExpired);
                    }
                    other => other?,
                };
                let me = api.me(&tokens.access_token).await?;
                let persistence = self.persist(&key, &tokens.refresh_token).await;
                let session = Session::new(
                    api,
                    SessionMode::Server,
                    last.email.clone(),
                    me.workspace_name,
                    tokens,
                    persistence,
                );
                Ok(Some(self.install(session).await))
            }
        }
    }

    /// "Try the sandbox": starts the embedded server (once) and signs in with the demo user.
    pub async fn start_sandbox(&self) -> Result<SessionInfo, AppError> {
        let _lifecycle = self.lifecycle.lock().await;
        if let Some(session) = self.current().await {
            if session.mode() == SessionMode::Sandbox {
                return Ok(session.info());
            }
        }
        self.end_session_logged().await;
        self.open_sandbox().await
    }

    async fn open_sandbox(&self) -> Result<SessionInfo, AppError> {
        let (url, email, password) = {
            let mut sandbox = self.sandbox.lock().await;
            if sandbox.is_none() {
                *sandbox = Some(SandboxServer::start(&self.data_dir).await?);
            }
            let server = sandbox
                .as_ref()
                .ok_or_else(|| AppError::SandboxFailed("the sandbox stopped".into()))?;
            (
                server.base_url(),
                server.email().to_owned(),
                server.password().to_owned(),
            )
        };
        let api = ApiClient::new(
            ServerUrl::parse(&url, "server_url")
                .map_err(|e| AppError::SandboxFailed(e.to_string()))?,
        );
        let tokens = api.login(&email, &password).await.map_err(|e| {
            AppError::SandboxFailed(format!("signing in to the sandbox failed: {e}"))
        })?;
        let me = api.me(&tokens.access_token).await?;
        let session = Session::new(
            api,
            SessionMode::Sandbox,
            email,
            me.workspace_name,
            tokens,
            None,
        );
        let info = self.install(session).await;
        self.remember(Some(LastSession {
            mode: SessionMode::Sandbox,
            server_url: info.server_url.clone(),
            email: info.email.clone(),
        }))
        .await;
        Ok(info)
    }

    /// Signs in to an Engage server; the refresh token goes to the OS keyring when it can
    /// (`persisted` says whether it did), the password nowhere.
    pub async fn sign_in(
        &self,
        server_url: &str,
        email: &str,
        password: &str,
    ) -> Result<SessionInfo, AppError> {
        let url = ServerUrl::parse(server_url, "server_url")?;
        let email = validate::email(email)?;
        validate::password(password)?;
        let _lifecycle = self.lifecycle.lock().await;
        let api = ApiClient::new(url.clone());
        let tokens = api.login(&email, password).await?;
        let me = api.me(&tokens.access_token).await?;
        self.end_session_logged().await;
        let key = SecretKey::new(url.as_str(), &email);
        let persistence = self.persist(&key, &tokens.refresh_token).await;
        let session = Session::new(
            api,
            SessionMode::Server,
            email,
            me.workspace_name,
            tokens,
            persistence,
        );
        let info = self.install(session).await;
        self.remember(Some(LastSession {
            mode: SessionMode::Server,
            server_url: info.server_url.clone(),
            email: info.email.clone(),
        }))
        .await;
        Ok(info)
    }

    /// On quit: stops the sandbox server; the session stays restorable on next launch.
    pub async fn shutdown(&self) {
        self.session.write().await.take();
        if let Some(server) = self.sandbox.lock().await.take() {
            server.stop().await;
        }
    }

    /// Revokes the session on the server, deletes the keyring entry, stops the sandbox.
    pub async fn sign_out(&self) -> Result<(), AppError> {
        let _lifecycle = self.lifecycle.lock().await;
        let ended = self.end_session().await;
        self.remember(None).await;
        ended
    }

    async fn end_session(&self) -> Result<(), AppError> {
        let Some(session) = self.session.write().await.take() else {
            return Ok(());
        };
        session.revoke().await;
        if session.mode() == SessionMode::Sandbox {
            if let Some(server) = self.sandbox.lock().await.take() {
                server.stop().await;
            }
        }
        match session.persistence() {
            Some(persistence) => self.keyring_delete(&persistence.key).await,
            None => Ok(()),
        }
    }

    /// Ends the current session before another starts; a keyring failure is only logged.
    async fn end_session_logged(&self) {
        if let Err(e) = self.end_session().await {
            tracing::warn!(error = %e, "the previous session's keyring entry could not be deleted");
        }
    }

    async fn install(&self, session: Session) -> SessionInfo {
        let info = session.info();
        *self.session.write().await = Some(Arc::new(session));
        info
    }

    async fn current(&self) -> Option<Arc<Session>> {
        self.session.read().await.clone()
    }

    async fn signed_in(&self) -> Result<Arc<Session>, AppError> {
        self.current().await.ok_or(AppError::NotSignedIn)
    }

    /// Saves the refresh token in the keyring; `None` (logged) when the keyring is unavailable.
    async fn persist(&self, key: &SecretKey, refresh_token: &str) -> Option<Persistence> {
        let (store, k, secret) = (self.secrets.clone(), key.clone(), refresh_token.to_owned());
        match tokio::task::spawn_blocking(move || store.set(&k, &secret)).await {
            Ok(Ok(())) => Some(Persistence {
                store: self.secrets.clone(),
                key: key.clone(),
            }),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "session kept for this run only");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "keyring task failed; session kept for this run only");
                None
            }
        }
    }

    async fn keyring_get(&self, key: &SecretKey) -> Result<Option<String>, AppError> {
        let (store, key) = (self.secrets.clone(), key.clone());
        tokio::task::spawn_blocking(move || store.get(&key))
            .await
            .map_err(|e| AppError::KeyringUnavailable(e.to_string()))?
            .map_err(AppError::from)
    }

    async fn keyring_delete(&self, key: &SecretKey) -> Result<(), AppError> {
        let (store, key) = (self.secrets.clone(), key.clone());
        tokio::task::spawn_blocking(move || store.delete(&key))
            .await
            .map_err(|e| AppError::KeyringUnavailable(e.to_string()))?
            .map_err(AppError::from)
    }

    /// Records the last session in the settings file (failure is logged: it only costs the
    /// restore on next launch).
    async fn remember(&self, last: Option<LastSession>) {
        let mut settings = self.settings.lock().await;
        settings.last_session = last;
        if let Err(e) = settings.save(&self.data_dir) {
            tracing::warn!(error = %e, "could not save settings");
        }
    }

    // ------------------------------------------------------------ settings

    /// `"pt-BR"`, `"es"`, `"en"`, or `None` to follow the OS.
    pub async fn set_language(&self, language: Option<&str>) -> Result<(), AppError> {
        let language = language.map(validate::language).transpose()?;
        let mut settings = self.settings.lock().await;
        let mut changed = settings.clone();
        changed.language = language;
        changed.save(&self.data_dir)?;
        *settings = changed;
        Ok(())
    }

    // ------------------------------------------------------------ catalogue and campaigns

    pub async fn list_senders(&self) -> Result<Vec<Sender>, AppError> {
        let session = self.signed_in().await?;
        let api = session.api();
        session
            .authorized(|t| async move { api.senders(&t).await })
            .await
    }

    pub async fn list_templates(&self) -> Result<Vec<Template>, AppError> {
        let session = self.signed_in().await?;
        let api = session.api();
        session
            .authorized(|t| async move { api.templates(&t).await })
            .await
    }

    /// "Sync from WhatsApp": the server fetches the workspace's templates and phone numbers
    /// from the WhatsApp Cloud API and updates its templates and senders.
    pub async fn sync_whatsapp(&self) -> Result<WhatsAppSyncSummary, AppError> {
        let session = self.signed_in().await?;
        let api = session.api();
        session
            .authorized(|t| async move { api.sync_whatsapp(&t).await })
            .await
    }

    pub async fn list_campaigns(&self, query: Option<&str>) -> Result<Vec<Campaign>, AppError> {
        let query = validate::search(query)?;
        let session = self.signed_in().await?;
        let api = session.api();
        let query = query.as_deref();
        session
            .authorized(|t| async move { api.campaigns(&t, query).await })
            .await
    }

    pub async fn check_campaign_name(&self, name: &str) -> Result<NameAvailability, AppError> {
        validate::campaign_name(name)?;
        let session = self.signed_in().await?;
        let api = session.api();
        session
            .authorized(|t| async move { api.name_availability(&t, name).await })
            .await
    }

    pub async fn create_campaign(
        &self,
        name: &str,
        sender_id: &str,
        template_id: &str,
    ) -> Result<Campaign, AppError> {
        validate::campaign_name(name)?;
        let body = CreateCampaignRequest {
            name: name.to_owned(),
            campaign_type: CampaignType::Recurrent,
            sender_id: validate::uuid(sender_id, "sender_id")?,
            template_id: validate::uuid(template_id, "template_id")?,
        };
        let session = self.signed_in().await?;
        let (api, body) = (session.api(), &body);
        session
            .authorized(|t| async move { api.create_campaign(&t, body).await })
            .await
    }

    pub async fn get_campaign(&self, id: &str) -> Result<Campaign, AppError> {
        let id = validate::uuid(id, "id")?;
        let session = self.signed_in().await?;
        let api = session.api();
        session
            .authorized(|t| async move { api.campaign(&t, id).await })
            .await
    }

    /// `"active"` or `"inactive"`.
    pub async fn set_campaign_status(&self, id: &str, status: &str) -> Result<Campaign, AppError> {
        let id = validate::uuid(id, "id")?;
        let body = UpdateCampaignRequest {
            name: None,
            status: Some(validate::campaign_status(status)?),
        };
        let session = self.signed_in().await?;
        let (api, body) = (session.api(), &body);
        session
            .authorized(|t| async move { api.update_campaign(&t, id, body).await })
            .await
    }

    /// The documentation screen for a campaign and the person's example values.
    pub async fn campaign_docs(
        &self,
        id: &str,
        variables: &BTreeMap<String, String>,
        to: Option<&str>,
    ) -> Result<CampaignDocs, AppError> {
        let (campaign, integration) = self.campaign_and_integration(id).await?;
        docs::campaign_docs(campaign, &integration, variables, to)
    }

    /// The token curl as it runs, client secret included (for the clipboard only).
    pub async fn token_curl(&self, id: &str) -> Result<String, AppError> {
        let id = validate::uuid(id, "id")?;
        let session = self.signed_in().await?;
        let api = session.api();
        let integration = session
            .authorized(|t| async move { api.integration(&t, id).await })
            .await?;
        Ok(docs::token_curl(&integration))
    }

    /// The send curl as it runs (for the clipboard).
    pub async fn send_curl(
        &self,
        id: &str,
        variables: &BTreeMap<String, String>,
        to: Option<&str>,
    ) -> Result<String, AppError> {
        let (campaign, integration) = self.campaign_and_integration(id).await?;
        docs::send_curl(&campaign, &integration, variables, to)
    }

    async fn campaign_and_integration(
        &self,
        id: &str,
    ) -> Result<(Campaign, engage_core::wire::CampaignIntegration), AppError> {
        let id = validate::uuid(id, "id")?;
        let session = self.signed_in().await?;
        let api = session.api();
        let campaign = session.authorized(|t| async move { api.campaign(&t, id).await });
        let integration = session.authorized(|t| async move { api.integration(&t, id).await });
        let (campaign, integration) = tokio::join!(campaign, integration);
        Ok((campaign?, integration?))
    }

    /// The campaign's messages, newest first; `cursor` from the previous page's `next_cursor`.
    pub async fn list_messages(
        &self,
        campaign_id: &str,
        cursor: Option<&str>,
    ) -> Result<MessagePage, AppError> {
        let id = validate::uuid(campaign_id, "campaign_id")?;
        let cursor = validate::cursor(cursor)?;
        let session = self.signed_in().await?;
        let api = session.api();
        session
            .authorized(|t| async move { api.messages(&t, id, MESSAGES_PAGE, cursor).await })
            .await
    }
}
