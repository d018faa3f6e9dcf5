import { describe, expect, it } from 'vitest';
import { capOf, capSummary, defaultDraft, draftOf } from './frequencyCap';

describe('capOf', () => {
  it('reads a cap of one message every 24 hours from the default fields', () => {
    expect(capOf(defaultDraft())).toEqual({ cap: { max_messages: 1, period: 24, unit: 'hours' } });
  });

  it('names the number of messages when it is not 1 to 1000', () => {
    for (const maxMessages of ['0', '1001', '', '2.5', 'abc', '-1']) {
      expect(capOf({ maxMessages, period: '1', unit: 'days' })).toEqual({ problem: 'max_messages' });
    }
  });

  it('names the period when it is zero or longer than 30 days in its unit', () => {
    expect(capOf({ maxMessages: '3', period: '31', unit: 'days' })).toEqual({ problem: 'period' });
    expect(capOf({ maxMessages: '3', period: '721', unit: 'hours' })).toEqual({ problem: 'period' });
    expect(capOf({ maxMessages: '3', period: '0', unit: 'minutes' })).toEqual({ problem: 'period' });
    expect(capOf({ maxMessages: ' 3 ', period: '43200', unit: 'minutes' })).toEqual({
      cap: { max_messages: 3, period: 43200, unit: 'minutes' },
    });
  });
});

describe('draftOf and capSummary', () => {
  it('shows a stored cap in the fields and in words by its unit', () => {
    const cap = { max_messages: 2, period: 7, unit: 'days' } as const;
    expect(draftOf(cap)).toEqual({ maxMessages: '2', period: '7', unit: 'days' });
    expect(draftOf(null)).toEqual(defaultDraft());
    expect(capSummary(cap)).toEqual({ key: 'cap.summary_days', values: { count: 2, period: 7 } });
  });
});
