//! API clients (OAuth2 client credentials). The secret is stored twice: as a SHA-256 hash to
//! verify it, and encrypted (ChaCha20-Poly1305) so staff can copy the curl again later.

use sqlx::FromRow;
use uuid::Uuid;

use super::{now_ms, on_pool, parse_uuid, Store, StoreError};

#[derive(Debug, Clone)]
pub struct ApiClientRecord {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub name: String,
    pub client_id: String,
    pub secret_hash: Vec<u8>,
    pub secret_encrypted: Vec<u8>,
}

#[derive(FromRow)]
struct ApiClientRow {
    id: String,
    workspace_id: String,
    name: String,
    client_id: String,
    secret_hash: Vec<u8>,
    secret_encrypted: Vec<u8>,
}

impl TryFrom<ApiClientRow> for ApiClientRecord {
    type Error = StoreError;
    fn try_from(row: ApiClientRow) -> Result<Self, StoreError> {
        Ok(ApiClientRecord {
            id: parse_uuid("api client id", &row.id)?,
            workspace_id: parse_uuid("workspace id", &row.workspace_id)?,
            name: row.name,
            client_id: row.client_id,
            secret_hash: row.secret_hash,
            secret_encrypted: row.secret_encrypted,
        })
    }
}

const COLUMNS: &str = "id, workspace_id, name, client_id, secret_hash, secret_encrypted";

impl Store {
    pub async fn create_api_client(
        &self,
        workspace_id: Uuid,
        name: &str,
        client_id: &str,
        secret_hash: &[u8; 32],
        secret_encrypted: &[u8],
    ) -> Result<Uuid, StoreError> {
        let id = Uuid::now_v7();
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO api_clients (id, workspace_id, name, client_id, secret_hash, secret_encrypted, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(workspace_id.to_string())
        .bind(name)
        .bind(client_id)
        .bind(secret_hash.as_slice())
        .bind(secret_encrypted)
        .bind(now_ms())
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
        Ok(id)
    }

    pub async fn api_client_by_client_id(
        &self,
        client_id: &str,
    ) -> Result<Option<ApiClientRecord>, StoreError> {
        on_pool!(self, pool => sqlx::query_as::<_, ApiClientRow>(&format!(
            "SELECT {COLUMNS} FROM api_clients WHERE client_id = $1"
        ))
        .bind(client_id)
        .fetch_optional(pool)
        .await)?
        .map(ApiClientRecord::try_from)
        .transpose()
    }

    /// The workspace's oldest API client, if any.
    pub async fn first_api_client(
        &self,
        workspace_id: Uuid,
    ) -> Result<Option<ApiClientRecord>, StoreError> {
        on_pool!(self, pool => sqlx::query_as::<_, ApiClientRow>(&format!(
            "SELECT {COLUMNS} FROM api_clients WHERE workspace_id = $1 ORDER BY created_at, id LIMIT 1"
        ))
        .bind(workspace_id.to_string())
        .fetch_optional(pool)
        .await)?
        .map(ApiClientRecord::try_from)
        .transpose()
    }
}
