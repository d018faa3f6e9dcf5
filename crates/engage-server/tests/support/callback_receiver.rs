//! A customer's system receiving status callbacks: a real HTTP server on loopback that
//! records every request (signature header, event id, raw body) and answers with the
//! statuses it is told to (then 200), or a redirect.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub signature: Option<String>,
    pub event_id: Option<String>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a callback body is JSON")
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    answers: VecDeque<u16>,
    redirect_to: Option<String>,
}

#[derive(Clone, Default)]
pub struct Receiver {
    inner: Arc<Mutex<Inner>>,
    pub url: String,
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut inner = receiver.inner.lock().unwrap();
    inner.received.push(Received {
        signature: header("engage-signature"),
        event_id: header("engage-event-id"),
        body: body.to_vec(),
    });
    if let Some(target) = inner.redirect_to.clone() {
        let mut response = StatusCode::FOUND.into_response();
        response
            .headers_mut()
            .insert("location", HeaderValue::from_str(&target).unwrap());
        return response;
    }
    let status = inner.answers.pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap().into_response()
}

impl Receiver {
    /// Starts on a free loopback port.
    pub async fn start() -> Receiver {
        Self::start_on("127.0.0.1:0").await
    }

    /// Starts on `addr` (e.g. a port a test reserved earlier).
    pub async fn start_on(addr: &str) -> Receiver {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("bind receiver");
        let receiver = Receiver {
            url: format!("http://{}/engage/status", listener.local_addr().unwrap()),
            ..Receiver::default()
        };
        let app = Router::new().fallback(receive).with_state(receiver.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        receiver
    }

    /// The next answers, in order (200 after them).
    pub fn answer_with(&self, statuses: &[u16]) {
        self.inner.lock().unwrap().answers.extend(statuses);
    }

    /// Answers every request with a 302 to `target`.
    pub fn redirect_to(&self, target: &str) {
        self.inner.lock().unwrap().redirect_to = Some(target.to_owned());
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    /// Waits until `done` holds for what was received (fails after `deadline`).
    pub async fn wait_for(
        &self,
        what: &str,
        deadline: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let received = self.received();
            if done(&received) {
                return received;
            }
            assert!(
                start.elapsed() < deadline,
                "the receiver never got {what}; it got {received:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
