//! A real server (port 0, SQLite in a tempdir) whose whatsapp_cloud provider talks to a
//! [`GraphStub`], with the demo workspace seeded and a whatsapp_cloud sender, a template
//! and a campaign set up through the staff API.
//!
//! Each server gets its own configuration (its Graph stub, webhook secrets, pacing and
//! retries), so the tests run in parallel.

use std::time::{Duration, Instant};

use base64::Engine as _;
use engage_core::wire::{Message, MessageStatus};
use engage_server::demo::DemoCredentials;
use engage_server::store::{NewTemplate, Store};
use engage_server::{RunningServer, SecretKeySource, ServerConfig, WhatsAppConfig};
use rand::RngCore as _;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tempfile::TempDir;
use uuid::Uuid;

use crate::graph_stub::GraphStub;

pub const APP_SECRET: &str = "test-app-secret-Ω";
pub const VERIFY_TOKEN: &str = "test-verify-token";
pub const ACCESS_TOKEN: &str = "EAAJB-harness-token";
pub const PHONE_NUMBER_ID: &str = "106540352242922";
pub const WABA_ID: &str = "102290129340398";
pub const META_TEMPLATE_ID: &str = "1689556908129832";
/// A poll gives up after this long: a safety net against hangs, not a measurement.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// Meta's object of the template the harness campaign sends.
pub fn meta_template() -> Value {
    json!({
        "id": META_TEMPLATE_ID,
        "name": "order_update",
        "language": "pt_BR",
        "status": "APPROVED",
        "category": "UTILITY",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Pedido {{1}}", "example": {"header_text": ["A-1"]}},
            {"type": "BODY", "text": "Olá {{1}}, seu pedido saiu para entrega.", "example": {"body_text": [["Ana"]]}},
            {"type": "BUTTONS", "buttons": [
                {"type": "URL", "text": "Rastrear", "url": "https://shop.example/t/{{1}}", "example": ["https://shop.example/t/A1"]},
                {"type": "QUICK_REPLY", "text": "Parar"}
            ]}
        ]
    })
}

pub fn variables(name: &str) -> Value {
    json!({"header_1": "A-77", "1": name, "button_0": "A77"})
}

pub struct Setup {
    pub stub: GraphStub,
    pub server: Option<RunningServer>,
    pub base_url: String,
    pub database_url: String,
    pub secret_key_b64: String,
    pub whatsapp: WhatsAppConfig,
    pub creds: DemoCredentials,
    pub http: reqwest::Client,
    pub staff_token: String,
    pub client_token: String,
    pub sender_id: Uuid,
    pub template_id: Uuid,
    pub campaign_id: Uuid,
    /// Holds the database until the test ends.
    _dir: TempDir,
}

pub struct Options {
    pub rate_per_second: Option<u32>,
    pub recipient_interval_ms: u64,
    pub retry_base_ms: u64,
    /// The server's webhook verify token.
    pub verify_token: &'static str,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rate_per_second: None,
            recipient_interval_ms: 6_000,
            retry_base_ms: 50,
            verify_token: VERIFY_TOKEN,
        }
    }
}

/// The whatsapp_cloud settings of a harness server: the stub, the harness's webhook
/// secrets, the options' pacing and retries.
pub fn whatsapp_config(stub: &GraphStub, options: &Options) -> WhatsAppConfig {
    WhatsAppConfig {
        graph_url: stub.base_url(),
        app_secret: Some(APP_SECRET.to_owned()),
        verify_token: Some(options.verify_token.to_owned()),
        rate_per_second: None,
        recipient_interval: Some(Duration::from_millis(options.recipient_interval_ms)),
        retry_base: Some(Duration::from_millis(options.retry_base_ms)),
    }
}

async fn start_server(database_url: &str, key: &str, whatsapp: &WhatsAppConfig) -> RunningServer {
    engage_server::start(ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        whatsapp: whatsapp.clone(),
        // Status callbacks go to receivers on loopback in these tests.
        callbacks: engage_server::CallbackConfig {
            allow_private: true,
        },
        ..ServerConfig::new(database_url, SecretKeySource::Env(key.to_owned()))
    })
    .await
    .expect("server starts")
}

impl Setup {
    pub async fn new(options: Options) -> Setup {
        let stub = GraphStub::start().await;
        stub.require_token(ACCESS_TOKEN);
        stub.set_templates(vec![meta_template()], 25);
        let whatsapp = whatsapp_config(&stub, &options);

        let dir = tempfile::tempdir().unwrap();
        let database_url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("engage.db").display()
        );
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        let secret_key_b64 = base64::engine::general_purpose::STANDARD.encode(key);
        let server = start_server(&database_url, &secret_key_b64, &whatsapp).await;
        let creds = engage_server::demo::seed_demo(
            &database_url,
            &SecretKeySource::Env(secret_key_b64.clone()),
        )
        .await
        .unwrap();
        let base_url = server.base_url();
        let http = reqwest::Client::new();

        let login: Value = http
            .post(format!("{base_url}/v1/auth/login"))
            .json(&json!({"email": creds.user.email, "password": creds.user.password}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let staff_token = login["access_token"].as_str().unwrap().to_owned();
        let token: Value = http
            .post(format!("{base_url}/oauth/token"))
            .basic_auth(
                creds.api_client.client_id.to_string(),
                Some(creds.api_client.client_secret.to_string()),
            )
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let client_token = token["access_token"].as_str().unwrap().to_owned();

        // The whatsapp_cloud sender, through the staff API.
        let response = http
            .post(format!("{base_url}/v1/whatsapp/senders"))
            .bearer_auth(&staff_token)
            .json(&json!({
                "name": "Loja (Cloud API)",
                "phone": "+5511955550000",
                "phone_number_id": PHONE_NUMBER_ID,
                "waba_id": WABA_ID,
                "access_token": ACCESS_TOKEN,
                "rate_per_second": options.rate_per_second,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let sender: Value = response.json().await.unwrap();
        assert_eq!(sender["provider"], "whatsapp_cloud");
        let sender_id: Uuid = sender["id"].as_str().unwrap().parse().unwrap();

        // The template, as a sync would store it.
        let store = Store::connect(&database_url).await.unwrap();
        let template = engage_core::parse_meta_template(&meta_template()).unwrap();
        let wire = template.to_wire(Uuid::nil());
        let template_id = store
            .upsert_template(NewTemplate {
                workspace_id: creds.workspace_id,
                name: &wire.name,
                language: &wire.language,
                category: wire.category,
                status: wire.status,
                components: &wire.components,
                variables: &wire.variables,
                meta_id: Some(META_TEMPLATE_ID),
                unsupported: None,
                last_change: None,
            })
            .await
            .unwrap();
        store.close().await;

        let response = http
            .post(format!("{base_url}/v1/campaigns"))
            .bearer_auth(&staff_token)
            .json(&json!({
                "name": format!("Pedidos Cloud {}", Uuid::new_v4()),
                "type": "recurrent",
                "sender_id": sender_id,
                "template_id": template_id,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{:?}",
            response.text().await
        );
        let campaign: Value = response.json().await.unwrap();
        let campaign_id = campaign["id"].as_str().unwrap().parse().unwrap();

        Setup {
            stub,
            server: Some(server),
            base_url,
            database_url,
            secret_key_b64,
            whatsapp,
            creds,
            http,
            staff_token,
            client_token,
            sender_id,
            template_id,
            campaign_id,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// `POST /v1/campaigns/{id}/messages` → (status, body).
    pub async fn send(&self, to: &str, variables: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url(&format!("/v1/campaigns/{}/messages", self.campaign_id)))
            .bearer_auth(&self.client_token)
            .json(&json!({"to": to, "variables": variables}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Sends and returns the accepted message id.
    pub async fn send_ok(&self, to: &str, name: &str) -> Uuid {
        let (status, body) = self.send(to, variables(name)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        body["id"].as_str().unwrap().parse().unwrap()
    }

    pub async fn message(&self, id: Uuid) -> Message {
        self.http
            .get(self.url(&format!("/v1/messages/{id}")))
            .bearer_auth(&self.client_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Polls the message until `done` holds (or fails after [`DEADLINE`]).
    pub async fn wait_for(&self, id: Uuid, what: &str, done: impl Fn(&Message) -> bool) -> Message {
        let start = Instant::now();
        loop {
            let message = self.message(id).await;
            if done(&message) {
                return message;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "message {id} never became {what}: {message:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn wait_status(&self, id: Uuid, status: MessageStatus) -> Message {
        self.wait_for(id, &format!("{status:?}"), |m| m.status == status)
            .await
    }

    /// Posts a webhook notification signed with `signature` (`None`: no header).
    pub async fn webhook_raw(&self, body: &[u8], signature: Option<String>) -> reqwest::Response {
        let mut request = self
            .http
            .post(self.url("/webhooks/whatsapp"))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(signature) = signature {
            request = request.header("x-hub-signature-256", signature);
        }
        request.send().await.unwrap()
    }

    /// Posts a notification correctly signed with the app secret.
    pub async fn webhook(&self, body: &Value) -> reqwest::Response {
        let bytes = serde_json::to_vec(body).unwrap();
        let signature = engage_server::whatsapp::webhook::sign(APP_SECRET.as_bytes(), &bytes);
        self.webhook_raw(&bytes, Some(signature)).await
    }

    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    /// Stops the server and starts another on the same database and key.
    pub async fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        let server = start_server(&self.database_url, &self.secret_key_b64, &self.whatsapp).await;
        self.base_url = server.base_url();
        self.server = Some(server);
    }
}

/// A `messages` notification with the given statuses (`(wamid, status, errors)`).
pub fn status_notification(statuses: &[(&str, &str, Option<Value>)]) -> Value {
    let statuses: Vec<Value> = statuses
        .iter()
        .enumerate()
        .map(|(i, (id, status, errors))| {
            let mut item = json!({
                "id": id,
                "status": status,
                "timestamp": (1_750_263_773 + i).to_string(),
                "recipient_id": "5511987654321",
            });
            if let Some(errors) = errors {
                item["errors"] = errors.clone();
            }
            item
        })
        .collect();
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": WABA_ID,
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "5511955550000", "phone_number_id": PHONE_NUMBER_ID},
                    "statuses": statuses
                }
            }]
        }]
    })
}

pub fn template_notification(event: &str) -> Value {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": WABA_ID,
            "time": 1750263773,
            "changes": [{
                "field": "message_template_status_update",
                "value": {
                    "event": event,
                    "message_template_id": META_TEMPLATE_ID.parse::<i64>().unwrap(),
                    "message_template_name": "order_update",
                    "message_template_language": "pt_BR",
                    "reason": "NONE"
                }
            }]
        }]
    })
}
