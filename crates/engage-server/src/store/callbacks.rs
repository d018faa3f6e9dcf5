//! Status callbacks: endpoints (one per workspace, optionally one per campaign), the durable
//! outbox the message writer fills in the transaction of each status change, the
//! dispatcher's claims (leases; `FOR UPDATE SKIP LOCKED` on PostgreSQL) and the attempts.
//!
//! Order per message: a row is claimable only when no earlier row (smaller UUIDv7 id) of the
//! same message is still pending, so a later status is never sent before an earlier one.

use engage_core::callback::{CallbackAttempt, CallbackEvent, CallbackScope};
use sqlx::FromRow;
use uuid::Uuid;

use super::{from_millis, now_ms, on_pool, on_tx, parse_uuid, Backend, Store, StoreError, Tx};

/// How long an event is retried before it is given up.
pub const RETRY_WINDOW_MS: i64 = 24 * 3600 * 1000;
/// How long an endpoint may fail before it is paused.
pub const PAUSE_AFTER_MS: i64 = 24 * 3600 * 1000;
/// How long delivered events and attempts are kept.
const KEEP_MS: i64 = 7 * 24 * 3600 * 1000;
/// Attempts listed for staff.
const RECENT_ATTEMPTS: i64 = 20;

/// A callback endpoint.
#[derive(Debug, Clone)]
pub struct EndpointRecord {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub campaign_id: Option<Uuid>,
    pub url: String,
    pub secret_encrypted: Vec<u8>,
    pub failing_since: Option<i64>,
    pub paused_at: Option<i64>,
}

impl EndpointRecord {
    pub fn scope(&self) -> CallbackScope {
        match self.campaign_id {
            Some(_) => CallbackScope::Campaign,
            None => CallbackScope::Workspace,
        }
    }
}

#[derive(FromRow)]
struct EndpointRow {
    id: String,
    workspace_id: String,
    campaign_id: Option<String>,
    url: String,
    secret_encrypted: Vec<u8>,
    failing_since: Option<i64>,
    paused_at: Option<i64>,
}

impl TryFrom<EndpointRow> for EndpointRecord {
    type Error = StoreError;
    fn try_from(row: EndpointRow) -> Result<Self, StoreError> {
        Ok(EndpointRecord {
            id: parse_uuid("callback endpoint id", &row.id)?,
            workspace_id: parse_uuid("workspace id", &row.workspace_id)?,
            campaign_id: row
                .campaign_id
                .as_deref()
                .map(|id| parse_uuid("campaign id", id))
                .transpose()?,
            url: row.url,
            secret_encrypted: row.secret_encrypted,
            failing_since: row.failing_since,
            paused_at: row.paused_at,
        })
    }
}

/// `at, event, status_code, error, duration_ms` of an attempt.
type AttemptRow = (i64, String, Option<i32>, Option<String>, i64);

const ENDPOINT_COLUMNS: &str =
    "id, workspace_id, campaign_id, url, secret_encrypted, failing_since, paused_at";

/// A message's status change, as the writer committed it.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub workspace_id: String,
    pub campaign_id: String,
    pub event: CallbackEvent,
}

/// An outbox row leased to this instance, with its endpoint.
#[derive(Debug, Clone)]
pub struct ClaimedCallback {
    pub id: String,
    pub endpoint_id: String,
    pub payload: String,
    pub attempts: i64,
    pub created_at: i64,
    pub url: String,
    pub secret_encrypted: Vec<u8>,
}

/// What became of one attempt.
#[derive(Debug, Clone)]
pub struct CallbackOutcome {
    pub outbox_id: String,
    pub endpoint_id: String,
    /// The event's status (for the attempts list).
    pub event: String,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
    /// `None`: received (2xx); `Some(at)`: retry at `at`, or give up when past the window.
    pub retry_at: Option<i64>,
    pub created_at: i64,
}

/// Writes an outbox row for each change of a message whose workspace (or campaign) has an
/// endpoint, in the writer's open transaction. Test messages never get here.
pub(crate) async fn enqueue_changes(
    tx: &mut Tx,
    changes: &[StatusChange],
) -> Result<(), StoreError> {
    if changes.is_empty() {
        return Ok(());
    }
    let endpoints: i64 = on_tx!(&mut *tx, conn => sqlx::query_scalar("SELECT COUNT(*) FROM callback_endpoints")
        .fetch_one(&mut *conn)
        .await)?;
    if endpoints == 0 {
        return Ok(());
    }
    let now = now_ms();
    for change in changes {
        let payload = super::to_json(&change.event);
        on_tx!(&mut *tx, conn => sqlx::query(
            "INSERT INTO callback_outbox (id, endpoint_id, message_id, payload, status, next_attempt_at, created_at)
             SELECT $1, e.id, $2, $3, 'pending', $4, $4 FROM callback_endpoints e
             WHERE e.workspace_id = $5 AND (e.campaign_id = $6 OR e.campaign_id IS NULL)
             ORDER BY CASE WHEN e.campaign_id IS NULL THEN 1 ELSE 0 END LIMIT 1",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(&change.event.id)
        .bind(payload)
        .bind(now)
        .bind(&change.workspace_id)
        .bind(&change.campaign_id)
        .execute(&mut *conn)
        .await.map(|done| done.rows_affected()))?;
    }
    Ok(())
}

impl Store {
    /// The workspace's endpoint (`campaign_id` `None`) or the campaign's own.
    pub async fn callback_endpoint(
        &self,
        workspace_id: Uuid,
        campaign_id: Option<Uuid>,
    ) -> Result<Option<EndpointRecord>, StoreError> {
        on_pool!(self, pool => sqlx::query_as::<_, EndpointRow>(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM callback_endpoints
             WHERE workspace_id = $1 AND (($2 IS NULL AND campaign_id IS NULL) OR campaign_id = $3)"
        ))
        .bind(workspace_id.to_string())
        .bind(campaign_id.map(|id| id.to_string()))
        .bind(campaign_id.map(|id| id.to_string()))
        .fetch_optional(pool)
        .await)?
        .map(EndpointRecord::try_from)
        .transpose()
    }

    /// Creates the endpoint, or changes its URL and resumes it (failures forgotten). The
    /// secret is set only on creation; returns whether it was created.
    pub async fn save_callback_endpoint(
        &self,
        workspace_id: Uuid,
        campaign_id: Option<Uuid>,
        url: &str,
        secret_encrypted: &[u8],
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let updated = on_tx!(&mut tx, conn => sqlx::query(
            "UPDATE callback_endpoints SET url = $1, failing_since = NULL, paused_at = NULL, updated_at = $2
             WHERE workspace_id = $3 AND (($4 IS NULL AND campaign_id IS NULL) OR campaign_id = $5)",
        )
        .bind(url)
        .bind(now)
        .bind(workspace_id.to_string())
        .bind(campaign_id.map(|id| id.to_string()))
        .bind(campaign_id.map(|id| id.to_string()))
        .execute(&mut *conn)
        .await.map(|done| done.rows_affected()))?;
        if updated == 0 {
            on_tx!(&mut tx, conn => sqlx::query(
                "INSERT INTO callback_endpoints (id, workspace_id, campaign_id, url, secret_encrypted, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6)",
            )
            .bind(Uuid::now_v7().to_string())
            .bind(workspace_id.to_string())
            .bind(campaign_id.map(|id| id.to_string()))
            .bind(url)
            .bind(secret_encrypted)
            .bind(now)
            .execute(&mut *conn)
            .await.map(|done| done.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(updated == 0)
    }

    /// Replaces the endpoint's signing secret; `false` when there is no endpoint.
    pub async fn rotate_callback_secret(
        &self,
        endpoint_id: Uuid,
        secret_encrypted: &[u8],
    ) -> Result<bool, StoreError> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE callback_endpoints SET secret_encrypted = $1, updated_at = $2 WHERE id = $3",
        )
        .bind(secret_encrypted)
        .bind(now_ms())
        .bind(endpoint_id.to_string())
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    /// Deletes the endpoint with its pending events and attempts.
    pub async fn delete_callback_endpoint(&self, endpoint_id: Uuid) -> Result<bool, StoreError> {
        let done = on_pool!(self, pool => sqlx::query("DELETE FROM callback_endpoints WHERE id = $1")
            .bind(endpoint_id.to_string())
            .execute(pool)
            .await.map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    /// Queues a test event for the endpoint (sent like any other, never for a message).
    pub async fn enqueue_test_callback(
        &self,
        endpoint_id: Uuid,
        event: &CallbackEvent,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO callback_outbox (id, endpoint_id, message_id, payload, status, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, 'pending', $5, $5)",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(endpoint_id.to_string())
        .bind(&event.id)
        .bind(super::to_json(event))
        .bind(now)
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// The endpoint's most recent attempts, newest first.
    pub async fn callback_attempts(
        &self,
        endpoint_id: Uuid,
    ) -> Result<Vec<CallbackAttempt>, StoreError> {
        let rows: Vec<AttemptRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT at, event, status_code, error, duration_ms FROM callback_attempts
             WHERE endpoint_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(endpoint_id.to_string())
        .bind(RECENT_ATTEMPTS)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(
                |(at, event, status_code, error, duration_ms)| CallbackAttempt {
                    at: from_millis(at),
                    event,
                    status_code: status_code.and_then(|code| u16::try_from(code).ok()),
                    duration_ms: u64::try_from(duration_ms).unwrap_or(0),
                    error,
                },
            )
            .collect())
    }

    /// Ends every callback lease (a SQLite server starting: they can only be a previous
    /// run's).
    pub async fn release_callback_leases(&self) -> Result<u64, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query(
            "UPDATE callback_outbox SET lease_until = NULL, lease_owner = NULL
             WHERE status = 'pending' AND lease_until IS NOT NULL",
        )
        .execute(pool)
        .await.map(|done| done.rows_affected()))?)
    }

    /// Deletes delivered and given-up events, and attempts, older than a week.
    pub async fn purge_callbacks(&self) -> Result<u64, StoreError> {
        let cutoff = now_ms() - KEEP_MS;
        let events = on_pool!(self, pool => sqlx::query(
            "DELETE FROM callback_outbox WHERE status <> 'pending' AND created_at < $1",
        )
        .bind(cutoff)
        .execute(pool)
        .await.map(|done| done.rows_affected()))?;
        let attempts = on_pool!(self, pool => sqlx::query("DELETE FROM callback_attempts WHERE at < $1")
            .bind(cutoff)
            .execute(pool)
            .await.map(|done| done.rows_affected()))?;
        Ok(events + attempts)
    }

    /// How many events wait to be delivered (tests and the benchmark).
    pub async fn pending_callbacks(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM callback_outbox WHERE status = 'pending'",
        )
        .fetch_one(pool)
        .await)?)
    }

    /// When the next pending event of an unpaused endpoint is due, if any.
    pub async fn next_callback_due_at(&self) -> Result<Option<i64>, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MIN(CASE WHEN o.lease_until IS NOT NULL AND o.lease_until > o.next_attempt_at
                             THEN o.lease_until ELSE o.next_attempt_at END)
             FROM callback_outbox o JOIN callback_endpoints e ON e.id = o.endpoint_id
             WHERE o.status = 'pending' AND e.paused_at IS NULL",
        )
        .fetch_one(pool)
        .await)?)
    }

    /// Leases up to `limit` due events to `owner`: of unpaused endpoints, and for each
    /// message only its earliest pending event. Each comes with its endpoint's URL and
    /// sealed secret as they are now.
    pub async fn claim_callbacks(
        &self,
        owner: &str,
        limit: u32,
        lease_ms: i64,
    ) -> Result<Vec<ClaimedCallback>, StoreError> {
        let now = now_ms();
        let due = "SELECT o.id FROM callback_outbox o JOIN callback_endpoints e ON e.id = o.endpoint_id
               WHERE o.status = 'pending' AND o.next_attempt_at <= $2
                 AND (o.lease_until IS NULL OR o.lease_until <= $2) AND e.paused_at IS NULL
                 AND NOT EXISTS (SELECT 1 FROM callback_outbox p
                                 WHERE p.message_id = o.message_id AND p.status = 'pending' AND p.id < o.id)
               ORDER BY o.next_attempt_at LIMIT $3";
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE OF o SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let mut tx = self.begin().await?;
        let leased: Vec<(String, String, String, i64, i64)> = on_tx!(&mut tx, conn => sqlx::query_as(&format!(
            "WITH due AS ({due}{lock})
             UPDATE callback_outbox SET lease_until = $1, lease_owner = $4, attempts = attempts + 1
             WHERE id IN (SELECT id FROM due)
             RETURNING id, endpoint_id, payload, attempts, created_at"
        ))
        .bind(now + lease_ms)
        .bind(now)
        .bind(i64::from(limit))
        .bind(owner)
        .fetch_all(&mut *conn)
        .await)?;
        let mut endpoints: Vec<(String, String, Vec<u8>)> = Vec::new();
        let mut claimed = Vec::with_capacity(leased.len());
        for (id, endpoint_id, payload, attempts, created_at) in leased {
            if !endpoints.iter().any(|(known, _, _)| *known == endpoint_id) {
                let (url, secret): (String, Vec<u8>) = on_tx!(&mut tx, conn => sqlx::query_as(
                    "SELECT url, secret_encrypted FROM callback_endpoints WHERE id = $1",
                )
                .bind(&endpoint_id)
                .fetch_one(&mut *conn)
                .await)?;
                endpoints.push((endpoint_id.clone(), url, secret));
            }
            let Some((_, url, secret)) =
                endpoints.iter().find(|(known, _, _)| *known == endpoint_id)
            else {
                continue;
            };
            claimed.push(ClaimedCallback {
                url: url.clone(),
                secret_encrypted: secret.clone(),
                id,
                endpoint_id,
                payload,
                attempts,
                created_at,
            });
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Records attempts in one transaction: the event delivered, rescheduled or given up;
    /// the endpoint's failure streak, paused once it has lasted [`PAUSE_AFTER_MS`].
    pub async fn record_callbacks(&self, outcomes: &[CallbackOutcome]) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        for outcome in outcomes {
            let (status, next, delivered_at) = match outcome.retry_at {
                None => ("delivered", now, Some(now)),
                Some(_) if now - outcome.created_at >= RETRY_WINDOW_MS => ("expired", now, None),
                Some(at) => ("pending", at, None),
            };
            on_tx!(&mut tx, conn => sqlx::query(
                "UPDATE callback_outbox SET status = $1, next_attempt_at = $2, delivered_at = $3,
                   lease_until = NULL, lease_owner = NULL
                 WHERE id = $4",
            )
            .bind(status)
            .bind(next)
            .bind(delivered_at)
            .bind(&outcome.outbox_id)
            .execute(&mut *conn)
            .await.map(|done| done.rows_affected()))?;
            on_tx!(&mut tx, conn => sqlx::query(
                "INSERT INTO callback_attempts (id, endpoint_id, outbox_id, event, status_code, error, duration_ms, at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(Uuid::now_v7().to_string())
            .bind(&outcome.endpoint_id)
            .bind(&outcome.outbox_id)
            .bind(&outcome.event)
            .bind(outcome.status_code.map(i32::from))
            .bind(outcome.error.as_deref())
            .bind(outcome.duration_ms)
            .bind(now)
            .execute(&mut *conn)
            .await.map(|done| done.rows_affected()))?;
            if outcome.retry_at.is_none() {
                on_tx!(&mut tx, conn => sqlx::query(
                    "UPDATE callback_endpoints SET failing_since = NULL WHERE id = $1",
                )
                .bind(&outcome.endpoint_id)
                .execute(&mut *conn)
                .await.map(|done| done.rows_affected()))?;
            } else {
                on_tx!(&mut tx, conn => sqlx::query(
                    "UPDATE callback_endpoints SET failing_since = COALESCE(failing_since, $2),
                       paused_at = CASE WHEN paused_at IS NULL AND COALESCE(failing_since, $2) <= $3
                                        THEN $2 ELSE paused_at END
                     WHERE id = $1",
                )
                .bind(&outcome.endpoint_id)
                .bind(now)
                .bind(now - PAUSE_AFTER_MS)
                .execute(&mut *conn)
                .await.map(|done| done.rows_affected()))?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
