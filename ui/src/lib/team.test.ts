import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS, ROLES, dayAfter, dayStart } from './team';

describe('team lists', () => {
  it('lists the roles from the most to the least powerful', () => {
    expect(ROLES).toEqual(['admin', 'editor', 'viewer']);
  });

  it('lists every audit action once', () => {
    expect(new Set(AUDIT_ACTIONS).size).toBe(AUDIT_ACTIONS.length);
    expect(AUDIT_ACTIONS).toContain('credentials_copied');
  });
});

describe('audit period', () => {
  it('turns a day into the start of that day and of the next, in RFC 3339', () => {
    const start = dayStart('2026-12-01');
    const end = dayAfter('2026-12-01');
    expect(start).not.toBeNull();
    expect(new Date(end ?? '').getTime() - new Date(start ?? '').getTime()).toBe(24 * 3600 * 1000);
  });

  it('gives nothing for an empty or malformed day', () => {
    expect(dayStart('')).toBeNull();
    expect(dayAfter('1.12.2026')).toBeNull();
  });
});
