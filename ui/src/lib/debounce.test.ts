import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { debounce, LatestOnly } from './debounce';

describe('debounce', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('calls once, with the last arguments, after the quiet period', () => {
    const seen: string[] = [];
    const d = debounce((s: string) => seen.push(s), 300);
    d.call('a');
    d.call('ab');
    vi.advanceTimersByTime(299);
    d.call('abc');
    vi.advanceTimersByTime(299);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(seen).toEqual(['abc']);
  });

  it('cancel drops the pending call', () => {
    const fn = vi.fn();
    const d = debounce(fn, 300);
    d.call();
    d.cancel();
    vi.advanceTimersByTime(1000);
    expect(fn).not.toHaveBeenCalled();
  });

  it('flush runs the pending call now, and only once', () => {
    const fn = vi.fn();
    const d = debounce(fn, 300);
    d.call(1);
    d.flush();
    vi.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledWith(1);
  });

  it('flush without a pending call does nothing', () => {
    const fn = vi.fn();
    debounce(fn, 300).flush();
    expect(fn).not.toHaveBeenCalled();
  });
});

describe('LatestOnly', () => {
  it('only the newest ticket is the latest', () => {
    const latest = new LatestOnly();
    const first = latest.next();
    const second = latest.next();
    expect(latest.isLatest(first)).toBe(false);
    expect(latest.isLatest(second)).toBe(true);
  });
});
