use sqlx::FromRow;
use uuid::Uuid;

use engage_core::Role;

use super::{enum_str, now_ms, on_pool, parse_enum, parse_uuid, unique_or, Store, StoreError};

#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    /// `false` once deactivated by an admin.
    pub active: bool,
}

#[derive(FromRow)]
struct UserRow {
    id: String,
    workspace_id: String,
    email: String,
    password_hash: String,
    role: String,
    deactivated_at: Option<i64>,
}

impl TryFrom<UserRow> for UserRecord {
    type Error = StoreError;
    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        Ok(UserRecord {
            id: parse_uuid("user id", &row.id)?,
            workspace_id: parse_uuid("workspace id", &row.workspace_id)?,
            email: row.email,
            password_hash: row.password_hash,
            role: parse_enum("role", &row.role)?,
            active: row.deactivated_at.is_none(),
        })
    }
}

impl Store {
    /// `email` must already be normalised (trimmed, lower case).
    pub async fn create_user(
        &self,
        workspace_id: Uuid,
        email: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<Uuid, StoreError> {
        let id = Uuid::now_v7();
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO users (id, workspace_id, email, password_hash, created_at, role) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(workspace_id.to_string())
        .bind(email)
        .bind(password_hash)
        .bind(now_ms())
        .bind(enum_str(&role))
        .execute(pool)
        .await.map(|done| done.rows_affected()))
        .map_err(|error| unique_or(error, StoreError::EmailTaken))?;
        Ok(id)
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StoreError> {
        on_pool!(self, pool => sqlx::query_as::<_, UserRow>(
            "SELECT id, workspace_id, email, password_hash, role, deactivated_at FROM users WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(pool)
        .await)?
        .map(UserRecord::try_from)
        .transpose()
    }

    pub async fn user_by_id(&self, id: Uuid) -> Result<Option<UserRecord>, StoreError> {
        on_pool!(self, pool => sqlx::query_as::<_, UserRow>(
            "SELECT id, workspace_id, email, password_hash, role, deactivated_at FROM users WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(pool)
        .await)?
        .map(UserRecord::try_from)
        .transpose()
    }
}
