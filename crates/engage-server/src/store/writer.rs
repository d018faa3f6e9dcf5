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

use std::collections::BTreeMap;

use engage_core::frequency_cap::FrequencyCapExt;
use engage_core::wire::FrequencyCap;

use super::frequency_cap::{lock_sends, store_sends, CapKey};
use super::idempotency::{claim_key, settle_key, IdempotencyRecord, NewIdempotencyKey};
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
    /// The campaign's frequency cap, applied to the messages that are not staff test sends
    /// in the commit's transaction (see [`CapAnswer`] for the key's answer).
    pub cap: Option<CapRule>,
}

/// A frequency cap to apply to a request, and how to answer it once some of its messages are
/// refused.
#[derive(Clone)]
pub struct CapRule {
    pub cap: FrequencyCap,
    /// The answer the request's `Idempotency-Key` replays when some messages were refused:
    /// `(status, body)`, or `None` to write nothing and release the key (a one-recipient
    /// send refused as a whole).
    pub answer: CapAnswer,
}

/// See [`CapRule::answer`].
pub type CapAnswer = Arc<dyn Fn(&[Capped]) -> Option<(u16, String)> + Send + Sync>;

impl std::fmt::Debug for CapRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CapRule").field("cap", &self.cap).finish()
    }
}

/// A message the frequency cap refused: nothing was written for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capped {
    pub id: Uuid,
    /// When a send to this recipient would next be allowed (ms).
    pub retry_at: i64,
}

#[derive(Debug)]
pub enum WriteOutcome {
    /// The messages (and key) are committed, except those the frequency cap refused.
    Committed { capped: Vec<Capped> },
    /// The key already existed: nothing was written; this is the first request's record.
    KeyExists(IdempotencyRecord),
}

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

enum Job {
    Send {
        request: WriteRequest,
        reply: Reply<WriteOutcome>,
    },
    Outcome {
        outcome: Outcome,
        reply: Reply<()>,
    },
    Other(Other),
}

/// Jobs run one at a time, after the group commits of sends and outcomes.
enum Other {
    Claim {
        limit: u32,
        lease_ms: i64,
        reply: Reply<Vec<ClaimedMessage>>,
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

/// A handle that does not keep the writer running (the sandbox's later reports: a writer
/// stopping meanwhile simply drops them).
#[derive(Clone)]
pub struct WeakMessageWriter {
    sender: mpsc::WeakSender<Job>,
}

impl WeakMessageWriter {
    /// The writer, while it still runs.
    pub fn upgrade(&self) -> Option<MessageWriter> {
        self.sender.upgrade().map(|sender| MessageWriter { sender })
    }
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

    pub fn downgrade(&self) -> WeakMessageWriter {
        WeakMessageWriter {
            sender: self.sender.downgrade(),
        }
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
        self.submit(|reply| {
            Job::Other(Other::Claim {
                limit,
                lease_ms,
                reply,
            })
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
        self.submit(|reply| {
            Job::Other(Other::Reports {
                scope,
                reports,
                reply,
            })
        })
        .await
    }

    /// Gives up this instance's leases (it is stopping): other instances take the messages
    /// at once instead of after the lease.
    pub async fn release_leases(&self) -> Result<u64, StoreError> {
        self.submit(|reply| Job::Other(Other::Release { reply }))
            .await
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
                Job::Other(other) => others.push(other),
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
            commit_outcomes(&store, &owner, outcomes).await;
        }
        for job in others {
            run_other(&store, &owner, job).await;
        }
    }
}

async fn run_other(store: &Store, owner: &str, job: Other) {
    match job {
        Other::Claim {
            limit,
            lease_ms,
            reply,
        } => {
            let _ = reply.send(claim_due(store, owner, limit, lease_ms).await);
        }
        Other::Reports {
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
        Other::Release { reply } => {
            let _ = reply.send(release_leases(store, Some(owner)).await);
        }
    }
}

/// Commits the outcomes of `owner`'s deliveries in one transaction (one by one when the
/// group fails).
async fn commit_outcomes(store: &Store, owner: &str, jobs: Vec<(Outcome, Reply<()>)>) {
    let commit = |outcomes: Vec<Outcome>| async move {
        let mut tx = store.begin().await?;
        apply_outcomes(&mut tx, owner, &outcomes).await?;
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
    // Keyed requests claim their key first and write only when it is new.
    let mut writes = Vec::with_capacity(jobs.len());
    for job in jobs {
        let existing = match &job.request.idempotency {
            Some(key) => claim_key(&mut tx, key).await?,
            None => None,
        };
        writes.push(existing);
    }
    // The frequency cap: lock each capped recipient's row (in key order, the same in every
    // instance's writer) and decide the messages in request order, counting those of this
    // group as they are accepted.
    let mut windows: BTreeMap<CapKey, Vec<i64>> = BTreeMap::new();
    for (job, existing) in jobs.iter().zip(&writes) {
        if existing.is_some() || job.request.cap.is_none() {
            continue;
        }
        for message in job.request.messages.iter().filter(|m| !m.test_send) {
            windows.entry(cap_key(message)).or_default();
        }
    }
    for (key, sends) in windows.iter_mut() {
        *sends = lock_sends(&mut tx, key).await?;
    }
    let mut outcomes = Vec::with_capacity(jobs.len());
    // Requests share multi-row INSERTs.
    let mut accepted: Vec<&NewMessage> = Vec::new();
    for (job, existing) in jobs.iter().zip(writes) {
        if let Some(existing) = existing {
            outcomes.push(WriteOutcome::KeyExists(existing));
            continue;
        }
        let mut capped = Vec::new();
        for message in &job.request.messages {
            if let (Some(rule), false) = (&job.request.cap, message.test_send) {
                let sends = windows.entry(cap_key(message)).or_default();
                if let Some(retry_at) = rule.cap.next_allowed(sends, message.created_at) {
                    capped.push(Capped {
                        id: message.id,
                        retry_at,
                    });
                    continue;
                }
                sends.push(message.created_at);
            }
            accepted.push(message);
        }
        if let (false, Some(rule), Some(key)) = (
            capped.is_empty(),
            &job.request.cap,
            &job.request.idempotency,
        ) {
            settle_key(&mut tx, key, (rule.answer)(&capped)).await?;
        }
        outcomes.push(WriteOutcome::Committed { capped });
    }
    let now = super::now_ms();
    for (key, sends) in &windows {
        store_sends(&mut tx, key, sends, now).await?;
    }
    let mut stats = super::stats::StatsDelta::default();
    insert_messages(&mut tx, &accepted, &mut stats).await?;
    // The counters last, in key order (see `stats`).
    stats.write(&mut tx).await?;
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

fn cap_key(message: &NewMessage) -> CapKey {
    (
        message.campaign_id.to_string(),
        message.to.clone(),
        message.test,
    )
}

#[cfg(test)]
mod tests {
    use engage_core::wire::{
        CampaignType, MessageError, MessageStatus, ProviderKind, SenderStatus,
    };
    use uuid::Uuid;

    use super::*;
    use crate::store::{now_ms, NewCampaign, NewSender, NewTemplate};

    struct Fixture {
        _dir: tempfile::TempDir,
        store: Store,
        writer: MessageWriter,
        workspace_id: Uuid,
        campaign_id: Uuid,
        sender_id: Uuid,
    }

    async fn fixture(owner: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("w.db").display());
        let store = Store::connect(&url).await.unwrap();
        let workspace_id = store.create_workspace("W").await.unwrap();
        let sender_id = store
            .create_sender(NewSender {
                workspace_id,
                name: "S",
                phone: "+5511987654321",
                status: SenderStatus::Active,
                provider: ProviderKind::Sandbox,
            })
            .await
            .unwrap();
        let template = engage_core::parse_meta_template(&serde_json::json!({
            "name": "t", "language": "pt_BR", "status": "APPROVED", "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Olá {{1}}", "example": {"body_text": [["Ana"]]}}]
        }))
        .unwrap()
        .to_wire(Uuid::nil());
        let template_id = store
            .upsert_template(NewTemplate {
                workspace_id,
                name: &template.name,
                language: &template.language,
                category: template.category,
                status: template.status,
                components: &template.components,
                variables: &template.variables,
                meta_id: None,
                unsupported: None,
                last_change: None,
            })
            .await
            .unwrap();
        let campaign_id = store
            .create_campaign(
                NewCampaign {
                    workspace_id,
                    name: "C",
                    name_key: "c",
                    campaign_type: CampaignType::Recurrent,
                    sender_id,
                    template_id,
                    frequency_cap: None,
                },
                &crate::store::AuditContext::system(workspace_id, "test"),
            )
            .await
            .unwrap();
        let (writer, _task) =
            MessageWriter::spawn(store.clone(), owner.to_owned(), Arc::new(Notify::new()));
        Fixture {
            _dir: dir,
            store,
            writer,
            workspace_id,
            campaign_id,
            sender_id,
        }
    }

    impl Fixture {
        async fn enqueue(&self, n: usize) -> Vec<Uuid> {
            self.enqueue_with(n, false).await
        }

        async fn enqueue_with(&self, n: usize, test: bool) -> Vec<Uuid> {
            self.enqueue_kind(n, test, false).await
        }

        async fn enqueue_kind(&self, n: usize, test: bool, test_send: bool) -> Vec<Uuid> {
            let messages: Vec<NewMessage> = (0..n)
                .map(|i| NewMessage {
                    id: Uuid::now_v7(),
                    workspace_id: self.workspace_id,
                    campaign_id: self.campaign_id,
                    sender_id: self.sender_id,
                    to: format!("+55119876500{i:02}"),
                    variables: r#"{"1":"Ana"}"#.into(),
                    rendered: r#"{"header":null,"body":"Olá Ana","footer":null,"buttons":[]}"#
                        .into(),
                    text: "Olá Ana".into(),
                    created_at: now_ms(),
                    test,
                    test_send,
                })
                .collect();
            let ids = messages.iter().map(|m| m.id).collect();
            self.writer
                .write(WriteRequest {
                    messages,
                    idempotency: None,
                    cap: None,
                })
                .await
                .unwrap();
            ids
        }

        async fn status(&self, id: Uuid) -> (MessageStatus, i64) {
            let record = self.store.message(id).await.unwrap().unwrap();
            let attempts: i64 = sqlx::query_scalar("SELECT attempts FROM messages WHERE id = $1")
                .bind(id.to_string())
                .fetch_one(self.store.sqlite_pool().unwrap())
                .await
                .unwrap();
            (record.message.status, attempts)
        }
    }

    fn error(code: &str) -> MessageError {
        MessageError {
            code: code.into(),
            message: code.into(),
        }
    }

    /// The provider took message `id` and answered `wamid`.
    fn accepted(id: Uuid, wamid: &str) -> Outcome {
        Outcome::Accepted {
            id: id.to_string(),
            status: MessageStatus::Sent,
            provider_message_id: wamid.into(),
        }
    }

    #[tokio::test]
    async fn a_claim_carries_the_template_variables_and_provider_of_each_message() {
        let f = fixture("a").await;
        f.enqueue(2).await;
        let claimed = f.writer.claim(10, 60_000).await.unwrap();
        assert_eq!(claimed.len(), 2);
        for message in &claimed {
            assert_eq!(message.provider, engage_core::wire::ProviderKind::Sandbox);
            assert_eq!(message.template().unwrap().name, "t");
            assert_eq!(message.variables().unwrap()["1"], "Ana");
            assert_eq!(message.attempts, 1);
        }
        assert!(
            f.writer.claim(10, 60_000).await.unwrap().is_empty(),
            "leased messages are not claimed twice"
        );
    }

    #[tokio::test]
    async fn a_deferred_message_goes_back_to_the_queue_without_counting_the_attempt() {
        let f = fixture("a").await;
        let id = f.enqueue(1).await[0];
        f.writer.claim(10, 60_000).await.unwrap();
        f.writer
            .record(Outcome::Deferred {
                id: id.to_string(),
                at_ms: now_ms() - 1,
                error: error("recipient_paced"),
            })
            .await
            .unwrap();
        assert_eq!(f.status(id).await, (MessageStatus::Queued, 0));
        let again = f.writer.claim(10, 60_000).await.unwrap();
        assert_eq!(again.len(), 1, "due again at once");
    }

    #[tokio::test]
    async fn an_outcome_for_a_message_that_left_the_queue_changes_nothing() {
        let f = fixture("a").await;
        let id = f.enqueue(1).await[0];
        f.writer.claim(10, 60_000).await.unwrap();
        f.writer
            .record(Outcome::Failed {
                id: id.to_string(),
                error: error("whatsapp_131026"),
            })
            .await
            .unwrap();
        f.writer.record(accepted(id, "wamid.late")).await.unwrap();
        assert_eq!(f.status(id).await.0, MessageStatus::Failed);
    }

    #[tokio::test]
    async fn reports_of_one_message_in_one_batch_apply_in_order_and_late_ones_are_ignored() {
        let f = fixture("a").await;
        let id = f.enqueue(1).await[0];
        f.writer.claim(10, 60_000).await.unwrap();
        f.writer.record(accepted(id, "wamid.1")).await.unwrap();
        let report = |status| ProviderReport {
            provider_message_id: "wamid.1".into(),
            status,
            error: None,
            at_ms: None,
        };
        let applied = f
            .writer
            .report(
                None,
                vec![
                    report(MessageStatus::Read),
                    report(MessageStatus::Delivered),
                    ProviderReport {
                        provider_message_id: "wamid.unknown".into(),
                        status: MessageStatus::Delivered,
                        error: None,
                        at_ms: None,
                    },
                ],
            )
            .await
            .unwrap();
        assert_eq!(
            applied,
            ReportsApplied {
                applied: 1,
                ignored: 2
            }
        );
        assert_eq!(f.status(id).await.0, MessageStatus::Read);
        let other_workspace = f
            .writer
            .report(Some(Uuid::now_v7()), vec![report(MessageStatus::Failed)])
            .await
            .unwrap();
        assert_eq!(other_workspace.ignored, 1);
    }

    #[tokio::test]
    async fn counters_follow_live_messages_at_their_times_and_leave_test_messages_out() {
        use crate::store::stats::StatsScope;
        use engage_core::stats::slot_of;
        let f = fixture("a").await;
        let live = f.enqueue(2).await;
        let test_id = f.enqueue_with(1, true).await[0];
        f.writer.claim(10, 60_000).await.unwrap();
        for (id, wamid) in [(live[0], "wamid.a"), (test_id, "wamid.t")] {
            f.writer.record(accepted(id, wamid)).await.unwrap();
        }
        f.writer
            .record(Outcome::Failed {
                id: live[1].to_string(),
                error: error("whatsapp_131026"),
            })
            .await
            .unwrap();
        let read_at = now_ms() - 3 * 60 * 60 * 1000;
        for wamid in ["wamid.a", "wamid.t"] {
            f.writer
                .report(
                    None,
                    vec![ProviderReport {
                        provider_message_id: wamid.into(),
                        status: MessageStatus::Read,
                        error: None,
                        at_ms: Some(read_at),
                    }],
                )
                .await
                .unwrap();
        }
        let scope = StatsScope::Campaign(f.campaign_id);
        let read_slot = slot_of(read_at);
        let buckets = f
            .store
            .stat_buckets(scope, &[(0, i64::MAX), (read_slot, read_slot + 1)])
            .await
            .unwrap();
        let bucket = |index: usize| {
            buckets
                .iter()
                .find(|b| b.bucket == index)
                .map(|b| b.counts)
                .unwrap_or_default()
        };
        let all = bucket(0);
        assert_eq!(all.accepted, 2, "the test message is not counted");
        assert_eq!((all.sent, all.read, all.failed), (1, 1, 1));
        // Read without a delivered report: both at WhatsApp's time, in that time's slot.
        let at_read = bucket(1);
        assert_eq!((at_read.delivered, at_read.read), (1, 1));
        let record = f.store.message(live[0]).await.unwrap().unwrap();
        assert_eq!(
            record.message.read_at.map(crate::store::millis),
            Some(read_at),
            "the message keeps WhatsApp's time"
        );
        let failures = f.store.failure_counts(scope, 0, i64::MAX).await.unwrap();
        assert_eq!(failures.len(), 1);
        assert_eq!(
            (failures[0].code.as_str(), failures[0].count),
            ("whatsapp_131026", 1)
        );
    }

    #[tokio::test]
    async fn a_staff_test_send_goes_through_the_senders_provider_unlike_a_test_credentials_message()
    {
        let f = fixture("a").await;
        sqlx::query("UPDATE senders SET provider = 'whatsapp_cloud' WHERE id = $1")
            .bind(f.sender_id.to_string())
            .execute(f.store.sqlite_pool().unwrap())
            .await
            .unwrap();
        let credentials_test = f.enqueue_kind(1, true, false).await[0];
        let staff_test = f.enqueue_kind(1, true, true).await[0];
        let claimed = f.writer.claim(10, 60_000).await.unwrap();
        let provider = |id: Uuid| {
            claimed
                .iter()
                .find(|m| m.id == id.to_string())
                .map(|m| m.provider)
                .unwrap()
        };
        assert_eq!(provider(credentials_test), ProviderKind::Sandbox);
        assert_eq!(provider(staff_test), ProviderKind::WhatsappCloud);
    }

    /// Instance `a` called the provider but could not record the answer before its lease
    /// ran out; `b` claimed the message and called again. The answer kept is `b`'s.
    async fn taken_over(a: &Fixture) -> (MessageWriter, Uuid) {
        let (b, _task) = MessageWriter::spawn(
            a.store.clone(),
            "instance-b".into(),
            Arc::new(Notify::new()),
        );
        b.release_leases().await.unwrap();
        let id = a.enqueue(1).await[0];
        assert_eq!(a.writer.claim(10, 0).await.unwrap().len(), 1);
        assert_eq!(
            b.claim(10, 60_000).await.unwrap().len(),
            1,
            "the lease ran out"
        );
        (b, id)
    }

    async fn provider_message_id(f: &Fixture, id: Uuid) -> Option<String> {
        sqlx::query_scalar("SELECT provider_message_id FROM messages WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(f.store.sqlite_pool().unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_late_answer_of_an_instance_whose_lease_was_taken_over_is_not_recorded() {
        let a = fixture("instance-a").await;
        let (b, id) = taken_over(&a).await;
        a.writer.record(accepted(id, "wamid.first")).await.unwrap();
        assert_eq!(a.status(id).await.0, MessageStatus::Queued, "still b's");
        b.record(accepted(id, "wamid.second")).await.unwrap();
        assert_eq!(a.status(id).await.0, MessageStatus::Sent);
        assert_eq!(
            provider_message_id(&a, id).await.as_deref(),
            Some("wamid.second"),
            "the answer of the last call is the one a status webhook will name"
        );
    }

    #[tokio::test]
    async fn a_late_retry_of_an_instance_whose_lease_was_taken_over_leaves_the_new_lease_alone() {
        let a = fixture("instance-a").await;
        let (b, id) = taken_over(&a).await;
        a.writer
            .record(Outcome::Retry {
                id: id.to_string(),
                at_ms: now_ms() - 1,
                error: error("provider_unavailable"),
            })
            .await
            .unwrap();
        assert!(
            a.writer.claim(10, 60_000).await.unwrap().is_empty(),
            "b's call is still open: no one else claims the message"
        );
        b.record(Outcome::Failed {
            id: id.to_string(),
            error: error("whatsapp_131026"),
        })
        .await
        .unwrap();
        assert_eq!(a.status(id).await.0, MessageStatus::Failed);
    }

    #[tokio::test]
    async fn an_answer_recorded_after_the_lease_was_released_still_counts() {
        let a = fixture("instance-a").await;
        a.writer.release_leases().await.unwrap();
        let id = a.enqueue(1).await[0];
        a.writer.claim(10, 60_000).await.unwrap();
        // (Stopping: the leases are given up while the last calls are answered.)
        a.writer.release_leases().await.unwrap();
        a.writer.record(accepted(id, "wamid.last")).await.unwrap();
        assert_eq!(a.status(id).await.0, MessageStatus::Sent);
    }

    #[tokio::test]
    async fn releasing_leases_frees_only_this_instances_claims() {
        let a = fixture("instance-a").await;
        let (b, _task) = MessageWriter::spawn(
            a.store.clone(),
            "instance-b".into(),
            Arc::new(Notify::new()),
        );
        // (A SQLite writer first frees the leases of a previous run; let both do that.)
        a.writer.release_leases().await.unwrap();
        b.release_leases().await.unwrap();
        a.enqueue(3).await;
        assert_eq!(a.writer.claim(2, 60_000).await.unwrap().len(), 2);
        assert_eq!(b.claim(10, 60_000).await.unwrap().len(), 1);
        assert_eq!(b.release_leases().await.unwrap(), 1);
        assert_eq!(a.writer.claim(10, 60_000).await.unwrap().len(), 1);
        assert_eq!(a.writer.release_leases().await.unwrap(), 3);
        assert_eq!(b.release_leases().await.unwrap(), 0);
    }
}
