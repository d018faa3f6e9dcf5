//! A stand-in for the Graph API's message send, one loopback port per `serve` instance, so
//! that every provider call is seen together with the instance that made it.
//!
//! `POST /v23.0/{phone-number-id}/messages` answers Meta's success body after a short delay
//! (a network round trip). Each call is recorded with the message's key (its first body
//! parameter, unique per message in these tests), when it arrived, when it was answered —
//! or that it was abandoned (the caller went away before the answer: a killed instance) —
//! and the `wamid` it was given, which names the instance and the call.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

/// One provider call.
#[derive(Debug, Clone)]
pub struct Call {
    /// Index of the instance whose port it came in on.
    pub instance: usize,
    /// The message's key: the first body parameter.
    pub key: String,
    pub received: Instant,
    /// When it was answered or abandoned; `None` while open.
    pub finished: Option<Instant>,
    /// Answered with a `wamid` (false: abandoned before the answer, or still open).
    pub answered: bool,
    pub wamid: String,
}

impl Call {
    /// Whether the call was open at some moment of `[from, to]`.
    pub fn open_during(&self, from: Instant, to: Instant) -> bool {
        self.received <= to && self.finished.is_none_or(|finished| finished >= from)
    }
}

#[derive(Default)]
struct Calls(Mutex<Vec<Call>>);

#[derive(Clone)]
struct Port {
    instance: usize,
    calls: Arc<Calls>,
    delay: Duration,
}

/// Marks its call abandoned when dropped before [`Open::answer`] (the handler's future is
/// dropped when the caller's connection goes away).
struct Open {
    calls: Arc<Calls>,
    index: usize,
    done: bool,
}

impl Open {
    fn answer(mut self) -> String {
        let mut calls = self.calls.0.lock().unwrap();
        let call = &mut calls[self.index];
        call.finished = Some(Instant::now());
        call.answered = true;
        self.done = true;
        call.wamid.clone()
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        if !self.done {
            let mut calls = self.calls.0.lock().unwrap();
            calls[self.index].finished = Some(Instant::now());
        }
    }
}

/// The first body parameter of a template message request.
fn key_of(body: &Value) -> String {
    body["template"]["components"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|component| component["type"] == "body")
        .and_then(|component| component["parameters"][0]["text"].as_str())
        .unwrap_or_default()
        .to_owned()
}

async fn send_message(State(port): State<Port>, Json(body): Json<Value>) -> Json<Value> {
    let open = {
        let mut calls = port.calls.0.lock().unwrap();
        let index = calls.len();
        calls.push(Call {
            instance: port.instance,
            key: key_of(&body),
            received: Instant::now(),
            finished: None,
            answered: false,
            wamid: format!("wamid.I{}C{index:08}", port.instance),
        });
        Open {
            calls: Arc::clone(&port.calls),
            index,
            done: false,
        }
    };
    tokio::time::sleep(port.delay).await;
    let wamid = open.answer();
    let to = body["to"].as_str().unwrap_or_default().to_owned();
    Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": to}],
        "messages": [{"id": wamid}]
    }))
}

/// The running stand-in: one port per instance. Dropping it stops it.
pub struct Graph {
    addrs: Vec<SocketAddr>,
    calls: Arc<Calls>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Graph {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Graph {
    /// `instances` ports, each answering after `delay`.
    pub async fn start(instances: usize, delay: Duration) -> Graph {
        let calls = Arc::new(Calls::default());
        let mut addrs = Vec::new();
        let mut tasks = Vec::new();
        for instance in 0..instances {
            let app = Router::new()
                .route("/v23.0/{id}/messages", post(send_message))
                .with_state(Port {
                    instance,
                    calls: Arc::clone(&calls),
                    delay,
                });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addrs.push(listener.local_addr().unwrap());
            tasks.push(tokio::spawn(async move {
                axum::serve(listener, app).await.unwrap();
            }));
        }
        Graph {
            addrs,
            calls,
            tasks,
        }
    }

    /// `ENGAGE_WHATSAPP_GRAPH_URL` of instance `instance`.
    pub fn base_url(&self, instance: usize) -> String {
        format!("http://{}/v23.0", self.addrs[instance])
    }

    /// Every call so far, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.0.lock().unwrap().clone()
    }
}
