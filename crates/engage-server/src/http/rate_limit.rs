//! The per-client rate limit of the send endpoint: a GCRA bucket (`governor`) per API client,
//! `rate` requests per second with a burst of `rate`, the rate being the workspace's own
//! (`workspaces.send_rate_per_second`) or the server's `ENGAGE_SEND_RATE_PER_SECOND`.
//!
//! Buckets live in this instance's memory: with N instances behind a load balancer a client
//! may send up to N × rate per second in all.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue};
use governor::clock::{Clock, QuantaClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use uuid::Uuid;

use super::error::ApiError;

type Bucket = RateLimiter<NotKeyed, InMemoryState, QuantaClock, StateInformationMiddleware>;

/// What a request learnt about its client's bucket: the `RateLimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitState {
    pub limit: u32,
    pub remaining: u32,
    /// Whole seconds until the bucket is full again (or, refused, until the next request
    /// is let through).
    pub reset_secs: u64,
}

impl RateLimitState {
    /// Adds `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.
    pub fn write(&self, headers: &mut HeaderMap) {
        headers.insert("ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("ratelimit-reset", HeaderValue::from(self.reset_secs));
    }
}

/// The buckets of this instance, one per API client.
pub struct SendRateLimiter {
    clock: QuantaClock,
    buckets: RwLock<HashMap<Uuid, Arc<(u32, Bucket)>>>,
}

impl Default for SendRateLimiter {
    fn default() -> Self {
        SendRateLimiter {
            clock: QuantaClock::default(),
            buckets: RwLock::new(HashMap::new()),
        }
    }
}

fn whole_secs(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

impl SendRateLimiter {
    /// Takes one request from `client`'s bucket of `rate` per second: the headers to send,
    /// or 429 `rate_limited` (with them) when the bucket is empty.
    pub fn check(
        &self,
        client: Uuid,
        rate: u32,
    ) -> Result<RateLimitState, (ApiError, RateLimitState)> {
        let bucket = self.bucket(client, rate);
        let (limit, bucket) = (&bucket.0, &bucket.1);
        match bucket.check() {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                // The bucket refills one request every 1/rate s.
                let refill =
                    Duration::from_secs_f64(f64::from(limit - remaining) / f64::from(*limit));
                Ok(RateLimitState {
                    limit: *limit,
                    remaining,
                    reset_secs: whole_secs(refill),
                })
            }
            Err(not_until) => {
                let retry_after_secs =
                    whole_secs(not_until.wait_time_from(self.clock.now())).max(1);
                let state = RateLimitState {
                    limit: *limit,
                    remaining: 0,
                    reset_secs: retry_after_secs,
                };
                Err((
                    ApiError::RateLimited {
                        limit: *limit,
                        retry_after_secs,
                    },
                    state,
                ))
            }
        }
    }

    /// The client's bucket, new (full) when the client has none yet or its rate changed.
    fn bucket(&self, client: Uuid, rate: u32) -> Arc<(u32, Bucket)> {
        if let Some(bucket) = self
            .buckets
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&client)
        {
            if bucket.0 == rate {
                return bucket.clone();
            }
        }
        let per_second = NonZeroU32::new(rate).unwrap_or(NonZeroU32::MIN);
        let bucket = Arc::new((
            per_second.get(),
            RateLimiter::direct_with_clock(Quota::per_second(per_second), self.clock.clone())
                .with_middleware::<StateInformationMiddleware>(),
        ));
        let mut buckets = self
            .buckets
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match buckets.get(&client) {
            Some(existing) if existing.0 == rate => existing.clone(),
            _ => {
                buckets.insert(client, bucket.clone());
                bucket
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_rate_in_a_burst_then_429_with_a_retry_after() {
        let limiter = SendRateLimiter::default();
        let client = Uuid::now_v7();
        for sent in 1..=5 {
            let state = limiter.check(client, 5).expect("within the rate");
            assert_eq!(state.limit, 5);
            assert_eq!(state.remaining, 5 - sent);
            assert_eq!(state.reset_secs, 1);
        }
        let (error, state) = limiter.check(client, 5).expect_err("over the rate");
        assert_eq!(error.to_wire().code, "rate_limited");
        assert_eq!(state.remaining, 0);
        assert!(state.reset_secs >= 1);
    }

    #[test]
    fn clients_have_separate_buckets_and_a_new_rate_starts_a_full_one() {
        let limiter = SendRateLimiter::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert!(limiter.check(a, 1).is_ok());
        assert!(limiter.check(a, 1).is_err());
        assert!(limiter.check(b, 1).is_ok());
        assert_eq!(limiter.check(a, 3).map(|s| s.remaining).ok(), Some(2));
    }
}
