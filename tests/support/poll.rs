//! Waiting with explicit deadlines: a condition is checked every 100 ms until it holds or
//! the deadline passes. The interval is only a polling period, never an assertion.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::error::{E2eError, E2eResult};

/// How long a screen may take to show what a step waits for.
pub const UI_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the sandbox worker may take to deliver a message (it updates the activity view).
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);

const INTERVAL: Duration = Duration::from_millis(100);

/// Calls `check` until it returns `Some`, or fails with [`E2eError::Timeout`] naming `what`.
pub async fn poll<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> E2eResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = E2eResult<Option<T>>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if Instant::now() >= deadline {
            return Err(E2eError::Timeout {
                what: what.to_string(),
                after: timeout,
            });
        }
        tokio::time::sleep(INTERVAL).await;
    }
}
