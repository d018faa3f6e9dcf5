//! Load through all instances: several tasks send single messages round-robin over the
//! instances that are up, each message with a unique key (its first variable), and record
//! every answer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::harness::{variables, Urls};

/// The recipient of every message (pacing per recipient is lifted in these tests).
pub const TO: &str = "+5511987654321";
/// A request slower than this breaks the "never hang" rule.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// One answered request.
#[derive(Debug, Clone)]
pub struct Answer {
    pub instance: usize,
    pub key: String,
    pub started: Instant,
    pub elapsed: Duration,
    pub status: StatusCode,
    pub retry_after: Option<String>,
    pub body: Value,
}

/// What the load saw.
#[derive(Debug, Default)]
pub struct Record {
    pub answers: Vec<Answer>,
    /// Requests that got no HTTP answer (connection refused or reset: a killed instance).
    pub no_answer: Vec<(usize, String, String)>,
}

impl Record {
    /// `(message id, key, instance)` of every 202.
    pub fn acknowledged(&self) -> Vec<(Uuid, String, usize)> {
        self.answers
            .iter()
            .filter(|answer| answer.status == StatusCode::ACCEPTED)
            .map(|answer| {
                let id = answer.body["id"]
                    .as_str()
                    .and_then(|id| id.parse().ok())
                    .unwrap_or_else(|| panic!("a 202 without an id: {}", answer.body));
                (id, answer.key.clone(), answer.instance)
            })
            .collect()
    }
}

pub struct Load {
    stop: Arc<AtomicBool>,
    record: Arc<Mutex<Record>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    /// `tasks` senders, each pausing `pause` between its requests.
    pub fn start(
        urls: Urls,
        send_path: String,
        token: String,
        tasks: usize,
        pause: Duration,
    ) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let record = Arc::new(Mutex::new(Record::default()));
        let tasks = (0..tasks)
            .map(|task| {
                let (urls, send_path, token) = (urls.clone(), send_path.clone(), token.clone());
                let (stop, record) = (Arc::clone(&stop), Arc::clone(&record));
                tokio::spawn(async move {
                    // One client per task: keep-alive connections to each instance, and a
                    // timeout well past the 5 s rule so a hang is seen as one.
                    let http = reqwest::Client::builder()
                        .timeout(Duration::from_secs(15))
                        .build()
                        .unwrap();
                    let mut n = 0usize;
                    while !stop.load(Ordering::Relaxed) {
                        let live: Vec<(usize, String)> = urls
                            .read()
                            .unwrap()
                            .iter()
                            .enumerate()
                            .filter_map(|(i, url)| url.clone().map(|url| (i, url)))
                            .collect();
                        if live.is_empty() {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                        let (instance, base) = live[(n + task) % live.len()].clone();
                        let key = format!("t{task}m{n}");
                        n += 1;
                        let started = Instant::now();
                        let result = http
                            .post(format!("{base}{send_path}"))
                            .bearer_auth(&token)
                            .json(&json!({"to": TO, "variables": variables(&key)}))
                            .send()
                            .await;
                        match result {
                            Ok(response) => {
                                let status = response.status();
                                let retry_after = response
                                    .headers()
                                    .get("retry-after")
                                    .and_then(|v| v.to_str().ok())
                                    .map(str::to_owned);
                                let body = response.json().await.unwrap_or(Value::Null);
                                record.lock().unwrap().answers.push(Answer {
                                    instance,
                                    key,
                                    started,
                                    elapsed: started.elapsed(),
                                    status,
                                    retry_after,
                                    body,
                                });
                            }
                            Err(error) => {
                                record.lock().unwrap().no_answer.push((
                                    instance,
                                    key,
                                    error.to_string(),
                                ));
                            }
                        }
                        tokio::time::sleep(pause).await;
                    }
                })
            })
            .collect();
        Load {
            stop,
            record,
            tasks,
        }
    }

    /// Waits until every one of `instances` has acknowledged `each` messages (new instances
    /// open their database connections on the first requests: slow in a debug build).
    pub async fn warm_up(&self, instances: usize, each: usize, deadline: Duration) {
        let start = Instant::now();
        loop {
            let mut acked = vec![0usize; instances];
            for answer in &self.record.lock().unwrap().answers {
                if answer.status == StatusCode::ACCEPTED {
                    acked[answer.instance] += 1;
                }
            }
            if acked.iter().all(|&n| n >= each) {
                return;
            }
            assert!(
                start.elapsed() < deadline,
                "the instances did not warm up within {deadline:?}: acknowledged {acked:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the tasks (after their current request) → what they saw.
    pub async fn stop(self) -> Record {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.expect("load task");
        }
        std::mem::take(&mut *self.record.lock().unwrap())
    }
}
