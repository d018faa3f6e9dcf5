//! The integration log (issue 15): the recent token and send requests of each campaign. Rows
//! are appended in batches by [`crate::integration_log`]'s task (never on the send path) and
//! kept 7 days, at most [`KEPT_PER_CAMPAIGN`] per campaign.

use engage_core::wire::{
    CampaignIntegrationHealth, IntegrationCall, IntegrationCallKind, IntegrationHealth,
    IntegrationState, IntegrationSummary,
};
use sqlx::FromRow;
use uuid::Uuid;

use super::{enum_str, from_millis, on_pool, on_tx, parse_enum, parse_uuid, Store, StoreError, Tx};

/// How long a request stays in the log.
pub const KEPT_FOR_MS: i64 = 7 * 24 * 3600 * 1000;
/// The most requests kept per campaign.
pub const KEPT_PER_CAMPAIGN: i64 = 1_000;

/// The log's table on SQLite, in the attached `log` database (see `connect_sqlite`); created
/// when missing, so a log file lost or deleted comes back empty. Migration 0011 describes the
/// columns (PostgreSQL keeps the table in the database); 0015 moved SQLite's rows here.
const SQLITE_LOG_SCHEMA: [&str; 3] = [
    "CREATE TABLE IF NOT EXISTS log.integration_calls (
        id TEXT PRIMARY KEY NOT NULL, workspace_id TEXT NOT NULL, campaign_id TEXT NOT NULL,
        at INTEGER NOT NULL, kind TEXT NOT NULL, status INTEGER NOT NULL,
        refused INTEGER NOT NULL, accepted INTEGER NOT NULL, code TEXT, field TEXT,
        reason TEXT, phone_last4 TEXT, address TEXT, test INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS log.integration_calls_campaign ON integration_calls(campaign_id, at)",
    "CREATE INDEX IF NOT EXISTS log.integration_calls_at ON integration_calls(at)",
];

/// Attaches the integration log's database (`target`: a file path or a memory URI) to a new
/// SQLite connection as `log`, in WAL mode like the main one.
pub(super) async fn attach_sqlite_log(
    conn: &mut sqlx::SqliteConnection,
    target: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("ATTACH DATABASE $1 AS log")
        .bind(target)
        .execute(&mut *conn)
        .await?;
    for pragma in [
        "PRAGMA log.journal_mode = WAL",
        "PRAGMA log.synchronous = NORMAL",
    ] {
        sqlx::query(pragma).execute(&mut *conn).await?;
    }
    Ok(())
}

pub(super) async fn create_sqlite_log_schema(pool: &sqlx::SqlitePool) -> Result<(), sqlx::Error> {
    for statement in SQLITE_LOG_SCHEMA {
        sqlx::query(statement).execute(pool).await?;
    }
    Ok(())
}

/// One request to append.
#[derive(Debug, Clone)]
pub struct NewIntegrationCall {
    pub id: Uuid,
    pub at: i64,
    pub campaign_id: Uuid,
    /// The workspace of the caller's token; `None` when the caller had no valid token (the
    /// call is then recorded on the campaign of the URL, whatever its workspace).
    pub workspace_id: Option<Uuid>,
    pub kind: IntegrationCallKind,
    pub status: u16,
    pub refused: bool,
    pub accepted: u32,
    pub code: Option<String>,
    pub field: Option<String>,
    pub reason: Option<String>,
    pub phone_last4: Option<String>,
    pub address: Option<String>,
    pub test: bool,
}

#[derive(FromRow)]
struct CallRow {
    id: String,
    at: i64,
    kind: String,
    status: i64,
    refused: bool,
    accepted: i64,
    code: Option<String>,
    field: Option<String>,
    reason: Option<String>,
    phone_last4: Option<String>,
    address: Option<String>,
    test: bool,
}

impl TryFrom<CallRow> for IntegrationCall {
    type Error = StoreError;
    fn try_from(row: CallRow) -> Result<Self, StoreError> {
        Ok(IntegrationCall {
            id: parse_uuid("integration call id", &row.id)?,
            at: from_millis(row.at),
            kind: parse_enum("integration call kind", &row.kind)?,
            status: u16::try_from(row.status).unwrap_or(0),
            refused: row.refused,
            accepted: u32::try_from(row.accepted).unwrap_or(0),
            code: row.code,
            field: row.field,
            reason: row.reason,
            phone_last4: row.phone_last4,
            address: row.address,
            test: row.test,
        })
    }
}

const CALL_COLUMNS: &str =
    "id, at, kind, status, refused, accepted, code, field, reason, phone_last4, address, test";

#[derive(FromRow)]
struct SummaryRow {
    token_at: Option<i64>,
    first_sent_at: Option<i64>,
    last_sent_at: Option<i64>,
    last_ok_id: Option<String>,
}

#[derive(FromRow)]
struct HealthRow {
    id: String,
    last_sent_at: Option<i64>,
    last_refused: Option<bool>,
    ever_sent: bool,
}

impl Store {
    /// Appends `calls` in one transaction. A call is kept only when its campaign exists (and
    /// belongs to the caller's workspace, when the caller had a valid token).
    pub async fn append_integration_calls(
        &self,
        calls: &[NewIntegrationCall],
    ) -> Result<u64, StoreError> {
        let mut tx = self.log_store().begin().await?;
        let mut appended = 0;
        for call in calls {
            appended += on_tx!(&mut tx, conn => sqlx::query(
                "INSERT INTO integration_calls (id, workspace_id, campaign_id, at, kind, status,
                        refused, accepted, code, field, reason, phone_last4, address, test)
                 SELECT $1, c.workspace_id, c.id, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
                 FROM campaigns c
                 WHERE c.id = $2 AND ($14 IS NULL OR c.workspace_id = $14)",
            )
            .bind(call.id.to_string())
            .bind(call.campaign_id.to_string())
            .bind(call.at)
            .bind(enum_str(&call.kind))
            .bind(i64::from(call.status))
            .bind(call.refused)
            .bind(i64::from(call.accepted))
            .bind(call.code.as_deref())
            .bind(call.field.as_deref())
            .bind(call.reason.as_deref())
            .bind(call.phone_last4.as_deref())
            .bind(call.address.as_deref())
            .bind(call.test)
            .bind(call.workspace_id.map(|id| id.to_string()))
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(appended)
    }

    /// Drops the campaign's requests older than its newest [`KEPT_PER_CAMPAIGN`] (a range of
    /// the `(campaign_id, at)` index; requests of the same millisecond as the 1,000th stay).
    pub async fn trim_integration_calls(&self, campaign_id: Uuid) -> Result<u64, StoreError> {
        let deleted = on_pool!(self.log_store(), pool => sqlx::query(
            "DELETE FROM integration_calls
             WHERE campaign_id = $1
               AND at < (SELECT at FROM integration_calls WHERE campaign_id = $1
                         ORDER BY at DESC LIMIT 1 OFFSET $2)",
        )
        .bind(campaign_id.to_string())
        .bind(KEPT_PER_CAMPAIGN - 1)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(deleted)
    }

    /// Drops requests older than [`KEPT_FOR_MS`] (the purge loop).
    pub async fn purge_integration_calls(&self) -> Result<u64, StoreError> {
        let deleted = on_pool!(self.log_store(), pool => sqlx::query(
            "DELETE FROM integration_calls WHERE at < $1",
        )
        .bind(super::now_ms() - KEPT_FOR_MS)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(deleted)
    }

    /// Where the campaign's hand-off stands and its recent requests (of the workspace),
    /// newest first, read from one snapshot of the log (the summary and the list agree while
    /// the log task writes).
    pub async fn integration_log(
        &self,
        workspace_id: Uuid,
        campaign_id: Uuid,
        refused_only: bool,
        limit: u32,
    ) -> Result<(IntegrationSummary, Vec<IntegrationCall>), StoreError> {
        let mut tx = self.log_store().begin().await?;
        if let Tx::Postgres(_) = &tx {
            on_tx!(&mut tx, conn => sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .execute(&mut *conn)
                .await
                .map(|done| done.rows_affected()))?;
        }
        let summary = summary_in(&mut tx, workspace_id, campaign_id).await?;
        let calls = calls_in(&mut tx, workspace_id, campaign_id, refused_only, limit).await?;
        tx.commit().await?;
        Ok((summary, calls))
    }

    /// Each campaign of the workspace with its integration's health.
    pub async fn integration_health(
        &self,
        workspace_id: Uuid,
    ) -> Result<Vec<CampaignIntegrationHealth>, StoreError> {
        let rows = on_pool!(self.log_store(), pool => sqlx::query_as::<_, HealthRow>(
            "SELECT c.id,
               (SELECT MAX(l.at) FROM integration_calls l WHERE l.campaign_id = c.id
                  AND l.at >= $2 AND l.kind = 'send' AND l.accepted > 0) AS last_sent_at,
               (SELECT l.refused FROM integration_calls l WHERE l.campaign_id = c.id
                  AND l.at >= $2 ORDER BY l.at DESC, l.id DESC LIMIT 1) AS last_refused,
               EXISTS (SELECT 1 FROM messages m WHERE m.campaign_id = c.id) AS ever_sent
             FROM campaigns c WHERE c.workspace_id = $1",
        )
        .bind(workspace_id.to_string())
        .bind(super::now_ms() - KEPT_FOR_MS)
        .fetch_all(pool)
        .await)?;
        rows.into_iter()
            .map(|row| {
                let health = match (row.last_refused, row.last_sent_at, row.ever_sent) {
                    (Some(true), _, _) => IntegrationHealth::Failing,
                    (_, Some(_), _) => IntegrationHealth::Live,
                    (_, None, true) => IntegrationHealth::Quiet,
                    (_, None, false) => IntegrationHealth::NeverUsed,
                };
                Ok(CampaignIntegrationHealth {
                    campaign_id: parse_uuid("campaign id", &row.id)?,
                    health,
                })
            })
            .collect()
    }
}

/// Where the campaign's hand-off stands, from its log.
async fn summary_in(
    tx: &mut Tx,
    workspace_id: Uuid,
    campaign_id: Uuid,
) -> Result<IntegrationSummary, StoreError> {
    let (campaign, workspace, since) = (
        campaign_id.to_string(),
        workspace_id.to_string(),
        super::now_ms() - KEPT_FOR_MS,
    );
    let row = on_tx!(tx, conn => sqlx::query_as::<_, SummaryRow>(
        "SELECT
           (SELECT MAX(at) FROM integration_calls WHERE campaign_id = $1 AND workspace_id = $2
              AND at >= $3 AND kind = 'token' AND NOT refused) AS token_at,
           (SELECT MIN(at) FROM integration_calls WHERE campaign_id = $1 AND workspace_id = $2
              AND at >= $3 AND kind = 'send' AND accepted > 0) AS first_sent_at,
           (SELECT MAX(at) FROM integration_calls WHERE campaign_id = $1 AND workspace_id = $2
              AND at >= $3 AND kind = 'send' AND accepted > 0) AS last_sent_at,
           (SELECT id FROM integration_calls WHERE campaign_id = $1 AND workspace_id = $2
              AND at >= $3 AND NOT refused ORDER BY at DESC, id DESC LIMIT 1) AS last_ok_id",
    )
    .bind(&campaign)
    .bind(&workspace)
    .bind(since)
    .fetch_one(&mut *conn)
    .await)?;
    // The refusals after the last request that was not refused.
    let last_ok_at = match &row.last_ok_id {
        Some(id) => on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(
            "SELECT at FROM integration_calls WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await)?,
        None => None,
    };
    let refused = on_tx!(tx, conn => sqlx::query_as::<_, CallRow>(&format!(
        "SELECT {CALL_COLUMNS} FROM integration_calls
         WHERE campaign_id = $1 AND workspace_id = $2 AND at >= $3 AND refused
           AND ($4 IS NULL OR at > $4 OR (at = $4 AND id > $5))
         ORDER BY at DESC, id DESC LIMIT $6"
    ))
    .bind(&campaign)
    .bind(&workspace)
    .bind(since)
    .bind(last_ok_at)
    .bind(row.last_ok_id.as_deref().unwrap_or(""))
    .bind(KEPT_PER_CAMPAIGN)
    .fetch_all(&mut *conn)
    .await)?;
    let refused_streak = u32::try_from(refused.len()).unwrap_or(u32::MAX);
    let last_refusal = refused
        .into_iter()
        .next()
        .map(IntegrationCall::try_from)
        .transpose()?;
    let state = if refused_streak > 0 {
        IntegrationState::Failing
    } else if row.last_sent_at.is_some() {
        IntegrationState::Sending
    } else if row.token_at.is_some() {
        IntegrationState::TokenObtained
    } else {
        IntegrationState::Waiting
    };
    Ok(IntegrationSummary {
        state,
        token_at: row.token_at.map(from_millis),
        first_sent_at: row.first_sent_at.map(from_millis),
        last_sent_at: row.last_sent_at.map(from_millis),
        refused_streak,
        last_refusal,
    })
}

/// The campaign's recent requests, newest first.
async fn calls_in(
    tx: &mut Tx,
    workspace_id: Uuid,
    campaign_id: Uuid,
    refused_only: bool,
    limit: u32,
) -> Result<Vec<IntegrationCall>, StoreError> {
    let sql = format!(
        "SELECT {CALL_COLUMNS} FROM integration_calls
         WHERE campaign_id = $1 AND workspace_id = $2 AND at >= $3 AND ($4 = 0 OR refused)
         ORDER BY at DESC, id DESC LIMIT $5"
    );
    let rows = on_tx!(tx, conn => sqlx::query_as::<_, CallRow>(&sql)
        .bind(campaign_id.to_string())
        .bind(workspace_id.to_string())
        .bind(super::now_ms() - KEPT_FOR_MS)
        .bind(i64::from(refused_only))
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await)?;
    rows.into_iter().map(IntegrationCall::try_from).collect()
}

#[cfg(test)]
mod tests {
    use sqlx::Connection as _;

    use super::*;
    use crate::store::files::integration_log_attachment;

    fn call(campaign_id: Uuid) -> NewIntegrationCall {
        NewIntegrationCall {
            id: Uuid::now_v7(),
            at: super::super::now_ms(),
            campaign_id,
            workspace_id: None,
            kind: IntegrationCallKind::Send,
            status: 202,
            refused: false,
            accepted: 1,
            code: None,
            field: None,
            reason: None,
            phone_last4: Some("4321".to_owned()),
            address: None,
            test: false,
        }
    }

    async fn sqlite_store(dir: &std::path::Path) -> (Store, String) {
        let url = format!("sqlite://{}", dir.join("engage.db").display());
        (Store::connect(&url).await.unwrap(), url)
    }

    /// A connection that waits for no lock: a statement that needs a held one fails at once.
    async fn impatient(url: &str) -> sqlx::SqliteConnection {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query("PRAGMA busy_timeout = 0")
            .execute(&mut conn)
            .await
            .unwrap();
        conn
    }

    #[tokio::test]
    async fn on_sqlite_the_database_takes_writes_while_the_log_is_being_written() {
        let dir = tempfile::tempdir().unwrap();
        let (store, url) = sqlite_store(dir.path()).await;
        let workspace = store.create_workspace("W").await.unwrap();
        // The log task mid-append: the log's file write-locked, not yet committed.
        let mut log_writer = impatient(&url).await;
        attach_sqlite_log(&mut log_writer, &integration_log_attachment(&url))
            .await
            .unwrap();
        sqlx::query("BEGIN").execute(&mut log_writer).await.unwrap();
        sqlx::query(
            "INSERT INTO log.integration_calls (id, workspace_id, campaign_id, at, kind, status,
                refused, accepted, test) VALUES ('x', 'w', 'c', 1, 'send', 202, 0, 1, 0)",
        )
        .execute(&mut log_writer)
        .await
        .unwrap();
        // A writer of the database (the message writer's group commit takes the write lock
        // at once) does not wait for it.
        let mut writer = impatient(&url).await;
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut writer)
            .await
            .expect("the database's write lock is free while the log is written");
        sqlx::query("UPDATE workspaces SET name = 'W2' WHERE id = $1")
            .bind(workspace.to_string())
            .execute(&mut writer)
            .await
            .unwrap();
        sqlx::query("COMMIT").execute(&mut writer).await.unwrap();
        sqlx::query("ROLLBACK")
            .execute(&mut log_writer)
            .await
            .unwrap();
        store.close().await;
    }

    #[tokio::test]
    async fn on_sqlite_the_log_is_appended_while_the_database_is_write_locked() {
        let dir = tempfile::tempdir().unwrap();
        let (store, url) = sqlite_store(dir.path()).await;
        // A group commit in progress on the database.
        let mut writer = impatient(&url).await;
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut writer)
            .await
            .unwrap();
        // The log's append reads campaigns (none here: nothing kept) and writes its own file:
        // it completes without the database's write lock.
        let appended = store
            .append_integration_calls(&[call(Uuid::now_v7())])
            .await
            .expect("the log is written while the database is write-locked");
        assert_eq!(appended, 0, "a call of an unknown campaign is not kept");
        store.trim_integration_calls(Uuid::now_v7()).await.unwrap();
        store.purge_integration_calls().await.unwrap();
        sqlx::query("ROLLBACK").execute(&mut writer).await.unwrap();
        store.close().await;
    }
}
