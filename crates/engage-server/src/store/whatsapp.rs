//! Storage of the whatsapp_cloud provider: the Cloud API identity of senders (access token
//! sealed with the secret key), webhook settings and sync.

use engage_core::wire::{ProviderKind, SenderStatus};
use sqlx::FromRow;
use uuid::Uuid;

use super::senders::phone_display;
use super::{enum_str, now_ms, on_pool, parse_uuid, unique_or, Store, StoreError};

/// A whatsapp_cloud sender to create.
pub struct NewCloudSender<'a> {
    pub workspace_id: Uuid,
    pub name: &'a str,
    /// E.164.
    pub phone: &'a str,
    pub status: SenderStatus,
    pub phone_number_id: &'a str,
    pub waba_id: &'a str,
    /// The access token sealed with [`crate::crypto::SecretKey::encrypt`].
    pub access_token_encrypted: &'a [u8],
    pub rate_per_second: Option<u32>,
}

/// The Cloud API identity of a sender.
#[derive(Debug, Clone, FromRow)]
pub struct CloudSender {
    pub id: String,
    pub workspace_id: String,
    pub phone: String,
    pub status: String,
    pub phone_number_id: String,
    pub waba_id: String,
    pub access_token_encrypted: Vec<u8>,
    pub rate_per_second: Option<i64>,
}

const CLOUD_COLUMNS: &str = "id, workspace_id, phone, status, phone_number_id, waba_id, access_token_encrypted, rate_per_second";

impl Store {
    pub async fn create_cloud_sender(
        &self,
        sender: NewCloudSender<'_>,
    ) -> Result<Uuid, StoreError> {
        let id = Uuid::now_v7();
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO senders (id, workspace_id, name, phone, status, provider, created_at,
                                  phone_number_id, waba_id, access_token_encrypted, rate_per_second,
                                  phone_display)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(id.to_string())
        .bind(sender.workspace_id.to_string())
        .bind(sender.name)
        .bind(sender.phone)
        .bind(enum_str(&sender.status))
        .bind(enum_str(&ProviderKind::WhatsappCloud))
        .bind(now_ms())
        .bind(sender.phone_number_id)
        .bind(sender.waba_id)
        .bind(sender.access_token_encrypted)
        .bind(sender.rate_per_second.map(i64::from))
        .bind(phone_display(sender.phone))
        .execute(pool)
        .await.map(|done| done.rows_affected()))
        .map_err(|error| unique_or(error, StoreError::SenderPhoneTaken))?;
        Ok(id)
    }

    /// Whether some sender (of any workspace) already uses this phone number id.
    pub async fn phone_number_id_in_use(&self, phone_number_id: &str) -> Result<bool, StoreError> {
        Ok(
            on_pool!(self, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM senders WHERE phone_number_id = $1")
                .bind(phone_number_id)
                .fetch_one(pool)
                .await)?
                > 0,
        )
    }

    /// The Cloud API identity of a whatsapp_cloud sender.
    pub async fn cloud_sender(&self, sender_id: &str) -> Result<Option<CloudSender>, StoreError> {
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, CloudSender>(&format!(
            "SELECT {CLOUD_COLUMNS} FROM senders
             WHERE id = $1 AND provider = 'whatsapp_cloud' AND phone_number_id IS NOT NULL"
        ))
        .bind(sender_id)
        .fetch_optional(pool)
        .await)?,
        )
    }

    /// The name of a sender.
    pub async fn sender_name(&self, sender_id: &str) -> Result<String, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, String>(
            "SELECT name FROM senders WHERE id = $1"
        )
        .bind(sender_id)
        .fetch_one(pool)
        .await)?)
    }

    /// Every whatsapp_cloud sender of a workspace.
    pub async fn cloud_senders(&self, workspace_id: Uuid) -> Result<Vec<CloudSender>, StoreError> {
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, CloudSender>(&format!(
            "SELECT {CLOUD_COLUMNS} FROM senders
             WHERE workspace_id = $1 AND provider = 'whatsapp_cloud' AND phone_number_id IS NOT NULL
             ORDER BY created_at, id"
        ))
        .bind(workspace_id.to_string())
        .fetch_all(pool)
        .await)?,
        )
    }

    /// Sets (or replaces) the workspace's webhook app secret and verify token (sealed).
    pub async fn set_webhook_settings(
        &self,
        workspace_id: Uuid,
        app_secret_encrypted: &[u8],
        verify_token_encrypted: &[u8],
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO whatsapp_settings (workspace_id, app_secret_encrypted, verify_token_encrypted, updated_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (workspace_id) DO UPDATE SET
               app_secret_encrypted = excluded.app_secret_encrypted,
               verify_token_encrypted = excluded.verify_token_encrypted,
               updated_at = excluded.updated_at",
        )
        .bind(workspace_id.to_string())
        .bind(app_secret_encrypted)
        .bind(verify_token_encrypted)
        .bind(now_ms())
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// Sealed app secrets of the workspaces whose senders belong to one of `waba_ids`.
    pub async fn webhook_secrets_for_wabas(
        &self,
        waba_ids: &[String],
    ) -> Result<Vec<(Uuid, Vec<u8>)>, StoreError> {
        let mut found: Vec<(Uuid, Vec<u8>)> = Vec::new();
        for waba_id in waba_ids {
            let rows = on_pool!(self, pool => sqlx::query_as::<_, (String, Vec<u8>)>(
                "SELECT w.workspace_id, w.app_secret_encrypted FROM whatsapp_settings w
                 WHERE w.workspace_id IN (SELECT workspace_id FROM senders WHERE waba_id = $1)",
            )
            .bind(waba_id)
            .fetch_all(pool)
            .await)?;
            for (workspace, sealed) in rows {
                let workspace = parse_uuid("workspace id", &workspace)?;
                if !found.iter().any(|(w, _)| *w == workspace) {
                    found.push((workspace, sealed));
                }
            }
        }
        Ok(found)
    }

    /// Every workspace's sealed verify token.
    pub async fn webhook_verify_tokens(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, Vec<u8>>(
                "SELECT verify_token_encrypted FROM whatsapp_settings",
            )
            .fetch_all(pool)
            .await)?)
    }

    /// Records Meta's id of a synced template.
    pub async fn set_meta_template_id(
        &self,
        template_id: Uuid,
        meta_template_id: &str,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query("UPDATE templates SET meta_template_id = $1 WHERE id = $2")
            .bind(meta_template_id)
            .bind(template_id.to_string())
            .execute(pool)
            .await.map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// Disables the workspace's synced templates (those with a Meta id) that the last sync
    /// no longer saw. Returns how many changed.
    pub async fn disable_templates_not_in(
        &self,
        workspace_id: Uuid,
        seen_meta_ids: &[String],
    ) -> Result<Vec<Uuid>, StoreError> {
        let synced = on_pool!(self, pool => sqlx::query_as::<_, (String, String)>(
            "SELECT id, meta_template_id FROM templates
             WHERE workspace_id = $1 AND meta_template_id IS NOT NULL AND status != 'DISABLED'",
        )
        .bind(workspace_id.to_string())
        .fetch_all(pool)
        .await)?;
        let mut gone = Vec::new();
        for (id, meta_id) in synced {
            if !seen_meta_ids.contains(&meta_id) {
                on_pool!(self, pool => sqlx::query(
                    "UPDATE templates SET status = 'DISABLED', updated_at = $1 WHERE id = $2",
                )
                .bind(now_ms())
                .bind(&id)
                .execute(pool)
                .await.map(|done| done.rows_affected()))?;
                gone.push(parse_uuid("template id", &id)?);
            }
        }
        Ok(gone)
    }

    /// Updates a synced number's sender: name, phone, status (active when Meta lists it).
    pub async fn update_cloud_sender(
        &self,
        sender_id: &str,
        name: &str,
        phone: &str,
        status: SenderStatus,
    ) -> Result<bool, StoreError> {
        let changed = on_pool!(self, pool => sqlx::query(
            "UPDATE senders SET name = $1, phone = $2, status = $3, phone_display = $8
             WHERE id = $4 AND (name != $5 OR phone != $6 OR status != $7)",
        )
        .bind(name)
        .bind(phone)
        .bind(enum_str(&status))
        .bind(sender_id)
        .bind(name)
        .bind(phone)
        .bind(enum_str(&status))
        .bind(phone_display(phone))
        .execute(pool)
        .await.map(|done| done.rows_affected()))
        .map_err(|error| unique_or(error, StoreError::SenderPhoneTaken))?;
        Ok(changed > 0)
    }
}
