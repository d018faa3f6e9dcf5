import { describe, expect, it } from 'vitest';
import type { CampaignStats } from '$lib/bindings/CampaignStats';
import {
  bucketLabel,
  chartColumns,
  dateInputValue,
  EXPLAINED_META_CODES,
  failureCodeLabel,
  failureKeys,
  formatRate,
  periodRequest,
} from './insights';
import en from './i18n/en.json';
import es from './i18n/es.json';
import ptBR from './i18n/pt-BR.json';

// Expectations are built with local dates too, so these hold in any time zone the tests run in.
const now = new Date(2026, 11, 1, 15, 42);
const local = (y: number, m: number, d: number) => new Date(y, m, d).toISOString();

describe('periodRequest', () => {
  it('today is cut by hour from local midnight to the next', () => {
    expect(periodRequest('today', now, 'America/Sao_Paulo')).toEqual({
      from: local(2026, 11, 1),
      to: local(2026, 11, 2),
      bucket: 'hour',
      tz: 'America/Sao_Paulo',
    });
  });

  it('the last 7 and 30 days are whole local days ending with today, by day', () => {
    expect(periodRequest('7d', now, 'UTC')).toMatchObject({ from: local(2026, 10, 25), to: local(2026, 11, 2), bucket: 'day' });
    expect(periodRequest('30d', now, 'UTC')).toMatchObject({ from: local(2026, 10, 2), to: local(2026, 11, 2), bucket: 'day' });
  });

  it('a custom range runs from its first day to the end of its last; one day is by hour', () => {
    expect(periodRequest('custom', now, 'UTC', { from: '2026-11-03', to: '2026-11-05' })).toMatchObject({
      from: local(2026, 10, 3),
      to: local(2026, 10, 6),
      bucket: 'day',
    });
    expect(periodRequest('custom', now, 'UTC', { from: '2026-11-03', to: '2026-11-03' })).toMatchObject({ bucket: 'hour' });
  });

  it('an incomplete, reversed or too long custom range says what is wrong', () => {
    expect(periodRequest('custom', now, 'UTC', { from: '', to: '2026-11-05' })).toBe('custom_incomplete');
    expect(periodRequest('custom', now, 'UTC', { from: '2026-11-05', to: '2026-11-03' })).toBe('custom_reversed');
    expect(periodRequest('custom', now, 'UTC', { from: '2025-01-01', to: '2026-11-05' })).toBe('custom_too_long');
  });

  it('date inputs hold the local date', () => {
    expect(dateInputValue(now)).toBe('2026-12-01');
  });
});

describe('numbers', () => {
  it('rates are percentages in the language, a dash without one', () => {
    expect(formatRate(0.5, 'en')).toBe('50%');
    expect(formatRate(0.925, 'pt-BR')).toBe('92,5%');
    expect(formatRate(null, 'es')).toBe('—');
  });

  it('bucket labels follow the language', () => {
    const start = new Date(2026, 11, 1, 9).toISOString();
    expect(bucketLabel(start, 'hour', 'pt-BR')).toBe('09:00');
    expect(bucketLabel(start, 'day', 'en')).toBe('Dec 1');
    expect(bucketLabel(start, 'day', 'es')).toMatch(/^1 dic/);
  });
});

describe('chartColumns', () => {
  it('gives one column per bucket and one row per status', () => {
    const counts = (sent: number) => ({ accepted: sent, sent, delivered: sent, read: 0, failed: 0 });
    const stats: CampaignStats = {
      campaign_id: 'c',
      campaign_name: 'C',
      totals: counts(3),
      delivery_rate: 1,
      read_rate: 0,
      series: [
        { start: '2026-12-01T00:00:00-03:00', counts: counts(1) },
        { start: '2026-12-02T00:00:00-03:00', counts: counts(2) },
      ],
      failures: [],
    };
    const columns = chartColumns(stats);
    expect(columns.starts).toEqual(['2026-12-01T00:00:00-03:00', '2026-12-02T00:00:00-03:00']);
    expect(columns.rows.sent).toEqual([1, 2]);
    expect(columns.rows.failed).toEqual([0, 0]);
  });
});

describe('failure reasons', () => {
  it("Meta's codes the app knows are explained; others get the general text", () => {
    expect(failureKeys({ code: 'whatsapp_131026', meta_code: 131026, count: 2 })).toEqual({
      meaning: 'meta_errors.131026.meaning',
      action: 'meta_errors.131026.action',
      known: true,
    });
    expect(failureKeys({ code: 'provider_failed', meta_code: null, count: 1 }).known).toBe(false);
    expect(failureCodeLabel({ code: 'whatsapp_131026', meta_code: 131026, count: 2 })).toBe('131026');
    expect(failureCodeLabel({ code: 'provider_failed', meta_code: null, count: 1 })).toBe('provider_failed');
  });

  it('every explained code has its meaning and what to do in the three languages', () => {
    for (const catalogue of [en, es, ptBR] as Record<string, unknown>[]) {
      const table = catalogue.meta_errors as Record<string, { meaning?: string; action?: string }>;
      for (const code of [...EXPLAINED_META_CODES.map(String), 'other']) {
        expect(table[code]?.meaning, `${code}.meaning`).toBeTruthy();
        expect(table[code]?.action, `${code}.action`).toBeTruthy();
      }
    }
  });
});
