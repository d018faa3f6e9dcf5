//! Storage of the whatsapp_cloud provider, on the server's [`Store`]: the Cloud API identity
//! of senders (access token sealed with the secret key), what the worker needs to build a
//! message, webhook lookups by WhatsApp message id, template status changes and sync.

use std::collections::BTreeMap;

use engage_core::wire::{MessageStatus, SenderStatus, Template, TemplateStatus};
use sqlx::FromRow;
use uuid::Uuid;

use crate::store::{
    enum_str, now_ms, parse_enum, parse_json, parse_uuid, unique_or, Store, StoreError,
};

use super::PROVIDER_NAME;

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

/// What the worker needs to build a message's Cloud API request.
#[derive(Debug, Clone)]
pub struct DeliveryContext {
    pub variables: BTreeMap<String, String>,
    pub template: Template,
}

#[derive(FromRow)]
struct DeliveryRow {
    variables: String,
    id: String,
    name: String,
    language: String,
    category: String,
    status: String,
    components: String,
    template_variables: String,
}

const CLOUD_COLUMNS: &str = "id, workspace_id, phone, status, phone_number_id, waba_id, access_token_encrypted, rate_per_second";

impl Store {
    pub async fn create_cloud_sender(
        &self,
        sender: NewCloudSender<'_>,
    ) -> Result<Uuid, StoreError> {
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO senders (id, workspace_id, name, phone, status, provider, created_at,
                                  phone_number_id, waba_id, access_token_encrypted, rate_per_second)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(sender.workspace_id.to_string())
        .bind(sender.name)
        .bind(sender.phone)
        .bind(enum_str(&sender.status))
        .bind(PROVIDER_NAME)
        .bind(now_ms())
        .bind(sender.phone_number_id)
        .bind(sender.waba_id)
        .bind(sender.access_token_encrypted)
        .bind(sender.rate_per_second.map(i64::from))
        .execute(self.pool())
        .await
        .map_err(|error| unique_or(error, StoreError::SenderPhoneTaken))?;
        Ok(id)
    }

    /// Whether some sender (of any workspace) already uses this phone number id.
    pub async fn phone_number_id_in_use(&self, phone_number_id: &str) -> Result<bool, StoreError> {
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM senders WHERE phone_number_id = ?")
                .bind(phone_number_id)
                .fetch_one(self.pool())
                .await?
                > 0,
        )
    }

    /// The Cloud API identity of a whatsapp_cloud sender.
    pub async fn cloud_sender(&self, sender_id: &str) -> Result<Option<CloudSender>, StoreError> {
        Ok(sqlx::query_as::<_, CloudSender>(&format!(
            "SELECT {CLOUD_COLUMNS} FROM senders
             WHERE id = ? AND provider = 'whatsapp_cloud' AND phone_number_id IS NOT NULL"
        ))
        .bind(sender_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Every whatsapp_cloud sender of a workspace.
    pub async fn cloud_senders(&self, workspace_id: Uuid) -> Result<Vec<CloudSender>, StoreError> {
        Ok(sqlx::query_as::<_, CloudSender>(&format!(
            "SELECT {CLOUD_COLUMNS} FROM senders
             WHERE workspace_id = ? AND provider = 'whatsapp_cloud' AND phone_number_id IS NOT NULL
             ORDER BY created_at, id"
        ))
        .bind(workspace_id.to_string())
        .fetch_all(self.pool())
        .await?)
    }

    /// The variables of a message and the template of its campaign, as they are now.
    pub async fn delivery_context(
        &self,
        message_id: &str,
    ) -> Result<Option<DeliveryContext>, StoreError> {
        let row = sqlx::query_as::<_, DeliveryRow>(
            "SELECT m.variables, t.id, t.name, t.language, t.category, t.status, t.components,
                    t.variables AS template_variables
             FROM messages m
             JOIN campaigns c ON c.id = m.campaign_id
             JOIN templates t ON t.id = c.template_id
             WHERE m.id = ?",
        )
        .bind(message_id)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(DeliveryContext {
            variables: parse_json("message variables", &row.variables)?,
            template: Template {
                id: parse_uuid("template id", &row.id)?,
                name: row.name,
                language: row.language,
                category: parse_enum("template category", &row.category)?,
                status: parse_enum("template status", &row.status)?,
                components: parse_json("template components", &row.components)?,
                variables: parse_json("template variables", &row.template_variables)?,
            },
        }))
    }

    /// Puts a claimed message back in the queue until `until_ms` without counting the
    /// attempt (it was held back by pacing, not tried).
    pub async fn defer_message(
        &self,
        message_id: &str,
        until_ms: i64,
        code: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE messages SET next_attempt_at = ?, attempts = MAX(attempts - 1, 0),
               lease_until = NULL, error_code = ?, error_message = ?, updated_at = ?
             WHERE id = ? AND status = 'queued'",
        )
        .bind(until_ms)
        .bind(code)
        .bind(reason)
        .bind(now_ms())
        .bind(message_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records Meta's acceptance at once (status `sent`, the WhatsApp message id), so a
    /// status webhook arriving before the worker's batch is recorded finds the message.
    pub async fn record_sent(
        &self,
        message_id: &str,
        provider_message_id: &str,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        sqlx::query(
            "UPDATE messages SET status = 'sent', provider_message_id = ?, sent_at = COALESCE(sent_at, ?),
               error_code = NULL, error_message = NULL, lease_until = NULL, updated_at = ?
             WHERE id = ? AND status = 'queued'",
        )
        .bind(provider_message_id)
        .bind(now)
        .bind(now)
        .bind(message_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Sets (or replaces) the workspace's webhook app secret and verify token (sealed).
    pub async fn set_webhook_settings(
        &self,
        workspace_id: Uuid,
        app_secret_encrypted: &[u8],
        verify_token_encrypted: &[u8],
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO whatsapp_settings (workspace_id, app_secret_encrypted, verify_token_encrypted, updated_at)
             VALUES (?, ?, ?, ?)
             ON CONFLICT (workspace_id) DO UPDATE SET
               app_secret_encrypted = excluded.app_secret_encrypted,
               verify_token_encrypted = excluded.verify_token_encrypted,
               updated_at = excluded.updated_at",
        )
        .bind(workspace_id.to_string())
        .bind(app_secret_encrypted)
        .bind(verify_token_encrypted)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Sealed app secrets of the workspaces whose senders belong to one of `waba_ids`.
    pub async fn webhook_secrets_for_wabas(
        &self,
        waba_ids: &[String],
    ) -> Result<Vec<(Uuid, Vec<u8>)>, StoreError> {
        let mut found: Vec<(Uuid, Vec<u8>)> = Vec::new();
        for waba_id in waba_ids {
            let rows = sqlx::query_as::<_, (String, Vec<u8>)>(
                "SELECT w.workspace_id, w.app_secret_encrypted FROM whatsapp_settings w
                 WHERE w.workspace_id IN (SELECT workspace_id FROM senders WHERE waba_id = ?)",
            )
            .bind(waba_id)
            .fetch_all(self.pool())
            .await?;
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
        Ok(
            sqlx::query_scalar::<_, Vec<u8>>(
                "SELECT verify_token_encrypted FROM whatsapp_settings",
            )
            .fetch_all(self.pool())
            .await?,
        )
    }

    /// The workspace of a message.
    pub async fn message_workspace(&self, message_id: &str) -> Result<Option<Uuid>, StoreError> {
        sqlx::query_scalar::<_, String>("SELECT workspace_id FROM messages WHERE id = ?")
            .bind(message_id)
            .fetch_optional(self.pool())
            .await?
            .map(|w| parse_uuid("workspace id", &w))
            .transpose()
    }

    /// The message (id, status) with this WhatsApp message id.
    pub async fn message_by_provider_id(
        &self,
        provider_message_id: &str,
    ) -> Result<Option<(String, MessageStatus)>, StoreError> {
        let row = sqlx::query_as::<_, (String, String)>(
            "SELECT id, status FROM messages WHERE provider_message_id = ?",
        )
        .bind(provider_message_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|(id, status)| Ok((id, parse_enum("message status", &status)?)))
            .transpose()
    }

    /// Sets the status of the templates a `message_template_status_update` names: by Meta's
    /// id, else by name and language, in the workspaces whose senders belong to `waba_id`.
    /// Returns the campaigns using them (their cached send contexts are stale).
    pub async fn set_template_status_from_meta(
        &self,
        only_workspace: Option<Uuid>,
        waba_id: &str,
        meta_template_id: Option<&str>,
        name: Option<&str>,
        language: Option<&str>,
        status: TemplateStatus,
    ) -> Result<Vec<Uuid>, StoreError> {
        let ids = sqlx::query_scalar::<_, String>(
            "UPDATE templates SET status = ?, updated_at = ?
             WHERE workspace_id IN (SELECT workspace_id FROM senders WHERE waba_id = ?)
               AND (? IS NULL OR workspace_id = ?)
               AND ((? IS NOT NULL AND meta_template_id = ?)
                    OR (meta_template_id IS NULL OR ? IS NULL) AND name = ? AND language = ?)
             RETURNING id",
        )
        .bind(enum_str(&status))
        .bind(now_ms())
        .bind(waba_id)
        .bind(only_workspace.map(|w| w.to_string()))
        .bind(only_workspace.map(|w| w.to_string()))
        .bind(meta_template_id)
        .bind(meta_template_id)
        .bind(meta_template_id)
        .bind(name)
        .bind(language)
        .fetch_all(self.pool())
        .await?;
        let mut campaigns = Vec::new();
        for id in ids {
            for campaign in
                sqlx::query_scalar::<_, String>("SELECT id FROM campaigns WHERE template_id = ?")
                    .bind(&id)
                    .fetch_all(self.pool())
                    .await?
            {
                campaigns.push(parse_uuid("campaign id", &campaign)?);
            }
        }
        Ok(campaigns)
    }

    /// Records Meta's id of a synced template.
    pub async fn set_meta_template_id(
        &self,
        template_id: Uuid,
        meta_template_id: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE templates SET meta_template_id = ? WHERE id = ?")
            .bind(meta_template_id)
            .bind(template_id.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Whether the workspace has a template with this name and language.
    pub async fn template_exists(
        &self,
        workspace_id: Uuid,
        name: &str,
        language: &str,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM templates WHERE workspace_id = ? AND name = ? AND language = ?",
        )
        .bind(workspace_id.to_string())
        .bind(name)
        .bind(language)
        .fetch_one(self.pool())
        .await?
            > 0)
    }

    /// Disables the workspace's synced templates (those with a Meta id) that the last sync
    /// no longer saw. Returns how many changed.
    pub async fn disable_templates_not_in(
        &self,
        workspace_id: Uuid,
        seen_meta_ids: &[String],
    ) -> Result<Vec<Uuid>, StoreError> {
        let synced = sqlx::query_as::<_, (String, String)>(
            "SELECT id, meta_template_id FROM templates
             WHERE workspace_id = ? AND meta_template_id IS NOT NULL AND status != 'DISABLED'",
        )
        .bind(workspace_id.to_string())
        .fetch_all(self.pool())
        .await?;
        let mut gone = Vec::new();
        for (id, meta_id) in synced {
            if !seen_meta_ids.contains(&meta_id) {
                sqlx::query(
                    "UPDATE templates SET status = 'DISABLED', updated_at = ? WHERE id = ?",
                )
                .bind(now_ms())
                .bind(&id)
                .execute(self.pool())
                .await?;
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
        let changed = sqlx::query(
            "UPDATE senders SET name = ?, phone = ?, status = ?
             WHERE id = ? AND (name != ? OR phone != ? OR status != ?)",
        )
        .bind(name)
        .bind(phone)
        .bind(enum_str(&status))
        .bind(sender_id)
        .bind(name)
        .bind(phone)
        .bind(enum_str(&status))
        .execute(self.pool())
        .await
        .map_err(|error| unique_or(error, StoreError::SenderPhoneTaken))?;
        Ok(changed.rows_affected() > 0)
    }
}
