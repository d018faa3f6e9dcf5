import { describe, expect, it } from 'vitest';
import type { Message } from '$lib/bindings/Message';
import {
  EMPTY_FORM,
  exportFraction,
  failureExplanation,
  filterFromForm,
  isFiltered,
  mergeFirstPage,
  metaCode,
  recipientQuery,
  refreshesLive,
  timeline,
} from './messageLog';

// Local dates, so these hold in any time zone the tests run in.
const local = (y: number, m: number, d: number) => new Date(y, m, d).toISOString();

function message(id: string, createdAt: string, extra: Partial<Message> = {}): Message {
  return {
    id,
    campaign_id: 'c',
    to: '+5511987650002',
    status: 'queued',
    rendered: { header: null, body: 'Olá', footer: null, buttons: [] },
    text: 'Olá',
    error: null,
    created_at: createdAt,
    updated_at: createdAt,
    sent_at: null,
    delivered_at: null,
    read_at: null,
    failed_at: null,
    test: false,
    ...extra,
  };
}

describe('filterFromForm', () => {
  it('an empty form is no filter at all', () => {
    expect(filterFromForm(EMPTY_FORM)).toEqual({ status: null, recipient: null, from: null, to: null, test: null });
    expect(isFiltered(EMPTY_FORM)).toBe(false);
  });

  it('a date range runs from the start of its first local day to the end of its last', () => {
    const filter = filterFromForm({ ...EMPTY_FORM, from: '2026-12-01', to: '2026-12-03' });
    expect(filter).toMatchObject({ from: local(2026, 11, 1), to: local(2026, 11, 4) });
    expect(filterFromForm({ ...EMPTY_FORM, to: '2026-12-03' })).toMatchObject({ from: null, to: local(2026, 11, 4) });
    expect(filterFromForm({ ...EMPTY_FORM, from: '2026-12-03', to: '2026-12-01' })).toBe('dates_reversed');
  });

  it('status, recipient digits and test or live travel as the server names them', () => {
    const form = { ...EMPTY_FORM, status: 'failed' as const, recipient: ' +55 (11) 9876-', kind: 'live' as const };
    expect(filterFromForm(form)).toEqual({ status: 'failed', recipient: '+55119876', from: null, to: null, test: false });
    expect(filterFromForm({ ...EMPTY_FORM, kind: 'test' })).toMatchObject({ test: true });
    expect(filterFromForm({ ...EMPTY_FORM, recipient: 'ana' })).toBe('recipient_invalid');
    expect(filterFromForm({ ...EMPTY_FORM, recipient: '1234567890123456' })).toBe('recipient_invalid');
    expect(isFiltered(form)).toBe(true);
  });

  it('a recipient keeps its plus only when typed with one', () => {
    expect(recipientQuery('5511 98765')).toBe('551198765');
    expect(recipientQuery('+34')).toBe('+34');
    expect(recipientQuery('+')).toBe('');
  });
});

describe('refreshesLive', () => {
  const now = new Date(2026, 11, 2, 10, 0);
  it('refreshes while the period has not ended, whatever the other filters', () => {
    expect(refreshesLive({ status: 'failed', recipient: '+55', from: null, to: null, test: true }, now)).toBe(true);
    expect(refreshesLive({ status: null, recipient: null, from: null, to: local(2026, 11, 3), test: null }, now)).toBe(true);
  });
  it('a period that ended before now gets no new message, so it is not polled', () => {
    expect(refreshesLive({ status: null, recipient: null, from: null, to: local(2026, 11, 2), test: null }, now)).toBe(false);
  });
});

describe('mergeFirstPage', () => {
  const t = (minute: number) => new Date(Date.UTC(2026, 11, 1, 12, minute)).toISOString();
  it('keeps the older pages loaded with "Load more" behind the refreshed first page', () => {
    const loaded = [message('d', t(4)), message('c', t(3)), message('b', t(2)), message('a', t(1))];
    const page = [message('e', t(5)), message('d', t(4), { status: 'delivered' })];
    const merged = mergeFirstPage(loaded, page);
    expect(merged.map((m) => m.id)).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(merged[1]?.status).toBe('delivered');
  });
  it('an empty first page empties the list', () => {
    expect(mergeFirstPage([message('a', t(1))], [])).toEqual([]);
  });
});

describe('timeline', () => {
  it('a read message shows every step with its time', () => {
    const m = message('a', '2026-12-01T12:00:00Z', {
      status: 'read',
      sent_at: '2026-12-01T12:00:01Z',
      delivered_at: '2026-12-01T12:00:03Z',
      read_at: '2026-12-01T12:05:00Z',
    });
    expect(timeline(m)).toEqual([
      { step: 'accepted', at: '2026-12-01T12:00:00Z' },
      { step: 'sent', at: '2026-12-01T12:00:01Z' },
      { step: 'delivered', at: '2026-12-01T12:00:03Z' },
      { step: 'read', at: '2026-12-01T12:05:00Z' },
    ]);
  });
  it('a queued message shows the steps still to come without a time', () => {
    expect(timeline(message('a', '2026-12-01T12:00:00Z')).map((e) => [e.step, e.at])).toEqual([
      ['accepted', '2026-12-01T12:00:00Z'],
      ['sent', null],
      ['delivered', null],
      ['read', null],
    ]);
  });
  it('a failed message ends with its failure, after "sent" when it got that far', () => {
    const m = message('a', '2026-12-01T12:00:00Z', {
      status: 'failed',
      sent_at: '2026-12-01T12:00:01Z',
      failed_at: '2026-12-01T12:00:04Z',
    });
    expect(timeline(m).map((e) => e.step)).toEqual(['accepted', 'sent', 'failed']);
    expect(timeline({ ...m, sent_at: null }).map((e) => e.step)).toEqual(['accepted', 'failed']);
  });
});

describe('failureExplanation', () => {
  it("explains Meta's codes with the insights screen's texts, anything else in general words", () => {
    expect(metaCode('whatsapp_131026')).toBe(131026);
    expect(metaCode('template_not_approved')).toBeNull();
    expect(failureExplanation('whatsapp_131026')).toEqual({
      label: '131026',
      meaning: 'meta_errors.131026.meaning',
      action: 'meta_errors.131026.action',
      known: true,
    });
    expect(failureExplanation('whatsapp_999999')).toMatchObject({ label: '999999', known: false });
    expect(failureExplanation('sandbox_error')).toMatchObject({ label: 'sandbox_error', meaning: 'meta_errors.other.meaning' });
  });
});

describe('exportFraction', () => {
  it('is the share of rows written, 0 before the total is known', () => {
    expect(exportFraction(null)).toBe(0);
    expect(exportFraction({ rows: 0, total_rows: 0, bytes: 0 })).toBe(0);
    expect(exportFraction({ rows: 250, total_rows: 1000, bytes: 9 })).toBe(0.25);
    expect(exportFraction({ rows: 1001, total_rows: 1000, bytes: 9 })).toBe(1);
  });
});
