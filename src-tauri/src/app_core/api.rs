//! `ApiClient`: typed calls to the Engage server's HTTP API over reqwest.
//!
//! Refusals (`{"error": {code, message, field}}`) become [`AppError::Api`] as they are;
//! no answer at all becomes `server_unreachable`; anything else that is not the documented
//! JSON becomes `unexpected_response`.

use std::time::Duration;

use engage_core::wire::{
    ApiErrorBody, Campaign, CampaignIntegration, CampaignList, CreateCampaignRequest, LoginRequest,
    LogoutRequest, Me, MessagePage, NameAvailability, RefreshRequest, Sender, StaffTokenResponse,
    Template, UpdateCampaignRequest,
};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;
use uuid::Uuid;

use super::AppError;
use crate::models::WhatsAppSyncSummary;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
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
        let url = Url::parse(input).map_err(|e| {
            AppError::invalid(field, format!("\"{input}\" is not a web address ({e}); it looks like https://engage.example.com."))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(AppError::invalid(
                field,
                "The server address must start with http:// or https://.",
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
    ) -> Result<CampaignIntegration, AppError> {
        self.json(self.request(
            Method::GET,
            &format!("/v1/campaigns/{id}/integration"),
            Some(token),
        ))
        .await
    }

    /// Newest first.
    pub async fn messages(
        &self,
        token: &str,
        campaign_id: Uuid,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<MessagePage, AppError> {
        let limit = limit.to_string();
        let mut params = vec![("limit", limit.as_str())];
        params.extend(cursor.map(|c| ("cursor", c)));
        self.json(self.request_with_query(
            Method::GET,
            &format!("/v1/campaigns/{campaign_id}/messages"),
            &params,
            Some(token),
        ))
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
    fn server_url_rejects_what_is_not_an_http_server_address() {
        for bad in [
            "",
            "engage.example.com",
            "ftp://engage.example.com",
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
