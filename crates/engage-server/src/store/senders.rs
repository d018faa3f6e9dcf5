use engage_core::wire::{ProviderKind, Sender, SenderStatus};
use sqlx::FromRow;
use uuid::Uuid;

use super::{enum_str, now_ms, on_pool, parse_enum, parse_uuid, unique_or, Store, StoreError};

pub struct NewSender<'a> {
    pub workspace_id: Uuid,
    pub name: &'a str,
    /// E.164.
    pub phone: &'a str,
    pub status: SenderStatus,
    pub provider: ProviderKind,
}

#[derive(FromRow)]
pub(crate) struct SenderRow {
    id: String,
    name: String,
    phone: String,
    status: String,
    provider: String,
    phone_display: Option<String>,
}

/// The international display form of an E.164 `phone` (`+55 11 98765-4321`), stored beside it
/// by every write of a sender's phone (formatting loads libphonenumber's metadata, ~170 ms the
/// first time in a process; reads then never format).
pub(crate) fn phone_display(phone: &str) -> String {
    engage_core::PhoneNumber::parse(phone)
        .map(|phone| phone.display().to_owned())
        .unwrap_or_else(|_| phone.to_owned())
}

impl TryFrom<SenderRow> for Sender {
    type Error = StoreError;
    fn try_from(row: SenderRow) -> Result<Self, StoreError> {
        let phone_display = row
            .phone_display
            .unwrap_or_else(|| phone_display(&row.phone));
        Ok(Sender {
            id: parse_uuid("sender id", &row.id)?,
            name: row.name,
            phone: row.phone,
            phone_display,
            status: parse_enum("sender status", &row.status)?,
            provider: parse_enum("sender provider", &row.provider)?,
        })
    }
}

const COLUMNS: &str = "id, name, phone, status, provider, phone_display";

impl Store {
    pub async fn create_sender(&self, sender: NewSender<'_>) -> Result<Uuid, StoreError> {
        let id = Uuid::now_v7();
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO senders (id, workspace_id, name, phone, status, provider, created_at,
                                  phone_display)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.to_string())
        .bind(sender.workspace_id.to_string())
        .bind(sender.name)
        .bind(sender.phone)
        .bind(enum_str(&sender.status))
        .bind(enum_str(&sender.provider))
        .bind(now_ms())
        .bind(phone_display(sender.phone))
        .execute(pool)
        .await.map(|done| done.rows_affected()))
        .map_err(|error| unique_or(error, StoreError::SenderPhoneTaken))?;
        Ok(id)
    }

    /// Creates the sender, or returns the id of the workspace's sender with this phone.
    pub async fn ensure_sender(&self, sender: NewSender<'_>) -> Result<Uuid, StoreError> {
        let existing = on_pool!(self, pool => sqlx::query_scalar::<_, String>(
            "SELECT id FROM senders WHERE workspace_id = $1 AND phone = $2",
        )
        .bind(sender.workspace_id.to_string())
        .bind(sender.phone)
        .fetch_optional(pool)
        .await)?;
        match existing {
            Some(id) => parse_uuid("sender id", &id),
            None => self.create_sender(sender).await,
        }
    }

    /// Senders of the workspace, active ones only unless `include_inactive`.
    pub async fn list_senders(
        &self,
        workspace_id: Uuid,
        include_inactive: bool,
    ) -> Result<Vec<Sender>, StoreError> {
        let sql = if include_inactive {
            format!("SELECT {COLUMNS} FROM senders WHERE workspace_id = $1 ORDER BY name, id")
        } else {
            format!("SELECT {COLUMNS} FROM senders WHERE workspace_id = $1 AND status = 'active' ORDER BY name, id")
        };
        on_pool!(self, pool => sqlx::query_as::<_, SenderRow>(&sql)
            .bind(workspace_id.to_string())
            .fetch_all(pool)
            .await)?
        .into_iter()
        .map(Sender::try_from)
        .collect()
    }

    pub async fn sender(&self, workspace_id: Uuid, id: Uuid) -> Result<Option<Sender>, StoreError> {
        on_pool!(self, pool => sqlx::query_as::<_, SenderRow>(&format!(
            "SELECT {COLUMNS} FROM senders WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(workspace_id.to_string())
        .bind(id.to_string())
        .fetch_optional(pool)
        .await)?
        .map(Sender::try_from)
        .transpose()
    }

    /// Fills the display form of the numbers written before it was stored (migration 0016);
    /// run by [`Store::migrate`], a no-op once they are filled.
    pub(crate) async fn fill_phone_displays(&self) -> Result<(), StoreError> {
        let missing: Vec<(String, String)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, phone FROM senders WHERE phone_display IS NULL",
        )
        .fetch_all(pool)
        .await)?;
        for (id, phone) in missing {
            on_pool!(self, pool => sqlx::query(
                "UPDATE senders SET phone_display = $1 WHERE id = $2 AND phone = $3",
            )
            .bind(phone_display(&phone))
            .bind(&id)
            .bind(&phone)
            .execute(pool)
            .await.map(|done| done.rows_affected()))?;
        }
        Ok(())
    }
}
