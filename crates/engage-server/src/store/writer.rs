//! The one owner of message state. Nothing else changes the `messages` table: new messages,
//! claims (leases), delivery outcomes (sent, retried, deferred, failed) and the provider's
//! later reports (delivered, read, failed) are all submitted here and applied along
//! engage-core's status rules.
//!
//! Each server instance runs one writer task. Sends are group-committed: many requests in
//! one transaction, each waiting on a oneshot for the commit, so a 202 is only sent once its
//! messages are durable. Delivery outcomes arriving together are committed together too.
//! On SQLite the single task also means queue writes never wait on the busy handler for
//! each other; on PostgreSQL several instances' writers work side by side, each claim
//! skipping rows another holds.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Notify};

use uuid::Uuid;

use super::idempotency::{claim_key, IdempotencyRecord, NewIdempotencyKey};
use super::messages::{
    apply_outcomes, apply_reports, claim_due, insert_messages, release_leases, ClaimedMessage,
    NewMessage, Outcome, ProviderReport, ReportsApplied,
};
use super::{Backend, Store, StoreError};

/// Most messages committed in one transaction.
const MAX_GROUP_MESSAGES: usize = 5_000;
/// Queue depth of pending requests.
const CHANNEL_CAPACITY: usize = 4_096;

/// One send request's writes.
#[derive(Debug)]
pub struct WriteRequest {
    pub messages: Vec<NewMessage>,
    /// When the request carried an `Idempotency-Key`: inserted in the same transaction.
    pub idempotency: Option<NewIdempotencyKey>,
}

#[derive(Debug)]
pub enum WriteOutcome {
    /// The messages (and key) are committed.
    Committed,
    /// The key already existed: nothing was written; this is the first request's record.
    KeyExists(IdempotencyRecord),
}

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

enum Job {
    Send {
        request: WriteRequest,
        reply: Reply<WriteOutcome>,
    },
    Claim {
        limit: u32,
        lease_ms: i64,
        reply: Reply<Vec<ClaimedMessage>>,
    },
    Outcome {
        outcome: Outcome,
        reply: Reply<()>,
    },
    Reports {
        scope: Option<Uuid>,
        reports: Vec<ProviderReport>,
        reply: Reply<ReportsApplied>,
    },
    Release {
        reply: Reply<u64>,
    },
}

/// Cloneable handle to submit writes.
#[derive(Clone)]
pub struct MessageWriter {
    sender: mpsc::Sender<Job>,
}

impl MessageWriter {
    /// Spawns the writer task of the instance `owner` (its leases carry that name). It stops
    /// when every handle is dropped, after committing what was already submitted.
    /// `committed` is notified after each commit of new messages (wakes the worker).
    pub fn spawn(
        store: Store,
        owner: String,
        committed: Arc<Notify>,
    ) -> (MessageWriter, tokio::task::JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(CHANNEL_CAPACITY);
        let handle = tokio::spawn(run(store, owner, receiver, committed));
        (MessageWriter { sender }, handle)
    }

    async fn submit<T>(&self, job: impl FnOnce(Reply<T>) -> Job) -> Result<T, StoreError> {
        let (reply, receive) = oneshot::channel();
        self.sender
            .send(job(reply))
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        receive.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Submits a send request's writes and waits for their commit.
    pub async fn write(&self, request: WriteRequest) -> Result<WriteOutcome, StoreError> {
        self.submit(|reply| Job::Send { request, reply }).await
    }

    /// Leases up to `limit` due queued messages to this instance for `lease_ms`.
    pub async fn claim(
        &self,
        limit: u32,
        lease_ms: i64,
    ) -> Result<Vec<ClaimedMessage>, StoreError> {
        self.submit(|reply| Job::Claim {
            limit,
            lease_ms,
            reply,
        })
        .await
    }

    /// Records what became of one delivery attempt and waits for its commit.
    pub async fn record(&self, outcome: Outcome) -> Result<(), StoreError> {
        self.submit(|reply| Job::Outcome { outcome, reply }).await
    }

    /// Applies the provider's status reports (of workspace `scope` only, when given).
    pub async fn report(
        &self,
        scope: Option<Uuid>,
        reports: Vec<ProviderReport>,
    ) -> Result<ReportsApplied, StoreError> {
        if reports.is_empty() {
            return Ok(ReportsApplied::default());
        }
        self.submit(|reply| Job::Reports {
            scope,
            reports,
            reply,
        })
        .await
    }

    /// Gives up this instance's leases (it is stopping): other instances take the messages
    /// at once instead of after the lease.
    pub async fn release_leases(&self) -> Result<u64, StoreError> {
        self.submit(|reply| Job::Release { reply }).await
    }
}

struct SendJob {
    request: WriteRequest,
    reply: Reply<WriteOutcome>,
}

async fn run(
    store: Store,
    owner: String,
    mut receiver: mpsc::Receiver<Job>,
    committed: Arc<Notify>,
) {
    if store.backend() == Backend::Sqlite {
        // One server per SQLite file: a lease left in it belongs to a previous run that
        // stopped (or was killed) mid-delivery.
        match release_leases(&store, None).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "released delivery leases of a previous run"),
            Err(error) => tracing::warn!(%error, "releasing the leases of a previous run failed"),
        }
    }
    while let Some(first) = receiver.recv().await {
        let mut sends = Vec::new();
        let mut outcomes = Vec::new();
        let mut others = Vec::new();
        let mut total = 0;
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Send { request, reply } => {
                    total += request.messages.len();
                    sends.push(SendJob { request, reply });
                }
                Job::Outcome { outcome, reply } => {
                    total += 1;
                    outcomes.push((outcome, reply));
                }
                other => others.push(other),
            }
            if total < MAX_GROUP_MESSAGES {
                next = receiver.try_recv().ok();
            }
        }
        if !sends.is_empty() {
            commit_sends(&store, sends).await;
            committed.notify_one();
        }
        if !outcomes.is_empty() {
            commit_outcomes(&store, outcomes).await;
        }
        for job in others {
            run_other(&store, &owner, job).await;
        }
    }
}

async fn run_other(store: &Store, owner: &str, job: Job) {
    match job {
        Job::Claim {
            limit,
            lease_ms,
            reply,
        } => {
            let _ = reply.send(claim_due(store, owner, limit, lease_ms).await);
        }
        Job::Reports {
            scope,
            reports,
            reply,
        } => {
            let result = async {
                let mut tx = store.begin().await?;
                let applied = apply_reports(&mut tx, scope, &reports).await?;
                tx.commit().await?;
                Ok(applied)
            }
            .await;
            let _ = reply.send(result);
        }
        Job::Release { reply } => {
            let _ = reply.send(release_leases(store, Some(owner)).await);
        }
        Job::Send { request, reply } => {
            commit_sends(store, vec![SendJob { request, reply }]).await;
        }
        Job::Outcome { outcome, reply } => {
            commit_outcomes(store, vec![(outcome, reply)]).await;
        }
    }
}

/// Commits outcomes in one transaction (one by one when the group fails).
async fn commit_outcomes(store: &Store, jobs: Vec<(Outcome, Reply<()>)>) {
    let commit = |outcomes: Vec<Outcome>| async move {
        let mut tx = store.begin().await?;
        apply_outcomes(&mut tx, &outcomes).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    };
    let outcomes: Vec<Outcome> = jobs.iter().map(|(outcome, _)| outcome.clone()).collect();
    match commit(outcomes).await {
        Ok(()) => {
            for (_, reply) in jobs {
                let _ = reply.send(Ok(()));
            }
        }
        Err(error) if jobs.len() > 1 => {
            tracing::warn!(%error, outcomes = jobs.len(), "recording outcomes failed; retrying one by one");
            for (outcome, reply) in jobs {
                let _ = reply.send(commit(vec![outcome]).await);
            }
        }
        Err(error) => {
            if let Some((_, reply)) = jobs.into_iter().next() {
                let _ = reply.send(Err(error));
            }
        }
    }
}

async fn commit_sends(store: &Store, mut jobs: Vec<SendJob>) {
    match commit_group(store, &jobs).await {
        Ok(outcomes) => {
            for (job, outcome) in jobs.into_iter().zip(outcomes) {
                let _ = job.reply.send(Ok(outcome));
            }
        }
        Err(error) if jobs.len() > 1 => {
            // One request spoilt the group: commit each on its own so the others succeed.
            tracing::warn!(%error, requests = jobs.len(), "group commit failed; retrying requests one by one");
            for job in jobs {
                let result = commit_group(store, std::slice::from_ref(&job))
                    .await
                    .map(|mut outcomes| outcomes.remove(0));
                let _ = job.reply.send(result);
            }
        }
        Err(error) => {
            if let Some(job) = jobs.pop() {
                let _ = job.reply.send(Err(error));
            }
        }
    }
}

async fn commit_group(store: &Store, jobs: &[SendJob]) -> Result<Vec<WriteOutcome>, StoreError> {
    let mut tx = store.begin().await?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    // Requests without an Idempotency-Key share multi-row INSERTs; keyed requests claim
    // their key first and write only when it is new.
    let mut unkeyed: Vec<&NewMessage> = Vec::new();
    for job in jobs {
        match &job.request.idempotency {
            Some(key) => match claim_key(&mut tx, key).await? {
                Some(existing) => outcomes.push(WriteOutcome::KeyExists(existing)),
                None => {
                    let messages: Vec<&NewMessage> = job.request.messages.iter().collect();
                    insert_messages(&mut tx, &messages).await?;
                    outcomes.push(WriteOutcome::Committed);
                }
            },
            None => {
                unkeyed.extend(job.request.messages.iter());
                outcomes.push(WriteOutcome::Committed);
            }
        }
    }
    insert_messages(&mut tx, &unkeyed).await?;
    if let super::Tx::Postgres(pg) = &mut tx {
        // Delivered with the commit: idle workers of every instance claim at once.
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(super::notify::QUEUE_CHANNEL)
            .execute(&mut **pg)
            .await?;
    }
    tx.commit().await?;
    Ok(outcomes)
}
