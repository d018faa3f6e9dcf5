use std::collections::HashMap;

use engage_core::wire::{
    Campaign, CampaignStatus, CampaignType, CapUnit, FrequencyCap, Sender, Template,
};
use sqlx::FromRow;
use uuid::Uuid;

use engage_core::AuditAction;
use serde_json::json;

use super::audit::{record_in, AuditContext, NewAuditEntry};
use super::stats::CampaignActivity;
use super::{
    enum_str, from_millis, now_ms, on_pool, on_tx, parse_enum, parse_uuid, unique_or, Backend,
    Store, StoreError,
};

pub struct NewCampaign<'a> {
    pub workspace_id: Uuid,
    pub name: &'a str,
    pub name_key: &'a str,
    pub campaign_type: CampaignType,
    pub sender_id: Uuid,
    pub template_id: Uuid,
    pub frequency_cap: Option<FrequencyCap>,
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
    pub frequency_cap: Option<FrequencyCap>,
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
    frequency_cap_max: Option<i64>,
    frequency_cap_period: Option<i64>,
    frequency_cap_unit: Option<String>,
}

/// The cap stored in the three `frequency_cap_*` columns (all set, or none).
fn frequency_cap(
    max: Option<i64>,
    period: Option<i64>,
    unit: Option<&str>,
) -> Result<Option<FrequencyCap>, StoreError> {
    let (Some(max), Some(period), Some(unit)) = (max, period, unit) else {
        return Ok(None);
    };
    let corrupt = || StoreError::Corrupt {
        what: "campaign",
        detail: format!("frequency cap out of range: {max} per {period} {unit}"),
    };
    Ok(Some(FrequencyCap {
        max_messages: u32::try_from(max).map_err(|_| corrupt())?,
        period: u32::try_from(period).map_err(|_| corrupt())?,
        unit: parse_enum::<CapUnit>("frequency cap unit", unit)?,
    }))
}

/// The three `frequency_cap_*` column values of `cap`.
fn cap_columns(cap: Option<&FrequencyCap>) -> (Option<i64>, Option<i64>, Option<String>) {
    match cap {
        Some(cap) => (
            Some(i64::from(cap.max_messages)),
            Some(i64::from(cap.period)),
            Some(enum_str(&cap.unit)),
        ),
        None => (None, None, None),
    }
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
            frequency_cap: frequency_cap(
                row.frequency_cap_max,
                row.frequency_cap_period,
                row.frequency_cap_unit.as_deref(),
            )?,
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
    pub frequency_cap: Option<FrequencyCap>,
}

const COLUMNS: &str = "id, name, type, status, sender_id, template_id, created_at, updated_at, \
                       frequency_cap_max, frequency_cap_period, frequency_cap_unit";

/// The campaign list's "sent in the last 7 days" window.
const ACTIVITY_WINDOW_MS: i64 = 7 * 24 * 60 * 60 * 1000;

fn assemble(
    record: CampaignRecord,
    sender: Sender,
    template: Template,
    activity: CampaignActivity,
) -> Campaign {
    Campaign {
        id: record.id,
        name: record.name,
        campaign_type: record.campaign_type,
        status: record.status,
        sender,
        template,
        created_at: from_millis(record.created_at),
        updated_at: from_millis(record.updated_at),
        sent_last_7_days: activity.sent_last_7_days,
        last_sent_at: activity.last_sent_at,
        frequency_cap: record.frequency_cap,
    }
}

impl Store {
    /// Inserts a campaign with its audit entry (one transaction). A name whose key is taken
    /// in the workspace (also by a concurrent insert) fails with
    /// [`StoreError::CampaignNameTaken`].
    pub async fn create_campaign(
        &self,
        campaign: NewCampaign<'_>,
        context: &AuditContext,
    ) -> Result<Uuid, StoreError> {
        self.create_campaign_with_clients(campaign, |_| Vec::new(), context)
            .await
    }

    /// Inserts a campaign, its own API clients (`clients` is given the new campaign's id) and
    /// its audit entry in one transaction.
    pub async fn create_campaign_with_clients(
        &self,
        campaign: NewCampaign<'_>,
        clients: impl FnOnce(Uuid) -> Vec<super::NewApiClient>,
        context: &AuditContext,
    ) -> Result<Uuid, StoreError> {
        let id = Uuid::now_v7();
        let now = now_ms();
        let (cap_max, cap_period, cap_unit) = cap_columns(campaign.frequency_cap.as_ref());
        let mut tx = self.begin_write().await?;
        on_tx!(&mut tx, conn => sqlx::query(
            "INSERT INTO campaigns (id, workspace_id, name, name_key, type, status, sender_id, template_id, created_at, updated_at,
                                    frequency_cap_max, frequency_cap_period, frequency_cap_unit)
             VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $8, $9, $10, $11, $12)",
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
        .bind(cap_max)
        .bind(cap_period)
        .bind(cap_unit.as_deref())
        .execute(&mut *conn)
        .await.map(|done| done.rows_affected()))
        .map_err(map_name_conflict)?;
        for client in clients(id) {
            super::api_clients::insert_api_client(&mut tx, &client).await?;
        }
        let entry = NewAuditEntry::new(AuditAction::CampaignCreated)
            .campaign(id, campaign.name)
            .change(
                None,
                Some(json!({
                    "name": campaign.name,
                    "status": CampaignStatus::Active,
                    "sender_id": campaign.sender_id,
                    "template_id": campaign.template_id,
                    "frequency_cap": campaign.frequency_cap,
                })),
            );
        record_in(&mut tx, context, &entry).await?;
        tx.commit().await?;
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

    /// The campaign's name, when it is in the workspace.
    pub async fn campaign_name(
        &self,
        workspace_id: Uuid,
        id: Uuid,
    ) -> Result<Option<String>, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, String>(
            "SELECT name FROM campaigns WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace_id.to_string())
        .bind(id.to_string())
        .fetch_optional(pool)
        .await)?)
    }

    /// Every campaign's id and name, newest first.
    pub async fn campaign_names(
        &self,
        workspace_id: Uuid,
    ) -> Result<Vec<(Uuid, String)>, StoreError> {
        let rows: Vec<(String, String)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, name FROM campaigns WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(workspace_id.to_string())
        .fetch_all(pool)
        .await)?;
        rows.into_iter()
            .map(|(id, name)| Ok((parse_uuid("campaign id", &id)?, name)))
            .collect()
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

    /// Renames, changes the status and/or sets or removes the frequency cap (`Some(None)`),
    /// recording each change with its values before and after (one transaction).
    /// `Ok(false)` when the campaign is not in the workspace.
    pub async fn update_campaign(
        &self,
        workspace_id: Uuid,
        id: Uuid,
        name: Option<(&str, &str)>,
        status: Option<CampaignStatus>,
        frequency_cap: Option<Option<FrequencyCap>>,
        context: &AuditContext,
    ) -> Result<bool, StoreError> {
        type Before = (String, String, Option<i64>, Option<i64>, Option<String>);
        let mut tx = self.begin_write().await?;
        let before: Option<Before> = on_tx!(&mut tx, conn => sqlx::query_as(
            "SELECT name, status, frequency_cap_max, frequency_cap_period, frequency_cap_unit
             FROM campaigns WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace_id.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await)?;
        let Some((old_name, old_status, old_max, old_period, old_unit)) = before else {
            return Ok(false);
        };
        let old_status: CampaignStatus = parse_enum("campaign status", &old_status)?;
        let old_cap = self::frequency_cap(old_max, old_period, old_unit.as_deref())?;
        let new_cap = frequency_cap.unwrap_or(old_cap);
        let (cap_max, cap_period, cap_unit) = cap_columns(new_cap.as_ref());
        let result = on_tx!(&mut tx, conn => sqlx::query(
            "UPDATE campaigns SET
               name = COALESCE($1, name), name_key = COALESCE($2, name_key),
               status = COALESCE($3, status), updated_at = $4,
               frequency_cap_max = $7, frequency_cap_period = $8, frequency_cap_unit = $9
             WHERE workspace_id = $5 AND id = $6",
        )
        .bind(name.map(|(name, _)| name))
        .bind(name.map(|(_, key)| key))
        .bind(status.map(|status| enum_str(&status)))
        .bind(now_ms())
        .bind(workspace_id.to_string())
        .bind(id.to_string())
        .bind(cap_max)
        .bind(cap_period)
        .bind(cap_unit.as_deref())
        .execute(&mut *conn)
        .await.map(|done| done.rows_affected()))
        .map_err(map_name_conflict)?;
        let new_name = name.map_or(old_name.as_str(), |(name, _)| name);
        if new_name != old_name {
            let entry = NewAuditEntry::new(AuditAction::CampaignRenamed)
                .campaign(id, new_name)
                .change(
                    Some(json!({ "name": old_name })),
                    Some(json!({ "name": new_name })),
                );
            record_in(&mut tx, context, &entry).await?;
        }
        if let Some(new_status) = status.filter(|status| *status != old_status) {
            let action = match new_status {
                CampaignStatus::Active => AuditAction::CampaignActivated,
                CampaignStatus::Inactive => AuditAction::CampaignDeactivated,
            };
            let entry = NewAuditEntry::new(action).campaign(id, new_name).change(
                Some(json!({ "status": old_status })),
                Some(json!({ "status": new_status })),
            );
            record_in(&mut tx, context, &entry).await?;
        }
        if new_cap != old_cap {
            let entry = NewAuditEntry::new(AuditAction::CampaignFrequencyCapChanged)
                .campaign(id, new_name)
                .change(
                    Some(json!({ "frequency_cap": old_cap })),
                    Some(json!({ "frequency_cap": new_cap })),
                );
            record_in(&mut tx, context, &entry).await?;
        }
        tx.commit().await?;
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
        let activity = self
            .campaign_activity(workspace_id, Some(id), now_ms() - ACTIVITY_WINDOW_MS)
            .await?
            .remove(&id)
            .unwrap_or_default();
        match (sender, template) {
            (Some(sender), Some(template)) => {
                Ok(Some(assemble(record, sender, template, activity)))
            }
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
        let activity = self
            .campaign_activity(workspace_id, None, now_ms() - ACTIVITY_WINDOW_MS)
            .await?;
        rows.into_iter()
            .map(|row| {
                let record = CampaignRecord::try_from(row)?;
                let sender = senders.get(&record.sender_id).cloned();
                let template = templates.get(&record.template_id).cloned();
                let activity = activity.get(&record.id).copied().unwrap_or_default();
                match (sender, template) {
                    (Some(sender), Some(template)) => {
                        Ok(assemble(record, sender, template, activity))
                    }
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
        type Row = (
            String,
            String,
            String,
            String,
            String,
            Option<i64>,
            Option<i64>,
            Option<String>,
        );
        let base = on_pool!(self, pool => sqlx::query_as::<_, Row>(
            "SELECT c.workspace_id, c.status, c.sender_id, s.status, c.template_id,
                    c.frequency_cap_max, c.frequency_cap_period, c.frequency_cap_unit
             FROM campaigns c JOIN senders s ON s.id = c.sender_id WHERE c.id = $1",
        )
        .bind(campaign_id.to_string())
        .fetch_optional(pool)
        .await)?;
        let Some((
            workspace_id,
            status,
            sender_id,
            sender_status,
            template_id,
            cap_max,
            cap_period,
            cap_unit,
        )) = base
        else {
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
            frequency_cap: frequency_cap(cap_max, cap_period, cap_unit.as_deref())?,
        }))
    }
}

fn map_name_conflict(error: sqlx::Error) -> StoreError {
    unique_or(error, StoreError::CampaignNameTaken)
}

impl Store {
    /// The workspace a campaign belongs to (admin commands that take only a campaign id).
    pub async fn campaign_workspace(&self, id: Uuid) -> Result<Option<Uuid>, StoreError> {
        let workspace = on_pool!(self, pool => sqlx::query_scalar::<_, String>(
            "SELECT workspace_id FROM campaigns WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(pool)
            .await)?;
        workspace
            .as_deref()
            .map(|id| super::parse_uuid("campaigns.workspace_id", id))
            .transpose()
    }
}
