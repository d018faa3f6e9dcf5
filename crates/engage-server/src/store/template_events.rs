//! Meta's template notifications (status, quality, category): finding the templates one
//! names — by Meta's id first, then by name and language with the language normalised
//! (`en-US` = `en_US`, any letter case) — and recording it with what it changed, in one
//! transaction. An event that names no template is recorded as `unmatched`.

use engage_core::wire::{TemplateCategory, TemplateChange, TemplateQuality, TemplateStatus};
use serde::Serialize;
use uuid::Uuid;

use super::templates::TemplateState;
use super::{enum_str, now_ms, on_pool, on_tx, parse_uuid, to_json, Store, StoreError};

/// `en-US`, `EN_us` → `en_us`: the form two language codes are compared in.
pub fn normalise_language(code: &str) -> String {
    code.trim().replace('-', "_").to_ascii_lowercase()
}

/// Which templates an event names.
#[derive(Debug, Clone, Copy)]
pub struct TemplateEventTarget<'a> {
    /// Only this workspace's templates (the event was signed with its own secret).
    pub only_workspace: Option<Uuid>,
    /// `entry[].id`: templates of workspaces whose senders belong to this account.
    pub waba_id: &'a str,
    pub meta_template_id: Option<&'a str>,
    pub name: Option<&'a str>,
    pub language: Option<&'a str>,
}

/// What an event changes on one template (`None`: unchanged).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateUpdate {
    pub status: Option<TemplateStatus>,
    pub quality: Option<TemplateQuality>,
    pub category: Option<TemplateCategory>,
    pub last_change: Option<TemplateChange>,
    /// Meta's id, learnt from an event that matched by name.
    pub meta_id: Option<String>,
}

impl TemplateUpdate {
    pub fn is_empty(&self) -> bool {
        *self == TemplateUpdate::default()
    }
}

/// What became of a recorded event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateEventOutcome {
    Applied,
    /// It named templates, but they already were as it says.
    Unchanged,
    /// It named no template Engage knows.
    Unmatched,
}

/// One notification to record.
pub struct TemplateEventRecord<'a> {
    /// `message_template_status_update`, `message_template_quality_update`, `template_category_update`.
    pub field: &'a str,
    pub target: TemplateEventTarget<'a>,
    /// Meta's event, new quality or new category, as sent.
    pub event: Option<&'a str>,
    /// The change's `value`, as Meta sent it.
    pub payload: &'a serde_json::Value,
}

const STATE: &str =
    "SELECT id, workspace_id, status, category, quality, meta_template_id FROM templates";

impl Store {
    /// The templates `target` names: those with Meta's id; when none has it, those with the
    /// name and (normalised) language that have no other Meta id.
    pub async fn templates_named_by_event(
        &self,
        target: TemplateEventTarget<'_>,
    ) -> Result<Vec<TemplateState>, StoreError> {
        let scope = "workspace_id IN (SELECT workspace_id FROM senders WHERE waba_id = $1)
                     AND ($2 IS NULL OR workspace_id = $3)";
        let workspace = target.only_workspace.map(|w| w.to_string());
        if let Some(meta_id) = target.meta_template_id {
            let found = on_pool!(self, pool => sqlx::query_as::<_, TemplateState>(&format!(
                "{STATE} WHERE {scope} AND meta_template_id = $4 ORDER BY id"
            ))
            .bind(target.waba_id)
            .bind(workspace.as_deref())
            .bind(workspace.as_deref())
            .bind(meta_id)
            .fetch_all(pool)
            .await)?;
            if !found.is_empty() {
                return Ok(found);
            }
        }
        let (Some(name), Some(language)) = (target.name, target.language) else {
            return Ok(Vec::new());
        };
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, TemplateState>(&format!(
            "{STATE} WHERE {scope} AND name = $4 AND lower(replace(language, '-', '_')) = $5
               AND ($6 IS NULL OR meta_template_id IS NULL OR meta_template_id = $7)
             ORDER BY id"
        ))
        .bind(target.waba_id)
        .bind(workspace.as_deref())
        .bind(workspace.as_deref())
        .bind(name)
        .bind(normalise_language(language))
        .bind(target.meta_template_id)
        .bind(target.meta_template_id)
        .fetch_all(pool)
        .await)?,
        )
    }

    /// Applies `updates` (template id, update) and records the event with its outcome, in
    /// one transaction. Returns the outcome and the campaigns of the changed templates.
    pub async fn record_template_event(
        &self,
        record: TemplateEventRecord<'_>,
        matched: &[String],
        updates: &[(String, TemplateUpdate)],
    ) -> Result<(TemplateEventOutcome, Vec<Uuid>), StoreError> {
        let now = now_ms();
        let outcome = match (
            matched.is_empty(),
            updates.iter().all(|(_, u)| u.is_empty()),
        ) {
            (true, _) => TemplateEventOutcome::Unmatched,
            (false, true) => TemplateEventOutcome::Unchanged,
            (false, false) => TemplateEventOutcome::Applied,
        };
        let mut tx = self.begin().await?;
        let mut campaigns = Vec::new();
        for (id, update) in updates.iter().filter(|(_, u)| !u.is_empty()) {
            on_tx!(&mut tx, conn => sqlx::query(
                "UPDATE templates SET status = COALESCE($1, status), quality = COALESCE($2, quality),
                   category = COALESCE($3, category), last_change = COALESCE($4, last_change),
                   meta_template_id = COALESCE(meta_template_id, $5), updated_at = $6
                 WHERE id = $7",
            )
            .bind(update.status.map(|s| enum_str(&s)))
            .bind(update.quality.map(|q| enum_str(&q)))
            .bind(update.category.map(|c| enum_str(&c)))
            .bind(update.last_change.as_ref().map(to_json))
            .bind(update.meta_id.as_deref())
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected()))?;
            let using = on_tx!(&mut tx, conn => sqlx::query_scalar::<_, String>(
                "SELECT id FROM campaigns WHERE template_id = $1",
            )
            .bind(id)
            .fetch_all(&mut *conn)
            .await)?;
            for campaign in using {
                campaigns.push(parse_uuid("campaign id", &campaign)?);
            }
        }
        let target = record.target;
        on_tx!(&mut tx, conn => sqlx::query(
            "INSERT INTO template_events (id, received_at, field, waba_id, meta_template_id, template_name,
               template_language, event, outcome, template_ids, payload)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(now)
        .bind(record.field)
        .bind(target.waba_id)
        .bind(target.meta_template_id)
        .bind(target.name)
        .bind(target.language)
        .bind(record.event)
        .bind(enum_str(&outcome))
        .bind(to_json(&matched))
        .bind(to_json(record.payload))
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected()))?;
        tx.commit().await?;
        Ok((outcome, campaigns))
    }

    /// The recorded template events, oldest first: (field, event, outcome, template ids).
    pub async fn template_events(
        &self,
    ) -> Result<Vec<(String, Option<String>, String, String)>, StoreError> {
        Ok(
            on_pool!(self, pool => sqlx::query_as::<_, (String, Option<String>, String, String)>(
            "SELECT field, event, outcome, template_ids FROM template_events ORDER BY received_at, id",
        )
        .fetch_all(pool)
        .await)?,
        )
    }
}
