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
