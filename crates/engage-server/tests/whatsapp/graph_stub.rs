//! A local stand-in for Meta's Graph API (WhatsApp Cloud API), on a real loopback port.
//!
//! It speaks the documented formats: `POST /{phone-number-id}/messages` answers
//! `{"messaging_product":"whatsapp","contacts":[{"input","wa_id"}],"messages":[{"id":"wamid..."}]}`
//! or Meta's error body `{"error":{"message","type","code","error_subcode","error_data":{"messaging_product","details"},"fbtrace_id"}}`;
//! `GET /{waba}/message_templates` and `GET /{waba}/phone_numbers` page with
//! `paging.cursors.after` and `paging.next`. It records every request and can be scripted
//! to fail the next requests with a given code (and `Retry-After`).
//!
//! Like Meta it checks what it can: the bearer token (190), the message envelope (100),
//! the template's existence by name and language (132001) and the number of body
//! parameters (132000) when templates are loaded.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

pub const VERSION: &str = "v23.0";

/// One request the stand-in received.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: std::time::Instant,
    pub method: &'static str,
    /// Path after the version: `106540352242922/messages`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub authorization: Option<String>,
    pub body: Option<Value>,
}

/// A scripted failure: HTTP status, Meta error code and message, optional Retry-After.
#[derive(Debug, Clone)]
pub struct Failure {
    pub http_status: u16,
    pub code: i64,
    pub message: String,
    pub details: Option<String>,
    pub retry_after: Option<u64>,
    /// Answer with a non-JSON body instead of Meta's error object.
    pub raw_body: Option<String>,
}

impl Failure {
    pub fn meta(http_status: u16, code: i64, message: &str) -> Self {
        Failure {
            http_status,
            code,
            message: message.to_owned(),
            details: None,
            retry_after: None,
            raw_body: None,
        }
    }
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }
    pub fn with_details(mut self, details: &str) -> Self {
        self.details = Some(details.to_owned());
        self
    }
    pub fn raw(http_status: u16, body: &str) -> Self {
        Failure {
            http_status,
            code: 0,
            message: String::new(),
            details: None,
            retry_after: None,
            raw_body: Some(body.to_owned()),
        }
    }
    /// 130429: the number's throughput was exceeded.
    pub fn throughput() -> Self {
        Failure::meta(400, 130429, "(#130429) Rate limit hit")
    }
}

#[derive(Default)]
struct StubState {
    received: Vec<Received>,
    failures: VecDeque<Failure>,
    templates: Vec<Value>,
    phone_numbers: Vec<Value>,
    page_size: usize,
    token: Option<String>,
    next_id: u64,
    /// `(wamid, to, when)` of every accepted message.
    accepted: Vec<(String, String, std::time::Instant)>,
}

#[derive(Clone)]
struct Shared(Arc<Mutex<StubState>>);

/// The running stand-in. Dropping it stops the server.
pub struct GraphStub {
    addr: SocketAddr,
    state: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for GraphStub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn meta_error(failure: &Failure) -> Response {
    let status = StatusCode::from_u16(failure.http_status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = match &failure.raw_body {
        Some(body) => (status, body.clone()).into_response(),
        None => {
            let mut error = json!({
                "message": failure.message,
                "type": "OAuthException",
                "code": failure.code,
                "fbtrace_id": "A3a1bZ9stubTrace",
            });
            if let Some(details) = &failure.details {
                error["error_data"] = json!({"messaging_product": "whatsapp", "details": details});
            }
            (status, Json(json!({ "error": error }))).into_response()
        }
    };
    if let Some(seconds) = failure.retry_after {
        response
            .headers_mut()
            .insert("retry-after", seconds.to_string().parse().unwrap());
    }
    response
}

impl GraphStub {
    pub async fn start() -> Self {
        let state = Shared(Arc::new(Mutex::new(StubState {
            page_size: 25,
            ..StubState::default()
        })));
        let app = Router::new()
            .route("/{version}/{id}/messages", post(send_message))
            .route("/{version}/{id}/message_templates", get(list_templates))
            .route("/{version}/{id}/phone_numbers", get(list_phone_numbers))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        GraphStub { addr, state, task }
    }

    /// The Graph URL to configure (`WhatsAppConfig::graph_url`, `ENGAGE_WHATSAPP_GRAPH_URL`):
    /// `http://127.0.0.1:<port>/v23.0`.
    pub fn base_url(&self) -> String {
        format!("http://{}/{VERSION}", self.addr)
    }

    /// Only this bearer token is accepted; others get error 190.
    pub fn require_token(&self, token: &str) {
        self.state.0.lock().unwrap().token = Some(token.to_owned());
    }

    /// The next `count` requests fail with `failure`.
    pub fn fail_next(&self, count: usize, failure: Failure) {
        let mut state = self.state.0.lock().unwrap();
        for _ in 0..count {
            state.failures.push_back(failure.clone());
        }
    }

    /// Templates served by `message_templates` (Meta's objects), `page_size` per page.
    pub fn set_templates(&self, templates: Vec<Value>, page_size: usize) {
        let mut state = self.state.0.lock().unwrap();
        state.templates = templates;
        state.page_size = page_size;
    }

    pub fn set_phone_numbers(&self, numbers: Vec<Value>) {
        self.state.0.lock().unwrap().phone_numbers = numbers;
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.0.lock().unwrap().received.clone()
    }

    /// When each request arrived.
    pub fn received_at(&self) -> Vec<std::time::Instant> {
        self.received().iter().map(|r| r.at).collect()
    }

    /// `(wamid, to, when)` of the messages the stand-in accepted, in order.
    pub fn accepted(&self) -> Vec<(String, String, std::time::Instant)> {
        self.state.0.lock().unwrap().accepted.clone()
    }

    /// Bodies of the message sends the stand-in accepted or refused, in order.
    pub fn message_bodies(&self) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter(|r| r.path.ends_with("/messages"))
            .filter_map(|r| r.body)
            .collect()
    }
}

fn authorization(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Records the request; answers a scripted failure or a token error when due.
fn admit(
    state: &Shared,
    method: &'static str,
    path: String,
    query: Vec<(String, String)>,
    headers: &HeaderMap,
    body: Option<Value>,
) -> Result<(), Box<Response>> {
    let mut state = state.0.lock().unwrap();
    let authorization = authorization(headers);
    state.received.push(Received {
        at: std::time::Instant::now(),
        method,
        path,
        query,
        authorization: authorization.clone(),
        body,
    });
    if let Some(failure) = state.failures.pop_front() {
        return Err(Box::new(meta_error(&failure)));
    }
    if let Some(token) = &state.token {
        if authorization.as_deref() != Some(&format!("Bearer {token}")) {
            return Err(Box::new(meta_error(&Failure::meta(
                401,
                190,
                "Error validating access token: Session has expired",
            ))));
        }
    }
    Ok(())
}

fn count_body_placeholders(text: &str) -> usize {
    let mut seen: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        if !seen.contains(&&after[..end]) {
            seen.push(&after[..end]);
        }
        rest = &after[end + 2..];
    }
    seen.len()
}

fn component<'a>(template: &'a Value, kind: &str) -> Option<&'a Value> {
    template["components"]
        .as_array()?
        .iter()
        .find(|c| c["type"].as_str().map(str::to_ascii_lowercase).as_deref() == Some(kind))
}

/// Meta's checks of a location header (a `location` parameter with coordinates) and of an
/// authentication template's OTP button (a `url` button carrying the body's code).
fn header_and_otp_problem(template: &Value, sent: &Value) -> Option<String> {
    let components = sent["components"].as_array().cloned().unwrap_or_default();
    let sent_of = |kind: &str| components.iter().find(|c| c["type"] == kind).cloned();
    let location = component(template, "header").is_some_and(|h| {
        h["format"].as_str().map(str::to_ascii_uppercase).as_deref() == Some("LOCATION")
    });
    if location {
        let parameter = sent_of("header").map(|h| h["parameters"][0].clone());
        let ok = parameter.is_some_and(|p| {
            p["type"] == "location"
                && p["location"]["latitude"]
                    .as_str()
                    .and_then(|l| l.parse::<f64>().ok())
                    .is_some()
                && p["location"]["longitude"]
                    .as_str()
                    .and_then(|l| l.parse::<f64>().ok())
                    .is_some()
        });
        if !ok {
            return Some(
                "header: a location parameter with latitude and longitude is required".into(),
            );
        }
    }
    let otp = component(template, "buttons")
        .and_then(|b| b["buttons"].as_array())
        .into_iter()
        .flatten()
        .position(|b| b["url"].as_str().is_some_and(|u| u.contains("otp_type=")));
    if let Some(index) = otp {
        let code = sent_of("body").map(|b| b["parameters"][0]["text"].clone());
        let button = components.iter().find(|c| {
            c["type"] == "button"
                && c["sub_type"] == "url"
                && c["index"].as_str().and_then(|i| i.parse::<usize>().ok()) == Some(index)
        });
        if button.map(|b| b["parameters"][0]["text"].clone()) != code || code.is_none() {
            return Some(format!(
                "button {index}: the OTP button needs the code as its url parameter"
            ));
        }
    }
    None
}

async fn send_message(
    State(state): State<Shared>,
    Path((_version, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    let body = body.map(|Json(b)| b);
    if let Err(response) = admit(
        &state,
        "POST",
        format!("{id}/messages"),
        Vec::new(),
        &headers,
        body.clone(),
    ) {
        return *response;
    }
    let invalid = |details: &str| {
        meta_error(&Failure::meta(400, 100, "(#100) Invalid parameter").with_details(details))
    };
    let Some(body) = body else {
        return invalid("the body is not JSON");
    };
    if body["messaging_product"] != "whatsapp" {
        return invalid("messaging_product must be whatsapp");
    }
    if body["type"] != "template" {
        return invalid("type must be template");
    }
    let Some(to) = body["to"].as_str().filter(|t| !t.is_empty()) else {
        return invalid("to is required");
    };
    let name = body["template"]["name"].as_str().unwrap_or_default();
    let language = body["template"]["language"]["code"]
        .as_str()
        .unwrap_or_default();
    if name.is_empty() || language.is_empty() {
        return invalid("template.name and template.language.code are required");
    }
    let mut s = state.0.lock().unwrap();
    if !s.templates.is_empty() {
        let Some(template) = s
            .templates
            .iter()
            .find(|t| t["name"] == name && t["language"] == language)
        else {
            return meta_error(
                &Failure::meta(
                    404,
                    132001,
                    "(#132001) Template name does not exist in the translation",
                )
                .with_details(&format!(
                    "template name ({name}) does not exist in {language}"
                )),
            );
        };
        let expected = template["components"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["type"].as_str().map(str::to_ascii_uppercase).as_deref() == Some("BODY"))
            .and_then(|c| c["text"].as_str())
            .map(count_body_placeholders)
            .unwrap_or(0);
        let given = body["template"]["components"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["type"] == "body")
            .and_then(|c| c["parameters"].as_array())
            .map_or(0, Vec::len);
        if let Some(details) = header_and_otp_problem(template, &body["template"]) {
            return meta_error(
                &Failure::meta(
                    400,
                    132000,
                    "(#132000) Number of parameters does not match the expected number of params",
                )
                .with_details(&details),
            );
        }
        if expected != given {
            return meta_error(
                &Failure::meta(400, 132000, "(#132000) Number of parameters does not match the expected number of params")
                    .with_details(&format!("body: number of localizable_params ({given}) does not match the expected number of params ({expected})")),
            );
        }
    }
    s.next_id += 1;
    let wamid = format!("wamid.STUB{:012}", s.next_id);
    s.accepted
        .push((wamid.clone(), to.to_owned(), std::time::Instant::now()));
    Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": to}],
        "messages": [{"id": wamid}]
    }))
    .into_response()
}

fn page(items: &[Value], page_size: usize, query: &[(String, String)], next_base: String) -> Value {
    let offset = query
        .iter()
        .find(|(k, _)| k == "after")
        .and_then(|(_, v)| v.strip_prefix("cursor-"))
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let size = query
        .iter()
        .find(|(k, _)| k == "limit")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(page_size)
        .min(page_size)
        .max(1);
    let end = (offset + size).min(items.len());
    let data: Vec<Value> = items.get(offset..end).unwrap_or_default().to_vec();
    let mut paging = json!({"cursors": {"before": format!("cursor-{offset}"), "after": format!("cursor-{end}")}});
    if end < items.len() {
        paging["next"] = json!(format!("{next_base}?limit={size}&after=cursor-{end}"));
    }
    json!({"data": data, "paging": paging})
}

async fn list_templates(
    State(state): State<Shared>,
    Path((version, id)): Path<(String, String)>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = admit(
        &state,
        "GET",
        format!("{id}/message_templates"),
        query.clone(),
        &headers,
        None,
    ) {
        return *response;
    }
    let s = state.0.lock().unwrap();
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    Json(page(
        &s.templates,
        s.page_size,
        &query,
        format!("http://{host}/{version}/{id}/message_templates"),
    ))
    .into_response()
}

async fn list_phone_numbers(
    State(state): State<Shared>,
    Path((version, id)): Path<(String, String)>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = admit(
        &state,
        "GET",
        format!("{id}/phone_numbers"),
        query.clone(),
        &headers,
        None,
    ) {
        return *response;
    }
    let s = state.0.lock().unwrap();
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    Json(page(
        &s.phone_numbers,
        s.page_size,
        &query,
        format!("http://{host}/{version}/{id}/phone_numbers"),
    ))
    .into_response()
}
