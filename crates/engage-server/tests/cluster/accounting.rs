//! Counting after a faulty run: what was acknowledged, what was lost, and every duplicate
//! provider call, each attributed to the fault that explains it (or not).
//!
//! A message is called twice only in the at-least-once window: its instance called the
//! provider and could not commit the outcome — it was killed while the call was open or
//! shortly after the answer, or the database was down —, so the lease ran out and an
//! instance called again. A duplicate is *explained* when its earlier call was in that
//! window of a fault: a kill of its instance, or a database outage.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use uuid::Uuid;

use crate::graph::Call;
use crate::harness::MessageRow;
use crate::load::Record;

/// Longest time from a provider's answer to the commit of its outcome that still counts as
/// "in the middle of a provider call" at a fault (the outcome waits for a group commit on a
/// loaded 2-core machine).
pub const ANSWER_TO_COMMIT: Duration = Duration::from_secs(2);

/// One fault: a `kill -9` of an instance, or the database down for every instance.
#[derive(Debug, Clone, Copy)]
pub struct Fault {
    /// The killed instance; `None`: the database (all instances).
    pub instance: Option<usize>,
    /// Just before the signal, and once the process was reaped (or the database back).
    pub before: Instant,
    pub after: Instant,
}

impl Fault {
    fn hits(&self, call: &Call) -> bool {
        self.instance
            .is_none_or(|instance| instance == call.instance)
    }

    /// Whether `call` was in the at-least-once window at this fault: open during it, or
    /// answered within [`ANSWER_TO_COMMIT`] before it began; for the database, also answered
    /// within [`ANSWER_TO_COMMIT`] after it came back (no outcome commits while it is down,
    /// nor until the instance's pool has reconnected, and the message's lease may run out).
    fn caught(&self, call: &Call) -> bool {
        let after_window = if self.instance.is_none() {
            ANSWER_TO_COMMIT
        } else {
            Duration::ZERO
        };
        self.hits(call)
            && (call.open_during(self.before, self.after)
                || (call.answered
                    && call.finished.is_some_and(|at| {
                        (at < self.before && self.before.duration_since(at) <= ANSWER_TO_COMMIT)
                            || (at >= self.before
                                && at.saturating_duration_since(self.after) <= after_window)
                    })))
    }
}

/// Per fault: were provider calls in the middle, and how many duplicates it caused.
#[derive(Debug, Default, Clone)]
pub struct FaultCount {
    /// Calls (of the killed instance) open during the fault.
    pub open_calls: usize,
    /// Calls (of the killed instance) answered within [`ANSWER_TO_COMMIT`] before it.
    pub recently_answered: usize,
    /// Extra provider calls explained by this fault.
    pub duplicates: usize,
    /// Messages acknowledged before and after the fault (it happened mid-load).
    pub acknowledged_before: usize,
    pub acknowledged_after: usize,
}

impl FaultCount {
    pub fn in_provider_call(&self) -> bool {
        self.open_calls > 0 || self.recently_answered > 0
    }
}

#[derive(Debug, Default)]
pub struct Accounting {
    pub acknowledged: usize,
    /// Acknowledged but missing, or not in a final status.
    pub lost: Vec<Uuid>,
    /// Messages stored without a 202: their request died with its instance (no answer), or
    /// was answered with an error although its message was committed (an outage during
    /// the commit: the answer says "retry", and a retry without `Idempotency-Key` sends the
    /// message twice).
    pub stored_unacknowledged: usize,
    /// Of those, the ones whose request got an HTTP error answer: `(key, status)`.
    pub stored_after_error: Vec<(String, u16)>,
    pub failed: usize,
    pub provider_calls: usize,
    /// Extra provider calls (calls beyond the first of each message).
    pub duplicates: usize,
    pub duplicated_messages: usize,
    /// Duplicates no fault explains.
    pub unexplained: Vec<String>,
    /// Messages `sent` whose recorded wamid is not the answer of their last answered call.
    pub wrong_wamid: Vec<String>,
    pub faults: Vec<FaultCount>,
}

impl Accounting {
    pub fn new(record: &Record, rows: &[MessageRow], calls: &[Call], faults: &[Fault]) -> Self {
        let acknowledged = record.acknowledged();
        let by_id: HashMap<Uuid, &MessageRow> = rows.iter().map(|row| (row.id, row)).collect();
        let acked_ids: HashSet<Uuid> = acknowledged.iter().map(|(id, _, _)| *id).collect();
        let mut out = Accounting {
            acknowledged: acknowledged.len(),
            provider_calls: calls.len(),
            ..Accounting::default()
        };
        for (id, _, _) in &acknowledged {
            if !by_id.get(id).is_some_and(|row| row.is_final()) {
                out.lost.push(*id);
            }
        }
        let answered: HashMap<&str, StatusCode> = record
            .answers
            .iter()
            .map(|answer| (answer.key.as_str(), answer.status))
            .collect();
        for row in rows.iter().filter(|r| !acked_ids.contains(&r.id)) {
            out.stored_unacknowledged += 1;
            if let Some(status) = answered.get(row.key.as_str()) {
                out.stored_after_error
                    .push((row.key.clone(), status.as_u16()));
            }
        }
        out.failed = rows.iter().filter(|r| r.status == "failed").count();

        let mut by_key: HashMap<&str, Vec<&Call>> = HashMap::new();
        for call in calls {
            by_key.entry(call.key.as_str()).or_default().push(call);
        }
        out.faults = faults
            .iter()
            .map(|fault| FaultCount {
                open_calls: calls
                    .iter()
                    .filter(|c| fault.hits(c) && c.open_during(fault.before, fault.after))
                    .count(),
                recently_answered: calls
                    .iter()
                    .filter(|c| fault.caught(c) && !c.open_during(fault.before, fault.after))
                    .count(),
                acknowledged_before: record
                    .answers
                    .iter()
                    .filter(|a| {
                        a.status == StatusCode::ACCEPTED && a.started + a.elapsed < fault.before
                    })
                    .count(),
                acknowledged_after: record
                    .answers
                    .iter()
                    .filter(|a| a.status == StatusCode::ACCEPTED && a.started > fault.after)
                    .count(),
                duplicates: 0,
            })
            .collect();

        for row in rows {
            let mut calls = by_key.get(row.key.as_str()).cloned().unwrap_or_default();
            calls.sort_by_key(|call| call.received);
            if row.status == "sent" || row.status == "delivered" {
                let last_answered = calls.iter().rev().find(|call| call.answered);
                if last_answered.map(|call| &call.wamid) != row.provider_message_id.as_ref() {
                    out.wrong_wamid.push(format!(
                        "{} ({}): recorded {:?}, calls {:?}",
                        row.key,
                        row.id,
                        row.provider_message_id,
                        calls
                            .iter()
                            .map(|c| (&c.wamid, c.answered))
                            .collect::<Vec<_>>()
                    ));
                }
            }
            if calls.len() < 2 {
                continue;
            }
            out.duplicated_messages += 1;
            for pair in calls.windows(2) {
                let (earlier, later) = (pair[0], pair[1]);
                out.duplicates += 1;
                // The first fault that caught the earlier call, before the later one began.
                let explained = faults
                    .iter()
                    .position(|fault| fault.caught(earlier) && later.received >= fault.before);
                match explained {
                    Some(f) => out.faults[f].duplicates += 1,
                    None => out.unexplained.push(format!(
                        "{}: {} (instance {}, answered {}) then {} (instance {}), faults {:?}",
                        row.key,
                        earlier.wamid,
                        earlier.instance,
                        earlier.answered,
                        later.wamid,
                        later.instance,
                        faults.iter().map(|f| f.instance).collect::<Vec<_>>()
                    )),
                }
            }
        }
        out
    }

    /// Prints the counts (stderr: shown by `cargo test` for a failing test, and always with
    /// `--nocapture`).
    pub fn print(&self, what: &str) {
        eprintln!(
            "[cluster] {what}: acknowledged={} lost={} duplicates={} (messages called more than once: {}, unexplained: {}) \
             provider_calls={} stored_unacknowledged={} (of which answered with an error: {:?}) failed={}",
            self.acknowledged,
            self.lost.len(),
            self.duplicates,
            self.duplicated_messages,
            self.unexplained.len(),
            self.provider_calls,
            self.stored_unacknowledged,
            self.stored_after_error,
            self.failed,
        );
        for (n, fault) in self.faults.iter().enumerate() {
            eprintln!(
                "[cluster] {what}: fault {}: in a provider call={} (open calls {}, answered within {:?} before: {}) duplicates={} acknowledged before/after={}/{}",
                n + 1,
                fault.in_provider_call(),
                fault.open_calls,
                ANSWER_TO_COMMIT,
                fault.recently_answered,
                fault.duplicates,
                fault.acknowledged_before,
                fault.acknowledged_after,
            );
        }
    }

    /// The rules every faulty run must keep.
    pub fn assert_sound(&self) {
        assert!(
            self.lost.is_empty(),
            "{} acknowledged messages lost or never final: {:?}",
            self.lost.len(),
            &self.lost[..self.lost.len().min(20)]
        );
        assert!(
            self.unexplained.is_empty(),
            "duplicate provider calls outside the at-least-once window of a fault: {:#?}",
            &self.unexplained[..self.unexplained.len().min(20)]
        );
        assert!(
            self.wrong_wamid.is_empty(),
            "messages whose recorded provider id is not their last answered call: {:#?}",
            &self.wrong_wamid[..self.wrong_wamid.len().min(20)]
        );
        for (n, fault) in self.faults.iter().enumerate() {
            if !fault.in_provider_call() {
                assert_eq!(
                    fault.duplicates,
                    0,
                    "fault {} hit no provider call, yet caused duplicates",
                    n + 1
                );
            }
        }
    }
}
