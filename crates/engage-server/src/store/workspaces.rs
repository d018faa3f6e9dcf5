use uuid::Uuid;

use super::{now_ms, on_pool, Store, StoreError};

impl Store {
    pub async fn create_workspace(&self, name: &str) -> Result<Uuid, StoreError> {
        let id = Uuid::now_v7();
        on_pool!(self, pool => sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(id.to_string())
            .bind(name)
            .bind(now_ms())
            .execute(pool)
            .await.map(|done| done.rows_affected()))?;
        Ok(id)
    }

    pub async fn workspace_name(&self, id: Uuid) -> Result<Option<String>, StoreError> {
        Ok(
            on_pool!(self, pool => sqlx::query_scalar::<_, String>("SELECT name FROM workspaces WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(pool)
                .await)?,
        )
    }
}

/// Rates of the send endpoint a workspace may set, in requests per second.
pub const SEND_RATE_RANGE: std::ops::RangeInclusive<u32> = 1..=1_000_000;

impl Store {
    /// The workspace's own send rate (requests per second per API client), `None` when it
    /// uses the server's default.
    pub async fn workspace_send_rate(&self, id: Uuid) -> Result<Option<u32>, StoreError> {
        let rate = on_pool!(self, pool => sqlx::query_scalar::<_, Option<i64>>(
            "SELECT send_rate_per_second FROM workspaces WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(pool)
            .await)?;
        Ok(rate.flatten().and_then(|rate| u32::try_from(rate).ok()))
    }

    /// Sets (or, with `None`, clears) the workspace's send rate; false when there is no such
    /// workspace.
    pub async fn set_workspace_send_rate(
        &self,
        id: Uuid,
        rate: Option<u32>,
    ) -> Result<bool, StoreError> {
        let changed = on_pool!(self, pool => sqlx::query(
            "UPDATE workspaces SET send_rate_per_second = $1 WHERE id = $2")
            .bind(rate.map(i64::from))
            .bind(id.to_string())
            .execute(pool)
            .await.map(|done| done.rows_affected()))?;
        Ok(changed == 1)
    }
}
