import { describe, expect, it } from 'vitest';
import { visibleWindow, OVERSCAN } from './virtualList';

describe('visibleWindow', () => {
  it('renders only the rows in view plus the overscan at the top of a long list', () => {
    const w = visibleWindow(0, 600, 60, 10_000);
    expect(w.start).toBe(0);
    expect(w.end).toBe(11 + OVERSCAN);
    expect(w.padTop).toBe(0);
    expect(w.padBottom).toBe((10_000 - w.end) * 60);
  });

  it('renders only the rows in view, with their spacers, when the first frame asks for no overscan', () => {
    const w = visibleWindow(0, 550, 60, 1_000, 0);
    expect([w.start, w.end]).toEqual([0, 11]);
    expect(w.padTop + (w.end - w.start) * 60 + w.padBottom).toBe(60_000);
  });

  it('keeps the total height of 10,000 rows wherever the list is scrolled', () => {
    for (const scrollTop of [0, 1, 59, 60, 123_456, 599_400, 10_000_000]) {
      const w = visibleWindow(scrollTop, 600, 60, 10_000);
      expect(w.padTop + (w.end - w.start) * 60 + w.padBottom).toBe(600_000);
      expect(w.end - w.start).toBeLessThanOrEqual(11 + 2 * OVERSCAN);
    }
  });

  it('covers the viewport in the middle of the list', () => {
    const w = visibleWindow(300_000, 600, 60, 10_000);
    expect(w.start).toBe(5_000 - OVERSCAN);
    expect(w.end).toBe(5_000 + 11 + OVERSCAN);
    // the rows from 5,000 to 5,010 are the ones on screen
    expect(w.start * 60).toBeLessThanOrEqual(300_000);
    expect(w.end * 60).toBeGreaterThanOrEqual(300_600);
  });

  it('ends at the last row when scrolled past the end (a list that just got shorter)', () => {
    const w = visibleWindow(1_000_000, 600, 60, 30);
    expect(w.end).toBe(30);
    expect(w.padBottom).toBe(0);
    expect(w.start).toBe(29 - OVERSCAN);
  });

  it('renders a short list whole and an empty one not at all', () => {
    expect(visibleWindow(0, 600, 60, 3)).toEqual({ start: 0, end: 3, padTop: 0, padBottom: 0 });
    expect(visibleWindow(0, 600, 60, 0)).toEqual({ start: 0, end: 0, padTop: 0, padBottom: 0 });
  });

  it('treats a negative scroll position (elastic scrolling) as the top', () => {
    expect(visibleWindow(-40, 600, 60, 100).start).toBe(0);
  });
});
