/**
 * Windowing of a long list of rows of one fixed height: which rows to render for the part of
 * the list that is scrolled into view, and the empty space above and below them that keeps
 * the scrollbar true to the whole list. 10,000 campaigns render as ~20 rows.
 */
export interface ListWindow {
  /** Index of the first row to render. */
  start: number;
  /** Index one past the last row to render. */
  end: number;
  /** Height of the space standing in for the rows above `start`, in pixels. */
  padTop: number;
  /** Height of the space standing in for the rows from `end` on, in pixels. */
  padBottom: number;
}

/** Rows rendered beyond each edge of the viewport, so a fast scroll never shows a blank. */
export const OVERSCAN = 8;

export function visibleWindow(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  count: number,
  overscan: number = OVERSCAN,
): ListWindow {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0, padTop: 0, padBottom: 0 };
  const top = Math.max(0, scrollTop);
  const first = Math.min(count - 1, Math.floor(top / rowHeight));
  const visible = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, first + visible + overscan);
  return { start, end, padTop: start * rowHeight, padBottom: (count - end) * rowHeight };
}
