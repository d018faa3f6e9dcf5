//! [`PasswordGate`]: password verification (argon2id, ~19 MiB and tens of milliseconds of
//! CPU each) under a concurrency limit, with a bounded wait queue. A sign-in that finds the
//! queue full, or waits longer than allowed, is answered 503 `busy` with `Retry-After`, so
//! that a flood of sign-ins costs at most `concurrency` × 19 MiB and never starves the rest
//! of the API of CPU. Each slot keeps its argon2 memory for the next verification, unless
//! [`Limits::keep_password_memory`] is off (the desktop app's sandbox).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::ApiError;
use crate::config::Limits;
use crate::crypto::{hash_password, verify_password_in};

/// Seconds a client told `busy` is asked to wait.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

pub struct PasswordGate {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
    max_wait: Duration,
    /// argon2 memory of idle slots (at most `concurrency` buffers exist).
    memory: Arc<Mutex<Vec<Vec<argon2::Block>>>>,
    /// Whether a slot's memory is kept for the next verification (else freed after each).
    keep_memory: bool,
}

impl std::fmt::Debug for PasswordGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordGate")
            .field("available", &self.slots.available_permits())
            .field("waiting", &self.waiting.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Decrements the wait-queue length when dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn busy() -> ApiError {
    ApiError::Busy {
        retry_after_secs: BUSY_RETRY_AFTER_SECS,
    }
}

/// A hash to verify against when the email is unknown, so both cases cost the same.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password("engage-timing-equaliser").unwrap_or_default())
}

impl PasswordGate {
    pub fn new(limits: &Limits) -> Self {
        PasswordGate {
            slots: Arc::new(Semaphore::new(limits.password_hash_concurrency.max(1))),
            waiting: AtomicUsize::new(0),
            max_waiting: limits.password_hash_queue,
            max_wait: limits.password_hash_wait,
            memory: Arc::new(Mutex::new(Vec::new())),
            keep_memory: limits.keep_password_memory,
        }
    }

    /// A hashing slot: at once when one is free, else after waiting in the queue; `busy`
    /// when the queue is full or the wait exceeds the limit.
    async fn slot(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let ahead = self.waiting.fetch_add(1, Ordering::AcqRel);
        let _waiting = Waiting(&self.waiting);
        if ahead >= self.max_waiting {
            return Err(busy());
        }
        match tokio::time::timeout(self.max_wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(busy()),
        }
    }

    /// Whether `password` matches `stored`; with `None` (unknown user) a dummy hash is
    /// verified instead and the answer is `false`.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, ApiError> {
        let permit = self.slot().await?;
        let memory = self.memory.clone();
        let keep_memory = self.keep_memory;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut buffer = memory
                .lock()
                .unwrap_or_else(|poison| poison.into_inner())
                .pop()
                .unwrap_or_default();
            let matches = match &stored {
                Some(hash) => verify_password_in(&password, hash, &mut buffer),
                None => {
                    verify_password_in(&password, dummy_hash(), &mut buffer);
                    false
                }
            };
            if keep_memory {
                memory
                    .lock()
                    .unwrap_or_else(|poison| poison.into_inner())
                    .push(buffer);
            }
            matches
        })
        .await
        .map_err(|error| ApiError::Internal(format!("password check panicked: {error}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(concurrency: usize, queue: usize, wait: Duration) -> Arc<PasswordGate> {
        Arc::new(PasswordGate::new(&Limits {
            password_hash_concurrency: concurrency,
            password_hash_queue: queue,
            password_hash_wait: wait,
            ..Limits::default()
        }))
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_at_once() {
        let gate = gate(1, 1, Duration::from_secs(30));
        let running = gate.slot().await.unwrap();
        let queued = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.slot().await.map(drop) })
        };
        while gate.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        let refused = gate.slot().await;
        assert!(
            matches!(
                refused,
                Err(ApiError::Busy {
                    retry_after_secs: BUSY_RETRY_AFTER_SECS
                })
            ),
            "{refused:?}"
        );
        drop(running);
        queued.await.unwrap().expect("the queued one gets the slot");
        assert_eq!(gate.waiting.load(Ordering::Acquire), 0);
    }

    #[tokio::test]
    async fn waiting_longer_than_allowed_is_busy() {
        let gate = gate(1, 8, Duration::from_millis(50));
        let _running = gate.slot().await.unwrap();
        assert!(matches!(gate.slot().await, Err(ApiError::Busy { .. })));
        assert_eq!(gate.waiting.load(Ordering::Acquire), 0);
    }

    #[tokio::test]
    async fn verification_reuses_at_most_one_buffer_per_slot() {
        let gate = gate(2, 64, Duration::from_secs(30));
        let hash = hash_password("right-password").unwrap();
        let checks = (0..6).map(|i| {
            let gate = gate.clone();
            let hash = hash.clone();
            tokio::spawn(async move {
                let password = if i % 2 == 0 {
                    "right-password"
                } else {
                    "wrong"
                };
                (i, gate.verify(password.into(), Some(hash)).await.unwrap())
            })
        });
        for check in checks {
            let (i, matches) = check.await.unwrap();
            assert_eq!(matches, i % 2 == 0);
        }
        assert!(!gate.verify("x".into(), None).await.unwrap());
        assert!(gate.memory.lock().unwrap().len() <= 2);
    }

    #[tokio::test]
    async fn a_gate_that_keeps_no_memory_frees_the_argon2_buffer_after_each_check() {
        let gate = PasswordGate::new(&Limits {
            keep_password_memory: false,
            ..Limits::default()
        });
        let hash = hash_password("right-password").unwrap();
        assert!(gate
            .verify("right-password".into(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!gate.verify("wrong".into(), Some(hash)).await.unwrap());
        assert!(gate.memory.lock().unwrap().is_empty());
    }
}
