//! The fault tests: `kill -9` of instances mid-load, PostgreSQL restarted mid-load, and what
//! the database alone decides (idempotency keys, refresh-token rotation) across instances.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::task::JoinSet;

use crate::accounting::{Accounting, Fault};
use crate::harness::{serial, variables, Cluster, DEADLINE};
use crate::load::{Answer, Load, ANSWER_WITHIN, TO};
use crate::pg;

/// Concurrent senders of the load and their pause between requests: a few hundred sends/s
/// in all, which the three debug-build instances deliver as fast as they accept.
const LOAD_TASKS: usize = 6;
const LOAD_PAUSE: Duration = Duration::from_millis(15);

/// The load, once every instance has acknowledged a few messages.
async fn load(cluster: &Cluster) -> Load {
    let load = Load::start(
        cluster.urls.clone(),
        cluster.send_path(),
        cluster.client_token.clone(),
        LOAD_TASKS,
        LOAD_PAUSE,
    );
    load.warm_up(cluster.instance_count(), 10, DEADLINE).await;
    load
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_of_an_instance_mid_load_three_times_loses_no_acknowledged_message() {
    let _serial = serial().await;
    let test_started = Instant::now();
    let mut cluster = Cluster::start("kill_9", 3).await;
    let load = load(&cluster).await;

    let mut faults = Vec::new();
    for round in 0..3 {
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        let victim = round % cluster.instance_count();
        let before = Instant::now();
        cluster.kill(victim);
        faults.push(Fault {
            instance: Some(victim),
            before,
            after: Instant::now(),
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        cluster.restart(victim).await;
    }
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    let record = load.stop().await;
    let load_ended = Instant::now();

    // A killed instance's leases run out after ENGAGE_LEASE_MS; the others finish its work.
    let rows = cluster.wait_until_settled(DEADLINE).await;
    let settled_in = load_ended.elapsed();
    let calls = cluster.graph.calls();
    let counts = Accounting::new(&record, &rows, &calls, &faults);
    counts.print("kill -9 ×3");
    eprintln!(
        "[cluster] kill -9 ×3: requests without an answer (sent to a killed instance)={}, settled {:.1} s after the load, test took {:.1} s",
        record.no_answer.len(),
        settled_in.as_secs_f64(),
        test_started.elapsed().as_secs_f64()
    );

    counts.assert_sound();
    assert_eq!(counts.failed, 0, "no message should fail in this run");
    assert!(
        counts.acknowledged >= 300,
        "too little load to mean anything: {} acknowledged",
        counts.acknowledged
    );
    for (n, fault) in counts.faults.iter().enumerate() {
        assert!(
            fault.acknowledged_before > 0 && fault.acknowledged_after > 0,
            "kill {} was not mid-load: {fault:?}",
            n + 1
        );
    }
    // Only 202s and refused connections: a surviving instance never answers otherwise.
    let odd: Vec<_> = record
        .answers
        .iter()
        .filter(|a| a.status != StatusCode::ACCEPTED)
        .map(|a| (a.instance, a.status, a.body.clone()))
        .collect();
    assert!(odd.is_empty(), "answers other than 202: {odd:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgresql_restarted_mid_load_gets_503_within_5_s_then_the_same_processes_serve_again() {
    let _serial = serial().await;
    let test_started = Instant::now();
    let mut cluster = Cluster::start("database_restart", 3).await;
    let load = load(&cluster).await;

    tokio::time::sleep(Duration::from_millis(2_000)).await;
    let down_at = Instant::now();
    tokio::task::spawn_blocking(|| pg::cluster().stop_immediate())
        .await
        .expect("PostgreSQL stopped");
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    tokio::task::spawn_blocking(|| pg::cluster().start_again())
        .await
        .expect("PostgreSQL started again");
    let up_at = Instant::now();

    // Each instance — the same process — accepts sends again.
    let mut back_after = Vec::new();
    let mut probes = Vec::new();
    for i in 0..cluster.instance_count() {
        let start = Instant::now();
        for attempt in 0.. {
            let key = format!("probe{i}-{attempt}");
            let started = Instant::now();
            let response = cluster
                .http
                .post(format!("{}{}", cluster.url(i), cluster.send_path()))
                .bearer_auth(&cluster.client_token)
                .json(&json!({"to": TO, "variables": variables(&key)}))
                .send()
                .await;
            if let Ok(response) = response {
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let body = response.json().await.unwrap_or(Value::Null);
                probes.push(Answer {
                    instance: i,
                    key,
                    started,
                    elapsed: started.elapsed(),
                    status,
                    retry_after,
                    body,
                });
                if status == StatusCode::ACCEPTED {
                    break;
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "instance {i} did not accept sends within 15 s of PostgreSQL's return\n{}",
                cluster.log_tails()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        back_after.push(up_at.elapsed());
    }
    for i in 0..cluster.instance_count() {
        assert!(
            cluster.still_running(i),
            "instance {i} exited or restarted\n{}",
            cluster.log_tails()
        );
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let mut record = load.stop().await;
    record.answers.extend(probes);

    let rows = cluster.wait_until_settled(DEADLINE).await;
    let calls = cluster.graph.calls();
    let outage = Fault {
        instance: None,
        before: down_at,
        after: up_at,
    };
    let counts = Accounting::new(&record, &rows, &calls, &[outage]);
    counts.print("PostgreSQL restart");
    let unavailable: Vec<_> = record
        .answers
        .iter()
        .filter(|a| a.status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    let slowest = record
        .answers
        .iter()
        .map(|a| a.elapsed)
        .max()
        .unwrap_or_default();
    eprintln!(
        "[cluster] PostgreSQL restart: down {:.1} s; 503 answers={} (slowest answer {:.2} s); instances accepting again {:?} after its return; test took {:.1} s",
        (up_at - down_at).as_secs_f64(),
        unavailable.len(),
        slowest.as_secs_f64(),
        back_after,
        test_started.elapsed().as_secs_f64()
    );

    // Never a hang, never a 500: 202, or 503 database_unavailable with Retry-After.
    assert!(
        record.no_answer.is_empty(),
        "requests without an HTTP answer (a hang or a dropped connection): {:?}",
        &record.no_answer[..record.no_answer.len().min(10)]
    );
    let slow: Vec<_> = record
        .answers
        .iter()
        .filter(|a| a.elapsed > ANSWER_WITHIN)
        .map(|a| (a.instance, a.status, a.elapsed))
        .collect();
    assert!(
        slow.is_empty(),
        "answers slower than {ANSWER_WITHIN:?}: {slow:?}"
    );
    let odd: Vec<_> = record
        .answers
        .iter()
        .filter(|a| {
            a.status != StatusCode::ACCEPTED
                && !(a.status == StatusCode::SERVICE_UNAVAILABLE
                    && a.body["error"]["code"] == "database_unavailable"
                    && a.retry_after.is_some())
        })
        .map(|a| (a.instance, a.status, a.retry_after.clone(), a.body.clone()))
        .collect();
    assert!(
        odd.is_empty(),
        "answers other than 202 or 503 database_unavailable with Retry-After: {:?}",
        &odd[..odd.len().min(10)]
    );
    assert!(
        !unavailable.is_empty(),
        "no request met the outage: the test did not test anything"
    );
    counts.assert_sound();
}

/// `(status, body)` of a request.
async fn answer(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("an answer");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_idempotency_key_sent_20_times_across_instances_makes_one_message_and_a_refresh_token_works_once(
) {
    let _serial = serial().await;
    let cluster = Cluster::start("uniqueness", 3).await;
    let n = cluster.instance_count();

    // 20 concurrent sends with one Idempotency-Key, spread over the instances.
    let mut sends = JoinSet::new();
    for j in 0..20 {
        let request = cluster
            .http
            .post(format!("{}{}", cluster.url(j % n), cluster.send_path()))
            .bearer_auth(&cluster.client_token)
            .header("Idempotency-Key", "cluster-order-42")
            .json(&json!({"to": TO, "variables": variables("idem")}));
        sends.spawn(answer(request));
    }
    let answers: Vec<(StatusCode, Value)> = sends.join_all().await;
    let (first_status, first_body) = answers[0].clone();
    assert_eq!(first_status, StatusCode::ACCEPTED, "{first_body}");
    for (status, body) in &answers {
        assert_eq!(
            (*status, body),
            (first_status, &first_body),
            "every answer is the first one, replayed"
        );
    }
    let rows = cluster.wait_until_settled(DEADLINE).await;
    let idem: Vec<_> = rows.iter().filter(|row| row.key == "idem").collect();
    assert_eq!(idem.len(), 1, "one message: {idem:?}");
    assert_eq!(idem[0].id.to_string(), first_body["id"].as_str().unwrap());
    let calls = cluster
        .graph
        .calls()
        .into_iter()
        .filter(|call| call.key == "idem")
        .count();
    assert_eq!(calls, 1, "delivered once");

    // A refresh token used on two instances at the same moment works once.
    let mut outcomes = Vec::new();
    for round in 0..3 {
        let tokens = cluster.staff_tokens(round % n).await;
        let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
        let mut uses = JoinSet::new();
        for i in [(round + 1) % n, (round + 2) % n] {
            let request = cluster
                .http
                .post(format!("{}/v1/auth/refresh", cluster.url(i)))
                .json(&json!({ "refresh_token": refresh }));
            uses.spawn(answer(request));
        }
        let results: Vec<(StatusCode, Value)> = uses.join_all().await;
        let ok = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
        assert_eq!(
            ok, 1,
            "exactly one use of the refresh token works: {results:?}"
        );
        for (status, body) in results.iter().filter(|(s, _)| *s != StatusCode::OK) {
            assert_eq!(*status, StatusCode::UNAUTHORIZED, "{body}");
            // A second use of a rotated token: refused, and the session ended for safety.
            assert!(
                ["refresh_token_reused", "invalid_refresh_token"]
                    .contains(&body["error"]["code"].as_str().unwrap_or_default()),
                "{body}"
            );
        }
        outcomes.push(results.iter().map(|(s, _)| s.as_u16()).collect::<Vec<_>>());
    }
    eprintln!(
        "[cluster] uniqueness: 20 sends with one Idempotency-Key → {} message, {} provider call; refresh token on two instances at once → {outcomes:?}",
        idem.len(),
        calls
    );
}
