//! [`GraphClient`]: the calls this server makes to Meta's Graph API, and [`GraphError`],
//! Meta's error answers classified into transient (retry later) and permanent ones.
//!
//! The access token travels only in the `Authorization` header; it is never part of a
//! URL, an error or a log line.

use std::time::Duration;

use engage_core::{CoreError, Template};
use reqwest::header::RETRY_AFTER;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use time::format_description::well_known::Rfc2822;
use time::OffsetDateTime;

use crate::config::WhatsAppConfig;

use super::payload::TemplateMessage;

/// Timeout of one Graph API call.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Most pages followed in one listing (a guard against a paging loop).
const MAX_PAGES: usize = 1_000;
/// Items asked per page.
const PAGE_SIZE: u32 = 100;

/// Meta's `{"error": {...}}` object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaError {
    /// HTTP status of the answer.
    pub http_status: u16,
    /// Meta's error `code` (`132000`, `131056`, `190`, ...).
    pub code: i64,
    pub subcode: Option<i64>,
    /// Meta's `type` (`OAuthException`, ...).
    pub kind: Option<String>,
    pub message: String,
    /// `error_data.details`, Meta's longer explanation.
    pub details: Option<String>,
    pub fbtrace_id: Option<String>,
    /// From the `Retry-After` header, when Meta sent one.
    pub retry_after: Option<Duration>,
}

/// A failed Graph API call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    #[error("the WhatsApp Cloud API did not answer within {} s", REQUEST_TIMEOUT.as_secs())]
    Timeout,
    #[error("could not reach the WhatsApp Cloud API: {reason}")]
    Unreachable { reason: String },
    #[error("WhatsApp Cloud API error {}: {}", .0.code, .0.message)]
    Api(Box<MetaError>),
    #[error("the WhatsApp Cloud API answered HTTP {status} without an error body: {excerpt}")]
    Http {
        status: u16,
        excerpt: String,
        retry_after: Option<Duration>,
    },
    #[error("unexpected answer from the WhatsApp Cloud API: {reason}")]
    UnexpectedResponse { reason: String },
}

/// Whether a failure may succeed when tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    Transient,
    Permanent,
}

/// Meta error codes worth retrying: throughput and pair rate limits, temporary outages.
/// Every other code (`132000` parameter mismatch, `132001` no such template, `131026`
/// undeliverable, `190` invalid token, `100` invalid parameter, `131047` re-engagement
/// window, `131051` unsupported type, `132015`/`132016` template paused/disabled, ...) is
/// permanent.
pub fn classify_meta_code(code: i64, http_status: u16) -> Retry {
    match code {
        // 1 API unknown, 2 API service (temporary), 4 too many calls, 80007 rate limit,
        // 130429 throughput, 131056 pair rate limit, 131000 something went wrong,
        // 131016 service unavailable, 131057 account in maintenance, 133004 server
        // temporarily unavailable.
        1 | 2 | 4 | 80007 | 130429 | 131056 | 131000 | 131016 | 131057 | 133004 => Retry::Transient,
        _ if http_status >= 500 => Retry::Transient,
        _ => Retry::Permanent,
    }
}

impl GraphError {
    pub fn retry(&self) -> Retry {
        match self {
            GraphError::Timeout | GraphError::Unreachable { .. } => Retry::Transient,
            GraphError::Api(error) => classify_meta_code(error.code, error.http_status),
            GraphError::Http { status, .. } if *status >= 500 || *status == 429 => Retry::Transient,
            GraphError::Http { .. } | GraphError::UnexpectedResponse { .. } => Retry::Permanent,
        }
    }

    pub fn is_transient(&self) -> bool {
        self.retry() == Retry::Transient
    }

    /// How long Meta asked to wait (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            GraphError::Api(error) => error.retry_after,
            GraphError::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Stable code stored with the message: `whatsapp_<meta code>` for Meta's errors.
    pub fn code(&self) -> String {
        match self {
            GraphError::Timeout => "whatsapp_timeout".to_owned(),
            GraphError::Unreachable { .. } => "whatsapp_unreachable".to_owned(),
            GraphError::Api(error) => format!("whatsapp_{}", error.code),
            GraphError::Http { status, .. } => format!("whatsapp_http_{status}"),
            GraphError::UnexpectedResponse { .. } => "whatsapp_unexpected_response".to_owned(),
        }
    }

    /// Human explanation stored with the message: Meta's message and details as given.
    pub fn detail(&self) -> String {
        match self {
            GraphError::Api(error) => match &error.details {
                Some(details) if !details.is_empty() && details != &error.message => {
                    format!("({}) {}: {}", error.code, error.message, details)
                }
                _ => format!("({}) {}", error.code, error.message),
            },
            other => other.to_string(),
        }
    }
}

/// A message Meta accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    /// The WhatsApp message id (`wamid....`), the key of later status webhooks.
    pub message_id: String,
    /// The recipient's WhatsApp id, when Meta reports it.
    pub wa_id: Option<String>,
}

/// One template of `GET /{waba}/message_templates`, as Meta sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct MetaTemplateRecord {
    /// Meta's template id (the `message_template_id` of status webhooks).
    pub id: Option<String>,
    pub name: String,
    pub language: String,
    pub raw: Value,
}

impl MetaTemplateRecord {
    /// The template in engage-core's model (unsupported kinds marked, malformed ones refused).
    pub fn parse(&self) -> Result<Template, CoreError> {
        engage_core::parse_meta_template(&self.raw)
    }

    /// The record as one item of a listing (see [`crate::whatsapp::import`]).
    pub fn listing_item(&self) -> engage_core::ListingItem {
        engage_core::ListingItem {
            meta_id: self.id.clone(),
            label: format!("{} ({})", self.name, self.language),
            result: self.parse(),
        }
    }
}

/// One number of `GET /{waba}/phone_numbers`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MetaPhoneNumber {
    /// The phone number id messages are sent from.
    pub id: String,
    /// As Meta shows it: `+55 11 98765-4321`.
    pub display_phone_number: String,
    #[serde(default)]
    pub verified_name: Option<String>,
    #[serde(default)]
    pub quality_rating: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SendResponse {
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    messages: Vec<SentMessage>,
}

#[derive(Debug, Deserialize)]
struct Contact {
    #[serde(default)]
    wa_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SentMessage {
    id: String,
}

#[derive(Debug, Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    code: i64,
    #[serde(default)]
    error_subcode: Option<i64>,
    #[serde(default)]
    fbtrace_id: Option<String>,
    #[serde(default)]
    error_data: Option<ErrorData>,
}

#[derive(Debug, Deserialize)]
struct ErrorData {
    #[serde(default)]
    details: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    data: Vec<T>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Debug, Deserialize)]
struct Paging {
    #[serde(default)]
    cursors: Option<Cursors>,
    #[serde(default)]
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Cursors {
    #[serde(default)]
    after: Option<String>,
}

/// Parses a `Retry-After` value: delay seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = OffsetDateTime::parse(value, &Rfc2822).ok()?;
    let delta = at - now;
    Some(Duration::try_from(delta).unwrap_or(Duration::ZERO))
}

/// Client of the Graph API at a base URL (`https://graph.facebook.com/v23.0`).
#[derive(Debug, Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    base_url: String,
}

impl GraphClient {
    pub fn new(base_url: impl Into<String>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(64)
            .build()
            .unwrap_or_default();
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        GraphClient { http, base_url }
    }

    /// At the configured Graph URL (Meta's [`super::DEFAULT_GRAPH_URL`] unless set otherwise).
    pub fn from_config(config: &WhatsAppConfig) -> Self {
        GraphClient::new(config.graph_url.clone())
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `POST /{phone_number_id}/messages` with a template message.
    pub async fn send_template(
        &self,
        phone_number_id: &str,
        access_token: &str,
        message: &TemplateMessage,
    ) -> Result<SendOutcome, GraphError> {
        let url = format!(
            "{}/{}/messages",
            self.base_url,
            path_segment(phone_number_id)
        );
        let response = self
            .http
            .post(url)
            .bearer_auth(access_token)
            .json(message)
            .send()
            .await
            .map_err(transport_error)?;
        let body: SendResponse = read_json(response).await?;
        let Some(first) = body.messages.into_iter().next() else {
            return Err(GraphError::UnexpectedResponse {
                reason: "the answer lists no message id".to_owned(),
            });
        };
        Ok(SendOutcome {
            message_id: first.id,
            wa_id: body.contacts.into_iter().find_map(|c| c.wa_id),
        })
    }

    /// Every template of the WhatsApp Business Account, all pages.
    pub async fn list_templates(
        &self,
        waba_id: &str,
        access_token: &str,
    ) -> Result<Vec<MetaTemplateRecord>, GraphError> {
        let items: Vec<Value> = self
            .list_all(
                &format!("{}/message_templates", path_segment(waba_id)),
                &[(
                    "fields",
                    "id,name,language,status,category,parameter_format,components",
                )],
                access_token,
            )
            .await?;
        items
            .into_iter()
            .enumerate()
            .map(|(index, raw)| {
                let text = |key: &str| raw.get(key).and_then(Value::as_str).map(str::to_owned);
                let id = match raw.get("id") {
                    Some(Value::String(id)) => Some(id.clone()),
                    Some(Value::Number(id)) => Some(id.to_string()),
                    _ => None,
                };
                let (Some(name), Some(language)) = (text("name"), text("language")) else {
                    return Err(GraphError::UnexpectedResponse {
                        reason: format!("template {index} has no name or language"),
                    });
                };
                Ok(MetaTemplateRecord {
                    id,
                    name,
                    language,
                    raw,
                })
            })
            .collect()
    }

    /// Every phone number of the WhatsApp Business Account, all pages.
    pub async fn list_phone_numbers(
        &self,
        waba_id: &str,
        access_token: &str,
    ) -> Result<Vec<MetaPhoneNumber>, GraphError> {
        self.list_all(
            &format!("{}/phone_numbers", path_segment(waba_id)),
            &[(
                "fields",
                "id,display_phone_number,verified_name,quality_rating",
            )],
            access_token,
        )
        .await
    }

    /// Follows `paging.cursors.after` while Meta announces a `paging.next` page. The next
    /// request is always built on our base URL (the token is never sent elsewhere).
    async fn list_all<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        access_token: &str,
    ) -> Result<Vec<T>, GraphError> {
        let base = url::Url::parse(&format!("{}/{}", self.base_url, path)).map_err(|e| {
            GraphError::UnexpectedResponse {
                reason: format!("invalid Graph API URL: {e}"),
            }
        })?;
        let limit = PAGE_SIZE.to_string();
        let mut after: Option<String> = None;
        let mut all = Vec::new();
        for _ in 0..MAX_PAGES {
            let mut url = base.clone();
            {
                let mut pairs = url.query_pairs_mut();
                pairs.extend_pairs(query.iter().copied());
                pairs.append_pair("limit", &limit);
                if let Some(cursor) = &after {
                    pairs.append_pair("after", cursor);
                }
            }
            let request = self.http.get(url).bearer_auth(access_token);
            let response = request.send().await.map_err(transport_error)?;
            let page: Page<T> = read_json(response).await?;
            all.extend(page.data);
            let next = page.paging.and_then(|paging| {
                paging.next.as_ref()?;
                paging.cursors?.after
            });
            match next {
                Some(cursor) if after.as_deref() != Some(cursor.as_str()) => after = Some(cursor),
                Some(_) => {
                    return Err(GraphError::UnexpectedResponse {
                        reason: "the paging cursor did not advance".to_owned(),
                    })
                }
                None => return Ok(all),
            }
        }
        Err(GraphError::UnexpectedResponse {
            reason: format!("more than {MAX_PAGES} pages"),
        })
    }
}

/// Ids are digits; anything else is percent-encoded so it stays one path segment.
fn path_segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

fn transport_error(error: reqwest::Error) -> GraphError {
    let error = error.without_url();
    if error.is_timeout() {
        GraphError::Timeout
    } else if error.is_connect() || error.is_request() {
        GraphError::Unreachable {
            reason: error.to_string(),
        }
    } else {
        GraphError::UnexpectedResponse {
            reason: error.to_string(),
        }
    }
}

async fn read_json<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, GraphError> {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, OffsetDateTime::now_utc()));
    let bytes = response.bytes().await.map_err(transport_error)?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|e| GraphError::UnexpectedResponse {
            reason: format!("HTTP {}: {e}", status.as_u16()),
        });
    }
    Err(error_from_body(status, &bytes, retry_after))
}

/// The error of a non-2xx answer: Meta's error object when the body holds one.
pub fn error_from_body(
    status: StatusCode,
    body: &[u8],
    retry_after: Option<Duration>,
) -> GraphError {
    match serde_json::from_slice::<ErrorEnvelope>(body) {
        Ok(ErrorEnvelope { error }) => GraphError::Api(Box::new(MetaError {
            http_status: status.as_u16(),
            code: error.code,
            subcode: error.error_subcode,
            kind: error.kind,
            message: error.message,
            details: error.error_data.and_then(|d| d.details),
            fbtrace_id: error.fbtrace_id,
            retry_after,
        })),
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let excerpt: String = text.chars().take(200).collect();
            GraphError::Http {
                status: status.as_u16(),
                excerpt,
                retry_after,
            }
        }
    }
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
