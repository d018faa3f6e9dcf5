//! The audit log: who did what, when, from which address, with the values before and after.
//!
//! Append-only. This module has an `INSERT` and a `SELECT` and nothing else, and the schema's
//! triggers refuse `UPDATE` and `DELETE` on the table. Store functions that change something
//! take an [`AuditContext`] and write their entry with [`record_in`] inside their own
//! transaction, so a change and its entry are committed together or not at all.

use engage_core::wire::{AuditActor, AuditActorKind, AuditEntry, AuditPage};
use engage_core::AuditAction;
use serde_json::Value;
use sqlx::FromRow;
use uuid::Uuid;

use super::{enum_str, from_millis, on_pool, on_tx, parse_enum, parse_uuid, Store, StoreError, Tx};

/// Who acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in staff member.
    User { id: Uuid, email: String },
    /// An API client (client-credentials token).
    ApiClient { id: Uuid, name: String },
    /// Nobody signed in yet (a sign-in attempt, an invitation being accepted): the email given.
    Anonymous { email: String },
}

/// Who acts, in which workspace, from which address: what every change is recorded with.
#[derive(Debug, Clone)]
pub struct AuditContext {
    pub workspace_id: Option<Uuid>,
    pub actor: Actor,
    pub address: Option<String>,
}

impl AuditContext {
    /// Changes made by the server's own tools (the command line, seeding, benchmarks).
    pub fn system(workspace_id: Uuid, label: &str) -> Self {
        AuditContext {
            workspace_id: Some(workspace_id),
            actor: Actor::Anonymous {
                email: label.to_owned(),
            },
            address: None,
        }
    }
}

/// One entry to append.
#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    pub action: AuditAction,
    pub campaign_id: Option<Uuid>,
    pub target: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl NewAuditEntry {
    pub fn new(action: AuditAction) -> Self {
        NewAuditEntry {
            action,
            campaign_id: None,
            target: None,
            before: None,
            after: None,
        }
    }

    #[must_use]
    pub fn campaign(mut self, id: Uuid, name: &str) -> Self {
        self.campaign_id = Some(id);
        self.target = Some(name.to_owned());
        self
    }

    #[must_use]
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    #[must_use]
    pub fn change(mut self, before: Option<Value>, after: Option<Value>) -> Self {
        self.before = before;
        self.after = after;
        self
    }
}

/// Appends `entry` by `context` inside the transaction of the change it describes.
pub(crate) async fn record_in(
    tx: &mut Tx,
    context: &AuditContext,
    entry: &NewAuditEntry,
) -> Result<(), StoreError> {
    let (user, client, label) = match &context.actor {
        Actor::User { id, email } => (Some(id.to_string()), None, email.clone()),
        Actor::ApiClient { id, name } => (None, Some(id.to_string()), name.clone()),
        Actor::Anonymous { email } => (None, None, email.clone()),
    };
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO audit_log (id, workspace_id, at, actor_user_id, actor_api_client_id, actor_label,
                                action, campaign_id, target, address, before_value, after_value)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(context.workspace_id.map(|id| id.to_string()))
    .bind(super::now_ms())
    .bind(user.as_deref())
    .bind(client.as_deref())
    .bind(&label)
    .bind(enum_str(&entry.action))
    .bind(entry.campaign_id.map(|id| id.to_string()))
    .bind(entry.target.as_deref())
    .bind(context.address.as_deref())
    .bind(entry.before.as_ref().map(Value::to_string))
    .bind(entry.after.as_ref().map(Value::to_string))
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// `GET /v1/audit` filters; all optional. Times are Unix milliseconds, `to` exclusive.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_user_id: Option<Uuid>,
    pub action: Option<AuditAction>,
    pub campaign_id: Option<Uuid>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Entries older than this entry (the previous page's `next_cursor`).
    pub before_id: Option<Uuid>,
}

#[derive(FromRow)]
struct AuditRow {
    id: String,
    at: i64,
    actor_user_id: Option<String>,
    actor_api_client_id: Option<String>,
    actor_label: String,
    action: String,
    campaign_id: Option<String>,
    target: Option<String>,
    address: Option<String>,
    before_value: Option<String>,
    after_value: Option<String>,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = StoreError;
    fn try_from(row: AuditRow) -> Result<Self, StoreError> {
        let (kind, id) = match (row.actor_user_id, row.actor_api_client_id) {
            (Some(user), _) => (AuditActorKind::User, Some(parse_uuid("actor id", &user)?)),
            (None, Some(client)) => (
                AuditActorKind::ApiClient,
                Some(parse_uuid("actor id", &client)?),
            ),
            (None, None) => (AuditActorKind::Anonymous, None),
        };
        let json = |text: Option<String>| {
            text.map(|text| super::parse_json::<Value>("audit value", &text))
                .transpose()
        };
        Ok(AuditEntry {
            id: parse_uuid("audit entry id", &row.id)?,
            at: from_millis(row.at),
            actor: AuditActor {
                kind,
                id,
                label: row.actor_label,
            },
            action: parse_enum("audit action", &row.action)?,
            campaign_id: row
                .campaign_id
                .map(|id| parse_uuid("campaign id", &id))
                .transpose()?,
            target: row.target,
            address: row.address,
            before: json(row.before_value)?,
            after: json(row.after_value)?,
        })
    }
}

impl Store {
    /// Appends one entry on its own (a read of a secret, a refused sign-in).
    pub async fn record_audit(
        &self,
        context: &AuditContext,
        entry: &NewAuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        record_in(&mut tx, context, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The workspace's entries matching `filter`, newest first, at most `limit`.
    pub async fn audit_entries(
        &self,
        workspace_id: Uuid,
        filter: &AuditFilter,
        limit: u32,
    ) -> Result<AuditPage, StoreError> {
        // A cursor is an entry id; ids are UUIDv7, so their order is the order of writing.
        let rows = on_pool!(self, pool => sqlx::query_as::<_, AuditRow>(
            "SELECT id, at, actor_user_id, actor_api_client_id, actor_label, action, campaign_id,
                    target, address, before_value, after_value
             FROM audit_log
             WHERE workspace_id = $1
               AND ($2 IS NULL OR actor_user_id = $2)
               AND ($3 IS NULL OR action = $3)
               AND ($4 IS NULL OR campaign_id = $4)
               AND ($5 IS NULL OR at >= $5)
               AND ($6 IS NULL OR at < $6)
               AND ($7 IS NULL OR id < $7)
             ORDER BY id DESC
             LIMIT $8",
        )
        .bind(workspace_id.to_string())
        .bind(filter.actor_user_id.map(|id| id.to_string()))
        .bind(filter.action.map(|action| enum_str(&action)))
        .bind(filter.campaign_id.map(|id| id.to_string()))
        .bind(filter.from_ms)
        .bind(filter.to_ms)
        .bind(filter.before_id.map(|id| id.to_string()))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await)?;
        let items = rows
            .into_iter()
            .map(AuditEntry::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = (items.len() == limit as usize)
            .then(|| items.last().map(|entry| entry.id.to_string()))
            .flatten();
        Ok(AuditPage { items, next_cursor })
    }
}
