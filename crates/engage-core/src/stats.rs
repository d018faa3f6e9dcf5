//! Campaign statistics (issue 12): the counters' time slots, a period in the caller's IANA
//! time zone, its buckets (local hours or local days, daylight-saving changes included) and
//! the summary of a campaign's slots into totals, rates and a series. No I/O: the server
//! reads the slots, this module cuts them.
//!
//! Counters are kept per UTC quarter-hour ([`SLOT_MS`]). Every time zone's offset is a whole
//! number of quarter-hours, so a local hour or day is always a sum of whole slots.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use jiff::Timestamp;
use time::{OffsetDateTime, UtcOffset};
use uuid::Uuid;

use crate::wire::{
    CampaignStats, FailureReason, StatsBucket, StatsPeriod, StatsPoint, StatusCounts,
};

/// One counter slot: 15 minutes.
pub const SLOT_MS: i64 = 15 * 60 * 1000;
/// The longest period of an hourly series.
pub const MAX_HOUR_DAYS: i64 = 31;
/// The longest period of a daily series.
pub const MAX_DAY_DAYS: i64 = 400;
/// Failure reasons listed at most.
pub const MAX_FAILURE_REASONS: usize = 20;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The start of the slot holding the instant `ms` (milliseconds since the epoch).
pub fn slot_of(ms: i64) -> i64 {
    ms - ms.rem_euclid(SLOT_MS)
}

/// Why a period cannot be used; each names its query parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("{0:?} is not an IANA time zone (for example America/Sao_Paulo)")]
    UnknownTimeZone(String),
    #[error("`from` must be before `to`")]
    Empty,
    #[error("a period cut by {bucket} holds at most {max_days} days")]
    TooLong { bucket: &'static str, max_days: i64 },
    #[error("the period is outside the dates this server counts")]
    OutOfRange,
}

impl PeriodError {
    /// The stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            PeriodError::UnknownTimeZone(_) => "invalid_time_zone",
            PeriodError::Empty | PeriodError::OutOfRange => "invalid_period",
            PeriodError::TooLong { .. } => "period_too_long",
        }
    }

    /// The query parameter it concerns.
    pub fn field(&self) -> &'static str {
        match self {
            PeriodError::UnknownTimeZone(_) => "tz",
            PeriodError::Empty | PeriodError::OutOfRange => "from",
            PeriodError::TooLong { .. } => "to",
        }
    }
}

/// A statistics period `[from, to)` cut in `bucket`s of the time zone `tz`.
#[derive(Debug, Clone)]
pub struct Period {
    from_ms: i64,
    to_ms: i64,
    bucket: StatsBucket,
    tz: TimeZone,
    tz_name: String,
}

impl Period {
    pub fn new(
        from: OffsetDateTime,
        to: OffsetDateTime,
        bucket: StatsBucket,
        tz_name: &str,
    ) -> Result<Period, PeriodError> {
        let tz =
            TimeZone::get(tz_name).map_err(|_| PeriodError::UnknownTimeZone(tz_name.to_owned()))?;
        let millis = |at: OffsetDateTime| -> Result<i64, PeriodError> {
            i64::try_from(at.unix_timestamp_nanos() / 1_000_000)
                .ok()
                .filter(|ms| Timestamp::from_millisecond(*ms).is_ok())
                .ok_or(PeriodError::OutOfRange)
        };
        let (from_ms, to_ms) = (millis(from)?, millis(to)?);
        if from_ms >= to_ms {
            return Err(PeriodError::Empty);
        }
        let (name, max_days) = match bucket {
            StatsBucket::Hour => ("hour", MAX_HOUR_DAYS),
            StatsBucket::Day => ("day", MAX_DAY_DAYS),
        };
        if to_ms - from_ms > max_days * DAY_MS {
            return Err(PeriodError::TooLong {
                bucket: name,
                max_days,
            });
        }
        Ok(Period {
            from_ms,
            to_ms,
            bucket,
            tz,
            tz_name: tz_name.to_owned(),
        })
    }

    /// The slots to read: those starting in `[first, end)`. The first is the slot holding
    /// `from` (statistics are kept at 15-minute precision).
    pub fn slot_range(&self) -> (i64, i64) {
        (slot_of(self.from_ms), self.to_ms)
    }

    pub fn to_wire(&self) -> StatsPeriod {
        StatsPeriod {
            from: self.offset_datetime(self.from_ms),
            to: self.offset_datetime(self.to_ms),
            bucket: self.bucket,
            tz: self.tz_name.clone(),
        }
    }

    /// The instant as a date-time with the time zone's offset at that instant.
    fn offset_datetime(&self, ms: i64) -> OffsetDateTime {
        in_zone(&self.tz, ms)
    }

    /// The start of the bucket holding the instant `ms`: the local hour or the local day.
    pub fn bucket_start(&self, ms: i64) -> i64 {
        let Ok(at) = Timestamp::from_millisecond(ms) else {
            return ms;
        };
        let local = at.to_zoned_datetime(self.tz.clone());
        match self.bucket {
            StatsBucket::Hour => {
                let into_hour = i64::from(local.minute()) * 60_000
                    + i64::from(local.second()) * 1000
                    + i64::from(local.subsec_nanosecond()) / 1_000_000;
                ms - into_hour
            }
            StatsBucket::Day => local
                .start_of_day()
                .map_or(ms, |start| start.timestamp().as_millisecond()),
        }
    }

    /// The start of the bucket after the one starting at `start`.
    fn next_bucket(&self, start: i64) -> i64 {
        match self.bucket {
            StatsBucket::Hour => self.bucket_start(start + 60 * 60 * 1000 + SLOT_MS / 2),
            StatsBucket::Day => Timestamp::from_millisecond(start)
                .ok()
                .and_then(|at| at.to_zoned_datetime(self.tz.clone()).tomorrow().ok())
                .and_then(|next| next.start_of_day().ok())
                .map_or(start + DAY_MS, |next| next.timestamp().as_millisecond()),
        }
    }

    /// The starts of every bucket of the period, in order.
    pub fn bucket_starts(&self) -> Vec<i64> {
        let mut starts = Vec::new();
        let mut start = self.bucket_start(self.from_ms);
        while start < self.to_ms {
            starts.push(start);
            let next = self.next_bucket(start);
            if next <= start {
                break;
            }
            start = next;
        }
        starts
    }

    /// Each bucket's slots to read, `[start, end)` in ms, in order: the local hours or days
    /// of the period, the first starting at the slot holding `from` and the last ending at
    /// `to`.
    pub fn bucket_bounds(&self) -> Vec<(i64, i64)> {
        let (first, end) = self.slot_range();
        let starts = self.bucket_starts();
        starts
            .iter()
            .enumerate()
            .map(|(index, start)| {
                let next = starts.get(index + 1).copied().unwrap_or(end);
                ((*start).max(first), next.min(end))
            })
            .collect()
    }

    /// A campaign's totals, rates, series and top failure reasons from its counts per
    /// bucket (in the order of [`Period::bucket_bounds`]; missing ones are empty) and its
    /// failures in the period (code and count, any order).
    pub fn summarize(
        &self,
        campaign_id: Uuid,
        campaign_name: String,
        per_bucket: &[StatusCounts],
        failures: &[(String, u64)],
    ) -> CampaignStats {
        let starts = self.bucket_starts();
        let mut totals = StatusCounts::default();
        for counts in per_bucket.iter().take(starts.len()) {
            add(&mut totals, counts);
        }
        let mut reasons: BTreeMap<&str, u64> = BTreeMap::new();
        for (code, count) in failures {
            *reasons.entry(code.as_str()).or_default() += count;
        }
        let mut failures: Vec<FailureReason> = reasons
            .into_iter()
            .map(|(code, count)| FailureReason {
                code: code.to_owned(),
                meta_code: meta_code(code),
                count,
            })
            .collect();
        failures.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
        failures.truncate(MAX_FAILURE_REASONS);
        CampaignStats {
            campaign_id,
            campaign_name,
            delivery_rate: rate(totals.delivered, totals.sent),
            read_rate: rate(totals.read, totals.delivered),
            totals,
            series: starts
                .into_iter()
                .enumerate()
                .map(|(index, start)| StatsPoint {
                    start: self.offset_datetime(start),
                    counts: per_bucket.get(index).copied().unwrap_or_default(),
                })
                .collect(),
            failures,
        }
    }
}

fn add(into: &mut StatusCounts, counts: &StatusCounts) {
    into.accepted += counts.accepted;
    into.sent += counts.sent;
    into.delivered += counts.delivered;
    into.read += counts.read;
    into.failed += counts.failed;
}

/// `part ÷ whole`, at most 1 (a period may hold deliveries of messages sent before it);
/// `None` when `whole` is 0.
fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64).min(1.0))
}

/// The instant `ms` as a date-time with `tz`'s offset at that instant.
fn in_zone(tz: &TimeZone, ms: i64) -> OffsetDateTime {
    let utc = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let seconds = Timestamp::from_millisecond(ms)
        .map(|at| tz.to_offset(at).seconds())
        .unwrap_or(0);
    UtcOffset::from_whole_seconds(seconds).map_or(utc, |offset| utc.to_offset(offset))
}

/// An IANA time zone in which instants are written with the offset they have there (the
/// message export's times, issue 12), daylight-saving changes included.
#[derive(Debug, Clone)]
pub struct LocalZone {
    tz: TimeZone,
}

impl LocalZone {
    /// The zone named `name` (`America/Sao_Paulo`, `UTC`); refused as
    /// [`PeriodError::UnknownTimeZone`] when the time zone database does not know it.
    pub fn get(name: &str) -> Result<LocalZone, PeriodError> {
        TimeZone::get(name)
            .map(|tz| LocalZone { tz })
            .map_err(|_| PeriodError::UnknownTimeZone(name.to_owned()))
    }

    /// The instant `ms` (milliseconds since the epoch) with the zone's offset at that instant.
    pub fn offset_datetime(&self, ms: i64) -> OffsetDateTime {
        in_zone(&self.tz, ms)
    }
}

/// Meta's code in a stored failure code (`whatsapp_131026` → 131026).
pub fn meta_code(code: &str) -> Option<i64> {
    code.strip_prefix("whatsapp_")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn ms(at: OffsetDateTime) -> i64 {
        (at.unix_timestamp_nanos() / 1_000_000) as i64
    }

    fn period(from: OffsetDateTime, to: OffsetDateTime, bucket: StatsBucket, tz: &str) -> Period {
        Period::new(from, to, bucket, tz).unwrap()
    }

    #[test]
    fn a_local_zone_writes_each_instant_with_the_offset_it_has_there_that_day() {
        let new_york = LocalZone::get("America/New_York").unwrap();
        // Winter: UTC-5; summer: UTC-4 (daylight saving time).
        let winter = new_york.offset_datetime(ms(datetime!(2026-01-15 12:00 UTC)));
        assert_eq!(winter.offset(), time::macros::offset!(-5));
        assert_eq!(winter, datetime!(2026-01-15 07:00 -5));
        let summer = new_york.offset_datetime(ms(datetime!(2026-07-15 12:00 UTC)));
        assert_eq!(summer.offset(), time::macros::offset!(-4));
        assert_eq!(summer, datetime!(2026-07-15 08:00 -4));
        assert_eq!(
            LocalZone::get("Mars/Olympus").unwrap_err().code(),
            "invalid_time_zone"
        );
    }

    #[test]
    fn a_day_in_sao_paulo_runs_from_three_in_the_morning_utc_to_the_next() {
        let period = period(
            datetime!(2026-11-30 03:00 UTC),
            datetime!(2026-12-02 03:00 UTC),
            StatsBucket::Day,
            "America/Sao_Paulo",
        );
        assert_eq!(
            period.bucket_bounds(),
            vec![
                (
                    ms(datetime!(2026-11-30 03:00 UTC)),
                    ms(datetime!(2026-12-01 03:00 UTC))
                ),
                (
                    ms(datetime!(2026-12-01 03:00 UTC)),
                    ms(datetime!(2026-12-02 03:00 UTC))
                ),
            ]
        );
        let stats = period.summarize(Uuid::nil(), "C".into(), &[], &[]);
        assert_eq!(stats.series[1].start, datetime!(2026-12-01 00:00 -03:00));
    }

    #[test]
    fn the_day_summer_time_ends_in_new_york_has_twenty_five_hours() {
        let period = period(
            datetime!(2026-11-01 04:00 UTC),
            datetime!(2026-11-02 05:00 UTC),
            StatsBucket::Hour,
            "America/New_York",
        );
        let bounds = period.bucket_bounds();
        assert_eq!(bounds.len(), 25);
        assert!(bounds.iter().all(|(start, end)| end - start == 3_600_000));
        // The two 01:00 hours are told apart by their offsets.
        let stats = period.summarize(Uuid::nil(), "C".into(), &[], &[]);
        let one_am: Vec<OffsetDateTime> = stats
            .series
            .iter()
            .map(|point| point.start)
            .filter(|at| at.hour() == 1)
            .collect();
        assert_eq!(
            one_am,
            vec![
                datetime!(2026-11-01 01:00 -04:00),
                datetime!(2026-11-01 01:00 -05:00)
            ]
        );
    }

    #[test]
    fn hours_in_india_start_at_half_past_in_utc_and_the_period_clips_its_ends() {
        let period = period(
            datetime!(2026-12-01 00:20 +05:30),
            datetime!(2026-12-01 02:00 +05:30),
            StatsBucket::Hour,
            "Asia/Kolkata",
        );
        assert_eq!(
            period.bucket_bounds(),
            vec![
                // From the slot holding 00:20 local (18:45 UTC), to 01:00 local.
                (
                    ms(datetime!(2026-11-30 18:45 UTC)),
                    ms(datetime!(2026-11-30 19:30 UTC))
                ),
                (
                    ms(datetime!(2026-11-30 19:30 UTC)),
                    ms(datetime!(2026-11-30 20:30 UTC))
                ),
            ]
        );
        let stats = period.summarize(Uuid::nil(), "C".into(), &[], &[]);
        assert_eq!(stats.series[0].start, datetime!(2026-12-01 00:00 +05:30));
    }

    #[test]
    fn totals_add_the_buckets_and_rates_never_go_above_one() {
        let period = period(
            datetime!(2026-12-01 00:00 UTC),
            datetime!(2026-12-03 00:00 UTC),
            StatsBucket::Day,
            "UTC",
        );
        let day = |sent, delivered, read| StatusCounts {
            sent,
            delivered,
            read,
            ..StatusCounts::default()
        };
        let stats = period.summarize(Uuid::nil(), "C".into(), &[day(4, 3, 1), day(0, 2, 1)], &[]);
        assert_eq!(stats.totals, day(4, 5, 2));
        assert_eq!(stats.delivery_rate, Some(1.0));
        assert_eq!(stats.read_rate, Some(0.4));
        let empty = period.summarize(Uuid::nil(), "C".into(), &[], &[]);
        assert_eq!((empty.delivery_rate, empty.read_rate), (None, None));
        assert_eq!(empty.series.len(), 2, "empty buckets are listed");
    }

    #[test]
    fn failure_reasons_are_summed_by_code_most_frequent_first_with_metas_code() {
        let period = period(
            datetime!(2026-12-01 00:00 UTC),
            datetime!(2026-12-02 00:00 UTC),
            StatsBucket::Day,
            "UTC",
        );
        let stats = period.summarize(
            Uuid::nil(),
            "C".into(),
            &[],
            &[
                ("provider_failed".into(), 1),
                ("whatsapp_131026".into(), 2),
                ("whatsapp_131026".into(), 3),
            ],
        );
        assert_eq!(stats.failures[0].code, "whatsapp_131026");
        assert_eq!(stats.failures[0].meta_code, Some(131026));
        assert_eq!(stats.failures[0].count, 5);
        assert_eq!(stats.failures[1].meta_code, None);
    }

    #[test]
    fn periods_are_refused_with_the_parameter_they_concern() {
        let at = datetime!(2026-12-01 00:00 UTC);
        let refused = |from, to, bucket, tz| Period::new(from, to, bucket, tz).unwrap_err().field();
        assert_eq!(refused(at, at, StatsBucket::Day, "UTC"), "from");
        assert_eq!(
            refused(
                at,
                at + time::Duration::days(1),
                StatsBucket::Day,
                "Mars/Base"
            ),
            "tz"
        );
        assert_eq!(
            refused(at, at + time::Duration::days(32), StatsBucket::Hour, "UTC"),
            "to"
        );
        assert!(Period::new(at, at + time::Duration::days(365), StatsBucket::Day, "UTC").is_ok());
    }
}
