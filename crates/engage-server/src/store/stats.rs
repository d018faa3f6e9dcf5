//! Campaign statistics as counters (issue 12): `campaign_stats` (events by kind per campaign
//! and UTC quarter-hour) and `campaign_failure_stats` (failures by code). The message writer
//! adds to them in the transaction that changes the messages ([`StatsDelta`], written last
//! and in key order so that concurrent writers lock counter rows in the same order); the
//! API reads them, never the messages.

use std::collections::{BTreeMap, HashMap};

use engage_core::stats::slot_of;
use engage_core::wire::{MessageStatus, StatusCounts};
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::{from_millis, on_pool, on_tx, parse_uuid, Store, StoreError, Tx};

/// Rows per multi-row upsert.
const CHUNK: usize = 100;
/// Buckets per statistics query (3 parameters each).
const BUCKET_CHUNK: usize = 500;

/// (campaign id, slot) → (workspace id, counts, latest sent_at).
type SlotKey = (String, i64);

#[derive(Debug, Default, Clone, Copy)]
struct SlotDelta {
    counts: StatusCounts,
    last_sent_at: Option<i64>,
}

/// What one transaction adds to the counters. Only live (not test) messages are counted.
#[derive(Debug, Default)]
pub struct StatsDelta {
    slots: BTreeMap<SlotKey, (String, SlotDelta)>,
    failures: BTreeMap<(String, i64, String), (String, u64)>,
}

impl StatsDelta {
    fn slot(&mut self, workspace_id: &str, campaign_id: &str, at: i64) -> &mut SlotDelta {
        &mut self
            .slots
            .entry((campaign_id.to_owned(), slot_of(at)))
            .or_insert_with(|| (workspace_id.to_owned(), SlotDelta::default()))
            .1
    }

    /// A message reached `status` at `at` (ms).
    pub fn event(&mut self, workspace_id: &str, campaign_id: &str, status: MessageStatus, at: i64) {
        let slot = self.slot(workspace_id, campaign_id, at);
        match status {
            MessageStatus::Queued => slot.counts.accepted += 1,
            MessageStatus::Sent => {
                slot.counts.sent += 1;
                slot.last_sent_at = Some(slot.last_sent_at.map_or(at, |last| last.max(at)));
            }
            MessageStatus::Delivered => slot.counts.delivered += 1,
            MessageStatus::Read => slot.counts.read += 1,
            MessageStatus::Failed => slot.counts.failed += 1,
        }
    }

    /// A message failed at `at` with `code`.
    pub fn failure(&mut self, workspace_id: &str, campaign_id: &str, code: &str, at: i64) {
        self.event(workspace_id, campaign_id, MessageStatus::Failed, at);
        self.failures
            .entry((campaign_id.to_owned(), slot_of(at), code.to_owned()))
            .or_insert_with(|| (workspace_id.to_owned(), 0))
            .1 += 1;
    }

    /// Adds the delta to the counters in the open transaction.
    pub(crate) async fn write(self, tx: &mut Tx) -> Result<(), sqlx::Error> {
        let slots: Vec<_> = self.slots.into_iter().collect();
        for chunk in slots.chunks(CHUNK) {
            on_tx!(&mut *tx, conn => {
                let mut builder = QueryBuilder::new(
                    "INSERT INTO campaign_stats (campaign_id, slot, workspace_id, n_accepted, n_sent, n_delivered, n_read, n_failed, last_sent_at) ",
                );
                builder.push_values(chunk, |mut row, ((campaign, slot), (workspace, delta))| {
                    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
                    row.push_bind(campaign.as_str())
                        .push_bind(*slot)
                        .push_bind(workspace.as_str())
                        .push_bind(count(delta.counts.accepted))
                        .push_bind(count(delta.counts.sent))
                        .push_bind(count(delta.counts.delivered))
                        .push_bind(count(delta.counts.read))
                        .push_bind(count(delta.counts.failed))
                        .push_bind(delta.last_sent_at);
                });
                builder.push(
                    " ON CONFLICT (campaign_id, slot) DO UPDATE SET
                       n_accepted = campaign_stats.n_accepted + excluded.n_accepted,
                       n_sent = campaign_stats.n_sent + excluded.n_sent,
                       n_delivered = campaign_stats.n_delivered + excluded.n_delivered,
                       n_read = campaign_stats.n_read + excluded.n_read,
                       n_failed = campaign_stats.n_failed + excluded.n_failed,
                       last_sent_at = CASE
                         WHEN campaign_stats.last_sent_at IS NULL
                           OR excluded.last_sent_at > campaign_stats.last_sent_at
                         THEN COALESCE(excluded.last_sent_at, campaign_stats.last_sent_at)
                         ELSE campaign_stats.last_sent_at END",
                );
                builder.build().execute(&mut *conn).await?;
            });
        }
        let failures: Vec<_> = self.failures.into_iter().collect();
        for chunk in failures.chunks(CHUNK) {
            on_tx!(&mut *tx, conn => {
                let mut builder = QueryBuilder::new(
                    "INSERT INTO campaign_failure_stats (campaign_id, slot, code, workspace_id, n) ",
                );
                builder.push_values(chunk, |mut row, ((campaign, slot, code), (workspace, n))| {
                    row.push_bind(campaign.as_str())
                        .push_bind(*slot)
                        .push_bind(code.as_str())
                        .push_bind(workspace.as_str())
                        .push_bind(i64::try_from(*n).unwrap_or(i64::MAX));
                });
                builder.push(
                    " ON CONFLICT (campaign_id, slot, code) DO UPDATE SET
                       n = campaign_failure_stats.n + excluded.n",
                );
                builder.build().execute(&mut *conn).await?;
            });
        }
        Ok(())
    }
}

/// A campaign's counters summed over one bucket of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketCounts {
    pub campaign_id: Uuid,
    /// The bucket's index in the bounds asked for.
    pub bucket: usize,
    pub counts: StatusCounts,
}

/// A campaign's failures with one code in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureCount {
    pub campaign_id: Uuid,
    pub code: String,
    pub count: u64,
}

/// The campaign list's activity of a campaign.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CampaignActivity {
    pub sent_last_7_days: u64,
    pub last_sent_at: Option<time::OffsetDateTime>,
}

type BucketRow = (String, i64, i64, i64, i64, i64, i64);

fn bucket_row(row: BucketRow) -> Result<BucketCounts, StoreError> {
    let (campaign, bucket, accepted, sent, delivered, read, failed) = row;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok(BucketCounts {
        campaign_id: parse_uuid("campaign id", &campaign)?,
        bucket: usize::try_from(bucket).unwrap_or(usize::MAX),
        counts: StatusCounts {
            accepted: count(accepted),
            sent: count(sent),
            delivered: count(delivered),
            read: count(read),
            failed: count(failed),
        },
    })
}

fn failure_row((campaign, code, count): (String, String, i64)) -> Result<FailureCount, StoreError> {
    Ok(FailureCount {
        campaign_id: parse_uuid("campaign id", &campaign)?,
        code,
        count: u64::try_from(count).unwrap_or(0),
    })
}

/// Which counters a read covers.
#[derive(Debug, Clone, Copy)]
pub enum StatsScope {
    Campaign(Uuid),
    Workspace(Uuid),
}

impl StatsScope {
    fn condition(self) -> (&'static str, String) {
        match self {
            StatsScope::Campaign(id) => ("campaign_id", id.to_string()),
            StatsScope::Workspace(id) => ("workspace_id", id.to_string()),
        }
    }
}

impl Store {
    /// Adds `delta` to the counters in a transaction of its own: for seeding (the
    /// statistics benchmark). Message status changes add theirs in their own transaction.
    pub async fn add_stats(&self, delta: StatsDelta) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        delta.write(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The counters summed per campaign and bucket, each bucket being the slots starting in
    /// its `[start, end)` (ms): the database adds them up, one row per bucket comes back.
    pub async fn stat_buckets(
        &self,
        scope: StatsScope,
        bounds: &[(i64, i64)],
    ) -> Result<Vec<BucketCounts>, StoreError> {
        let (column, id) = scope.condition();
        let mut rows: Vec<BucketRow> = Vec::new();
        for (offset, chunk) in (0..).step_by(BUCKET_CHUNK).zip(bounds.chunks(BUCKET_CHUNK)) {
            let indexed: Vec<(i64, i64, i64)> = (offset..)
                .zip(chunk)
                .map(|(index, (start, end))| (index, *start, *end))
                .collect();
            let part: Vec<BucketRow> = on_pool!(self, pool => {
                let mut builder = QueryBuilder::new(
                    "SELECT s.campaign_id, b.column1,
                       CAST(SUM(s.n_accepted) AS BIGINT), CAST(SUM(s.n_sent) AS BIGINT),
                       CAST(SUM(s.n_delivered) AS BIGINT), CAST(SUM(s.n_read) AS BIGINT),
                       CAST(SUM(s.n_failed) AS BIGINT)
                     FROM (",
                );
                builder.push_values(&indexed, |mut row, (index, start, end)| {
                    row.push_bind(*index).push_bind(*start).push_bind(*end);
                });
                builder
                    .push(format_args!(
                        ") AS b JOIN campaign_stats s ON s.{column} = "
                    ))
                    .push_bind(id.as_str())
                    .push(
                        " AND s.slot >= b.column2 AND s.slot < b.column3
                         GROUP BY s.campaign_id, b.column1",
                    );
                builder.build_query_as::<BucketRow>().fetch_all(pool).await
            })?;
            rows.extend(part);
        }
        rows.into_iter().map(bucket_row).collect()
    }

    /// Failures by campaign and code in the slots starting in `[first, end)` (ms).
    pub async fn failure_counts(
        &self,
        scope: StatsScope,
        first: i64,
        end: i64,
    ) -> Result<Vec<FailureCount>, StoreError> {
        let (column, id) = scope.condition();
        let rows: Vec<(String, String, i64)> = on_pool!(self, pool => sqlx::query_as(&format!(
            "SELECT campaign_id, code, CAST(SUM(n) AS BIGINT) FROM campaign_failure_stats
             WHERE {column} = $1 AND slot >= $2 AND slot < $3 GROUP BY campaign_id, code"
        ))
        .bind(&id)
        .bind(first)
        .bind(end)
        .fetch_all(pool)
        .await)?;
        rows.into_iter().map(failure_row).collect()
    }

    /// Each campaign's messages sent since `since` (ms) and its last send, for the campaign
    /// list (`only`: that campaign; campaigns without any send are left out).
    pub async fn campaign_activity(
        &self,
        workspace_id: Uuid,
        only: Option<Uuid>,
        since: i64,
    ) -> Result<HashMap<Uuid, CampaignActivity>, StoreError> {
        let rows: Vec<(String, Option<i64>, Option<i64>)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT c.id,
               (SELECT CAST(SUM(s.n_sent) AS BIGINT) FROM campaign_stats s
                 WHERE s.campaign_id = c.id AND s.slot >= $2),
               (SELECT s.last_sent_at FROM campaign_stats s
                 WHERE s.campaign_id = c.id AND s.last_sent_at IS NOT NULL
                 ORDER BY s.slot DESC LIMIT 1)
             FROM campaigns c WHERE c.workspace_id = $1 AND ($3 IS NULL OR c.id = $4)"
        )
        .bind(workspace_id.to_string())
        .bind(slot_of(since))
        .bind(only.map(|id| id.to_string()))
        .bind(only.map(|id| id.to_string()))
        .fetch_all(pool)
        .await)?;
        let mut activity = HashMap::new();
        for (campaign, sent, last) in rows {
            if sent.is_none() && last.is_none() {
                continue;
            }
            activity.insert(
                parse_uuid("campaign id", &campaign)?,
                CampaignActivity {
                    sent_last_7_days: sent.and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
                    last_sent_at: last.map(from_millis),
                },
            );
        }
        Ok(activity)
    }
}
