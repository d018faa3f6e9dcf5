//! The single message writer: every accepted send goes through one task that commits many
//! requests in one transaction (group commit). Each request waits on a oneshot for the commit,
//! so a 202 is only sent once its messages are durable.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Notify};

use super::idempotency::{claim_key, IdempotencyRecord, NewIdempotencyKey};
use super::messages::{insert_messages, NewMessage};
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

struct Job {
    request: WriteRequest,
    reply: oneshot::Sender<Result<WriteOutcome, StoreError>>,
}

/// Cloneable handle to submit writes.
#[derive(Clone)]
pub struct MessageWriter {
    sender: mpsc::Sender<Job>,
}

impl MessageWriter {
    /// Spawns the writer task. It stops when every handle is dropped, after committing what
    /// was already submitted. `committed` is notified after each commit (wakes the worker).
    pub fn spawn(
        store: Store,
        committed: Arc<Notify>,
    ) -> (MessageWriter, tokio::task::JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(CHANNEL_CAPACITY);
        let handle = tokio::spawn(run(store, receiver, committed));
        (MessageWriter { sender }, handle)
    }

    /// Submits the request and waits for its commit.
    pub async fn write(&self, request: WriteRequest) -> Result<WriteOutcome, StoreError> {
        let (reply, receive) = oneshot::channel();
        self.sender
            .send(Job { request, reply })
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        receive.await.map_err(|_| StoreError::WriterStopped)?
    }
}

async fn run(store: Store, mut receiver: mpsc::Receiver<Job>, committed: Arc<Notify>) {
    while let Some(first) = receiver.recv().await {
        let mut total = first.request.messages.len();
        let mut jobs = vec![first];
        while total < MAX_GROUP_MESSAGES {
            match receiver.try_recv() {
                Ok(job) => {
                    total += job.request.messages.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        match commit_group(&store, &jobs).await {
            Ok(outcomes) => {
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            Err(error) if jobs.len() > 1 => {
                // One request spoilt the group: commit each on its own so the others succeed.
                tracing::warn!(%error, requests = jobs.len(), "group commit failed; retrying requests one by one");
                for job in jobs {
                    let result = commit_group(&store, std::slice::from_ref(&job))
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
        committed.notify_one();
    }
}

async fn commit_group(store: &Store, jobs: &[Job]) -> Result<Vec<WriteOutcome>, StoreError> {
    let mut tx = store.pool().begin().await?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    for job in jobs {
        if let Some(key) = &job.request.idempotency {
            if let Some(existing) = claim_key(&mut tx, key).await? {
                outcomes.push(WriteOutcome::KeyExists(existing));
                continue;
            }
        }
        insert_messages(&mut tx, &job.request.messages).await?;
        outcomes.push(WriteOutcome::Committed);
    }
    tx.commit().await?;
    Ok(outcomes)
}
