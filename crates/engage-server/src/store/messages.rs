//! The durable message queue: inserts (through [`super::writer`]), reads for the API, and the
//! worker's claim / status updates.

use std::collections::BTreeMap;

use engage_core::wire::{Message, MessageError, MessageStatus, ProviderKind, Template};
use sqlx::{FromRow, QueryBuilder};
use uuid::Uuid;

use super::templates::TemplateRow;
use super::{
    enum_str, from_millis, now_ms, on_pool, on_tx, parse_enum, parse_json, parse_uuid, Backend,
    Store, StoreError, Tx,
};

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

/// A message the worker has leased, with everything its provider needs, read in the claim
/// itself (no per-message look-ups).
#[derive(Debug, Clone)]
pub struct ClaimedMessage {
    pub id: String,
    pub sender_id: String,
    pub provider: ProviderKind,
    pub to_phone: String,
    /// `wire::RenderedMessage` as JSON.
    pub rendered: String,
    pub text: String,
    /// Including this attempt.
    pub attempts: i64,
    variables: String,
    template: TemplateRow,
}

impl ClaimedMessage {
    /// The variables of the send request.
    pub fn variables(&self) -> Result<BTreeMap<String, String>, StoreError> {
        parse_json("message variables", &self.variables)
    }

    /// The campaign's template as it is now (a template paused since the send shows it).
    pub fn template(&self) -> Result<Template, StoreError> {
        Template::try_from(self.template.clone())
    }
}

#[derive(FromRow)]
struct ClaimRow {
    id: String,
    sender_id: String,
    provider: String,
    to_phone: String,
    rendered: String,
    text: String,
    attempts: i64,
    variables: String,
    template_id: String,
    template_name: String,
    template_language: String,
    template_category: String,
    template_status: String,
    template_components: String,
    template_variables: String,
}

impl TryFrom<ClaimRow> for ClaimedMessage {
    type Error = StoreError;
    fn try_from(row: ClaimRow) -> Result<Self, StoreError> {
        Ok(ClaimedMessage {
            provider: parse_enum("sender provider", &row.provider)?,
            id: row.id,
            sender_id: row.sender_id,
            to_phone: row.to_phone,
            rendered: row.rendered,
            text: row.text,
            attempts: row.attempts,
            variables: row.variables,
            template: TemplateRow {
                id: row.template_id,
                name: row.template_name,
                language: row.template_language,
                category: row.template_category,
                status: row.template_status,
                components: row.template_components,
                variables: row.template_variables,
            },
        })
    }
}

/// The claimed messages' columns, joined from `$claimed` (a relation with an `id` column).
const CLAIM_SELECT: &str = "SELECT m.id, m.sender_id, s.provider, m.to_phone, m.rendered, m.text,
       m.attempts, m.variables, t.id AS template_id, t.name AS template_name,
       t.language AS template_language, t.category AS template_category,
       t.status AS template_status, t.components AS template_components,
       t.variables AS template_variables
     FROM messages m
     JOIN senders s ON s.id = m.sender_id
     JOIN campaigns c ON c.id = m.campaign_id
     JOIN templates t ON t.id = c.template_id";

/// What became of one delivery attempt (the worker decides it from the provider's answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The provider took the message: `status` is `Sent`, or `Delivered` for providers that
    /// deliver at once (the sandbox).
    Accepted {
        id: String,
        status: MessageStatus,
        provider_message_id: String,
    },
    /// Tried and failed for now: back to the queue until `at_ms`.
    Retry {
        id: String,
        at_ms: i64,
        error: MessageError,
    },
    /// Not tried (held back by pacing): back to the queue until `at_ms`; the attempt is
    /// not counted.
    Deferred {
        id: String,
        at_ms: i64,
        error: MessageError,
    },
    /// Will never be delivered.
    Failed { id: String, error: MessageError },
}

/// A status the provider reported later (a WhatsApp status webhook).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderReport {
    pub provider_message_id: String,
    pub status: MessageStatus,
    /// For `failed`: the provider's code and reason.
    pub error: Option<MessageError>,
}

/// How many reports changed a message, and how many were ignored (unknown message, another
/// workspace's, or a repeated / late status).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportsApplied {
    pub applied: u32,
    pub ignored: u32,
}

/// Rows per multi-row statement.
const CHUNK: usize = 100;

/// Inserts new messages (status `queued`).
pub(crate) async fn insert_messages(
    tx: &mut Tx,
    messages: &[&NewMessage],
) -> Result<(), sqlx::Error> {
    for chunk in messages.chunks(CHUNK) {
        on_tx!(&mut *tx, conn => {
            let mut builder = QueryBuilder::new(
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
        });
    }
    Ok(())
}

impl Store {
    pub async fn message(&self, id: Uuid) -> Result<Option<MessageRecord>, StoreError> {
        on_pool!(self, pool => sqlx::query_as::<_, MessageRow>(&format!(
            "SELECT {COLUMNS} FROM messages WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(pool)
        .await)?
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
        on_pool!(self, pool => sqlx::query_as::<_, MessageRow>(&format!(
            "SELECT {COLUMNS} FROM messages WHERE campaign_id = $1 AND ($2 IS NULL OR id < $3)
             ORDER BY id DESC LIMIT $4"
        ))
        .bind(campaign_id.to_string())
        .bind(before.map(|id| id.to_string()))
        .bind(before.map(|id| id.to_string()))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await)?
        .into_iter()
        .map(|row| MessageRecord::try_from(row).map(|record| record.message))
        .collect()
    }

    /// When the next queued message becomes claimable (due, and not leased), if any.
    pub async fn next_due_at(&self) -> Result<Option<i64>, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > next_attempt_at
                             THEN lease_until ELSE next_attempt_at END)
             FROM messages WHERE status = 'queued'"
        )
        .fetch_one(pool)
        .await)?)
    }

    /// Messages by status (`queued` includes leased ones): the queue depth for `/metrics`.
    pub async fn message_counts(&self) -> Result<Vec<(MessageStatus, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT status, COUNT(*) FROM messages GROUP BY status ORDER BY status"
        )
        .fetch_all(pool)
        .await)?;
        rows.into_iter()
            .map(|(status, count)| Ok((parse_enum("message status", &status)?, count)))
            .collect()
    }
}

/// Leases up to `limit` due queued messages to `owner` for `lease_ms`, counts the attempt,
/// and returns them with their template, variables and provider. On PostgreSQL rows
/// another instance is claiming are skipped (`FOR UPDATE SKIP LOCKED`).
pub(crate) async fn claim_due(
    store: &Store,
    owner: &str,
    limit: u32,
    lease_ms: i64,
) -> Result<Vec<ClaimedMessage>, StoreError> {
    let now = now_ms();
    let rows: Vec<ClaimRow> = match store.backend() {
        Backend::Postgres => on_pool!(store, pool => sqlx::query_as(&format!(
            "WITH due AS (
               SELECT id FROM messages
               WHERE status = 'queued' AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until <= $2)
               ORDER BY next_attempt_at LIMIT $3
               FOR UPDATE SKIP LOCKED),
             claimed AS (
               UPDATE messages SET lease_until = $1, lease_owner = $4, attempts = messages.attempts + 1, updated_at = $2
               FROM due WHERE messages.id = due.id
               RETURNING messages.id)
             {} JOIN claimed ON claimed.id = m.id",
            CLAIM_SELECT
        ))
        .bind(now + lease_ms)
        .bind(now)
        .bind(i64::from(limit))
        .bind(owner)
        .fetch_all(pool)
        .await)?,
        Backend::Sqlite => {
            // One instance per SQLite file, and every claim goes through its single writer:
            // read the due ids, lease them and read them back in one transaction.
            let mut tx = store.begin().await?;
            let rows = on_tx!(&mut tx, conn => {
                let ids: Vec<String> = sqlx::query_scalar(
                    "UPDATE messages SET lease_until = $1, lease_owner = $4, attempts = attempts + 1, updated_at = $2
                     WHERE id IN (
                       SELECT id FROM messages
                       WHERE status = 'queued' AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until <= $2)
                       ORDER BY next_attempt_at LIMIT $3)
                     RETURNING id",
                )
                .bind(now + lease_ms)
                .bind(now)
                .bind(i64::from(limit))
                .bind(owner)
                .fetch_all(&mut *conn)
                .await?;
                let mut rows = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(CHUNK) {
                    let mut builder = QueryBuilder::new(CLAIM_SELECT);
                    builder.push(" WHERE m.id IN (");
                    let mut list = builder.separated(", ");
                    for id in chunk {
                        list.push_bind(id.as_str());
                    }
                    builder.push(")");
                    rows.extend(builder.build_query_as::<ClaimRow>().fetch_all(&mut *conn).await?);
                }
                Ok::<_, sqlx::Error>(rows)
            })?;
            tx.commit().await?;
            rows
        }
    };
    rows.into_iter().map(ClaimedMessage::try_from).collect()
}

/// Ends the leases of `owner` (an instance that is stopping), or every lease when `owner`
/// is `None` (a SQLite server starting: a lease there can only be a previous run's).
pub(crate) async fn release_leases(store: &Store, owner: Option<&str>) -> Result<u64, StoreError> {
    Ok(on_pool!(store, pool => sqlx::query(
        "UPDATE messages SET lease_until = NULL, lease_owner = NULL
         WHERE status = 'queued' AND lease_until IS NOT NULL AND ($1 IS NULL OR lease_owner = $2)",
    )
    .bind(owner)
    .bind(owner)
    .execute(pool)
    .await.map(|done| done.rows_affected()))?)
}

/// Where a delivery outcome moves a queued message: the provider's status reached one step
/// at a time along engage-core's rules (queued → sent → delivered).
fn accepted_status(reported: MessageStatus) -> Result<MessageStatus, engage_core::CoreError> {
    use engage_core::MessageStatusExt;
    let mut status = MessageStatus::Queued;
    for step in [
        MessageStatus::Sent,
        MessageStatus::Delivered,
        MessageStatus::Read,
    ] {
        status = status.apply(step)?.unwrap_or(status);
        if step == reported {
            return Ok(status);
        }
    }
    // `queued` or `failed` is no acceptance.
    Err(engage_core::CoreError::InvalidStatusTransition {
        from: MessageStatus::Queued,
        to: reported,
    })
}

/// A forward move of one message: (from, to, id, provider message id).
type Advance<'a> = (MessageStatus, MessageStatus, &'a str, Option<&'a str>);

/// Applies the worker's outcomes in the open transaction. Each applies only to a message
/// still `queued` (a lease taken over by another worker meanwhile leaves it alone).
pub(crate) async fn apply_outcomes(tx: &mut Tx, outcomes: &[Outcome]) -> Result<(), StoreError> {
    let now = now_ms();
    let mut advances: Vec<Advance<'_>> = Vec::new();
    let mut failures: Vec<(MessageStatus, &str, &MessageError)> = Vec::new();
    let mut invalid: Vec<(String, MessageError)> = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Accepted {
                id,
                status,
                provider_message_id,
            } => match accepted_status(*status) {
                Ok(to) => advances.push((
                    MessageStatus::Queued,
                    to,
                    id,
                    Some(provider_message_id.as_str()),
                )),
                Err(error) => invalid.push((
                    id.clone(),
                    MessageError {
                        code: "invalid_provider_receipt".into(),
                        message: error.to_string(),
                    },
                )),
            },
            Outcome::Failed { id, error } => failures.push((MessageStatus::Queued, id, error)),
            Outcome::Retry { id, at_ms, error } | Outcome::Deferred { id, at_ms, error } => {
                let counted = matches!(outcome, Outcome::Retry { .. });
                on_tx!(&mut *tx, conn => sqlx::query(
                    "UPDATE messages SET next_attempt_at = $1, error_code = $2, error_message = $3,
                       attempts = CASE WHEN $4 OR attempts = 0 THEN attempts ELSE attempts - 1 END,
                       lease_until = NULL, lease_owner = NULL, updated_at = $5
                     WHERE id = $6 AND status = 'queued'",
                )
                .bind(at_ms)
                .bind(&error.code)
                .bind(&error.message)
                .bind(counted)
                .bind(now)
                .bind(id)
                .execute(&mut *conn)
                .await.map(|done| done.rows_affected()))?;
            }
        }
    }
    for (id, error) in &invalid {
        failures.push((MessageStatus::Queued, id, error));
    }
    apply_advances(tx, &advances, now).await?;
    apply_failures(tx, &failures, now).await
}

/// Applies provider status reports in the open transaction, along engage-core's rules:
/// repeated and late reports are ignored, so are messages of another workspace than `scope`.
pub(crate) async fn apply_reports(
    tx: &mut Tx,
    scope: Option<Uuid>,
    reports: &[ProviderReport],
) -> Result<ReportsApplied, StoreError> {
    use engage_core::message::Transition;
    use engage_core::MessageStatusExt;
    let now = now_ms();
    let mut result = ReportsApplied::default();
    // (WhatsApp id, message id, status) of each message as the reports are walked: two
    // reports of one message in one batch see each other.
    let mut seen: Vec<(String, String, MessageStatus)> = Vec::new();
    for report in reports {
        let known = seen
            .iter()
            .find(|(wamid, _, _)| *wamid == report.provider_message_id)
            .map(|(_, id, status)| (id.clone(), *status));
        let found = match known {
            Some(found) => Some(found),
            None => {
                let row: Option<(String, String, String)> = on_tx!(&mut *tx, conn => sqlx::query_as(
                    "SELECT id, status, workspace_id FROM messages WHERE provider_message_id = $1",
                )
                .bind(&report.provider_message_id)
                .fetch_optional(&mut *conn)
                .await)?;
                match row {
                    Some((id, status, workspace))
                        if scope.is_none()
                            || Some(parse_uuid("workspace id", &workspace)?) == scope =>
                    {
                        let status: MessageStatus = parse_enum("message status", &status)?;
                        seen.push((report.provider_message_id.clone(), id.clone(), status));
                        Some((id, status))
                    }
                    _ => None,
                }
            }
        };
        let Some((id, from)) = found else {
            result.ignored += 1;
            continue;
        };
        if from.transition_to(report.status) != Transition::Advance {
            result.ignored += 1;
            continue;
        }
        if let Some(entry) = seen.iter_mut().find(|(_, known, _)| *known == id) {
            entry.2 = report.status;
        }
        result.applied += 1;
        if report.status == MessageStatus::Failed {
            let error = report.error.clone().unwrap_or(MessageError {
                code: "provider_failed".into(),
                message: "the provider reported the message as failed".into(),
            });
            apply_failures(tx, &[(from, &id, &error)], now).await?;
        } else {
            apply_advances(tx, &[(from, report.status, &id, None)], now).await?;
        }
    }
    Ok(result)
}

/// Advances of one `from → to`: each message id with its provider message id.
type AdvanceGroup<'a> = (
    MessageStatus,
    MessageStatus,
    Vec<(&'a str, Option<&'a str>)>,
);

/// Moves messages forward, many rows per statement; a message no longer in `from` is left
/// alone.
async fn apply_advances(tx: &mut Tx, advances: &[Advance<'_>], now: i64) -> Result<(), StoreError> {
    let mut groups: Vec<AdvanceGroup<'_>> = Vec::new();
    for (from, to, id, provider_id) in advances {
        match groups.iter_mut().find(|(f, t, _)| f == from && t == to) {
            Some((_, _, rows)) => rows.push((id, *provider_id)),
            None => groups.push((*from, *to, vec![(id, *provider_id)])),
        }
    }
    for (from, to, rows) in &groups {
        for chunk in rows.chunks(CHUNK) {
            advance_many(tx, *from, *to, chunk, now).await?;
        }
    }
    Ok(())
}

async fn apply_failures(
    tx: &mut Tx,
    failures: &[(MessageStatus, &str, &MessageError)],
    now: i64,
) -> Result<(), StoreError> {
    for (from, id, error) in failures {
        on_tx!(&mut *tx, conn => sqlx::query(
            "UPDATE messages SET status = 'failed', failed_at = $1, error_code = $2, error_message = $3,
               lease_until = NULL, lease_owner = NULL, updated_at = $4
             WHERE id = $5 AND status = $6",
        )
        .bind(now)
        .bind(&error.code)
        .bind(&error.message)
        .bind(now)
        .bind(*id)
        .bind(enum_str(from))
        .execute(&mut *conn)
        .await.map(|done| done.rows_affected()))?;
    }
    Ok(())
}

/// Moves the messages `rows` (id, provider message id) from `from` to `to` in one statement.
async fn advance_many(
    tx: &mut Tx,
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
    on_tx!(tx, conn => {
        let mut builder = QueryBuilder::new("UPDATE messages SET status = ");
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
                 error_code = NULL, error_message = NULL, lease_until = NULL, lease_owner = NULL, \
                 updated_at = ",
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_acceptance_walks_the_chain_up_to_the_reported_status_and_nothing_else_is_one() {
        assert_eq!(
            accepted_status(MessageStatus::Sent).unwrap(),
            MessageStatus::Sent
        );
        assert_eq!(
            accepted_status(MessageStatus::Delivered).unwrap(),
            MessageStatus::Delivered
        );
        assert!(accepted_status(MessageStatus::Queued).is_err());
        assert!(accepted_status(MessageStatus::Failed).is_err());
    }
}
