//! The durable message queue: inserts (through [`super::writer`]), reads for the API, and the
//! worker's claim / status updates.

use engage_core::wire::{Message, MessageError, MessageStatus};
use sqlx::{FromRow, QueryBuilder, Sqlite, SqliteConnection};
use uuid::Uuid;

use super::{enum_str, from_millis, now_ms, parse_enum, parse_json, parse_uuid, Store, StoreError};

/// A message to enqueue (status `queued`).
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub campaign_id: Uuid,
    pub sender_id: Uuid,
    /// E.164.
    pub to: String,
    /// The request's variables, as JSON.
    pub variables: String,
    /// `wire::RenderedMessage` as JSON.
    pub rendered: String,
    pub text: String,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct MessageRecord {
    pub workspace_id: Uuid,
    pub message: Message,
}

#[derive(FromRow)]
struct MessageRow {
    id: String,
    workspace_id: String,
    campaign_id: String,
    to_phone: String,
    status: String,
    rendered: String,
    text: String,
    error_code: Option<String>,
    error_message: Option<String>,
    created_at: i64,
    updated_at: i64,
    sent_at: Option<i64>,
    delivered_at: Option<i64>,
    read_at: Option<i64>,
    failed_at: Option<i64>,
}

impl TryFrom<MessageRow> for MessageRecord {
    type Error = StoreError;
    fn try_from(row: MessageRow) -> Result<Self, StoreError> {
        let error = match (row.error_code, row.error_message) {
            (Some(code), message) => Some(MessageError {
                code,
                message: message.unwrap_or_default(),
            }),
            (None, _) => None,
        };
        Ok(MessageRecord {
            workspace_id: parse_uuid("workspace id", &row.workspace_id)?,
            message: Message {
                id: parse_uuid("message id", &row.id)?,
                campaign_id: parse_uuid("campaign id", &row.campaign_id)?,
                to: row.to_phone,
                status: parse_enum("message status", &row.status)?,
                rendered: parse_json("rendered message", &row.rendered)?,
                text: row.text,
                error,
                created_at: from_millis(row.created_at),
                updated_at: from_millis(row.updated_at),
                sent_at: row.sent_at.map(from_millis),
                delivered_at: row.delivered_at.map(from_millis),
                read_at: row.read_at.map(from_millis),
                failed_at: row.failed_at.map(from_millis),
            },
        })
    }
}

const COLUMNS: &str = "id, workspace_id, campaign_id, to_phone, status, rendered, text, error_code, error_message, created_at, updated_at, sent_at, delivered_at, read_at, failed_at";

/// A message the worker has leased for delivery.
#[derive(Debug, Clone, FromRow)]
pub struct ClaimedMessage {
    pub id: String,
    pub sender_id: String,
    pub to_phone: String,
    pub rendered: String,
    pub text: String,
    /// Including this attempt.
    pub attempts: i64,
}

/// What the worker records after an attempt.
#[derive(Debug, Clone)]
pub enum StatusUpdate {
    /// Move from `from` to `to` (already checked against the status rules).
    Advance {
        id: String,
        from: MessageStatus,
        to: MessageStatus,
        provider_message_id: Option<String>,
    },
    /// Transient failure: back to the queue for another attempt at `next_attempt_at`.
    Retry {
        id: String,
        next_attempt_at: i64,
        error_code: String,
        error_message: String,
    },
    /// Permanent failure (or attempts exhausted).
    Fail {
        id: String,
        from: MessageStatus,
        error_code: String,
        error_message: String,
    },
}

/// Rows per multi-row INSERT.
const INSERT_CHUNK: usize = 100;

/// Inserts messages on an open transaction's connection.
pub(crate) async fn insert_messages(
    conn: &mut SqliteConnection,
    messages: &[&NewMessage],
) -> Result<(), sqlx::Error> {
    for chunk in messages.chunks(INSERT_CHUNK) {
        let mut builder: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO messages (id, workspace_id, campaign_id, sender_id, to_phone, variables, rendered, text, status, next_attempt_at, created_at, updated_at) ",
        );
        builder.push_values(chunk, |mut row, message| {
            row.push_bind(message.id.to_string())
                .push_bind(message.workspace_id.to_string())
                .push_bind(message.campaign_id.to_string())
                .push_bind(message.sender_id.to_string())
                .push_bind(message.to.as_str())
                .push_bind(message.variables.as_str())
                .push_bind(message.rendered.as_str())
                .push_bind(message.text.as_str())
                .push("'queued'")
                .push_bind(message.created_at)
                .push_bind(message.created_at)
                .push_bind(message.created_at);
        });
        builder.build().execute(&mut *conn).await?;
    }
    Ok(())
}

impl Store {
    pub async fn message(&self, id: Uuid) -> Result<Option<MessageRecord>, StoreError> {
        sqlx::query_as::<_, MessageRow>(&format!("SELECT {COLUMNS} FROM messages WHERE id = ?"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(MessageRecord::try_from)
            .transpose()
    }

    /// Messages of a campaign, newest first, strictly older than `before` (a message id).
    pub async fn campaign_messages(
        &self,
        campaign_id: Uuid,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError> {
        sqlx::query_as::<_, MessageRow>(&format!(
            "SELECT {COLUMNS} FROM messages WHERE campaign_id = ? AND (? IS NULL OR id < ?)
             ORDER BY id DESC LIMIT ?"
        ))
        .bind(campaign_id.to_string())
        .bind(before.map(|id| id.to_string()))
        .bind(before.map(|id| id.to_string()))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|row| MessageRecord::try_from(row).map(|record| record.message))
        .collect()
    }

    /// Leases up to `limit` due queued messages for `lease_ms` and counts the attempt.
    pub async fn claim_due_messages(
        &self,
        limit: u32,
        lease_ms: i64,
    ) -> Result<Vec<ClaimedMessage>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        claim_due(&mut conn, limit, lease_ms).await
    }

    /// Releases every lease: called when a server starts, since a lease held in the database
    /// can only belong to a previous process that stopped (or was killed) mid-delivery.
    pub async fn release_leases(&self) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE messages SET lease_until = NULL WHERE status = 'queued' AND lease_until IS NOT NULL",
        )
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// Provider name (`sandbox`, `whatsapp_cloud`) of a sender.
    pub async fn sender_provider(&self, sender_id: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar::<_, String>("SELECT provider FROM senders WHERE id = ?")
                .bind(sender_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Applies the worker's updates in one transaction. Each update only applies when the
    /// message is still in the status it was read in.
    pub async fn apply_status_updates(&self, updates: &[StatusUpdate]) -> Result<(), StoreError> {
        if updates.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        apply_updates(&mut tx, updates).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Leases up to `limit` due queued messages for `lease_ms` and counts the attempt.
pub(crate) async fn claim_due(
    conn: &mut SqliteConnection,
    limit: u32,
    lease_ms: i64,
) -> Result<Vec<ClaimedMessage>, StoreError> {
    let now = now_ms();
    Ok(sqlx::query_as::<_, ClaimedMessage>(
        "UPDATE messages SET lease_until = ?, attempts = attempts + 1, updated_at = ?
         WHERE id IN (
           SELECT id FROM messages
           WHERE status = 'queued' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
           ORDER BY next_attempt_at LIMIT ?)
         RETURNING id, sender_id, to_phone, rendered, text, attempts",
    )
    .bind(now + lease_ms)
    .bind(now)
    .bind(now)
    .bind(now)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?)
}

/// Applies status updates on an open transaction's connection.
pub(crate) async fn apply_updates(
    conn: &mut SqliteConnection,
    updates: &[StatusUpdate],
) -> Result<(), StoreError> {
    let now = now_ms();
    // Advances (the bulk: every delivered message) are applied many rows per statement.
    let mut advances: Vec<AdvanceGroup<'_>> = Vec::new();
    for update in updates {
        if let StatusUpdate::Advance {
            id,
            from,
            to,
            provider_message_id,
        } = update
        {
            let row = (id.as_str(), provider_message_id.as_deref());
            match advances.iter_mut().find(|(f, t, _)| f == from && t == to) {
                Some((_, _, rows)) => rows.push(row),
                None => advances.push((*from, *to, vec![row])),
            }
        }
    }
    for (from, to, rows) in &advances {
        for chunk in rows.chunks(INSERT_CHUNK) {
            advance_many(conn, *from, *to, chunk, now).await?;
        }
    }
    for update in updates {
        match update {
            StatusUpdate::Advance { .. } => {}
            StatusUpdate::Retry {
                id,
                next_attempt_at,
                error_code,
                error_message,
            } => {
                sqlx::query(
                    "UPDATE messages SET next_attempt_at = ?, error_code = ?, error_message = ?,
                       lease_until = NULL, updated_at = ?
                     WHERE id = ? AND status = 'queued'",
                )
                .bind(next_attempt_at)
                .bind(error_code)
                .bind(error_message)
                .bind(now)
                .bind(id)
                .execute(&mut *conn)
                .await?;
            }
            StatusUpdate::Fail {
                id,
                from,
                error_code,
                error_message,
            } => {
                sqlx::query(
                    "UPDATE messages SET status = 'failed', failed_at = ?, error_code = ?, error_message = ?,
                       lease_until = NULL, updated_at = ?
                     WHERE id = ? AND status = ?",
                )
                .bind(now)
                .bind(error_code)
                .bind(error_message)
                .bind(now)
                .bind(id)
                .bind(enum_str(from))
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    Ok(())
}

/// Messages moving from one status to another: (from, to, [(id, provider message id)]).
type AdvanceGroup<'a> = (
    MessageStatus,
    MessageStatus,
    Vec<(&'a str, Option<&'a str>)>,
);

/// Moves the messages `rows` (id, provider message id) from `from` to `to` in one statement;
/// messages no longer in `from` are left alone.
async fn advance_many(
    conn: &mut SqliteConnection,
    from: MessageStatus,
    to: MessageStatus,
    rows: &[(&str, Option<&str>)],
    now: i64,
) -> Result<(), sqlx::Error> {
    let reached = |status: MessageStatus| {
        let rank = |s: MessageStatus| match s {
            MessageStatus::Queued | MessageStatus::Failed => 0,
            MessageStatus::Sent => 1,
            MessageStatus::Delivered => 2,
            MessageStatus::Read => 3,
        };
        rank(to) >= rank(status)
    };
    let mut builder: QueryBuilder<Sqlite> = QueryBuilder::new("UPDATE messages SET status = ");
    builder.push_bind(enum_str(&to));
    for (column, status) in [
        ("sent_at", MessageStatus::Sent),
        ("delivered_at", MessageStatus::Delivered),
        ("read_at", MessageStatus::Read),
    ] {
        if reached(status) {
            builder
                .push(format_args!(", {column} = COALESCE({column}, "))
                .push_bind(now)
                .push(")");
        }
    }
    builder
        .push(
            ", provider_message_id = COALESCE(v.column2, messages.provider_message_id), \
             error_code = NULL, error_message = NULL, lease_until = NULL, updated_at = ",
        )
        .push_bind(now)
        .push(" FROM (");
    builder.push_values(rows, |mut row, (id, provider_id)| {
        row.push_bind(*id).push_bind(*provider_id);
    });
    builder
        .push(") AS v WHERE messages.id = v.column1 AND messages.status = ")
        .push_bind(enum_str(&from));
    builder.build().execute(&mut *conn).await?;
    Ok(())
}
