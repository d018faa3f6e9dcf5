/**
 * The integration log (issue 15), in words: where the hand-off to the technical team stands
 * (the headline of the Integration panel), each refusal's plain reason, and the campaign
 * list's health labels. Pure functions; the panel and the list translate the keys.
 */

import type { IntegrationCall } from '$lib/bindings/IntegrationCall';
import type { IntegrationHealth } from '$lib/bindings/IntegrationHealth';
import type { IntegrationSummary } from '$lib/bindings/IntegrationSummary';

/** A message key and its values, for `$_(key, { values })`. */
export interface Worded {
  key: string;
  values: Record<string, string | number>;
}

/** Refusal codes with their own plain wording (`integration.reason.<code>`). */
export const WORDED_CODES = [
  'missing_variable',
  'unknown_variable',
  'empty_variable',
  'variable_too_long',
  'invalid_phone_number',
  'missing_token',
  'invalid_token',
  'invalid_client',
  'campaign_not_in_scope',
  'campaign_not_found',
  'campaign_inactive',
  'template_not_approved',
  'sender_inactive',
  'rate_limited',
  'malformed_json',
  'unsupported_grant_type',
  'frequency_capped',
] as const;

export const HEALTHS: readonly IntegrationHealth[] = ['live', 'never_used', 'failing', 'quiet'];

/** The name a refusal's field points at: `variables.first_name` → `first_name`. */
function fieldName(field: string | null): string {
  if (!field) return '';
  const last = field.split('.').pop() ?? field;
  return last;
}

/**
 * A refusal in plain words: a worded code, else the server's own message (`reason`), else
 * the bare code.
 */
export function plainReason(call: Pick<IntegrationCall, 'code' | 'field' | 'reason' | 'status'>): Worded {
  const code = call.code ?? '';
  if ((WORDED_CODES as readonly string[]).includes(code)) {
    return { key: `integration.reason.${code}`, values: { name: fieldName(call.field) } };
  }
  if (call.reason) return { key: 'integration.reason.other', values: { reason: call.reason } };
  return { key: 'integration.reason.status', values: { status: call.status, code } };
}

/** The headline of the panel: waiting, token obtained, first message sent, or refusals. */
export function headline(summary: IntegrationSummary, time: (iso: string) => string): Worded {
  switch (summary.state) {
    case 'failing':
      return { key: 'integration.state.failing', values: { count: summary.refused_streak } };
    case 'sending':
      return { key: 'integration.state.sending', values: { at: time(summary.first_sent_at ?? '') } };
    case 'token_obtained':
      return { key: 'integration.state.token_obtained', values: { at: time(summary.token_at ?? '') } };
    default:
      return { key: 'integration.state.waiting', values: {} };
  }
}

/** `•••• 1234`, or an empty string when the request named no number. */
export function maskedPhone(last4: string | null): string {
  return last4 ? `•••• ${last4}` : '';
}
