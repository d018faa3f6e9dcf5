//! `ApiClient`: typed calls to the Engage server's HTTP API over reqwest.
//!
//! Refusals (`{"error": {code, message, field}}`) become [`AppError::Api`] as they are;
//! no answer at all becomes `server_unreachable`; anything else that is not the documented
//! JSON becomes `unexpected_response`.

use std::time::Duration;

use engage_core::wire::{
    AcceptInvitationRequest, ApiErrorBody, AuditPage, Campaign, CampaignIntegration, CampaignList,
    ChangePasswordRequest, CreateCampaignRequest, CreateInvitationRequest, CredentialMode,
    InvitationCreated, LoginRequest, LogoutRequest, Me, MessagePage, NameAvailability,
    PasswordResetRequest, RefreshRequest, RevokeCredentialsRequest, RotateCredentialsRequest,
    Sender, SessionList, StaffTokenResponse, Team, TeamMember, Template, UpdateCampaignRequest,
    UpdateMemberRequest,
};
use engage_core::wire::{CampaignIntegrationHealth, IntegrationLog};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;
use uuid::Uuid;

use super::AppError;
use crate::models::WhatsAppSyncSummary;
use engage_core::callback::{CallbackEndpoint, SetCallbackRequest};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// The longest a message export may take, end to end (1,000,000 rows take well under a
/// minute; the limit only ends a transfer that hangs).
const EXPORT_TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// Longest server address accepted.
pub const MAX_URL_LEN: usize = 2048;

/// A server base URL: http(s), a host, no credentials, query or fragment; no trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerUrl(String);

impl ServerUrl {
    /// Validates a server address typed by a person (`field` names it in the error).
    pub fn parse(input: &str, field: &str) -> Result<ServerUrl, AppError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(AppError::invalid(
                field,
                "Enter the address of the Engage server, e.g. https://engage.example.com.",
            ));
        }
        if input.len() > MAX_URL_LEN {
            return Err(AppError::invalid(
                field,
                format!("The server address is longer than {MAX_URL_LEN} characters."),
            ));
        }
        // Issue 15: an address without a scheme is https (`engage.example.com`,
        // `engage.example.com:8443`).
        let with_scheme;
        let input = if input.contains("://") {
            input
        } else {
            with_scheme = format!("https://{input}");
            &with_scheme
        };
        let url = Url::parse(input).map_err(|e| {
            AppError::invalid(field, format!("\"{input}\" is not a web address ({e}); it looks like https://engage.example.com."))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(AppError::invalid(
                field,
                "The server address must start with http:// or https://.",
            ));
        }
        if url.scheme() == "http" && !is_local_host(url.host()) {
            return Err(AppError::invalid(
                field,
                "Use https:// for this server; http:// is only for this computer or a private network address (127.0.0.1, 192.168.x.x, 10.x.x.x).",
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(AppError::invalid(
                field,
                "The server address has no host name.",
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(AppError::invalid(
                field,
                "The server address must not contain a user name or password.",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(AppError::invalid(
                field,
                "The server address must not contain ?query or #fragment parts.",
            ));
        }
        Ok(ServerUrl(url.as_str().trim_end_matches('/').to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// This computer or a private network: the only places plain http is accepted.
pub fn is_local_host(host: Option<url::Host<&str>>) -> bool {
    match host {
        Some(url::Host::Domain(name)) => {
            let name = name.to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_private() || ip.is_link_local(),
        Some(url::Host::Ipv6(ip)) => {
            let first = ip.segments()[0];
            // fc00::/7 (unique local) and fe80::/10 (link-local).
            ip.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
        None => false,
    }
}

impl std::fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: ServerUrl,
}

/// How long an idle connection to the server is kept for reuse.
const POOL_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

impl ApiClient {
    pub fn new(base: ServerUrl) -> ApiClient {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("engage-desktop/", env!("CARGO_PKG_VERSION")))
            // Below the server's 5 s idle keep-alive limit, so a pooled connection is never
            // reused just as the server closes it.
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build()
            // Only fails when the TLS backend cannot initialise, which rustls does not.
            .unwrap_or_default();
        ApiClient { http, base }
    }

    pub fn base(&self) -> &ServerUrl {
        &self.base
    }

    fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        self.request_with_query(method, path, &[], token)
    }

    /// `query` pairs are percent-encoded by `url` (reqwest's `query` needs a feature the
    /// workspace does not enable).
    fn request_with_query(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        token: Option<&str>,
    ) -> RequestBuilder {
        let mut url = format!("{}{path}", self.base);
        if !query.is_empty() {
            let encoded: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(query)
                .finish();
            url.push('?');
            url.push_str(&encoded);
        }
        let builder = self.http.request(method, url);
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    // ------------------------------------------------------------ staff auth

    /// `POST /v1/auth/login`; a 401 is `invalid_credentials`.
    pub async fn login(&self, email: &str, password: &str) -> Result<StaffTokenResponse, AppError> {
        let body = LoginRequest {
            email: email.to_owned(),
            password: password.to_owned(),
        };
        match self
            .json(
                self.request(Method::POST, "/v1/auth/login", None)
                    .json(&body),
            )
            .await
        {
            Err(e) if e.http_status() == Some(401) => Err(AppError::InvalidCredentials),
            other => other,
        }
    }

    /// `POST /v1/auth/refresh`; a 401 is `session_expired`.
    pub async fn refresh(&self, refresh_token: &str) -> Result<StaffTokenResponse, AppError> {
        let body = RefreshRequest {
            refresh_token: refresh_token.to_owned(),
        };
        match self
            .json(
                self.request(Method::POST, "/v1/auth/refresh", None)
                    .json(&body),
            )
            .await
        {
            Err(e) if e.http_status() == Some(401) => Err(AppError::SessionExpired),
            other => other,
        }
    }

    /// `POST /v1/auth/logout`: revokes the access token and the refresh token.
    pub async fn logout(&self, access_token: &str, refresh_token: &str) -> Result<(), AppError> {
        let body = LogoutRequest {
            refresh_token: Some(refresh_token.to_owned()),
        };
        self.empty(
            self.request(Method::POST, "/v1/auth/logout", Some(access_token))
                .json(&body),
        )
        .await
    }

    pub async fn me(&self, token: &str) -> Result<Me, AppError> {
        self.json(self.request(Method::GET, "/v1/me", Some(token)))
            .await
    }

    // ------------------------------------------------------------ catalogue

    /// Active senders (the ones a campaign can use).
    pub async fn senders(&self, token: &str) -> Result<Vec<Sender>, AppError> {
        self.json(self.request(Method::GET, "/v1/senders", Some(token)))
            .await
    }

    /// Approved templates (the ones a campaign can use).
    pub async fn templates(&self, token: &str) -> Result<Vec<Template>, AppError> {
        self.json(self.request(Method::GET, "/v1/templates", Some(token)))
            .await
    }

    /// `POST /v1/whatsapp/sync`: brings the workspace's templates and senders up to date with
    /// its WhatsApp Business Accounts. Refusals pass through: `no_whatsapp_sender` (409) when
    /// the workspace has no whatsapp_cloud sender, Meta's errors as `whatsapp_<code>` (502).
    pub async fn sync_whatsapp(&self, token: &str) -> Result<WhatsAppSyncSummary, AppError> {
        self.json(self.request(Method::POST, "/v1/whatsapp/sync", Some(token)))
            .await
    }

    // ------------------------------------------------------------ campaigns

    pub async fn campaigns(
        &self,
        token: &str,
        query: Option<&str>,
    ) -> Result<Vec<Campaign>, AppError> {
        let mut params = vec![("type", "recurrent")];
        params.extend(query.map(|q| ("q", q)));
        let list: CampaignList = self
            .json(self.request_with_query(Method::GET, "/v1/campaigns", &params, Some(token)))
            .await?;
        Ok(list.items)
    }

    pub async fn name_availability(
        &self,
        token: &str,
        name: &str,
    ) -> Result<NameAvailability, AppError> {
        self.json(self.request_with_query(
            Method::GET,
            "/v1/campaigns/name-availability",
            &[("name", name)],
            Some(token),
        ))
        .await
    }

    pub async fn create_campaign(
        &self,
        token: &str,
        body: &CreateCampaignRequest,
    ) -> Result<Campaign, AppError> {
        self.json(
            self.request(Method::POST, "/v1/campaigns", Some(token))
                .json(body),
        )
        .await
    }

    pub async fn campaign(&self, token: &str, id: Uuid) -> Result<Campaign, AppError> {
        self.json(self.request(Method::GET, &format!("/v1/campaigns/{id}"), Some(token)))
            .await
    }

    pub async fn update_campaign(
        &self,
        token: &str,
        id: Uuid,
        body: &UpdateCampaignRequest,
    ) -> Result<Campaign, AppError> {
        self.json(
            self.request(Method::PATCH, &format!("/v1/campaigns/{id}"), Some(token))
                .json(body),
        )
        .await
    }

    /// Token URL, send URL, client id and secret, example body: what the curls are built from.
    pub async fn integration(
        &self,
        token: &str,
        id: Uuid,
        mode: CredentialMode,
    ) -> Result<CampaignIntegration, AppError> {
        self.json(self.request_with_query(
            Method::GET,
            &format!("/v1/campaigns/{id}/integration"),
            &[("mode", mode.as_str())],
            Some(token),
        ))
        .await
    }

    /// `GET /openapi.json`: the server's OpenAPI document.
    pub async fn openapi(&self) -> Result<serde_json::Value, AppError> {
        self.json(self.request(Method::GET, "/openapi.json", None))
            .await
    }

    /// A new secret for the campaign's `mode` credentials; the old one works for `grace`.
    pub async fn rotate_credentials(
        &self,
        token: &str,
        id: Uuid,
        body: &RotateCredentialsRequest,
    ) -> Result<CampaignIntegration, AppError> {
        self.json(
            self.request(
                Method::POST,
                &format!("/v1/campaigns/{id}/credentials/rotate"),
                Some(token),
            )
            .json(body),
        )
        .await
    }

    /// The path of the callback endpoint: the campaign's own, or the workspace's.
    fn callback_path(campaign: Option<Uuid>, action: &str) -> String {
        match campaign {
            Some(id) => format!("/v1/campaigns/{id}/callback{action}"),
            None => format!("/v1/callback{action}"),
        }
    }

    /// The endpoint receiving the campaign's (or the workspace's) events; `None` when no
    /// callback URL is set.
    pub async fn callback(
        &self,
        token: &str,
        campaign: Option<Uuid>,
    ) -> Result<Option<CallbackEndpoint>, AppError> {
        let request = self.request(Method::GET, &Self::callback_path(campaign, ""), Some(token));
        match self.json(request).await {
            Ok(endpoint) => Ok(Some(endpoint)),
            Err(AppError::Api { error, .. }) if error.code == "callback_not_set" => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Sets the callback URL (the answer holds the secret when the endpoint was created).
    pub async fn set_callback(
        &self,
        token: &str,
        campaign: Option<Uuid>,
        body: &SetCallbackRequest,
    ) -> Result<CallbackEndpoint, AppError> {
        self.json(
            self.request(Method::PUT, &Self::callback_path(campaign, ""), Some(token))
                .json(body),
        )
        .await
    }

    /// A new signing secret (in the answer).
    pub async fn rotate_callback_secret(
        &self,
        token: &str,
        campaign: Option<Uuid>,
    ) -> Result<CallbackEndpoint, AppError> {
        self.json(self.request(
            Method::POST,
            &Self::callback_path(campaign, "/rotate-secret"),
            Some(token),
        ))
        .await
    }

    /// Queues a test event to the endpoint receiving the campaign's events.
    pub async fn test_callback(&self, token: &str, campaign: Uuid) -> Result<(), AppError> {
        self.empty(self.request(
            Method::POST,
            &Self::callback_path(Some(campaign), "/test"),
            Some(token),
        ))
        .await
    }

    /// Revokes the campaign's `mode` credentials; new ones replace them.
    pub async fn revoke_credentials(
        &self,
        token: &str,
        id: Uuid,
        body: &RevokeCredentialsRequest,
    ) -> Result<CampaignIntegration, AppError> {
        self.json(
            self.request(
                Method::POST,
                &format!("/v1/campaigns/{id}/credentials/revoke"),
                Some(token),
            )
            .json(body),
        )
        .await
    }

    /// Newest first; `filters`: the message log's query pairs (status, recipient, from, to,
    /// test).
    pub async fn messages(
        &self,
        token: &str,
        campaign_id: Uuid,
        limit: u32,
        cursor: Option<&str>,
        filters: &[(&str, &str)],
    ) -> Result<MessagePage, AppError> {
        let limit = limit.to_string();
        let mut params = vec![("limit", limit.as_str())];
        params.extend(cursor.map(|c| ("cursor", c)));
        params.extend_from_slice(filters);
        self.json(self.request_with_query(
            Method::GET,
            &format!("/v1/campaigns/{campaign_id}/messages"),
            &params,
            Some(token),
        ))
        .await
    }

    /// `GET /v1/campaigns/{id}/messages/export` (issue 12): the answer whose body the caller
    /// reads chunk by chunk (no time limit but the transfer's own; its rows in
    /// `X-Total-Count`).
    pub async fn messages_export(
        &self,
        token: &str,
        campaign_id: Uuid,
        query: &[(&str, &str)],
    ) -> Result<Response, AppError> {
        self.send(
            self.request_with_query(
                Method::GET,
                &format!("/v1/campaigns/{campaign_id}/messages/export"),
                query,
                Some(token),
            )
            .timeout(EXPORT_TIMEOUT),
        )
        .await
    }

    /// The next piece of a body being read; `None` at its end.
    pub async fn chunk(
        &self,
        response: &mut Response,
    ) -> Result<Option<impl AsRef<[u8]>>, AppError> {
        response.chunk().await.map_err(|e| self.transport_error(e))
    }

    /// `GET /v1/opt-outs?q=&cursor=` (issue 12).
    pub async fn opt_outs(
        &self,
        token: &str,
        params: &[(&str, &str)],
    ) -> Result<engage_core::wire::OptOutPage, AppError> {
        self.json(self.request_with_query(Method::GET, "/v1/opt-outs", params, Some(token)))
            .await
    }

    /// `GET /v1/opt-outs/export`: the list as CSV text.
    pub async fn opt_outs_csv(&self, token: &str) -> Result<String, AppError> {
        let response = self
            .send(self.request(Method::GET, "/v1/opt-outs/export", Some(token)))
            .await?;
        response.text().await.map_err(|e| self.transport_error(e))
    }

    /// `POST /v1/opt-outs/import` with a CSV text.
    pub async fn import_opt_outs(
        &self,
        token: &str,
        csv: &[u8],
    ) -> Result<engage_core::wire::OptOutImport, AppError> {
        self.json(
            self.request(Method::POST, "/v1/opt-outs/import", Some(token))
                .header(reqwest::header::CONTENT_TYPE, "text/csv; charset=utf-8")
                .body(csv.to_vec()),
        )
        .await
    }

    /// `POST /v1/messages/{id}/simulate-reply` (the sandbox).
    pub async fn simulate_reply(
        &self,
        token: &str,
        message_id: Uuid,
        body: &engage_core::wire::SimulateReplyRequest,
    ) -> Result<engage_core::wire::SimulatedReply, AppError> {
        self.json(
            self.request(
                Method::POST,
                &format!("/v1/messages/{message_id}/simulate-reply"),
                Some(token),
            )
            .json(body),
        )
        .await
    }

    /// `PUT /v1/templates/{id}/opt-out-buttons`.
    pub async fn set_opt_out_buttons(
        &self,
        token: &str,
        template_id: Uuid,
        body: &engage_core::wire::OptOutButtonsRequest,
    ) -> Result<engage_core::wire::Template, AppError> {
        self.json(
            self.request(
                Method::PUT,
                &format!("/v1/templates/{template_id}/opt-out-buttons"),
                Some(token),
            )
            .json(body),
        )
        .await
    }

    /// `POST /v1/opt-outs`.
    pub async fn add_opt_out(
        &self,
        token: &str,
        body: &engage_core::wire::AddOptOutRequest,
    ) -> Result<engage_core::wire::OptOut, AppError> {
        self.json(
            self.request(Method::POST, "/v1/opt-outs", Some(token))
                .json(body),
        )
        .await
    }

    /// `POST /v1/opt-outs/remove`.
    pub async fn remove_opt_out(
        &self,
        token: &str,
        body: &engage_core::wire::RemoveOptOutRequest,
    ) -> Result<(), AppError> {
        self.empty(
            self.request(Method::POST, "/v1/opt-outs/remove", Some(token))
                .json(body),
        )
        .await
    }

    /// `GET /v1/opt-outs/keywords`, or `PUT` with `keywords`.
    pub async fn opt_out_keywords(
        &self,
        token: &str,
        keywords: Option<&engage_core::wire::OptOutKeywords>,
    ) -> Result<engage_core::wire::OptOutKeywords, AppError> {
        let request = match keywords {
            Some(body) => self
                .request(Method::PUT, "/v1/opt-outs/keywords", Some(token))
                .json(body),
            None => self.request(Method::GET, "/v1/opt-outs/keywords", Some(token)),
        };
        self.json(request).await
    }

    /// `POST /v1/campaigns/{id}/test-message` (issue 12).
    pub async fn send_test_message(
        &self,
        token: &str,
        campaign_id: Uuid,
        body: &engage_core::wire::SendMessageRequest,
    ) -> Result<engage_core::wire::SendAccepted, AppError> {
        self.json(
            self.request(
                Method::POST,
                &format!("/v1/campaigns/{campaign_id}/test-message"),
                Some(token),
            )
            .json(body),
        )
        .await
    }

    /// `GET /v1/campaigns/{id}/stats?from=&to=&bucket=&tz=` (issue 12).
    pub async fn campaign_stats(
        &self,
        token: &str,
        campaign_id: Uuid,
        params: &[(&str, &str)],
    ) -> Result<engage_core::wire::CampaignStatsResponse, AppError> {
        self.json(self.request_with_query(
            Method::GET,
            &format!("/v1/campaigns/{campaign_id}/stats"),
            params,
            Some(token),
        ))
        .await
    }

    /// `GET /healthz`: the server's version (older servers name none: `None`).
    pub async fn server_version(&self) -> Result<Option<String>, AppError> {
        #[derive(serde::Deserialize)]
        struct Health {
            version: Option<String>,
        }
        let health: Health = self
            .json(self.request(Method::GET, "/healthz", None))
            .await?;
        Ok(health.version)
    }

    /// The integration details with the client secret masked (what the documentation
    /// shows; readable by every role, not a copy of the credentials).
    pub async fn masked_integration(
        &self,
        token: &str,
        id: Uuid,
        mode: CredentialMode,
    ) -> Result<CampaignIntegration, AppError> {
        self.json(self.request_with_query(
            Method::GET,
            &format!("/v1/campaigns/{id}/integration/masked"),
            &[("mode", mode.as_str())],
            Some(token),
        ))
        .await
    }

    // ------------------------------------------------------------ team (issue 13)

    /// `POST /v1/auth/invitation`: spend an invitation or reset code, choose a password,
    /// get a session.
    pub async fn accept_invitation(
        &self,
        code: &str,
        password: &str,
    ) -> Result<StaffTokenResponse, AppError> {
        let body = AcceptInvitationRequest {
            code: code.to_owned(),
            password: password.to_owned(),
        };
        self.json(
            self.request(Method::POST, "/v1/auth/invitation", None)
                .json(&body),
        )
        .await
    }

    pub async fn team(&self, token: &str) -> Result<Team, AppError> {
        self.json(self.request(Method::GET, "/v1/team", Some(token)))
            .await
    }

    pub async fn invite(
        &self,
        token: &str,
        body: &CreateInvitationRequest,
    ) -> Result<InvitationCreated, AppError> {
        self.json(
            self.request(Method::POST, "/v1/team/invitations", Some(token))
                .json(body),
        )
        .await
    }

    pub async fn update_member(
        &self,
        token: &str,
        id: Uuid,
        body: &UpdateMemberRequest,
    ) -> Result<TeamMember, AppError> {
        self.json(
            self.request(
                Method::PATCH,
                &format!("/v1/team/members/{id}"),
                Some(token),
            )
            .json(body),
        )
        .await
    }

    pub async fn reset_password(
        &self,
        token: &str,
        id: Uuid,
        body: &PasswordResetRequest,
    ) -> Result<InvitationCreated, AppError> {
        self.json(
            self.request(
                Method::POST,
                &format!("/v1/team/members/{id}/password-reset"),
                Some(token),
            )
            .json(body),
        )
        .await
    }

    pub async fn unblock(&self, token: &str, id: Uuid) -> Result<(), AppError> {
        self.empty(self.request(
            Method::POST,
            &format!("/v1/team/members/{id}/unblock"),
            Some(token),
        ))
        .await
    }

    pub async fn change_password(
        &self,
        token: &str,
        body: &ChangePasswordRequest,
    ) -> Result<(), AppError> {
        self.empty(
            self.request(Method::POST, "/v1/me/password", Some(token))
                .json(body),
        )
        .await
    }

    pub async fn sessions(&self, token: &str) -> Result<SessionList, AppError> {
        self.json(self.request(Method::GET, "/v1/me/sessions", Some(token)))
            .await
    }

    pub async fn end_all_sessions(&self, token: &str) -> Result<(), AppError> {
        self.empty(self.request(Method::POST, "/v1/me/sessions/end-all", Some(token)))
            .await
    }

    /// One page of the audit log; `query` holds the filters (`actor`, `action`, `campaign`,
    /// `from`, `to`) and `cursor`.
    pub async fn audit(&self, token: &str, query: &[(&str, &str)]) -> Result<AuditPage, AppError> {
        self.json(self.request_with_query(Method::GET, "/v1/audit", query, Some(token)))
            .await
    }

    /// The filtered audit log as CSV text.
    pub async fn audit_csv(&self, token: &str, query: &[(&str, &str)]) -> Result<String, AppError> {
        let response = self
            .send(self.request_with_query(Method::GET, "/v1/audit/export", query, Some(token)))
            .await?;
        response.text().await.map_err(|e| self.transport_error(e))
    }

    // ------------------------------------------------------------ integration log (issue 15)

    /// The campaign's hand-off summary and recent requests, newest first.
    pub async fn integration_log(
        &self,
        token: &str,
        campaign_id: Uuid,
        refused_only: bool,
    ) -> Result<IntegrationLog, AppError> {
        let query: &[(&str, &str)] = if refused_only {
            &[("refused", "true")]
        } else {
            &[]
        };
        self.json(self.request_with_query(
            Method::GET,
            &format!("/v1/campaigns/{campaign_id}/integration/log"),
            query,
            Some(token),
        ))
        .await
    }

    /// Every campaign's integration health.
    pub async fn integration_health(
        &self,
        token: &str,
    ) -> Result<Vec<CampaignIntegrationHealth>, AppError> {
        self.json(self.request(Method::GET, "/v1/campaigns/integration-health", Some(token)))
            .await
    }

    // ------------------------------------------------------------ plumbing

    async fn json<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, AppError> {
        let response = self.send(request).await?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(e))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            tracing::warn!(status = status.as_u16(), error = %e, "server answer is not the expected JSON");
            self.unexpected(status)
        })
    }

    async fn empty(&self, request: RequestBuilder) -> Result<(), AppError> {
        self.send(request).await.map(drop)
    }

    /// Sends the request; a non-2xx answer becomes an error.
    async fn send(&self, request: RequestBuilder) -> Result<Response, AppError> {
        let response = request.send().await.map_err(|e| self.transport_error(e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(e))?;
        match serde_json::from_slice::<ApiErrorBody>(&bytes) {
            Ok(body) => Err(AppError::Api {
                status: status.as_u16(),
                error: body.error,
            }),
            Err(_) => Err(self.unexpected(status)),
        }
    }

    fn unexpected(&self, status: StatusCode) -> AppError {
        AppError::UnexpectedResponse {
            url: self.base.to_string(),
            status: status.as_u16(),
        }
    }

    fn transport_error(&self, error: reqwest::Error) -> AppError {
        let reason = if error.is_timeout() {
            "no answer in time".to_owned()
        } else if error.is_connect() {
            "connection failed".to_owned()
        } else {
            // Without the URL: reqwest's Display would repeat it.
            error.without_url().to_string()
        };
        AppError::ServerUnreachable {
            url: self.base.to_string(),
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: Result<ServerUrl, AppError>) -> String {
        let error = result.expect_err("rejected");
        assert_eq!(error.code(), "invalid_input");
        error.field().unwrap().to_owned()
    }

    #[test]
    fn server_url_is_normalised_without_trailing_slash() {
        assert_eq!(
            ServerUrl::parse(" http://127.0.0.1:8787/ ", "server_url")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8787"
        );
        assert_eq!(
            ServerUrl::parse("https://engage.example.com/api/", "server_url")
                .unwrap()
                .as_str(),
            "https://engage.example.com/api"
        );
    }

    #[test]
    fn an_address_without_a_scheme_is_https_and_plain_http_is_only_for_local_addresses() {
        let parsed = |input: &str| ServerUrl::parse(input, "server_url").map(|url| url.0);
        assert_eq!(
            parsed("  engage.example.com/ ").unwrap(),
            "https://engage.example.com"
        );
        assert_eq!(
            parsed("engage.example.com:8443").unwrap(),
            "https://engage.example.com:8443"
        );
        for local in [
            "http://localhost:8787",
            "http://127.0.0.1:8787",
            "http://192.168.0.10:8787",
            "http://10.1.2.3",
            "http://[::1]:8787",
        ] {
            assert!(parsed(local).is_ok(), "{local}");
        }
        assert_eq!(
            field_of(ServerUrl::parse("http://engage.example.com", "server_url")),
            "server_url"
        );
        assert_eq!(
            field_of(ServerUrl::parse("http://8.8.8.8", "server_url")),
            "server_url"
        );
    }

    #[test]
    fn server_url_rejects_what_is_not_an_http_server_address() {
        for bad in [
            "",
            "ftp://engage.example.com",
            "https://",
            "engage example.com",
            "https://user:pw@engage.example.com",
            "https://engage.example.com/?x=1",
            "https://engage.example.com/#top",
            "file:///etc/passwd",
        ] {
            assert_eq!(
                field_of(ServerUrl::parse(bad, "server_url")),
                "server_url",
                "{bad:?}"
            );
        }
        let long = format!("https://{}.example.com", "a".repeat(MAX_URL_LEN));
        assert_eq!(
            field_of(ServerUrl::parse(&long, "server_url")),
            "server_url"
        );
    }

    #[tokio::test]
    async fn a_closed_port_is_server_unreachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let api = ApiClient::new(
            ServerUrl::parse(&format!("http://127.0.0.1:{port}"), "server_url").unwrap(),
        );
        let error = api.login("a@b.c", "pw").await.expect_err("nobody listens");
        assert_eq!(error.code(), "server_unreachable");
        assert!(error.to_string().contains(&format!("127.0.0.1:{port}")));
    }
}
