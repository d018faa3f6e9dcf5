use std::collections::HashMap;

use engage_core::wire::{Campaign, CampaignStatus, CampaignType, Sender, Template};
use sqlx::FromRow;
use uuid::Uuid;

use super::{
    enum_str, from_millis, now_ms, on_pool, parse_enum, parse_uuid, unique_or, Backend, Store,
    StoreError,
};

pub struct NewCampaign<'a> {
    pub workspace_id: Uuid,
    pub name: &'a str,
    pub name_key: &'a str,
    pub campaign_type: CampaignType,
    pub sender_id: Uuid,
    pub template_id: Uuid,
}

#[derive(Debug, Clone)]
pub struct CampaignRecord {
    pub id: Uuid,
    pub name: String,
    pub campaign_type: CampaignType,
    pub status: CampaignStatus,
    pub sender_id: Uuid,
    pub template_id: Uuid,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(FromRow)]
struct CampaignRow {
    id: String,
    name: String,
    #[sqlx(rename = "type")]
    campaign_type: String,
    status: String,
    sender_id: String,
    template_id: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<CampaignRow> for CampaignRecord {
    type Error = StoreError;
    fn try_from(row: CampaignRow) -> Result<Self, StoreError> {
        Ok(CampaignRecord {
            id: parse_uuid("campaign id", &row.id)?,
            name: row.name,
            campaign_type: parse_enum("campaign type", &row.campaign_type)?,
            status: parse_enum("campaign status", &row.status)?,
            sender_id: parse_uuid("sender id", &row.sender_id)?,
            template_id: parse_uuid("template id", &row.template_id)?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// `GET /v1/campaigns` filters.
#[derive(Debug, Clone, Default)]
pub struct CampaignFilter {
    pub campaign_type: Option<CampaignType>,
    /// Case-insensitive text contained in the name (compared on the uniqueness key).
    pub query_key: Option<String>,
}

/// What the send endpoint needs about a campaign, in one read.
#[derive(Debug, Clone)]
pub struct SendTarget {
    pub campaign_id: Uuid,
    pub workspace_id: Uuid,
    pub status: CampaignStatus,
    pub sender_id: Uuid,
    pub sender_active: bool,
    pub template: Template,
}

const COLUMNS: &str = "id, name, type, status, sender_id, template_id, created_at, updated_at";

fn assemble(record: CampaignRecord, sender: Sender, template: Template) -> Campaign {
    Campaign {
        id: record.id,
        name: record.name,
        campaign_type: record.campaign_type,
        status: record.status,
        sender,
        template,
        created_at: from_millis(record.created_at),
        updated_at: from_millis(record.updated_at),
    }
}

impl Store {
    /// Inserts a campaign. A name whose key is taken in the workspace (also by a concurrent
    /// insert) fails with [`StoreError::CampaignNameTaken`].
    pub async fn create_campaign(&self, campaign: NewCampaign<'_>) -> Result<Uuid, StoreError> {
        let id = Uuid::now_v7();
        let now = now_ms();
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO campaigns (id, workspace_id, name, name_key, type, status, sender_id, template_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(campaign.workspace_id.to_string())
        .bind(campaign.name)
        .bind(campaign.name_key)
        .bind(enum_str(&campaign.campaign_type))
        .bind(campaign.sender_id.to_string())
        .bind(campaign.template_id.to_string())
        .bind(now)
        .bind(now)
        .execute(pool)
        .await.map(|done| done.rows_affected()))
        .map_err(map_name_conflict)?;
        Ok(id)
    }

    pub async fn name_key_taken(
        &self,
        workspace_id: Uuid,
        name_key: &str,
        except: Option<Uuid>,
    ) -> Result<bool, StoreError> {
        let found = on_pool!(self, pool => sqlx::query_scalar::<_, String>(
            "SELECT id FROM campaigns WHERE workspace_id = $1 AND name_key = $2",
        )
        .bind(workspace_id.to_string())
        .bind(name_key)
        .fetch_optional(pool)
        .await)?;
        Ok(match found {
            Some(id) => Some(id) != except.map(|e| e.to_string()),
            None => false,
        })
    }

    pub async fn campaign_exists(&self, workspace_id: Uuid, id: Uuid) -> Result<bool, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, String>(
            "SELECT id FROM campaigns WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace_id.to_string())
        .bind(id.to_string())
        .fetch_optional(pool)
        .await)?
        .is_some())
    }

    /// Renames and/or changes the status. `Ok(false)` when the campaign is not in the workspace.
    pub async fn update_campaign(
        &self,
        workspace_id: Uuid,
        id: Uuid,
        name: Option<(&str, &str)>,
        status: Option<CampaignStatus>,
    ) -> Result<bool, StoreError> {
        let result = on_pool!(self, pool => sqlx::query(
            "UPDATE campaigns SET
               name = COALESCE($1, name), name_key = COALESCE($2, name_key),
               status = COALESCE($3, status), updated_at = $4
             WHERE workspace_id = $5 AND id = $6",
        )
        .bind(name.map(|(name, _)| name))
        .bind(name.map(|(_, key)| key))
        .bind(status.map(|status| enum_str(&status)))
        .bind(now_ms())
        .bind(workspace_id.to_string())
        .bind(id.to_string())
        .execute(pool)
        .await.map(|done| done.rows_affected()))
        .map_err(map_name_conflict)?;
        Ok(result == 1)
    }

    pub async fn campaign(
        &self,
        workspace_id: Uuid,
        id: Uuid,
    ) -> Result<Option<Campaign>, StoreError> {
        let row = on_pool!(self, pool => sqlx::query_as::<_, CampaignRow>(&format!(
            "SELECT {COLUMNS} FROM campaigns WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(workspace_id.to_string())
        .bind(id.to_string())
        .fetch_optional(pool)
        .await)?;
        let Some(row) = row else { return Ok(None) };
        let record = CampaignRecord::try_from(row)?;
        let sender = self.sender(workspace_id, record.sender_id).await?;
        let template = self.template(workspace_id, record.template_id).await?;
        match (sender, template) {
            (Some(sender), Some(template)) => Ok(Some(assemble(record, sender, template))),
            _ => Err(StoreError::Corrupt {
                what: "campaign",
                detail: format!("campaign {id} refers to a missing sender or template"),
            }),
        }
    }

    /// Campaigns of the workspace, newest first.
    pub async fn list_campaigns(
        &self,
        workspace_id: Uuid,
        filter: &CampaignFilter,
    ) -> Result<Vec<Campaign>, StoreError> {
        // Substring search on the name key: `instr` in SQLite, `strpos` in PostgreSQL.
        let contains = match self.backend() {
            Backend::Sqlite => "instr(name_key, $5) > 0",
            Backend::Postgres => "strpos(name_key, $5) > 0",
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM campaigns
             WHERE workspace_id = $1 AND ($2 IS NULL OR type = $3) AND ($4 IS NULL OR {contains})
             ORDER BY created_at DESC, id DESC"
        );
        let rows = on_pool!(self, pool => sqlx::query_as::<_, CampaignRow>(&sql)
            .bind(workspace_id.to_string())
            .bind(filter.campaign_type.map(|t| enum_str(&t)))
            .bind(filter.campaign_type.map(|t| enum_str(&t)))
            .bind(filter.query_key.as_deref())
            .bind(filter.query_key.as_deref())
            .fetch_all(pool)
            .await)?;
        let senders: HashMap<Uuid, Sender> = self
            .list_senders(workspace_id, true)
            .await?
            .into_iter()
            .map(|sender| (sender.id, sender))
            .collect();
        let templates: HashMap<Uuid, Template> = self
            .list_templates(workspace_id, true)
            .await?
            .into_iter()
            .map(|template| (template.id, template))
            .collect();
        rows.into_iter()
            .map(|row| {
                let record = CampaignRecord::try_from(row)?;
                let sender = senders.get(&record.sender_id).cloned();
                let template = templates.get(&record.template_id).cloned();
                match (sender, template) {
                    (Some(sender), Some(template)) => Ok(assemble(record, sender, template)),
                    _ => Err(StoreError::Corrupt {
                        what: "campaign",
                        detail: format!(
                            "campaign {} refers to a missing sender or template",
                            record.id
                        ),
                    }),
                }
            })
            .collect()
    }

    /// The campaign with its sender status and template, whatever the workspace (the caller
    /// checks the workspace so that another workspace's campaign looks unknown).
    pub async fn send_target(&self, campaign_id: Uuid) -> Result<Option<SendTarget>, StoreError> {
        let base = on_pool!(self, pool => sqlx::query_as::<_, (String, String, String, String, String)>(
            "SELECT c.workspace_id, c.status, c.sender_id, s.status, c.template_id
             FROM campaigns c JOIN senders s ON s.id = c.sender_id WHERE c.id = $1",
        )
        .bind(campaign_id.to_string())
        .fetch_optional(pool)
        .await)?;
        let Some((workspace_id, status, sender_id, sender_status, template_id)) = base else {
            return Ok(None);
        };
        let workspace_id = parse_uuid("workspace id", &workspace_id)?;
        let template = self
            .template(workspace_id, parse_uuid("template id", &template_id)?)
            .await?
            .ok_or_else(|| StoreError::Corrupt {
                what: "campaign",
                detail: format!("campaign {campaign_id} refers to a missing template"),
            })?;
        Ok(Some(SendTarget {
            campaign_id,
            workspace_id,
            status: parse_enum("campaign status", &status)?,
            sender_id: parse_uuid("sender id", &sender_id)?,
            sender_active: sender_status == "active",
            template,
        }))
    }
}

fn map_name_conflict(error: sqlx::Error) -> StoreError {
    unique_or(error, StoreError::CampaignNameTaken)
}
