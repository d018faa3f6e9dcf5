/**
 * The campaign's frequency cap (issue 12 §5), "at most N messages to the same person every T",
 * as the forms edit it: the same bounds as the server (engage_core::frequency_cap), without Svelte.
 */

import type { CapUnit } from '$lib/bindings/CapUnit';
import type { FrequencyCap } from '$lib/bindings/FrequencyCap';

export const CAP_UNITS: readonly CapUnit[] = ['minutes', 'hours', 'days'];
export const MAX_MESSAGES = 1000;
/** The longest period in each unit: 30 days. */
export const MAX_PERIOD: Record<CapUnit, number> = { minutes: 43200, hours: 720, days: 30 };

/** The form's fields, as typed. */
export interface CapDraft {
  maxMessages: string;
  period: string;
  unit: CapUnit;
}

/** What a new cap starts as: 1 every 24 hours. */
export function defaultDraft(): CapDraft {
  return { maxMessages: '1', period: '24', unit: 'hours' };
}

/** The fields showing `cap` (the default when there is none). */
export function draftOf(cap: FrequencyCap | null): CapDraft {
  if (!cap) return defaultDraft();
  return { maxMessages: String(cap.max_messages), period: String(cap.period), unit: cap.unit };
}

function wholeNumber(text: string): number | null {
  const trimmed = text.trim();
  return /^\d{1,6}$/.test(trimmed) ? Number(trimmed) : null;
}

/** The cap the fields describe, or which field is out of bounds. */
export function capOf(draft: CapDraft): { cap: FrequencyCap } | { problem: 'max_messages' | 'period' } {
  const max = wholeNumber(draft.maxMessages);
  if (max === null || max < 1 || max > MAX_MESSAGES) return { problem: 'max_messages' };
  const period = wholeNumber(draft.period);
  if (period === null || period < 1 || period > MAX_PERIOD[draft.unit]) return { problem: 'period' };
  return { cap: { max_messages: max, period, unit: draft.unit } };
}

/** The catalogue key and values that say the cap in words (`cap.summary_<unit>`). */
export function capSummary(cap: FrequencyCap): { key: string; values: Record<string, number> } {
  return { key: `cap.summary_${cap.unit}`, values: { count: cap.max_messages, period: cap.period } };
}
