import { describe, expect, it } from 'vitest';
import { templateNotice } from './templateNotice';
import type { TemplateChange } from '$lib/bindings/TemplateChange';

const change = (kind: TemplateChange['kind'], extra: Partial<TemplateChange> = {}): TemplateChange => ({
  kind,
  at: '2026-12-01T12:00:00Z',
  reason: null,
  previous_category: null,
  new_category: null,
  previous_quality: null,
  new_quality: null,
  ...extra,
});

describe('template notices', () => {
  it('a paused template warns with the time and reason Meta gave', () => {
    const notice = templateNotice({ status: 'PAUSED', last_change: change('paused', { reason: 'low quality' }) });
    expect(notice).toMatchObject({ kind: 'paused', tone: 'warn', reason: 'low quality', at: '2026-12-01T12:00:00Z' });
  });

  it('an approved template without changes has no notice', () => {
    expect(templateNotice({ status: 'APPROVED', last_change: null })).toBeNull();
  });

  it('a re-approval and a recategorisation only inform', () => {
    expect(templateNotice({ status: 'APPROVED', last_change: change('reapproved') })?.tone).toBe('info');
    const recategorised = templateNotice({
      status: 'APPROVED',
      last_change: change('recategorised', { previous_category: 'UTILITY', new_category: 'MARKETING' }),
    });
    expect(recategorised).toMatchObject({ tone: 'info', from: 'UTILITY', to: 'MARKETING' });
  });

  it('a quality drop names the ratings before and after', () => {
    const notice = templateNotice({
      status: 'APPROVED',
      last_change: change('quality_dropped', { previous_quality: 'GREEN', new_quality: 'RED' }),
    });
    expect(notice).toMatchObject({ kind: 'quality_dropped', tone: 'warn', from: 'GREEN', to: 'RED' });
  });

  it('a template not approved warns even when its last change was good news', () => {
    expect(templateNotice({ status: 'DISABLED', last_change: change('quality_dropped') })?.kind).toBe('not_approved');
    expect(templateNotice({ status: 'PENDING', last_change: null })?.kind).toBe('not_approved');
  });
});
