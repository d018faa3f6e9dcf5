//! The per-sender send slot shared by every instance: each message books the next free
//! slot of its sender number, one `1/rate` apart, so the number's rate holds however many
//! instances send from it.

use super::{now_ms, on_pool, Store, StoreError};

impl Store {
    /// Books the next send slot of `sender_id`, `step_us` microseconds after the previous
    /// one (and never in the past); returns when it starts, in Unix microseconds.
    pub async fn book_send_slot(&self, sender_id: &str, step_us: i64) -> Result<i64, StoreError> {
        let now_us = now_ms() * 1_000;
        let next: i64 = on_pool!(self, pool => sqlx::query_scalar(
            "INSERT INTO sender_pacing (sender_id, next_at_us) VALUES ($1, $2 + $3)
             ON CONFLICT (sender_id) DO UPDATE SET next_at_us =
               CASE WHEN sender_pacing.next_at_us > $2 THEN sender_pacing.next_at_us ELSE $2 END + $3
             RETURNING next_at_us",
        )
        .bind(sender_id)
        .bind(now_us)
        .bind(step_us)
        .fetch_one(pool)
        .await)?;
        Ok(next - step_us)
    }
}
