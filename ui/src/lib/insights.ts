/**
 * The insights screen's logic (issue 12), without Svelte: the period a choice means in the
 * person's time zone, the numbers shown, the chart's columns, and what a failure code means.
 */
import type { CampaignStats } from '$lib/bindings/CampaignStats';
import type { FailureReason } from '$lib/bindings/FailureReason';
import type { StatsBucket } from '$lib/bindings/StatsBucket';

export type PeriodChoice = 'today' | '7d' | '30d' | 'custom';
export const PERIOD_CHOICES: readonly PeriodChoice[] = ['today', '7d', '30d', 'custom'];

/** The statuses drawn and totalled, in the order of the funnel. */
export const STATUSES = ['accepted', 'sent', 'delivered', 'read', 'failed'] as const;
export type StatsStatus = (typeof STATUSES)[number];

export interface StatsRequest {
  from: string;
  to: string;
  bucket: StatsBucket;
  tz: string;
}

/** The IANA time zone of this computer (the webview's), `UTC` when it names none. */
export function localTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** Local midnight of the day holding `at`, `days` days later (negative: earlier). */
function midnight(at: Date, days = 0): Date {
  return new Date(at.getFullYear(), at.getMonth(), at.getDate() + days);
}

/** `YYYY-MM-DD` of a local date (what `<input type="date">` holds). */
export function dateInputValue(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
}

/** A `YYYY-MM-DD` as local midnight, or `null`. */
export function parseDateInput(value: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const day = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Number.isNaN(day.getTime()) ? null : day;
}

/** The longest custom range the server takes by day. */
export const MAX_CUSTOM_DAYS = 400;

export type PeriodProblem = 'custom_incomplete' | 'custom_reversed' | 'custom_too_long';

/**
 * The request for a choice made at `now` in time zone `tz`: today by hour (from local
 * midnight to the next), else whole local days by day ending with today. A custom range runs
 * from the start of its first day to the end of its last.
 */
export function periodRequest(
  choice: PeriodChoice,
  now: Date,
  tz: string,
  custom: { from: string; to: string } = { from: '', to: '' },
): StatsRequest | PeriodProblem {
  const tomorrow = midnight(now, 1);
  const request = (from: Date, to: Date, bucket: StatsBucket): StatsRequest => ({
    from: from.toISOString(),
    to: to.toISOString(),
    bucket,
    tz,
  });
  switch (choice) {
    case 'today':
      return request(midnight(now), tomorrow, 'hour');
    case '7d':
      return request(midnight(now, -6), tomorrow, 'day');
    case '30d':
      return request(midnight(now, -29), tomorrow, 'day');
    case 'custom': {
      const first = parseDateInput(custom.from);
      const last = parseDateInput(custom.to);
      if (!first || !last) return 'custom_incomplete';
      if (last < first) return 'custom_reversed';
      const end = midnight(last, 1);
      const days = Math.round((end.getTime() - first.getTime()) / 86_400_000);
      if (days > MAX_CUSTOM_DAYS) return 'custom_too_long';
      return request(first, end, days <= 1 ? 'hour' : 'day');
    }
  }
}

/** A rate (0–1) as a percentage in the locale, `—` when there is none. */
export function formatRate(rate: number | null, locale: string): string {
  if (rate === null || Number.isNaN(rate)) return '—';
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(rate);
}

const countFormats = new Map<string, Intl.NumberFormat>();

/** A count in the active language (one Intl formatter per language, made once). */
export function formatCount(count: number, locale: string): string {
  let format = countFormats.get(locale);
  if (!format) {
    format = new Intl.NumberFormat(locale);
    countFormats.set(locale, format);
  }
  return format.format(count);
}

/** The chart's columns: the bucket starts, then one row of counts per status. */
export function chartColumns(stats: CampaignStats): { starts: string[]; rows: Record<StatsStatus, number[]> } {
  const rows = Object.fromEntries(STATUSES.map((status) => [status, [] as number[]])) as Record<StatsStatus, number[]>;
  const starts: string[] = [];
  for (const point of stats.series) {
    starts.push(point.start);
    for (const status of STATUSES) rows[status].push(point.counts[status]);
  }
  return { starts, rows };
}

/** A bucket's label: the hour for an hourly series, else the day, in the locale. */
export function bucketLabel(start: string, bucket: StatsBucket, locale: string): string {
  const at = new Date(start);
  if (Number.isNaN(at.getTime())) return start;
  const options: Intl.DateTimeFormatOptions =
    bucket === 'hour' ? { hour: '2-digit', minute: '2-digit' } : { day: 'numeric', month: 'short' };
  return new Intl.DateTimeFormat(locale, options).format(at);
}

/**
 * Meta's error codes that the app explains in plain words (`meta_errors.<code>.meaning` and
 * `.action` in the catalogues), from Meta's Cloud API error code reference.
 */
export const EXPLAINED_META_CODES = [
  131026, 131047, 131049, 131051, 131053, 132000, 132001, 132007, 132012, 132015, 132016, 130472, 131000, 131005,
  131008, 131009, 131016, 131021, 131031, 131042, 131045, 131048, 131056, 133010, 368,
] as const;

/** The catalogue keys explaining a failure: Meta's own codes, else a general explanation. */
export function failureKeys(reason: FailureReason): { meaning: string; action: string; known: boolean } {
  const code = reason.meta_code;
  if (code !== null && (EXPLAINED_META_CODES as readonly number[]).includes(code)) {
    return { meaning: `meta_errors.${code}.meaning`, action: `meta_errors.${code}.action`, known: true };
  }
  return { meaning: 'meta_errors.other.meaning', action: 'meta_errors.other.action', known: false };
}

/** The code as people see it: Meta's number when it is one, else the stored code. */
export function failureCodeLabel(reason: FailureReason): string {
  return reason.meta_code !== null ? String(reason.meta_code) : reason.code;
}
