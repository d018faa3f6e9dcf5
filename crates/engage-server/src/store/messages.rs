//! The durable message queue: inserts (through [`super::writer`]), reads for the API, and the
//! worker's claim / status updates.

use std::collections::{BTreeMap, HashSet};

use engage_core::message_log::MessageFilter;
use engage_core::wire::{Message, MessageError, MessageStatus, ProviderKind, Template};
use sqlx::{FromRow, QueryBuilder};
use uuid::Uuid;

use super::callbacks::StatusChange;
use super::stats::StatsDelta;
use super::templates::TemplateRow;
use super::{
    enum_str, from_millis, millis, now_ms, on_pool, on_tx, parse_enum, parse_json, parse_uuid,
    Backend, Store, StoreError, Tx,
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
    /// Sent with test credentials: the sandbox delivers it whatever the sender's provider.
    pub test: bool,
    /// A staff member's test to their own phone (`test` is set too): it goes out through the
    /// sender's provider all the same.
    pub test_send: bool,
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
    test: bool,
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
                test: row.test,
            },
        })
    }
}

const COLUMNS: &str = "id, workspace_id, campaign_id, to_phone, status, rendered, text, error_code, error_message, created_at, updated_at, sent_at, delivered_at, read_at, failed_at, test";

/// A message as the CSV export writes it: times in Unix milliseconds, the status and the
/// variables (a JSON object) as stored.
#[derive(Debug, Clone, FromRow)]
pub struct ExportedMessage {
    pub id: String,
    pub created_at: i64,
    pub to_phone: String,
    pub status: String,
    pub sent_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub read_at: Option<i64>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub variables: String,
}

/// ` WHERE` the campaign's messages match `filter` (every value bound). The recipient is a
/// prefix of the E.164 number (`LIKE`: its digits and `+` are no wildcards).
fn push_filter<'q, DB>(query: &mut QueryBuilder<'q, DB>, campaign_id: Uuid, filter: &MessageFilter)
where
    DB: sqlx::Database,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    query
        .push(" WHERE campaign_id = ")
        .push_bind(campaign_id.to_string());
    if let Some(status) = filter.status {
        query.push(" AND status = ").push_bind(enum_str(&status));
    }
    if let Some(recipient) = &filter.recipient {
        query
            .push(" AND to_phone LIKE ")
            .push_bind(format!("{recipient}%"));
    }
    if let Some(from) = filter.from {
        query.push(" AND created_at >= ").push_bind(millis(from));
    }
    if let Some(to) = filter.to {
        query.push(" AND created_at < ").push_bind(millis(to));
    }
    if let Some(test) = filter.test {
        query.push(" AND test = ").push_bind(test);
    }
}

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
    template_meta_id: Option<String>,
    template_unsupported: Option<String>,
    template_quality: Option<String>,
    template_last_change: Option<String>,
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
                meta_template_id: row.template_meta_id,
                unsupported: row.template_unsupported,
                quality: row.template_quality,
                last_change: row.template_last_change,
                opt_out_buttons: None,
            },
        })
    }
}

/// The claimed messages' columns, joined from `$claimed` (a relation with an `id` column).
/// A test-credentials message's provider is the sandbox, whatever its sender's: it never leaves
/// the server; a staff member's test send goes through the sender's provider.
const CLAIM_SELECT: &str = "SELECT m.id, m.sender_id,
       CASE WHEN m.test AND NOT m.test_send THEN 'sandbox' ELSE s.provider END AS provider, m.to_phone, m.rendered, m.text,
       m.attempts, m.variables, t.id AS template_id, t.name AS template_name,
       t.language AS template_language, t.category AS template_category,
       t.status AS template_status, t.components AS template_components,
       t.variables AS template_variables, t.meta_template_id AS template_meta_id,
       t.unsupported AS template_unsupported, t.quality AS template_quality,
       t.last_change AS template_last_change
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
    /// When it happened by the provider's clock (ms; WhatsApp's `timestamp`): the time kept
    /// as the message's delivered / read / failed time. `None`, or a time ahead of this
    /// server's clock, is taken as now.
    pub at_ms: Option<i64>,
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

/// Inserts new messages (status `queued`), counting the live ones as accepted in `stats`.
pub(crate) async fn insert_messages(
    tx: &mut Tx,
    messages: &[&NewMessage],
    stats: &mut StatsDelta,
) -> Result<(), sqlx::Error> {
    for message in messages.iter().filter(|message| !message.test) {
        stats.event(
            &message.workspace_id.to_string(),
            &message.campaign_id.to_string(),
            MessageStatus::Queued,
            message.created_at,
        );
    }
    for chunk in messages.chunks(CHUNK) {
        on_tx!(&mut *tx, conn => {
            let mut builder = QueryBuilder::new(
                "INSERT INTO messages (id, workspace_id, campaign_id, sender_id, to_phone, variables, rendered, text, status, next_attempt_at, created_at, updated_at, test, test_send) ",
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
                    .push_bind(message.created_at)
                    .push_bind(message.test)
                    .push_bind(message.test_send);
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

    /// The `created_at` of a message of the campaign: where a page of its log continues.
    pub async fn message_position(
        &self,
        campaign_id: Uuid,
        id: Uuid,
    ) -> Result<Option<i64>, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, i64>(
            "SELECT created_at FROM messages WHERE id = $1 AND campaign_id = $2"
        )
        .bind(id.to_string())
        .bind(campaign_id.to_string())
        .fetch_optional(pool)
        .await)?)
    }

    /// Messages of a campaign matching `filter`, newest first (by creation, then id), strictly
    /// after `before` (`(created_at, id)` of the previous page's last message) in that order.
    pub async fn campaign_messages(
        &self,
        campaign_id: Uuid,
        filter: &MessageFilter,
        before: Option<(i64, Uuid)>,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError> {
        on_pool!(self, pool => {
            let mut query = QueryBuilder::new(format!("SELECT {COLUMNS} FROM messages"));
            push_filter(&mut query, campaign_id, filter);
            if let Some((created_at, id)) = before {
                query
                    .push(" AND (created_at, id) < (")
                    .push_bind(created_at)
                    .push(", ")
                    .push_bind(id.to_string())
                    .push(")");
            }
            query
                .push(" ORDER BY created_at DESC, id DESC LIMIT ")
                .push_bind(i64::from(limit));
            query.build_query_as::<MessageRow>().fetch_all(pool).await
        })?
        .into_iter()
        .map(|row| MessageRecord::try_from(row).map(|record| record.message))
        .collect()
    }

    /// How many messages of the campaign match `filter` (an index count: the export's total).
    pub async fn count_campaign_messages(
        &self,
        campaign_id: Uuid,
        filter: &MessageFilter,
    ) -> Result<u64, StoreError> {
        let count: i64 = on_pool!(self, pool => {
            let mut query = QueryBuilder::new("SELECT COUNT(*) FROM messages");
            push_filter(&mut query, campaign_id, filter);
            query.build_query_scalar::<i64>().fetch_one(pool).await
        })?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// One chunk of the CSV export: up to `limit` messages of the campaign matching `filter`,
    /// oldest first (by creation, then id), strictly after `after` in that order.
    pub async fn export_messages(
        &self,
        campaign_id: Uuid,
        filter: &MessageFilter,
        after: Option<&(i64, String)>,
        limit: u32,
    ) -> Result<Vec<ExportedMessage>, StoreError> {
        Ok(on_pool!(self, pool => {
            let mut query = QueryBuilder::new(
                "SELECT id, created_at, to_phone, status, sent_at, delivered_at, read_at, error_code, error_message, variables FROM messages",
            );
            push_filter(&mut query, campaign_id, filter);
            if let Some((created_at, id)) = after {
                query
                    .push(" AND (created_at, id) > (")
                    .push_bind(*created_at)
                    .push(", ")
                    .push_bind(id.clone())
                    .push(")");
            }
            query
                .push(" ORDER BY created_at, id LIMIT ")
                .push_bind(i64::from(limit));
            query.build_query_as::<ExportedMessage>().fetch_all(pool).await
        })?)
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

/// A forward move of one message: (from, to, id, provider message id, when in ms).
type Advance<'a> = (MessageStatus, MessageStatus, &'a str, Option<&'a str>, i64);

impl Outcome {
    fn id(&self) -> &str {
        match self {
            Outcome::Accepted { id, .. }
            | Outcome::Retry { id, .. }
            | Outcome::Deferred { id, .. }
            | Outcome::Failed { id, .. } => id,
        }
    }
}

/// Of `ids`, the messages whose outcome `owner` may still record: `queued`, and leased to
/// `owner` or to no one. A lease that ran out and was taken over by another instance is that
/// instance's: it called the provider again, and its answer is the one to keep. The rows are
/// locked (an `UPDATE`) so that no claim takes them before this transaction ends.
async fn still_owned(
    tx: &mut Tx,
    owner: &str,
    ids: &[&str],
) -> Result<HashSet<String>, StoreError> {
    let mut owned = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        owned.extend(on_tx!(&mut *tx, conn => {
            let mut builder = QueryBuilder::new("UPDATE messages SET updated_at = ");
            builder
                .push_bind(now_ms())
                .push(" WHERE status = 'queued' AND (lease_owner IS NULL OR lease_owner = ")
                .push_bind(owner)
                .push(") AND id IN (");
            let mut list = builder.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            builder.push(") RETURNING id");
            builder.build_query_scalar::<String>().fetch_all(&mut *conn).await
        })?);
    }
    Ok(owned)
}

/// Applies the outcomes of `owner`'s deliveries in the open transaction. Each applies only to
/// a message still `queued` and not leased meanwhile to another instance ([`still_owned`]).
pub(crate) async fn apply_outcomes(
    tx: &mut Tx,
    owner: &str,
    outcomes: &[Outcome],
) -> Result<(), StoreError> {
    let now = now_ms();
    let ids: Vec<&str> = outcomes.iter().map(Outcome::id).collect();
    let owned = still_owned(tx, owner, &ids).await?;
    let mut advances: Vec<Advance<'_>> = Vec::new();
    let mut failures: Vec<Failure<'_>> = Vec::new();
    let mut invalid: Vec<(String, MessageError)> = Vec::new();
    for outcome in outcomes.iter().filter(|o| owned.contains(o.id())) {
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
                    now,
                )),
                Err(error) => invalid.push((
                    id.clone(),
                    MessageError {
                        code: "invalid_provider_receipt".into(),
                        message: error.to_string(),
                    },
                )),
            },
            Outcome::Failed { id, error } => failures.push((MessageStatus::Queued, id, error, now)),
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
        failures.push((MessageStatus::Queued, id, error, now));
    }
    let mut stats = StatsDelta::default();
    let mut changes = apply_advances(tx, &advances, &mut stats).await?;
    changes.extend(apply_failures(tx, &failures, &mut stats).await?);
    super::callbacks::enqueue_changes(tx, &changes).await?;
    Ok(stats.write(tx).await?)
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
    let mut changes = Vec::new();
    let mut stats = StatsDelta::default();
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
        let at = report.at_ms.map_or(now, |at| at.min(now));
        if report.status == MessageStatus::Failed {
            let error = report.error.clone().unwrap_or(MessageError {
                code: "provider_failed".into(),
                message: "the provider reported the message as failed".into(),
            });
            changes.extend(apply_failures(tx, &[(from, &id, &error, at)], &mut stats).await?);
        } else {
            changes.extend(
                apply_advances(tx, &[(from, report.status, &id, None, at)], &mut stats).await?,
            );
        }
    }
    super::callbacks::enqueue_changes(tx, &changes).await?;
    stats.write(tx).await?;
    Ok(result)
}

/// Advances of one `from → to`: each message id with its provider message id and time.
type AdvanceGroup<'a> = (
    MessageStatus,
    MessageStatus,
    Vec<(&'a str, Option<&'a str>, i64)>,
);

/// A failure of one message: (from, id, error, when in ms).
type Failure<'a> = (MessageStatus, &'a str, &'a MessageError, i64);

/// The order of the forward statuses (`failed` is not on the chain).
fn rank(status: MessageStatus) -> u8 {
    match status {
        MessageStatus::Queued | MessageStatus::Failed => 0,
        MessageStatus::Sent => 1,
        MessageStatus::Delivered => 2,
        MessageStatus::Read => 3,
    }
}

/// Moves messages forward, many rows per statement; a message no longer in `from` is left
/// alone. Counts each status a live message reaches in `stats` (at its time), and returns
/// the changes of live (not test) messages, for their status callbacks.
async fn apply_advances(
    tx: &mut Tx,
    advances: &[Advance<'_>],
    stats: &mut StatsDelta,
) -> Result<Vec<StatusChange>, StoreError> {
    let mut groups: Vec<AdvanceGroup<'_>> = Vec::new();
    for (from, to, id, provider_id, at) in advances {
        match groups.iter_mut().find(|(f, t, _)| f == from && t == to) {
            Some((_, _, rows)) => rows.push((id, *provider_id, *at)),
            None => groups.push((*from, *to, vec![(id, *provider_id, *at)])),
        }
    }
    let mut changes = Vec::new();
    for (from, to, rows) in &groups {
        for chunk in rows.chunks(CHUNK) {
            for row in advance_many(tx, *from, *to, chunk).await? {
                if !row.test {
                    for (status, at) in [
                        (MessageStatus::Sent, row.sent_at),
                        (MessageStatus::Delivered, row.delivered_at),
                        (MessageStatus::Read, row.read_at),
                    ] {
                        if rank(status) > rank(*from) && rank(status) <= rank(*to) {
                            if let Some(at) = at {
                                stats.event(&row.workspace_id, &row.campaign_id, status, at);
                            }
                        }
                    }
                }
                let at = match to {
                    MessageStatus::Sent => row.sent_at,
                    MessageStatus::Delivered => row.delivered_at,
                    MessageStatus::Read => row.read_at,
                    _ => None,
                };
                let at = at.unwrap_or_else(now_ms);
                changes.extend(row.change(*to, at, None));
            }
        }
    }
    Ok(changes)
}

/// A message whose status a statement changed (`RETURNING`).
#[derive(FromRow)]
struct ChangedRow {
    id: String,
    workspace_id: String,
    campaign_id: String,
    to_phone: String,
    test: bool,
    sent_at: Option<i64>,
    delivered_at: Option<i64>,
    read_at: Option<i64>,
}

const CHANGED_COLUMNS: &str = "messages.id, messages.workspace_id, messages.campaign_id, \
     messages.to_phone, messages.test, messages.sent_at, messages.delivered_at, messages.read_at";

impl ChangedRow {
    /// The status callback event of this change; none for a test message.
    fn change(
        self,
        status: MessageStatus,
        now: i64,
        error: Option<MessageError>,
    ) -> Option<StatusChange> {
        if self.test {
            return None;
        }
        let campaign_id = Uuid::parse_str(&self.campaign_id).ok()?;
        Some(StatusChange {
            event: engage_core::callback::CallbackEvent::status_change(
                self.id,
                campaign_id,
                self.to_phone,
                status,
                from_millis(now),
                error,
            ),
            workspace_id: self.workspace_id,
            campaign_id: self.campaign_id,
        })
    }
}

/// Marks messages failed (each only while still in its `from`), counting the live ones in
/// `stats` with their code.
async fn apply_failures(
    tx: &mut Tx,
    failures: &[Failure<'_>],
    stats: &mut StatsDelta,
) -> Result<Vec<StatusChange>, StoreError> {
    let now = now_ms();
    let mut changes = Vec::new();
    for (from, id, error, at) in failures {
        let changed = on_tx!(&mut *tx, conn => sqlx::query_as::<_, ChangedRow>(&format!(
            "UPDATE messages SET status = 'failed', failed_at = $1, error_code = $2, error_message = $3,
               lease_until = NULL, lease_owner = NULL, updated_at = $4
             WHERE id = $5 AND status = $6 RETURNING {CHANGED_COLUMNS}",
        ))
        .bind(*at)
        .bind(&error.code)
        .bind(&error.message)
        .bind(now)
        .bind(*id)
        .bind(enum_str(from))
        .fetch_optional(&mut *conn)
        .await)?;
        if let Some(row) = &changed {
            if !row.test {
                stats.failure(&row.workspace_id, &row.campaign_id, &error.code, *at);
            }
        }
        changes.extend(
            changed.and_then(|row| row.change(MessageStatus::Failed, *at, Some((*error).clone()))),
        );
    }
    Ok(changes)
}

/// Moves the messages `rows` (id, provider message id, time) from `from` to `to` in one
/// statement; each status reached gets the row's time unless it already had one.
async fn advance_many(
    tx: &mut Tx,
    from: MessageStatus,
    to: MessageStatus,
    rows: &[(&str, Option<&str>, i64)],
) -> Result<Vec<ChangedRow>, sqlx::Error> {
    let now = now_ms();
    let reached = |status: MessageStatus| rank(to) >= rank(status);
    on_tx!(tx, conn => {
        let mut builder = QueryBuilder::new("UPDATE messages SET status = ");
        builder.push_bind(enum_str(&to));
        for (column, status) in [
            ("sent_at", MessageStatus::Sent),
            ("delivered_at", MessageStatus::Delivered),
            ("read_at", MessageStatus::Read),
        ] {
            if reached(status) {
                builder.push(format_args!(", {column} = COALESCE({column}, v.column3)"));
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
        builder.push_values(rows, |mut row, (id, provider_id, at)| {
            row.push_bind(*id).push_bind(*provider_id).push_bind(*at);
        });
        builder
            .push(") AS v WHERE messages.id = v.column1 AND messages.status = ")
            .push_bind(enum_str(&from))
            .push(" RETURNING ")
            .push(CHANGED_COLUMNS);
        builder.build_query_as::<ChangedRow>().fetch_all(&mut *conn).await
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
