//! The single queue writer. Every accepted send goes through one task that commits many
//! requests in one transaction (group commit); each request waits on a oneshot for the
//! commit, so a 202 is only sent once its messages are durable. The delivery worker's
//! claims and status updates go through the same task, so queue writes never wait on
//! SQLite's busy handler for each other.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Notify};

use super::idempotency::{claim_key, IdempotencyRecord, NewIdempotencyKey};
use super::messages::{
    apply_updates, claim_due, insert_messages, ClaimedMessage, NewMessage, StatusUpdate,
};
use super::{Store, StoreError};

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
    Status {
        updates: Vec<StatusUpdate>,
        reply: Reply<()>,
    },
}

/// Cloneable handle to submit writes.
#[derive(Clone)]
pub struct MessageWriter {
    sender: mpsc::Sender<Job>,
}

impl MessageWriter {
    /// Spawns the writer task. It stops when every handle is dropped, after committing what
    /// was already submitted. `committed` is notified after each commit of new messages
    /// (wakes the worker).
    pub fn spawn(
        store: Store,
        committed: Arc<Notify>,
    ) -> (MessageWriter, tokio::task::JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(CHANNEL_CAPACITY);
        let handle = tokio::spawn(run(store, receiver, committed));
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

    /// Leases up to `limit` due queued messages for `lease_ms`.
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

    /// Applies delivery outcomes in one transaction.
    pub async fn apply(&self, updates: Vec<StatusUpdate>) -> Result<(), StoreError> {
        if updates.is_empty() {
            return Ok(());
        }
        self.submit(|reply| Job::Status { updates, reply }).await
    }
}

struct SendJob {
    request: WriteRequest,
    reply: Reply<WriteOutcome>,
}

async fn run(store: Store, mut receiver: mpsc::Receiver<Job>, committed: Arc<Notify>) {
    while let Some(first) = receiver.recv().await {
        let mut sends = Vec::new();
        let mut others = Vec::new();
        let mut total = 0;
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Send { request, reply } => {
                    total += request.messages.len();
                    sends.push(SendJob { request, reply });
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
        for job in others {
            run_other(&store, job).await;
        }
    }
}

async fn run_other(store: &Store, job: Job) {
    match job {
        Job::Claim {
            limit,
            lease_ms,
            reply,
        } => {
            let result = async {
                let mut conn = store.pool().acquire().await?;
                claim_due(&mut conn, limit, lease_ms).await
            }
            .await;
            let _ = reply.send(result);
        }
        Job::Status { updates, reply } => {
            let result = async {
                let mut tx = store.pool().begin().await?;
                apply_updates(&mut tx, &updates).await?;
                tx.commit().await?;
                Ok(())
            }
            .await;
            let _ = reply.send(result);
        }
        Job::Send { request, reply } => {
            commit_sends(store, vec![SendJob { request, reply }]).await;
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
    let mut tx = store.pool().begin().await?;
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
    tx.commit().await?;
    Ok(outcomes)
}
