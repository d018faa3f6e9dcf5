//! Pacing of sends to the Cloud API, as pure logic over an injected clock (`now` is a
//! monotonic [`Duration`] since any fixed origin):
//!
//! - **per sender number**: at most `rate` messages per second (Meta's default throughput
//!   is 80/s per number; error 130429 past it), as a GCRA token bucket: one message every
//!   `1/rate` s, with a burst of `burst` messages;
//! - **per recipient**: a minimum interval between two messages from one number to one
//!   recipient (Meta's pair rate limit, about one message every 6 s; error 131056).
//!
//! [`Pacer::decide`] either lets a message go now (and books it) or says how long to wait,
//! and why, booking nothing: the caller sleeps a little for the sender's rate, or puts a
//! message to a recipient hit too recently back in the queue.

use std::collections::HashMap;
use std::time::Duration;

/// Meta's default throughput of a business phone number.
pub const DEFAULT_RATE_PER_SECOND: u32 = 80;
/// Meta's pair rate limit: one message every 6 s to the same recipient.
pub const DEFAULT_RECIPIENT_INTERVAL: Duration = Duration::from_secs(6);
/// Recipients remembered before forgotten ones are pruned.
const PRUNE_THRESHOLD: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacingConfig {
    /// Messages per second for senders without their own rate.
    pub default_rate_per_second: u32,
    /// Messages a sender may send back-to-back before its rate applies (at least 1).
    pub burst: u32,
    /// Minimum time between two messages of one sender to one recipient.
    pub recipient_interval: Duration,
}

impl Default for PacingConfig {
    fn default() -> Self {
        PacingConfig {
            default_rate_per_second: DEFAULT_RATE_PER_SECOND,
            burst: 1,
            recipient_interval: DEFAULT_RECIPIENT_INTERVAL,
        }
    }
}

/// What to do with one message now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacingDecision {
    /// Send it; the send is booked.
    Go,
    /// The sender is at its rate: try again after this long.
    WaitSender(Duration),
    /// This recipient got a message from this sender too recently: not before this long.
    WaitRecipient(Duration),
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Theoretical arrival time of the next message (GCRA).
    tat: Duration,
}

/// Pacing state of every sender and recipient seen.
#[derive(Debug, Clone)]
pub struct Pacer {
    config: PacingConfig,
    senders: HashMap<String, Bucket>,
    recipients: HashMap<(String, String), Duration>,
}

fn emission_interval(rate_per_second: u32) -> Duration {
    let rate = u64::from(rate_per_second.max(1));
    Duration::from_nanos(1_000_000_000 / rate)
}

impl Pacer {
    pub fn new(config: PacingConfig) -> Self {
        Pacer {
            config,
            senders: HashMap::new(),
            recipients: HashMap::new(),
        }
    }

    pub fn config(&self) -> PacingConfig {
        self.config
    }

    /// How long `sender` must still wait before messaging `recipient` again (`None`: now).
    pub fn recipient_wait(&self, sender: &str, recipient: &str, now: Duration) -> Option<Duration> {
        let key = (sender.to_owned(), recipient.to_owned());
        let allowed = *self.recipients.get(&key)? + self.config.recipient_interval;
        (allowed > now).then(|| allowed - now)
    }

    /// Records a message of `sender` to `recipient` sent at `now`.
    pub fn book_recipient(&mut self, sender: &str, recipient: &str, now: Duration) {
        let interval = self.config.recipient_interval;
        if self.recipients.len() >= PRUNE_THRESHOLD {
            self.recipients.retain(|_, last| *last + interval > now);
        }
        self.recipients
            .insert((sender.to_owned(), recipient.to_owned()), now);
    }

    /// Whether `sender` (at `rate_per_second`, else the default) may send to `recipient`
    /// at `now`. Books the send when the answer is [`PacingDecision::Go`].
    pub fn decide(
        &mut self,
        sender: &str,
        rate_per_second: Option<u32>,
        recipient: &str,
        now: Duration,
    ) -> PacingDecision {
        let interval = self.config.recipient_interval;
        let key = (sender.to_owned(), recipient.to_owned());
        if let Some(last) = self.recipients.get(&key) {
            let allowed = *last + interval;
            if allowed > now {
                return PacingDecision::WaitRecipient(allowed - now);
            }
        }

        let rate = rate_per_second.unwrap_or(self.config.default_rate_per_second);
        let step = emission_interval(rate);
        let tolerance = step * self.config.burst.max(1).saturating_sub(1);
        let bucket = self
            .senders
            .entry(sender.to_owned())
            .or_insert(Bucket { tat: now });
        let tat = bucket.tat.max(now);
        let allowed = tat.saturating_sub(tolerance);
        if allowed > now {
            return PacingDecision::WaitSender(allowed - now);
        }
        bucket.tat = tat + step;

        if self.recipients.len() >= PRUNE_THRESHOLD {
            self.recipients.retain(|_, last| *last + interval > now);
        }
        self.recipients.insert(key, now);
        PacingDecision::Go
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn no_recipient_limit(rate: u32, burst: u32) -> Pacer {
        Pacer::new(PacingConfig {
            default_rate_per_second: rate,
            burst,
            recipient_interval: Duration::ZERO,
        })
    }

    #[test]
    fn the_default_is_metas_80_per_second_and_6_seconds_per_recipient() {
        let config = PacingConfig::default();
        assert_eq!(config.default_rate_per_second, 80);
        assert_eq!(config.recipient_interval, Duration::from_secs(6));
    }

    #[test]
    fn a_sender_at_80_per_second_sends_one_message_every_12_5_ms() {
        let mut pacer = no_recipient_limit(80, 1);
        assert_eq!(pacer.decide("s", None, "r1", ms(0)), PacingDecision::Go);
        assert_eq!(
            pacer.decide("s", None, "r2", ms(0)),
            PacingDecision::WaitSender(Duration::from_micros(12_500))
        );
        assert_eq!(
            pacer.decide("s", None, "r2", Duration::from_micros(12_500)),
            PacingDecision::Go
        );
    }

    #[test]
    fn no_one_second_window_holds_more_than_the_rate() {
        let mut pacer = no_recipient_limit(80, 1);
        let mut sent = Vec::new();
        let mut now = Duration::ZERO;
        let mut n = 0u32;
        while now < Duration::from_secs(3) {
            match pacer.decide("s", None, &format!("r{n}"), now) {
                PacingDecision::Go => {
                    sent.push(now);
                    n += 1;
                }
                PacingDecision::WaitSender(wait) => now += wait,
                PacingDecision::WaitRecipient(_) => unreachable!(),
            }
        }
        assert_eq!(sent.len(), 240);
        for (i, start) in sent.iter().enumerate() {
            let in_window = sent[i..]
                .iter()
                .take_while(|t| **t < *start + Duration::from_secs(1))
                .count();
            assert!(
                in_window <= 80,
                "{in_window} sends in the second after {start:?}"
            );
        }
    }

    #[test]
    fn a_senders_own_rate_overrides_the_default() {
        let mut pacer = no_recipient_limit(80, 1);
        assert_eq!(
            pacer.decide("s", Some(1000), "a", ms(0)),
            PacingDecision::Go
        );
        assert_eq!(
            pacer.decide("s", Some(1000), "b", ms(0)),
            PacingDecision::WaitSender(ms(1))
        );
    }

    #[test]
    fn senders_are_paced_independently() {
        let mut pacer = no_recipient_limit(1, 1);
        assert_eq!(pacer.decide("a", None, "r", ms(0)), PacingDecision::Go);
        assert_eq!(pacer.decide("b", None, "r", ms(0)), PacingDecision::Go);
        assert_eq!(
            pacer.decide("a", None, "r2", ms(0)),
            PacingDecision::WaitSender(ms(1000))
        );
    }

    #[test]
    fn a_burst_lets_that_many_messages_go_at_once_then_the_rate_applies() {
        let mut pacer = no_recipient_limit(10, 3);
        for r in ["a", "b", "c"] {
            assert_eq!(pacer.decide("s", None, r, ms(0)), PacingDecision::Go, "{r}");
        }
        assert_eq!(
            pacer.decide("s", None, "d", ms(0)),
            PacingDecision::WaitSender(ms(100))
        );
    }

    #[test]
    fn an_idle_sender_does_not_bank_more_than_its_burst() {
        let mut pacer = no_recipient_limit(10, 1);
        assert_eq!(pacer.decide("s", None, "a", ms(0)), PacingDecision::Go);
        assert_eq!(pacer.decide("s", None, "b", ms(60_000)), PacingDecision::Go);
        assert_eq!(
            pacer.decide("s", None, "c", ms(60_000)),
            PacingDecision::WaitSender(ms(100))
        );
    }

    #[test]
    fn a_recipient_waits_the_minimum_interval_between_two_messages() {
        let mut pacer = Pacer::new(PacingConfig::default());
        assert_eq!(
            pacer.decide("s", None, "+551199", ms(0)),
            PacingDecision::Go
        );
        assert_eq!(
            pacer.decide("s", None, "+551199", ms(2_000)),
            PacingDecision::WaitRecipient(ms(4_000))
        );
        // Another recipient is not held back by it.
        assert_eq!(
            pacer.decide("s", None, "+551188", ms(2_000)),
            PacingDecision::Go
        );
        assert_eq!(
            pacer.decide("s", None, "+551199", ms(6_000)),
            PacingDecision::Go
        );
    }

    #[test]
    fn the_recipient_interval_is_per_sender() {
        let mut pacer = Pacer::new(PacingConfig::default());
        assert_eq!(pacer.decide("a", None, "r", ms(0)), PacingDecision::Go);
        assert_eq!(pacer.decide("b", None, "r", ms(0)), PacingDecision::Go);
    }

    #[test]
    fn a_refused_message_books_nothing() {
        let mut pacer = Pacer::new(PacingConfig {
            default_rate_per_second: 1,
            burst: 1,
            recipient_interval: Duration::from_secs(6),
        });
        assert_eq!(pacer.decide("s", None, "r", ms(0)), PacingDecision::Go);
        // Held back by the recipient: the sender's slot stays free for someone else.
        assert_eq!(
            pacer.decide("s", None, "r", ms(1_000)),
            PacingDecision::WaitRecipient(ms(5_000))
        );
        assert_eq!(
            pacer.decide("s", None, "other", ms(1_000)),
            PacingDecision::Go
        );
        // Held back by the sender: the recipient was not booked.
        assert_eq!(
            pacer.decide("s", None, "third", ms(1_500)),
            PacingDecision::WaitSender(ms(500))
        );
        assert_eq!(
            pacer.decide("s", None, "third", ms(2_000)),
            PacingDecision::Go
        );
    }
}
