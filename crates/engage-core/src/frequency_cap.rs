//! A campaign's frequency cap (issue 12 §5): "at most N messages to the same person every
//! T". The bounds of a cap, and the decision for one more send given the times of the
//! recipient's recent sends. The server applies it inside the message writer's transaction.

use crate::error::CoreError;
use crate::wire::{CapUnit, FrequencyCap};

/// Most messages a cap allows per period.
pub const MAX_MESSAGES: u32 = 1_000;
/// Longest period, in milliseconds (30 days).
pub const MAX_PERIOD_MS: i64 = 30 * DAY_MS;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

fn unit_ms(unit: CapUnit) -> i64 {
    match unit {
        CapUnit::Minutes => MINUTE_MS,
        CapUnit::Hours => HOUR_MS,
        CapUnit::Days => DAY_MS,
    }
}

/// The rules of a [`FrequencyCap`].
pub trait FrequencyCapExt {
    /// Refuses a cap outside the bounds: 1 to [`MAX_MESSAGES`] messages, a period of at least
    /// one unit and at most 30 days. `field` is the JSON path of the cap in the request.
    fn check(&self, field: &'static str) -> Result<(), CoreError>;
    /// The period in milliseconds.
    fn period_ms(&self) -> i64;
    /// Whether one more send at `now` is within the cap, given the times (ms) of the
    /// recipient's earlier sends counted by the cap (in any order; times outside the period
    /// are ignored). `None`: allowed. `Some(t)`: refused; `t` is the first moment a send
    /// would be allowed (when the oldest send that fills the cap leaves the period).
    fn next_allowed(&self, earlier: &[i64], now: i64) -> Option<i64>;
}

impl FrequencyCapExt for FrequencyCap {
    fn check(&self, field: &'static str) -> Result<(), CoreError> {
        if !(1..=MAX_MESSAGES).contains(&self.max_messages) {
            return Err(CoreError::InvalidFrequencyCap {
                field: max_messages_field(field),
                reason: format!(
                    "a frequency cap allows 1 to {MAX_MESSAGES} messages per period, not {}",
                    self.max_messages
                ),
            });
        }
        let max_period = MAX_PERIOD_MS / unit_ms(self.unit);
        if self.period == 0 || i64::from(self.period) > max_period {
            return Err(CoreError::InvalidFrequencyCap {
                field: period_field(field),
                reason: format!(
                    "a frequency cap's period is 1 to {max_period} {} (at most 30 days), not {}",
                    unit_name(self.unit),
                    self.period
                ),
            });
        }
        Ok(())
    }

    fn period_ms(&self) -> i64 {
        i64::from(self.period) * unit_ms(self.unit)
    }

    fn next_allowed(&self, earlier: &[i64], now: i64) -> Option<i64> {
        let period = self.period_ms();
        // A send at t counts while now < t + period.
        let mut within: Vec<i64> = earlier
            .iter()
            .copied()
            .filter(|t| *t + period > now)
            .collect();
        let max = self.max_messages as usize;
        if within.len() < max {
            return None;
        }
        within.sort_unstable();
        // Allowed again once all but max - 1 of them have left the period: when the
        // (len - max + 1)-th oldest leaves.
        Some(within[within.len() - max] + period)
    }
}

fn unit_name(unit: CapUnit) -> &'static str {
    match unit {
        CapUnit::Minutes => "minutes",
        CapUnit::Hours => "hours",
        CapUnit::Days => "days",
    }
}

/// `frequency_cap.max_messages`, as a static path (the two request shapes that carry a cap
/// name it the same way).
fn max_messages_field(field: &'static str) -> &'static str {
    match field {
        "frequency_cap" => "frequency_cap.max_messages",
        _ => field,
    }
}

fn period_field(field: &'static str) -> &'static str {
    match field {
        "frequency_cap" => "frequency_cap.period",
        _ => field,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(max_messages: u32, period: u32, unit: CapUnit) -> FrequencyCap {
        FrequencyCap {
            max_messages,
            period,
            unit,
        }
    }

    #[test]
    fn one_message_per_day_refuses_a_second_send_until_a_day_after_the_first() {
        let daily = cap(1, 24, CapUnit::Hours);
        let first = 1_000_000;
        assert_eq!(daily.next_allowed(&[], first), None);
        assert_eq!(
            daily.next_allowed(&[first], first + HOUR_MS),
            Some(first + DAY_MS)
        );
        assert_eq!(
            daily.next_allowed(&[first], first + DAY_MS - 1),
            Some(first + DAY_MS)
        );
        assert_eq!(daily.next_allowed(&[first], first + DAY_MS), None);
    }

    #[test]
    fn with_room_for_three_the_fourth_waits_for_the_second_newest_of_three_to_expire() {
        let three = cap(3, 10, CapUnit::Minutes);
        let sends = [5 * MINUTE_MS, MINUTE_MS, 3 * MINUTE_MS];
        assert_eq!(three.next_allowed(&sends[..2], 6 * MINUTE_MS), None);
        assert_eq!(
            three.next_allowed(&sends, 6 * MINUTE_MS),
            Some(11 * MINUTE_MS),
            "the oldest (minute 1) leaves at minute 11"
        );
        let four = [sends.as_slice(), &[7 * MINUTE_MS]].concat();
        assert_eq!(
            three.next_allowed(&four, 8 * MINUTE_MS),
            Some(13 * MINUTE_MS),
            "with four inside (over a lowered cap), two must leave: the second oldest at minute 3"
        );
    }

    #[test]
    fn sends_older_than_the_period_do_not_count() {
        let two = cap(2, 1, CapUnit::Days);
        let now = 40 * DAY_MS;
        assert_eq!(
            two.next_allowed(&[now - 2 * DAY_MS, now - DAY_MS, now - 5], now),
            None
        );
    }

    #[test]
    fn caps_outside_the_bounds_are_refused_naming_the_field() {
        for (bad, field) in [
            (cap(0, 1, CapUnit::Days), "frequency_cap.max_messages"),
            (cap(1001, 1, CapUnit::Days), "frequency_cap.max_messages"),
            (cap(1, 0, CapUnit::Hours), "frequency_cap.period"),
            (cap(1, 31, CapUnit::Days), "frequency_cap.period"),
            (cap(1, 721, CapUnit::Hours), "frequency_cap.period"),
            (cap(1, 43_201, CapUnit::Minutes), "frequency_cap.period"),
        ] {
            let error = bad.check("frequency_cap").unwrap_err();
            assert_eq!(error.code(), "invalid_frequency_cap");
            assert_eq!(error.field().as_deref(), Some(field), "{bad:?}");
        }
    }

    #[test]
    fn caps_at_the_bounds_are_accepted() {
        for good in [
            cap(1, 1, CapUnit::Minutes),
            cap(1000, 30, CapUnit::Days),
            cap(3, 720, CapUnit::Hours),
            cap(1, 43_200, CapUnit::Minutes),
        ] {
            assert_eq!(good.check("frequency_cap"), Ok(()), "{good:?}");
        }
    }
}
