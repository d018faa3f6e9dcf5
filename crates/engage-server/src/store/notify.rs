//! Queue wake-ups across instances (PostgreSQL `LISTEN/NOTIFY`): a commit of new messages
//! notifies the channel, and every instance's idle worker listening on it claims at once
//! instead of waiting for its fallback poll.

use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool};

/// The channel new messages are announced on.
pub(crate) const QUEUE_CHANNEL: &str = "engage_queue";

/// A worker's subscription to [`QUEUE_CHANNEL`]; reconnects after a lost connection.
pub struct QueueListener {
    pool: PgPool,
    listener: Option<PgListener>,
}

impl QueueListener {
    pub fn new(pool: PgPool) -> Self {
        QueueListener {
            pool,
            listener: None,
        }
    }

    /// Resolves at the next notification (or after a failed reconnection, so the worker
    /// looks at the queue anyway).
    pub async fn next(&mut self) {
        if self.listener.is_none() {
            match PgListener::connect_with(&self.pool).await {
                Ok(mut listener) => match listener.listen(QUEUE_CHANNEL).await {
                    Ok(()) => self.listener = Some(listener),
                    Err(error) => {
                        tracing::warn!(%error, "LISTEN on the queue channel failed");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        return;
                    }
                },
                Err(error) => {
                    tracing::warn!(%error, "connecting the queue listener failed");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    return;
                }
            }
        }
        let Some(listener) = self.listener.as_mut() else {
            return;
        };
        if let Err(error) = listener.recv().await {
            tracing::warn!(%error, "the queue listener lost its connection");
            self.listener = None;
        }
    }
}
