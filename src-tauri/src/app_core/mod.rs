//! The app core: everything the commands do, without Tauri, so it is tested without a window.
//! [`AppCore`] has one method per command; each validates its input first.

pub mod api;
pub mod config;
pub mod diagnostics;
pub mod docs;
pub mod error;
pub mod guide;
mod integration;
pub mod keyring_store;
pub mod message_log;
pub mod sandbox;
pub mod session;
pub mod settings;
mod team;
mod validate;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use engage_core::wire::{
    Campaign, CampaignType, CreateCampaignRequest, FrequencyCap, MessagePage, NameAvailability,
    Sender, Template, UpdateCampaignRequest,
};
use engage_core::SnippetLang;
use tokio::sync::{Mutex, OnceCell, RwLock};

pub use error::AppError;

use api::{ApiClient, ServerUrl};
use keyring_store::{SecretKey, SecretStore};
use sandbox::SandboxServer;
use session::{Persistence, Session};
use settings::{LastSession, Settings};

use crate::models::{
    ApiDocument, CallbackView, CampaignDocs, CampaignRow, IpcError, Language, LastSignIn, Restored,
    SessionInfo, SessionMode, Startup, WhatsAppSyncSummary,
};

/// Messages per page of the activity view.
const MESSAGES_PAGE: u32 = 50;
/// Background update checks happen at most once in this many seconds (a day).
const UPDATE_CHECK_INTERVAL_SECS: u64 = 24 * 60 * 60;

/// A background update check is due when none happened in the last day (a clock set back
/// counts as "long ago").
pub fn update_check_due(last: Option<u64>, now: u64) -> bool {
    match last {
        None => true,
        Some(last) => now < last || now - last >= UPDATE_CHECK_INTERVAL_SECS,
    }
}

pub struct AppCore {
    data_dir: PathBuf,
    secrets: Arc<dyn SecretStore>,
    system_language: Language,
    settings: Mutex<Settings>,
    session: RwLock<Option<Arc<Session>>>,
    sandbox: Mutex<Option<SandboxServer>>,
    /// Serialises start-up, sign-in and sign-out, so a double click starts one sandbox.
    lifecycle: Mutex<()>,
    /// The restore of the last session, done once per launch (started before the window
    /// loads; the UI awaits it after showing its first screen).
    restored: OnceCell<Restored>,
    /// Stops the message export in progress (issue 12).
    export_cancel: std::sync::Mutex<Option<Arc<tokio::sync::Notify>>>,
    /// The campaign list, read from the server as soon as a restore has signed in, for the
    /// first screen's `list_campaigns` (issue 14: the list is ready when the UI asks). Only
    /// the first session command may take it; any other one discards it.
    first_list: std::sync::Mutex<Option<FirstList>>,
}

/// Whether [`AppCore::take_first_list`] waits for a read still under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    Yes,
    No,
}

/// The campaign list being read for the first screen, and the session it is read with.
struct FirstList {
    session: Arc<Session>,
    read: tokio::task::JoinHandle<Result<Vec<CampaignRow>, AppError>>,
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
            restored: OnceCell::new(),
            export_cancel: std::sync::Mutex::new(None),
            first_list: std::sync::Mutex::new(None),
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    // ------------------------------------------------------------ session lifecycle

    /// What the first screen needs, at once (nothing waits on the network): the language,
    /// the last sign-in to pre-fill, and whether a last session is being restored
    /// ([`AppCore::restore_session`]).
    pub async fn startup(&self) -> Startup {
        let settings = self.settings.lock().await.clone();
        let session = self.current().await;
        let campaigns = match &session {
            Some(session) => self.take_first_list(session, Wait::No).await,
            None => None,
        };
        let current = session.map(|session| session.info());
        let restoring =
            current.is_none() && settings.last_session.is_some() && !self.restored.initialized();
        Startup {
            campaigns,
            session: current,
            restoring,
            language: settings.language,
            system_language: self.system_language,
            notice: None,
            last_sign_in: settings
                .last_session
                .filter(|last| last.mode == SessionMode::Server)
                .map(|last| LastSignIn {
                    server_url: last.server_url,
                    email: last.email,
                }),
            theme: settings.theme,
        }
    }

    /// The last session restored (server mode from the keyring, sandbox mode by starting the
    /// sandbox again), or why not, as a notice. Runs once per launch; later calls get the
    /// same answer (or the current session).
    pub async fn restore_session(&self) -> Restored {
        let restored = self
            .restored
            .get_or_init(|| async {
                let _lifecycle = self.lifecycle.lock().await;
                let last = self.settings.lock().await.last_session.clone();
                let restored = match (self.current().await, last) {
                    (Some(session), _) => Ok(Some(session.info())),
                    (None, None) => Ok(None),
                    (None, Some(last)) => self.restore(&last).await,
                };
                if matches!(restored, Ok(Some(_))) {
                    self.read_first_list().await;
                }
                match restored {
                    Ok(session) => Restored { session, notice: None },
                    Err(e) => {
                        tracing::warn!(code = e.code(), error = %e, "could not restore the last session");
                        Restored { session: None, notice: Some(IpcError::from(&e)) }
                    }
                }
            })
            .await
            .clone();
        // A sign-in or sign-out since then wins over what was restored at start.
        match self.current().await {
            Some(session) => Restored {
                session: Some(session.info()),
                notice: None,
            },
            None if restored.session.is_some() => Restored {
                session: None,
                notice: None,
            },
            None => restored,
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
                    me,
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
        let (url, email, tokens) = {
            let mut sandbox = self.sandbox.lock().await;
            if sandbox.is_none() {
                *sandbox = Some(SandboxServer::start(&self.data_dir).await?);
                tracing::info!(
                    uptime_ms = crate::process_uptime_ms() as u64,
                    "sandbox started"
                );
            }
            let server = sandbox
                .as_ref()
                .ok_or_else(|| AppError::SandboxFailed("the sandbox stopped".into()))?;
            (
                server.base_url(),
                server.email().to_owned(),
                server.sign_in().await?,
            )
        };
        let api = ApiClient::new(
            ServerUrl::parse(&url, "server_url")
                .map_err(|e| AppError::SandboxFailed(e.to_string()))?,
        );
        tracing::info!(
            uptime_ms = crate::process_uptime_ms() as u64,
            "sandbox signed in"
        );
        let me = api.me(&tokens.access_token).await?;
        let session = Session::new(api, SessionMode::Sandbox, email, me, tokens, None);
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
        let api = ApiClient::new(url);
        let tokens = api.login(&email, password).await?;
        self.open_server_session(api, tokens).await
    }

    /// Installs a new server session for `tokens` (from a sign-in or an accepted invitation):
    /// ends the previous one, keeps the refresh token in the keyring when it can, remembers
    /// the sign-in. The caller holds the lifecycle lock.
    async fn open_server_session(
        &self,
        api: ApiClient,
        tokens: engage_core::wire::StaffTokenResponse,
    ) -> Result<SessionInfo, AppError> {
        let me = api.me(&tokens.access_token).await?;
        self.end_session_logged().await;
        let email = me.email.clone();
        let key = SecretKey::new(api.base().as_str(), &email);
        let persistence = self.persist(&key, &tokens.refresh_token).await;
        let session = Session::new(api, SessionMode::Server, email, me, tokens, persistence);
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
        self.discard_first_list();
        let info = session.info();
        *self.session.write().await = Some(Arc::new(session));
        info
    }

    async fn current(&self) -> Option<Arc<Session>> {
        self.session.read().await.clone()
    }

    /// The session for a command; a campaign list read at start for the first screen is
    /// discarded (after any other command it could be out of date).
    async fn signed_in(&self) -> Result<Arc<Session>, AppError> {
        self.discard_first_list();
        self.current().await.ok_or(AppError::NotSignedIn)
    }

    /// Starts reading the campaign list with the restored session, for the first screen.
    async fn read_first_list(&self) {
        let Some(session) = self.current().await else {
            return;
        };
        let reading = session.clone();
        let read = tokio::spawn(async move {
            let rows = campaign_rows(&reading, None).await;
            tracing::info!(
                uptime_ms = crate::process_uptime_ms() as u64,
                "first campaign list read"
            );
            rows
        });
        *self.first_list.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(FirstList { session, read });
    }

    /// The campaign list read at start, when it was read with `session` and nothing has run
    /// since; `None` otherwise (or when that read failed: the caller reads again). With
    /// [`Wait::No`], also `None` while it is still being read (it stays for `list_campaigns`).
    async fn take_first_list(
        &self,
        session: &Arc<Session>,
        wait: Wait,
    ) -> Option<Vec<CampaignRow>> {
        let first = {
            let mut slot = self.first_list.lock().unwrap_or_else(|p| p.into_inner());
            if wait == Wait::No && slot.as_ref().is_some_and(|first| !first.read.is_finished()) {
                return None;
            }
            slot.take()?
        };
        if !Arc::ptr_eq(&first.session, session) {
            first.read.abort();
            return None;
        }
        first.read.await.ok()?.ok()
    }

    fn discard_first_list(&self) {
        if let Some(first) = self
            .first_list
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            first.read.abort();
        }
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

    // ------------------------------------------------------------ diagnostics and updates

    /// `<data dir>/logs`, where the log files are.
    pub fn log_dir(&self) -> PathBuf {
        diagnostics::log_dir(&self.data_dir)
    }

    /// The support report of "Copy diagnostics" (no secret: versions, addresses, log lines).
    pub async fn diagnostics_report(&self, environment: &diagnostics::Environment) -> String {
        let server = match self.current().await {
            None => None,
            Some(session) => Some(diagnostics::ServerFacts {
                mode: match session.mode() {
                    SessionMode::Sandbox => "sandbox",
                    SessionMode::Server => "server",
                },
                url: session.api().base().as_str().to_owned(),
                version: session
                    .api()
                    .server_version()
                    .await
                    .map_err(|e| e.to_string()),
            }),
        };
        let log_dir = self.log_dir();
        let lines = diagnostics::last_log_lines(&log_dir, diagnostics::REPORT_LOG_LINES);
        diagnostics::report(
            environment,
            &diagnostics::os_description(),
            server.as_ref(),
            &log_dir,
            &lines,
        )
    }

    /// Opens the log folder in the system's file manager (created first when missing).
    pub fn open_log_folder(&self) -> Result<(), AppError> {
        let dir = self.log_dir();
        std::fs::create_dir_all(&dir)
            .map_err(|e| AppError::LogFolderUnavailable(format!("{}: {e}", dir.display())))?;
        open::that_detached(&dir)
            .map_err(|e| AppError::LogFolderUnavailable(format!("{}: {e}", dir.display())))
    }

    /// Whether the background update check is due at `now` (seconds since 1970): none in the
    /// last day. When it is, `now` is recorded as the last check.
    pub async fn update_check_due(&self, now: u64) -> bool {
        let mut settings = self.settings.lock().await;
        if !update_check_due(settings.last_update_check, now) {
            return false;
        }
        settings.last_update_check = Some(now);
        if let Err(e) = settings.save(&self.data_dir) {
            tracing::warn!(error = %e, "could not save the time of the update check");
        }
        true
    }

    /// Remembers the language the documentation screen shows the integration code in.
    pub async fn set_snippet_lang(&self, lang: SnippetLang) -> Result<(), AppError> {
        let mut settings = self.settings.lock().await;
        let mut changed = settings.clone();
        changed.snippet_lang = lang;
        changed.save(&self.data_dir)?;
        *settings = changed;
        Ok(())
    }

    /// Remembers the theme (issue 15).
    pub async fn set_theme(&self, theme: crate::models::Theme) -> Result<(), AppError> {
        let mut settings = self.settings.lock().await;
        let mut changed = settings.clone();
        changed.theme = theme;
        changed.save(&self.data_dir)?;
        *settings = changed;
        Ok(())
    }

    /// The app's language (the person's choice, else the system's): invitation messages and
    /// the guide for the technical team are written in it.
    async fn language(&self) -> Language {
        self.settings
            .lock()
            .await
            .language
            .unwrap_or(self.system_language)
    }

    async fn snippet_lang(&self, lang: Option<SnippetLang>) -> SnippetLang {
        match lang {
            Some(lang) => lang,
            None => self.settings.lock().await.snippet_lang,
        }
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

    pub async fn list_campaigns(&self, query: Option<&str>) -> Result<Vec<CampaignRow>, AppError> {
        let query = validate::search(query)?;
        if query.is_none() {
            // The first screen's list, read since the session was restored.
            if let Some(session) = self.current().await {
                if let Some(list) = self.take_first_list(&session, Wait::Yes).await {
                    return Ok(list);
                }
            }
        }
        let session = self.signed_in().await?;
        campaign_rows(&session, query.as_deref()).await
    }

    pub async fn check_campaign_name(&self, name: &str) -> Result<NameAvailability, AppError> {
        validate::campaign_name(name)?;
        let session = self.signed_in().await?;
        let api = session.api();
        session
            .authorized(|t| async move { api.name_availability(&t, name).await })
            .await
    }

    /// A new recurrent campaign, with an optional frequency cap (checked by the server).
    pub async fn create_campaign(
        &self,
        name: &str,
        sender_id: &str,
        template_id: &str,
        frequency_cap: Option<FrequencyCap>,
    ) -> Result<Campaign, AppError> {
        validate::campaign_name(name)?;
        let body = CreateCampaignRequest {
            name: name.to_owned(),
            campaign_type: CampaignType::Recurrent,
            sender_id: validate::uuid(sender_id, "sender_id")?,
            template_id: validate::uuid(template_id, "template_id")?,
            frequency_cap,
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
            frequency_cap: None,
        };
        let session = self.signed_in().await?;
        let (api, body) = (session.api(), &body);
        session
            .authorized(|t| async move { api.update_campaign(&t, id, body).await })
            .await
    }

    /// Sets the campaign's frequency cap, or removes it (`None`); the server checks the bounds
    /// and records the change in the audit log.
    pub async fn set_campaign_frequency_cap(
        &self,
        id: &str,
        frequency_cap: Option<FrequencyCap>,
    ) -> Result<Campaign, AppError> {
        let id = validate::uuid(id, "id")?;
        let body = UpdateCampaignRequest {
            name: None,
            status: None,
            frequency_cap: Some(frequency_cap),
        };
        let session = self.signed_in().await?;
        let (api, body) = (session.api(), &body);
        session
            .authorized(|t| async move { api.update_campaign(&t, id, body).await })
            .await
    }

    /// The documentation screen for a campaign and the person's example values, with its
    /// `mode` credentials (`live` when `None`).
    pub async fn campaign_docs(
        &self,
        id: &str,
        variables: &BTreeMap<String, String>,
        to: Option<&str>,
        mode: Option<&str>,
    ) -> Result<CampaignDocs, AppError> {
        let (campaign, integration) = self.campaign_and_integration(id, mode, false).await?;
        let lang = self.snippet_lang(None).await;
        let mut docs = docs::campaign_docs(campaign, &integration, variables, to, lang)?;
        docs.test_phone = self.settings.lock().await.test_phone.clone();
        Ok(docs)
    }

    /// "Send a test to my phone" (issue 12): the template with `variables` to `to` through the
    /// campaign's sender, marked as a test; the number is remembered for next time once the
    /// server took the message.
    pub async fn send_test_message(
        &self,
        campaign_id: &str,
        to: &str,
        variables: &BTreeMap<String, String>,
    ) -> Result<engage_core::wire::SendAccepted, AppError> {
        let id = validate::uuid(campaign_id, "campaign_id")?;
        let to = validate::test_phone(to)?;
        let session = self.signed_in().await?;
        let api = session.api();
        let body = engage_core::wire::SendMessageRequest {
            to: to.clone(),
            variables: variables.clone(),
        };
        let body = &body;
        let accepted = session
            .authorized(|t| async move { api.send_test_message(&t, id, body).await })
            .await?;
        let mut settings = self.settings.lock().await;
        if settings.test_phone.as_deref() != Some(to.as_str()) {
            let mut changed = settings.clone();
            changed.test_phone = Some(to);
            match changed.save(&self.data_dir) {
                Ok(()) => *settings = changed,
                Err(error) => tracing::warn!(%error, "could not remember the test number"),
            }
        }
        Ok(accepted)
    }

    /// Step 1 as it runs in `lang` (else the remembered language) with the campaign's `mode`
    /// credentials, client secret included (for the clipboard only). The server records the
    /// read in the audit log, and refuses it to viewers.
    pub async fn token_curl(
        &self,
        id: &str,
        mode: Option<&str>,
        lang: Option<SnippetLang>,
    ) -> Result<String, AppError> {
        let lang = self.snippet_lang(lang).await;
        let id = validate::uuid(id, "id")?;
        let mode = validate::credential_mode(mode)?;
        let session = self.signed_in().await?;
        let api = session.api();
        let integration = session
            .authorized(|t| async move { api.integration(&t, id, mode).await })
            .await?;
        Ok(docs::token_snippet(&integration, lang))
    }

    /// Step 2 as it runs in `lang` (else the remembered language), for the clipboard.
    pub async fn send_curl(
        &self,
        id: &str,
        variables: &BTreeMap<String, String>,
        to: Option<&str>,
        mode: Option<&str>,
        lang: Option<SnippetLang>,
    ) -> Result<String, AppError> {
        let lang = self.snippet_lang(lang).await;
        let (campaign, integration) = self.campaign_and_integration(id, mode, false).await?;
        docs::send_snippet(&campaign, &integration, variables, to, lang)
    }

    /// The bytes of `document` for campaign `id` (the OpenAPI document comes from the
    /// server signed in to, so it matches its version).
    pub async fn api_document(&self, document: ApiDocument, id: &str) -> Result<Vec<u8>, AppError> {
        let session = self.signed_in().await?;
        let openapi = session.api().openapi().await?;
        Ok(match document {
            ApiDocument::OpenapiJson => serde_json::to_vec_pretty(&openapi).unwrap_or_default(),
            ApiDocument::OpenapiYaml => engage_server::postman::openapi_yaml(&openapi).into_bytes(),
            ApiDocument::Postman => {
                let (campaign, integration) = self.campaign_and_integration(id, None, true).await?;
                let base = session.api().base().to_string();
                let collection = engage_server::postman::collection(
                    &openapi,
                    &integration,
                    &base,
                    &campaign.name,
                );
                serde_json::to_vec_pretty(&collection).unwrap_or_default()
            }
        })
    }

    /// The campaign's guide for the technical team (issue 15) in `format`, and the file name
    /// to propose. With `include_secret` the real client secret is in it: the server refuses
    /// that read without `reveal_credentials` and records it as `credentials_copied`.
    pub async fn integration_guide(
        &self,
        id: &str,
        format: crate::models::GuideFormat,
        include_secret: bool,
    ) -> Result<(String, String), AppError> {
        use engage_core::RenderedMessageExt;
        let (campaign, mut integration) = self
            .campaign_and_integration(id, None, include_secret)
            .await?;
        if !include_secret {
            integration.client_secret = guide::SECRET_PLACEHOLDER.to_owned();
        }
        let (request, template) =
            docs::example_request(&campaign, &integration, &BTreeMap::new(), None)?;
        let message = template
            .validate_send(&request)
            .map(|validated| validated.rendered.to_plain_text())
            .map_err(|problems| {
                AppError::invalid(
                    "id",
                    problems
                        .first()
                        .map(ToString::to_string)
                        .unwrap_or_else(|| "the template's examples are refused".into()),
                )
            })?;
        let local_sandbox = self
            .current()
            .await
            .is_some_and(|s| s.mode() == SessionMode::Sandbox);
        let input = guide::GuideInput {
            campaign: &campaign,
            integration: &integration,
            secret_included: include_secret,
            lang: self.snippet_lang(None).await,
            language: self.language().await,
            request: &request,
            message,
            local_sandbox,
        };
        let (text, extension) = match format {
            crate::models::GuideFormat::Html => (guide::html(&input), "html"),
            crate::models::GuideFormat::Markdown => (guide::markdown(&input), "md"),
        };
        Ok((
            format!("{}.{extension}", guide::file_stem(&campaign.name)),
            text,
        ))
    }

    /// Writes a document to the path the person chose in the save dialog.
    pub fn write_document(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
        std::fs::write(path, bytes).map_err(|e| AppError::FileUnwritable {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
    }

    /// Rotates the secret of the campaign's `mode` credentials (the old one works for
    /// `grace`: `now`, `1h`, `24h`); returns step 1 in the remembered language, new secret
    /// included, for the clipboard.
    pub async fn rotate_credentials(
        &self,
        id: &str,
        mode: Option<&str>,
        grace: &str,
    ) -> Result<String, AppError> {
        let id = validate::uuid(id, "id")?;
        let body = engage_core::wire::RotateCredentialsRequest {
            mode: validate::credential_mode(mode)?,
            grace: validate::rotation_grace(grace)?,
        };
        let session = self.signed_in().await?;
        let (api, body) = (session.api(), &body);
        let integration = session
            .authorized(|t| async move { api.rotate_credentials(&t, id, body).await })
            .await?;
        Ok(docs::token_snippet(
            &integration,
            self.snippet_lang(None).await,
        ))
    }

    /// Revokes the campaign's `mode` credentials; new ones replace them.
    pub async fn revoke_credentials(&self, id: &str, mode: Option<&str>) -> Result<(), AppError> {
        let id = validate::uuid(id, "id")?;
        let body = engage_core::wire::RevokeCredentialsRequest {
            mode: validate::credential_mode(mode)?,
        };
        let session = self.signed_in().await?;
        let (api, body) = (session.api(), &body);
        session
            .authorized(|t| async move { api.revoke_credentials(&t, id, body).await })
            .await
            .map(|_| ())
    }

    /// The status callback endpoint receiving the campaign's events (its own or the
    /// workspace's); `None` when no URL is set.
    pub async fn callback(&self, campaign_id: &str) -> Result<Option<CallbackView>, AppError> {
        let id = validate::uuid(campaign_id, "campaign_id")?;
        let session = self.signed_in().await?;
        let api = session.api();
        let endpoint = session
            .authorized(|t| async move { api.callback(&t, Some(id)).await })
            .await?;
        Ok(endpoint.map(CallbackView::from))
    }

    /// Sets the callback URL of the campaign (`scope` `campaign`) or of the whole workspace;
    /// returns the endpoint and, when it was created, its signing secret (for the clipboard).
    pub async fn set_callback(
        &self,
        campaign_id: &str,
        scope: &str,
        url: &str,
    ) -> Result<(CallbackView, Option<String>), AppError> {
        let target = self.callback_target(campaign_id, scope)?;
        let body = engage_core::callback::SetCallbackRequest {
            url: validate::callback_url(url)?.to_owned(),
        };
        let session = self.signed_in().await?;
        let (api, body) = (session.api(), &body);
        let mut endpoint = session
            .authorized(|t| async move { api.set_callback(&t, target, body).await })
            .await?;
        let secret = endpoint.secret.take();
        Ok((CallbackView::from(endpoint), secret))
    }

    /// A new signing secret for the campaign's (or the workspace's) endpoint, for the
    /// clipboard.
    pub async fn rotate_callback_secret(
        &self,
        campaign_id: &str,
        scope: &str,
    ) -> Result<String, AppError> {
        let target = self.callback_target(campaign_id, scope)?;
        let session = self.signed_in().await?;
        let api = session.api();
        session
            .authorized(|t| async move { api.rotate_callback_secret(&t, target).await })
            .await?
            .secret
            .ok_or_else(|| AppError::UnexpectedResponse {
                url: api.base().to_string(),
                status: 200,
            })
    }

    /// Queues a test event to the endpoint receiving the campaign's events.
    pub async fn send_test_callback(&self, campaign_id: &str) -> Result<(), AppError> {
        let id = validate::uuid(campaign_id, "campaign_id")?;
        let session = self.signed_in().await?;
        let api = session.api();
        session
            .authorized(|t| async move { api.test_callback(&t, id).await })
            .await
    }

    /// The campaign id for a campaign's own endpoint, `None` for the workspace's.
    fn callback_target(
        &self,
        campaign_id: &str,
        scope: &str,
    ) -> Result<Option<uuid::Uuid>, AppError> {
        let id = validate::uuid(campaign_id, "campaign_id")?;
        Ok(match validate::callback_scope(scope)? {
            engage_core::callback::CallbackScope::Campaign => Some(id),
            engage_core::callback::CallbackScope::Workspace => None,
        })
    }

    async fn campaign_and_integration(
        &self,
        id: &str,
        mode: Option<&str>,
        reveal: bool,
    ) -> Result<(Campaign, engage_core::wire::CampaignIntegration), AppError> {
        let id = validate::uuid(id, "id")?;
        let mode = validate::credential_mode(mode)?;
        let session = self.signed_in().await?;
        let api = session.api();
        let campaign = session.authorized(|t| async move { api.campaign(&t, id).await });
        // Masked unless the secret is needed (the Postman collection): the documentation and
        // the send step carry no secret, so every role may see them and reading them is not a
        // copy of the credentials.
        let integration = session.authorized(|t| async move {
            if reveal {
                api.integration(&t, id, mode).await
            } else {
                api.masked_integration(&t, id, mode).await
            }
        });
        let (campaign, integration) = tokio::join!(campaign, integration);
        Ok((campaign?, integration?))
    }

    /// The campaign's messages, newest first; `cursor` from the previous page's `next_cursor`.
    pub async fn list_messages(
        &self,
        campaign_id: &str,
        cursor: Option<&str>,
    ) -> Result<MessagePage, AppError> {
        self.message_log(
            campaign_id,
            cursor,
            &crate::models::MessageLogFilter::default(),
        )
        .await
    }

    /// The do-not-message list, newest first; `query`: a number or its start (issue 12).
    pub async fn list_opt_outs(
        &self,
        query: Option<&str>,
        cursor: Option<&str>,
    ) -> Result<engage_core::wire::OptOutPage, AppError> {
        let query = validate::search(query)?;
        let cursor = validate::cursor(cursor)?;
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if let Some(query) = query.as_deref() {
            pairs.push(("q", query));
        }
        if let Some(cursor) = cursor {
            pairs.push(("cursor", cursor));
        }
        let session = self.signed_in().await?;
        let api = session.api();
        let pairs = &pairs;
        session
            .authorized(|t| async move { api.opt_outs(&t, pairs).await })
            .await
    }

    /// The do-not-message list as CSV, for the export command to write where the person chose.
    pub async fn opt_outs_csv(&self) -> Result<String, AppError> {
        let session = self.signed_in().await?;
        let api = session.api();
        session
            .authorized(|t| async move { api.opt_outs_csv(&t).await })
            .await
    }

    /// Sends a CSV file's numbers to the list (at most 1 MiB, the server's body limit).
    pub async fn import_opt_outs(
        &self,
        csv: &[u8],
    ) -> Result<engage_core::wire::OptOutImport, AppError> {
        if csv.len() > engage_server::http::BODY_LIMIT {
            return Err(AppError::ImportFailed(format!(
                "the file is larger than {} KiB; split it",
                engage_server::http::BODY_LIMIT / 1024
            )));
        }
        let session = self.signed_in().await?;
        let api = session.api();
        session
            .authorized(|t| async move { api.import_opt_outs(&t, csv).await })
            .await
    }

    /// The sandbox's stand-in for the recipient answering `message_id` with `text` (typed, or
    /// the text of a quick-reply button pressed when `button`).
    pub async fn simulate_reply(
        &self,
        message_id: &str,
        text: &str,
        button: bool,
    ) -> Result<engage_core::wire::SimulatedReply, AppError> {
        let id = validate::uuid(message_id, "message_id")?;
        let body = engage_core::wire::SimulateReplyRequest {
            text: text.trim().to_owned(),
            button: button.then_some(true),
        };
        let session = self.signed_in().await?;
        let api = session.api();
        let body = &body;
        session
            .authorized(|t| async move { api.simulate_reply(&t, id, body).await })
            .await
    }

    /// Marks exactly `buttons` (texts of the template's quick replies) as opt-out buttons
    /// (issue 12 §4); the server checks them and records the change in the audit log.
    pub async fn set_opt_out_buttons(
        &self,
        template_id: &str,
        buttons: Vec<String>,
    ) -> Result<engage_core::wire::Template, AppError> {
        let id = validate::uuid(template_id, "template_id")?;
        let body = engage_core::wire::OptOutButtonsRequest { buttons };
        let session = self.signed_in().await?;
        let api = session.api();
        let body = &body;
        session
            .authorized(|t| async move { api.set_opt_out_buttons(&t, id, body).await })
            .await
    }

    /// Puts a number on the list, with an optional reason.
    pub async fn add_opt_out(
        &self,
        phone: &str,
        reason: Option<&str>,
    ) -> Result<engage_core::wire::OptOut, AppError> {
        let body = engage_core::wire::AddOptOutRequest {
            phone: validate::test_phone(phone)?,
            reason: reason
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned),
        };
        let session = self.signed_in().await?;
        let api = session.api();
        let body = &body;
        session
            .authorized(|t| async move { api.add_opt_out(&t, body).await })
            .await
    }

    /// Takes a number off the list; the server requires and records the reason.
    pub async fn remove_opt_out(&self, phone: &str, reason: &str) -> Result<(), AppError> {
        let body = engage_core::wire::RemoveOptOutRequest {
            phone: phone.trim().to_owned(),
            reason: reason.trim().to_owned(),
        };
        let session = self.signed_in().await?;
        let api = session.api();
        let body = &body;
        session
            .authorized(|t| async move { api.remove_opt_out(&t, body).await })
            .await
    }

    /// The opt-out keywords; with `keywords`, replaces them first.
    pub async fn opt_out_keywords(
        &self,
        keywords: Option<Vec<String>>,
    ) -> Result<engage_core::wire::OptOutKeywords, AppError> {
        let body = keywords.map(|keywords| engage_core::wire::OptOutKeywords { keywords });
        let session = self.signed_in().await?;
        let api = session.api();
        let body = body.as_ref();
        session
            .authorized(|t| async move { api.opt_out_keywords(&t, body).await })
            .await
    }

    /// A campaign's statistics for a period in the person's time zone (issue 12).
    pub async fn campaign_stats(
        &self,
        campaign_id: &str,
        from: &str,
        to: &str,
        bucket: &str,
        tz: &str,
    ) -> Result<engage_core::wire::CampaignStatsResponse, AppError> {
        let id = validate::uuid(campaign_id, "campaign_id")?;
        let pairs = validate::stats_period(from, to, bucket, tz)?;
        let session = self.signed_in().await?;
        let api = session.api();
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refs = &refs;
        session
            .authorized(|t| async move { api.campaign_stats(&t, id, refs).await })
            .await
    }
}

/// The campaigns matching `query` (all of them without one), as the list's rows.
async fn campaign_rows(
    session: &Session,
    query: Option<&str>,
) -> Result<Vec<CampaignRow>, AppError> {
    let api = session.api();
    let campaigns = session
        .authorized(|t| async move { api.campaigns(&t, query).await })
        .await?;
    Ok(campaigns.into_iter().map(CampaignRow::from).collect())
}
