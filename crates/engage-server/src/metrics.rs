//! Prometheus metrics (`GET /metrics`), through the `metrics` facade and its Prometheus
//! exporter. One recorder per process (servers started in one process, as in the tests,
//! share it). Every metric name and label set is defined here.

use std::sync::OnceLock;
use std::time::Duration;

use engage_core::wire::ProviderKind;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::store::Store;

const REQUESTS: &str = "engage_http_requests_total";
const LATENCY: &str = "engage_http_request_duration_seconds";
const QUEUE: &str = "engage_queue_messages";
const DELIVERIES: &str = "engage_deliveries_total";
const WEBHOOKS: &str = "engage_webhook_verifications_total";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the recorder (once per process).
pub fn install() {
    HANDLE.get_or_init(|| {
        let buckets = [
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ];
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(LATENCY.to_owned()), &buckets)
            .expect("latency buckets are not empty");
        match builder.install_recorder() {
            Ok(handle) => Some(handle),
            Err(error) => {
                tracing::warn!(%error, "another metrics recorder is installed; /metrics is empty");
                None
            }
        }
    });
}

/// The text exposition of every metric.
pub fn render() -> String {
    HANDLE
        .get()
        .and_then(Option::as_ref)
        .map(PrometheusHandle::render)
        .unwrap_or_default()
}

/// One HTTP request answered: `route` is the matched route template (`/v1/campaigns/{id}`).
pub fn http_request(method: &str, route: &str, status: u16, elapsed: Duration) {
    let labels = [
        ("method", method.to_owned()),
        ("route", route.to_owned()),
        ("status", status.to_string()),
    ];
    metrics::counter!(REQUESTS, &labels).increment(1);
    metrics::histogram!(LATENCY, &labels[..2]).record(elapsed.as_secs_f64());
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, Copy)]
pub enum DeliveryResult {
    Accepted,
    Retry,
    Deferred,
    Failed,
}

pub fn delivery(provider: ProviderKind, result: DeliveryResult) {
    let provider = match provider {
        ProviderKind::Sandbox => "sandbox",
        ProviderKind::WhatsappCloud => "whatsapp_cloud",
    };
    let outcome = match result {
        DeliveryResult::Accepted => "accepted",
        DeliveryResult::Retry => "retry",
        DeliveryResult::Deferred => "deferred",
        DeliveryResult::Failed => "failed",
    };
    metrics::counter!(DELIVERIES, "provider" => provider, "outcome" => outcome).increment(1);
}

/// A webhook's signature check: `valid`, or the refusal's code.
pub fn webhook_verification(result: &'static str) {
    metrics::counter!(WEBHOOKS, "result" => result).increment(1);
}

/// Reads the queue depth by status into its gauge (at scrape time).
pub async fn record_queue_depth(store: &Store) {
    match store.message_counts().await {
        Ok(counts) => {
            for (status, count) in counts {
                let status = crate::store::enum_str(&status);
                metrics::gauge!(QUEUE, "status" => status).set(count as f64);
            }
        }
        Err(error) => tracing::warn!(%error, "reading the queue depth for /metrics failed"),
    }
}

// ---------------------------------------------------------------- integration log (issue 15)

const INTEGRATION_CALLS_DROPPED: &str = "engage_integration_calls_dropped_total";

/// A request left out of the integration log because its queue was full.
pub fn integration_call_dropped() {
    metrics::counter!(INTEGRATION_CALLS_DROPPED).increment(1);
}
