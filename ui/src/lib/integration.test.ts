import { describe, expect, it } from 'vitest';
import { headline, maskedPhone, plainReason } from './integration';
import type { IntegrationSummary } from '$lib/bindings/IntegrationSummary';

const summary = (extra: Partial<IntegrationSummary>): IntegrationSummary => ({
  state: 'waiting',
  token_at: null,
  first_sent_at: null,
  last_sent_at: null,
  refused_streak: 0,
  last_refusal: null,
  ...extra,
});

const at = (iso: string): string => iso.slice(11, 16);

describe('the integration panel', () => {
  it('waits for the first request when nothing arrived', () => {
    expect(headline(summary({}), at)).toEqual({ key: 'integration.state.waiting', values: {} });
  });

  it('says when the token was obtained, then when the first message was sent', () => {
    expect(headline(summary({ state: 'token_obtained', token_at: '2026-12-01T14:02:00Z' }), at)).toEqual({
      key: 'integration.state.token_obtained',
      values: { at: '14:02' },
    });
    expect(headline(summary({ state: 'sending', first_sent_at: '2026-12-01T14:05:00Z' }), at).values).toEqual({ at: '14:05' });
  });

  it('counts the refusals in a row', () => {
    expect(headline(summary({ state: 'failing', refused_streak: 3 }), at)).toEqual({
      key: 'integration.state.failing',
      values: { count: 3 },
    });
  });

  it('names the missing variable of a refusal', () => {
    expect(plainReason({ code: 'missing_variable', field: 'variables.first_name', reason: 'x', status: 422 })).toEqual({
      key: 'integration.reason.missing_variable',
      values: { name: 'first_name' },
    });
  });

  it("falls back to the server's message, then to the status and code", () => {
    expect(plainReason({ code: 'idempotency_key_reused', field: null, reason: 'use a new key', status: 422 })).toEqual({
      key: 'integration.reason.other',
      values: { reason: 'use a new key' },
    });
    expect(plainReason({ code: null, field: null, reason: null, status: 500 })).toEqual({
      key: 'integration.reason.status',
      values: { status: 500, code: '' },
    });
  });

  it('shows a phone number by its last 4 digits only', () => {
    expect(maskedPhone('4321')).toBe('•••• 4321');
    expect(maskedPhone(null)).toBe('');
  });
});
