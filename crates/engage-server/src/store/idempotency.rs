//! `Idempotency-Key` records of send requests.

use sqlx::FromRow;
use uuid::Uuid;

use super::{now_ms, on_pool, on_tx, Store, StoreError, Tx};

/// How long a key is kept (at least 24 h).
pub const IDEMPOTENCY_TTL_MS: i64 = 25 * 3600 * 1000;

#[derive(Debug, Clone)]
pub struct NewIdempotencyKey {
    pub workspace_id: Uuid,
    pub key: String,
    /// SHA-256 of the campaign id and the request body.
    pub request_hash: [u8; 32],
    pub status_code: u16,
    /// The JSON response body to replay.
    pub response: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct IdempotencyRecord {
    pub request_hash: Vec<u8>,
    pub status_code: i64,
    pub response: String,
}

/// Inserts the key unless it exists; returns the existing record when it does.
pub(crate) async fn claim_key(
    tx: &mut Tx,
    key: &NewIdempotencyKey,
) -> Result<Option<IdempotencyRecord>, sqlx::Error> {
    on_tx!(tx, conn => {
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (workspace_id, key, request_hash, status_code, response, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workspace_id, key) DO NOTHING",
        )
        .bind(key.workspace_id.to_string())
        .bind(&key.key)
        .bind(key.request_hash.as_slice())
        .bind(i64::from(key.status_code))
        .bind(&key.response)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(None);
        }
        sqlx::query_as::<_, IdempotencyRecord>(
            "SELECT request_hash, status_code, response FROM idempotency_keys
             WHERE workspace_id = $1 AND key = $2",
        )
        .bind(key.workspace_id.to_string())
        .bind(&key.key)
        .fetch_optional(&mut *conn)
        .await
    })
}

/// Replaces the answer a key just claimed in `tx` replays (some of its messages were refused
/// by the frequency cap in the same transaction); `None`: the request wrote nothing and the
/// key is released, so that the same request can be sent again later.
pub(crate) async fn settle_key(
    tx: &mut Tx,
    key: &NewIdempotencyKey,
    answer: Option<(u16, String)>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => match answer {
        Some((status, response)) => sqlx::query(
            "UPDATE idempotency_keys SET status_code = $1, response = $2
             WHERE workspace_id = $3 AND key = $4",
        )
        .bind(i64::from(status))
        .bind(response)
        .bind(key.workspace_id.to_string())
        .bind(&key.key)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected()),
        None => sqlx::query("DELETE FROM idempotency_keys WHERE workspace_id = $1 AND key = $2")
            .bind(key.workspace_id.to_string())
            .bind(&key.key)
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected()),
    })?;
    Ok(())
}

impl Store {
    pub async fn idempotency_record(
        &self,
        workspace_id: Uuid,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, IdempotencyRecord>(
            "SELECT request_hash, status_code, response FROM idempotency_keys
             WHERE workspace_id = $1 AND key = $2 AND created_at > $3",
        )
        .bind(workspace_id.to_string())
        .bind(key)
        .bind(now_ms() - IDEMPOTENCY_TTL_MS)
        .fetch_optional(pool)
        .await)?,
        )
    }

    /// Deletes keys older than [`IDEMPOTENCY_TTL_MS`].
    pub async fn purge_idempotency_keys(&self) -> Result<u64, StoreError> {
        Ok(
            on_pool!(self, pool => sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                .bind(now_ms() - IDEMPOTENCY_TTL_MS)
                .execute(pool)
                .await.map(|done| done.rows_affected()))?,
        )
    }
}
