//! Bearer tokens (staff access / refresh, client-credentials access), stored as SHA-256.

use sqlx::FromRow;
use uuid::Uuid;

use super::{now_ms, on_pool, on_tx, parse_uuid, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    StaffAccess,
    StaffRefresh,
    ClientAccess,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::StaffAccess => "staff_access",
            TokenKind::StaffRefresh => "staff_refresh",
            TokenKind::ClientAccess => "client_access",
        }
    }

    fn parse(value: &str) -> Result<Self, StoreError> {
        match value {
            "staff_access" => Ok(TokenKind::StaffAccess),
            "staff_refresh" => Ok(TokenKind::StaffRefresh),
            "client_access" => Ok(TokenKind::ClientAccess),
            other => Err(StoreError::Corrupt {
                what: "token kind",
                detail: other.to_owned(),
            }),
        }
    }
}

/// A live (unexpired, unrevoked) token.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub kind: TokenKind,
    pub workspace_id: Uuid,
    pub user_id: Option<Uuid>,
    pub api_client_id: Option<Uuid>,
    pub expires_at: i64,
}

#[derive(FromRow)]
struct TokenRow {
    kind: String,
    workspace_id: String,
    user_id: Option<String>,
    api_client_id: Option<String>,
    expires_at: i64,
}

impl TryFrom<TokenRow> for TokenRecord {
    type Error = StoreError;
    fn try_from(row: TokenRow) -> Result<Self, StoreError> {
        Ok(TokenRecord {
            kind: TokenKind::parse(&row.kind)?,
            workspace_id: parse_uuid("workspace id", &row.workspace_id)?,
            user_id: row
                .user_id
                .as_deref()
                .map(|id| parse_uuid("user id", id))
                .transpose()?,
            api_client_id: row
                .api_client_id
                .as_deref()
                .map(|id| parse_uuid("api client id", id))
                .transpose()?,
            expires_at: row.expires_at,
        })
    }
}

/// Who a new token is for.
#[derive(Debug, Clone, Copy)]
pub enum TokenOwner {
    User {
        workspace_id: Uuid,
        user_id: Uuid,
    },
    Client {
        workspace_id: Uuid,
        api_client_id: Uuid,
    },
}

impl Store {
    pub async fn insert_token(
        &self,
        token_hash: &[u8; 32],
        kind: TokenKind,
        owner: TokenOwner,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let token = NewToken::new(token_hash, kind, owner, expires_at);
        on_pool!(self, pool => token.insert().execute(pool).await.map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// The token when it exists, has `kind`, is not revoked and has not expired.
    pub async fn live_token(
        &self,
        token_hash: &[u8; 32],
        kind: TokenKind,
    ) -> Result<Option<TokenRecord>, StoreError> {
        on_pool!(self, pool => sqlx::query_as::<_, TokenRow>(
            "SELECT kind, workspace_id, user_id, api_client_id, expires_at FROM tokens
             WHERE token_hash = $1 AND kind = $2 AND revoked_at IS NULL AND expires_at > $3",
        )
        .bind(token_hash.as_slice())
        .bind(kind.as_str())
        .bind(now_ms())
        .fetch_optional(pool)
        .await)?
        .map(TokenRecord::try_from)
        .transpose()
    }

    /// Refresh-token rotation: atomically revokes the live refresh token `old_hash` and stores
    /// the new access and refresh tokens. `None` when the old token is unknown, expired or
    /// already used (a used refresh token never works twice).
    pub async fn rotate_refresh_token(
        &self,
        old_hash: &[u8; 32],
        new_access: (&[u8; 32], i64),
        new_refresh: (&[u8; 32], i64),
    ) -> Result<Option<TokenRecord>, StoreError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let revoked = on_tx!(&mut tx, conn => sqlx::query_as::<_, TokenRow>(
            "UPDATE tokens SET revoked_at = $1
             WHERE token_hash = $2 AND kind = 'staff_refresh' AND revoked_at IS NULL AND expires_at > $3
             RETURNING kind, workspace_id, user_id, api_client_id, expires_at",
        )
        .bind(now)
        .bind(old_hash.as_slice())
        .bind(now)
        .fetch_optional(&mut *conn)
        .await)?;
        let Some(row) = revoked else {
            return Ok(None);
        };
        let record = TokenRecord::try_from(row)?;
        let Some(user_id) = record.user_id else {
            return Ok(None);
        };
        let owner = TokenOwner::User {
            workspace_id: record.workspace_id,
            user_id,
        };
        for (hash, kind, expires_at) in [
            (new_access.0, TokenKind::StaffAccess, new_access.1),
            (new_refresh.0, TokenKind::StaffRefresh, new_refresh.1),
        ] {
            let token = NewToken::new(hash, kind, owner, expires_at);
            on_tx!(&mut tx, conn => token.insert().execute(&mut *conn).await.map(|done| done.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(Some(record))
    }

    /// Revokes a token of `user_id` (no effect on others' tokens or unknown ones).
    pub async fn revoke_user_token(
        &self,
        token_hash: &[u8; 32],
        user_id: Uuid,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE token_hash = $2 AND user_id = $3 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(token_hash.as_slice())
        .bind(user_id.to_string())
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// Deletes tokens that expired more than a day ago.
    pub async fn purge_expired_tokens(&self) -> Result<u64, StoreError> {
        let cutoff = now_ms() - 24 * 3600 * 1000;
        Ok(
            on_pool!(self, pool => sqlx::query("DELETE FROM tokens WHERE expires_at < $1")
            .bind(cutoff)
            .execute(pool)
            .await.map(|done| done.rows_affected()))?,
        )
    }
}

/// A token row to insert, with its owner split into columns.
struct NewToken<'a> {
    token_hash: &'a [u8; 32],
    kind: TokenKind,
    workspace_id: String,
    user_id: Option<String>,
    api_client_id: Option<String>,
    expires_at: i64,
}

impl<'a> NewToken<'a> {
    fn new(token_hash: &'a [u8; 32], kind: TokenKind, owner: TokenOwner, expires_at: i64) -> Self {
        let (workspace_id, user_id, api_client_id) = match owner {
            TokenOwner::User {
                workspace_id,
                user_id,
            } => (workspace_id, Some(user_id.to_string()), None),
            TokenOwner::Client {
                workspace_id,
                api_client_id,
            } => (workspace_id, None, Some(api_client_id.to_string())),
        };
        NewToken {
            token_hash,
            kind,
            workspace_id: workspace_id.to_string(),
            user_id,
            api_client_id,
            expires_at,
        }
    }

    /// The INSERT statement, for any backend.
    fn insert<DB>(&self) -> sqlx::query::Query<'_, DB, <DB as sqlx::Database>::Arguments<'_>>
    where
        DB: sqlx::Database,
        for<'q> &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    {
        sqlx::query(
            "INSERT INTO tokens (token_hash, kind, workspace_id, user_id, api_client_id, expires_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(self.token_hash.as_slice())
        .bind(self.kind.as_str())
        .bind(self.workspace_id.as_str())
        .bind(self.user_id.as_deref())
        .bind(self.api_client_id.as_deref())
        .bind(self.expires_at)
        .bind(now_ms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{random_token, sha256};

    async fn store_with_user() -> (tempfile::TempDir, Store, TokenOwner) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let store = Store::connect(&url).await.unwrap();
        let workspace_id = store.create_workspace("W").await.unwrap();
        let user_id = store
            .create_user(workspace_id, "a@b.c", "hash", engage_core::Role::Admin)
            .await
            .unwrap();
        (
            dir,
            store,
            TokenOwner::User {
                workspace_id,
                user_id,
            },
        )
    }

    #[tokio::test]
    async fn a_refresh_token_rotates_once_and_never_works_again() {
        let (_dir, store, owner) = store_with_user().await;
        let later = now_ms() + 60_000;
        let first = sha256(&random_token());
        store
            .insert_token(&first, TokenKind::StaffRefresh, owner, later)
            .await
            .unwrap();

        let (access, second) = (sha256(&random_token()), sha256(&random_token()));
        let rotated = store
            .rotate_refresh_token(&first, (&access, later), (&second, later))
            .await
            .unwrap();
        assert!(rotated.is_some(), "a live refresh token rotates");
        assert!(store
            .live_token(&access, TokenKind::StaffAccess)
            .await
            .unwrap()
            .is_some());

        let (access2, third) = (sha256(&random_token()), sha256(&random_token()));
        let reused = store
            .rotate_refresh_token(&first, (&access2, later), (&third, later))
            .await
            .unwrap();
        assert!(reused.is_none(), "the old refresh token is spent");
        assert!(store
            .live_token(&access2, TokenKind::StaffAccess)
            .await
            .unwrap()
            .is_none());

        assert!(store
            .rotate_refresh_token(&second, (&access2, later), (&third, later))
            .await
            .unwrap()
            .is_some());
    }

    #[tokio::test]
    async fn an_expired_refresh_token_does_not_rotate_and_access_tokens_are_not_refresh_tokens() {
        let (_dir, store, owner) = store_with_user().await;
        let expired = sha256(&random_token());
        store
            .insert_token(&expired, TokenKind::StaffRefresh, owner, now_ms() - 1)
            .await
            .unwrap();
        let access = sha256(&random_token());
        store
            .insert_token(&access, TokenKind::StaffAccess, owner, now_ms() + 60_000)
            .await
            .unwrap();
        let new = (sha256(&random_token()), sha256(&random_token()));
        for old in [expired, access] {
            assert!(store
                .rotate_refresh_token(&old, (&new.0, now_ms() + 1), (&new.1, now_ms() + 1))
                .await
                .unwrap()
                .is_none());
        }
    }
}
