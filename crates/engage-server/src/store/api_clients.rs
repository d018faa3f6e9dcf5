//! API clients (OAuth2 client credentials). The secret is stored twice: as a SHA-256 hash to
//! verify it, and encrypted (ChaCha20-Poly1305) so staff can copy the curl again later.
//!
//! A client is workspace-wide (`campaign_id` NULL: created by the CLI or for campaigns made
//! before per-campaign credentials) or belongs to one campaign, live or test. Rotation keeps
//! the previous secret's hash until its grace period ends and cuts the tokens issued before
//! down to that moment; revocation ends the client and every token of it at once.

use sqlx::FromRow;
use uuid::Uuid;

use super::{is_unique_violation, now_ms, on_pool, on_tx, parse_uuid, Store, StoreError, Tx};

/// How often at most `last_used_at` is written for one client.
pub const LAST_USED_PRECISION_MS: i64 = 60_000;

#[derive(Debug, Clone)]
pub struct ApiClientRecord {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub name: String,
    pub client_id: String,
    pub secret_hash: Vec<u8>,
    pub secret_encrypted: Vec<u8>,
    /// The only campaign it sends for (`None`: every campaign of the workspace).
    pub campaign_id: Option<Uuid>,
    /// Test credentials: its messages go through the sandbox provider.
    pub test: bool,
    pub previous_secret_hash: Option<Vec<u8>>,
    pub previous_secret_expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

impl ApiClientRecord {
    /// The previous secret's hash while its grace period lasts.
    pub fn previous_secret(&self, now: i64) -> Option<(&[u8], i64)> {
        match (&self.previous_secret_hash, self.previous_secret_expires_at) {
            (Some(hash), Some(until)) if until > now => Some((hash.as_slice(), until)),
            _ => None,
        }
    }
}

#[derive(FromRow)]
struct ApiClientRow {
    id: String,
    workspace_id: String,
    name: String,
    client_id: String,
    secret_hash: Vec<u8>,
    secret_encrypted: Vec<u8>,
    campaign_id: Option<String>,
    test: bool,
    previous_secret_hash: Option<Vec<u8>>,
    previous_secret_expires_at: Option<i64>,
    last_used_at: Option<i64>,
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
            campaign_id: row
                .campaign_id
                .as_deref()
                .map(|id| parse_uuid("campaign id", id))
                .transpose()?,
            test: row.test,
            previous_secret_hash: row.previous_secret_hash,
            previous_secret_expires_at: row.previous_secret_expires_at,
            last_used_at: row.last_used_at,
        })
    }
}

const COLUMNS: &str = "id, workspace_id, name, client_id, secret_hash, secret_encrypted, campaign_id, test, previous_secret_hash, previous_secret_expires_at, last_used_at";

/// A client to create. The secret arrives hashed and sealed: the store never sees it.
#[derive(Debug, Clone)]
pub struct NewApiClient {
    pub workspace_id: Uuid,
    pub name: String,
    pub client_id: String,
    pub secret_hash: [u8; 32],
    pub secret_encrypted: Vec<u8>,
    pub campaign_id: Option<Uuid>,
    pub test: bool,
}

/// The owner of a live client-credentials token, with its client's scope.
#[derive(Debug, Clone, Copy)]
pub struct ClientTokenRecord {
    pub workspace_id: Uuid,
    pub api_client_id: Uuid,
    pub campaign_id: Option<Uuid>,
    pub test: bool,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(FromRow)]
struct ClientTokenRow {
    workspace_id: String,
    api_client_id: String,
    campaign_id: Option<String>,
    test: bool,
    expires_at: i64,
    last_used_at: Option<i64>,
}

/// Inserts `client` in the open transaction; returns its id.
pub(crate) async fn insert_api_client(
    tx: &mut Tx,
    client: &NewApiClient,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    on_tx!(&mut *tx, conn => sqlx::query(
        "INSERT INTO api_clients (id, workspace_id, name, client_id, secret_hash, secret_encrypted, created_at, campaign_id, test)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.to_string())
    .bind(client.workspace_id.to_string())
    .bind(client.name.as_str())
    .bind(client.client_id.as_str())
    .bind(client.secret_hash.as_slice())
    .bind(client.secret_encrypted.as_slice())
    .bind(now_ms())
    .bind(client.campaign_id.map(|id| id.to_string()))
    .bind(client.test)
    .execute(&mut *conn)
    .await.map(|done| done.rows_affected()))?;
    Ok(id)
}

impl Store {
    /// Creates a workspace-wide client.
    pub async fn create_api_client(
        &self,
        workspace_id: Uuid,
        name: &str,
        client_id: &str,
        secret_hash: &[u8; 32],
        secret_encrypted: &[u8],
    ) -> Result<Uuid, StoreError> {
        self.insert_api_client(&NewApiClient {
            workspace_id,
            name: name.to_owned(),
            client_id: client_id.to_owned(),
            secret_hash: *secret_hash,
            secret_encrypted: secret_encrypted.to_vec(),
            campaign_id: None,
            test: false,
        })
        .await?
        .ok_or(StoreError::Corrupt {
            what: "api client",
            detail: "a workspace-wide client conflicted with another".into(),
        })
    }

    /// Creates a client; `None` when its campaign already has a live client of its mode
    /// (created concurrently).
    pub async fn insert_api_client(
        &self,
        client: &NewApiClient,
    ) -> Result<Option<Uuid>, StoreError> {
        let mut tx = self.begin().await?;
        match insert_api_client(&mut tx, client).await {
            Ok(id) => {
                tx.commit().await?;
                Ok(Some(id))
            }
            Err(error) if is_unique_violation(&error) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// The unrevoked client with this client id.
    pub async fn api_client_by_client_id(
        &self,
        client_id: &str,
    ) -> Result<Option<ApiClientRecord>, StoreError> {
        on_pool!(self, pool => sqlx::query_as::<_, ApiClientRow>(&format!(
            "SELECT {COLUMNS} FROM api_clients WHERE client_id = $1 AND revoked_at IS NULL"
        ))
        .bind(client_id)
        .fetch_optional(pool)
        .await)?
        .map(ApiClientRecord::try_from)
        .transpose()
    }

    /// The workspace's oldest workspace-wide live client, if any.
    pub async fn first_api_client(
        &self,
        workspace_id: Uuid,
    ) -> Result<Option<ApiClientRecord>, StoreError> {
        on_pool!(self, pool => sqlx::query_as::<_, ApiClientRow>(&format!(
            "SELECT {COLUMNS} FROM api_clients
             WHERE workspace_id = $1 AND campaign_id IS NULL AND revoked_at IS NULL AND NOT test
             ORDER BY created_at, id LIMIT 1"
        ))
        .bind(workspace_id.to_string())
        .fetch_optional(pool)
        .await)?
        .map(ApiClientRecord::try_from)
        .transpose()
    }

    /// The campaign's own unrevoked client of this mode, if it has one.
    pub async fn campaign_api_client(
        &self,
        campaign_id: Uuid,
        test: bool,
    ) -> Result<Option<ApiClientRecord>, StoreError> {
        on_pool!(self, pool => sqlx::query_as::<_, ApiClientRow>(&format!(
            "SELECT {COLUMNS} FROM api_clients
             WHERE campaign_id = $1 AND test = $2 AND revoked_at IS NULL"
        ))
        .bind(campaign_id.to_string())
        .bind(test)
        .fetch_optional(pool)
        .await)?
        .map(ApiClientRecord::try_from)
        .transpose()
    }

    /// Replaces the client's secret. The previous one keeps working for `grace_ms` (none when
    /// 0), and so do the tokens issued before: no longer than that. `false` when the client
    /// is revoked or unknown.
    pub async fn rotate_api_client_secret(
        &self,
        id: Uuid,
        secret_hash: &[u8; 32],
        secret_encrypted: &[u8],
        grace_ms: i64,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let until = now + grace_ms.max(0);
        let keep_previous = grace_ms > 0;
        let mut tx = self.begin().await?;
        let rotated = on_tx!(&mut tx, conn => sqlx::query(
            "UPDATE api_clients SET
               previous_secret_hash = CASE WHEN $1 THEN secret_hash ELSE NULL END,
               previous_secret_expires_at = CASE WHEN $1 THEN $2 ELSE NULL END,
               secret_hash = $3, secret_encrypted = $4
             WHERE id = $5 AND revoked_at IS NULL",
        )
        .bind(keep_previous)
        .bind(until)
        .bind(secret_hash.as_slice())
        .bind(secret_encrypted)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await.map(|done| done.rows_affected()))?;
        on_tx!(&mut tx, conn => sqlx::query(
            "UPDATE tokens SET expires_at = $1
             WHERE api_client_id = $2 AND revoked_at IS NULL AND expires_at > $1",
        )
        .bind(until)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await.map(|done| done.rows_affected()))?;
        tx.commit().await?;
        Ok(rotated == 1)
    }

    /// Revokes the client and every token of it, and creates `replacement` in the same
    /// transaction. `false` (nothing written) when the client was already revoked.
    pub async fn revoke_api_client(
        &self,
        id: Uuid,
        replacement: &NewApiClient,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let revoked = on_tx!(&mut tx, conn => sqlx::query(
            "UPDATE api_clients SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await.map(|done| done.rows_affected()))?;
        if revoked != 1 {
            return Ok(false);
        }
        on_tx!(&mut tx, conn => sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE api_client_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await.map(|done| done.rows_affected()))?;
        insert_api_client(&mut tx, replacement).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Stores a client-credentials token for `client`, provided the client is still
    /// unrevoked and `presented_hash` is still its secret (or its previous one, within the
    /// grace period) at the moment of the insert: a rotation or revocation committed since
    /// the secret was checked wins. Also records the use. `false` when nothing was stored.
    pub async fn issue_client_token(
        &self,
        token_hash: &[u8; 32],
        client: &ApiClientRecord,
        presented_hash: &[u8; 32],
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let inserted = on_tx!(&mut tx, conn => sqlx::query(
            "INSERT INTO tokens (token_hash, kind, workspace_id, api_client_id, expires_at, created_at)
             SELECT $1, 'client_access', workspace_id, id, $2, $3 FROM api_clients
             WHERE id = $4 AND revoked_at IS NULL
               AND (secret_hash = $5 OR (previous_secret_hash = $5 AND previous_secret_expires_at > $3))",
        )
        .bind(token_hash.as_slice())
        .bind(expires_at)
        .bind(now)
        .bind(client.id.to_string())
        .bind(presented_hash.as_slice())
        .execute(&mut *conn)
        .await.map(|done| done.rows_affected()))?;
        if inserted == 1 {
            on_tx!(&mut tx, conn => sqlx::query("UPDATE api_clients SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(client.id.to_string())
                .execute(&mut *conn)
                .await.map(|done| done.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(inserted == 1)
    }

    /// The owner of a live client-credentials token: unexpired, unrevoked, and of an
    /// unrevoked client.
    pub async fn live_client_token(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<ClientTokenRecord>, StoreError> {
        let row = on_pool!(self, pool => sqlx::query_as::<_, ClientTokenRow>(
            "SELECT t.workspace_id, t.api_client_id, c.campaign_id, c.test, t.expires_at, c.last_used_at
             FROM tokens t JOIN api_clients c ON c.id = t.api_client_id
             WHERE t.token_hash = $1 AND t.kind = 'client_access' AND t.revoked_at IS NULL
               AND t.expires_at > $2 AND c.revoked_at IS NULL",
        )
        .bind(token_hash.as_slice())
        .bind(now_ms())
        .fetch_optional(pool)
        .await)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(ClientTokenRecord {
            workspace_id: parse_uuid("workspace id", &row.workspace_id)?,
            api_client_id: parse_uuid("api client id", &row.api_client_id)?,
            campaign_id: row
                .campaign_id
                .as_deref()
                .map(|id| parse_uuid("campaign id", id))
                .transpose()?,
            test: row.test,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
        }))
    }

    /// Records that the client was used now, unless that was recorded less than
    /// [`LAST_USED_PRECISION_MS`] ago.
    pub async fn touch_api_client(&self, id: Uuid) -> Result<(), StoreError> {
        let now = now_ms();
        on_pool!(self, pool => sqlx::query(
            "UPDATE api_clients SET last_used_at = $1
             WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(now)
        .bind(id.to_string())
        .bind(now - LAST_USED_PRECISION_MS)
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
        Ok(())
    }
}
