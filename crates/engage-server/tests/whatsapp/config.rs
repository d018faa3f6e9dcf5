//! Each server has its own configuration, passed to it rather than read from the process
//! environment: servers configured differently run side by side in one process.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::harness::{meta_template, Options, Setup};

async fn handshake(app: &Setup, token: &str) -> StatusCode {
    app.http
        .get(app.url(&format!(
            "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=7"
        )))
        .send()
        .await
        .unwrap()
        .status()
}

async fn synced_template_names(app: &Setup) -> Vec<String> {
    let response = app
        .http
        .post(app.url("/v1/whatsapp/sync"))
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let templates: Vec<Value> = app
        .http
        .get(app.url("/v1/templates?status=all"))
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    templates
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect()
}

fn template_named(name: &str, id: &str) -> Value {
    let mut template = meta_template();
    template["name"] = json!(name);
    template["id"] = json!(id);
    template
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_with_different_configurations_run_in_one_process_at_once() {
    let (a, b) = tokio::join!(
        Setup::new(Options {
            verify_token: "verify-token-of-a",
            ..Options::default()
        }),
        Setup::new(Options {
            verify_token: "verify-token-of-b",
            ..Options::default()
        }),
    );

    // Each server knows only its own webhook verify token…
    let (a_own, a_other, b_own, b_other) = tokio::join!(
        handshake(&a, "verify-token-of-a"),
        handshake(&a, "verify-token-of-b"),
        handshake(&b, "verify-token-of-b"),
        handshake(&b, "verify-token-of-a"),
    );
    assert_eq!(
        (a_own, a_other, b_own, b_other),
        (
            StatusCode::OK,
            StatusCode::FORBIDDEN,
            StatusCode::OK,
            StatusCode::FORBIDDEN
        )
    );

    // …and talks to its own Graph API.
    a.stub.set_templates(
        vec![meta_template(), template_named("only_at_a", "8001")],
        25,
    );
    b.stub.set_templates(
        vec![meta_template(), template_named("only_at_b", "8002")],
        25,
    );
    let (at_a, at_b) = tokio::join!(synced_template_names(&a), synced_template_names(&b));
    assert!(at_a.iter().any(|n| n == "only_at_a"), "{at_a:?}");
    assert!(!at_a.iter().any(|n| n == "only_at_b"), "{at_a:?}");
    assert!(at_b.iter().any(|n| n == "only_at_b"), "{at_b:?}");
    assert!(!at_b.iter().any(|n| n == "only_at_a"), "{at_b:?}");
    assert!(!a.stub.received().is_empty() && !b.stub.received().is_empty());

    tokio::join!(a.shutdown(), b.shutdown());
}
