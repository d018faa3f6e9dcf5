/** A debounced function: `call` restarts the wait; `cancel` drops a pending call. */
export interface Debounced<A extends unknown[]> {
  call: (...args: A) => void;
  cancel: () => void;
  /** Runs the pending call now, if there is one. */
  flush: () => void;
}

/** Delays `fn` until `waitMs` have passed without another call; only the last arguments win. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, waitMs: number): Debounced<A> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: A | undefined;
  const fire = (): void => {
    timer = undefined;
    const args = pending;
    pending = undefined;
    if (args) fn(...args);
  };
  return {
    call: (...args: A) => {
      pending = args;
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(fire, waitMs);
    },
    cancel: () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      pending = undefined;
    },
    flush: () => {
      if (timer !== undefined) clearTimeout(timer);
      fire();
    },
  };
}

/**
 * Hands out increasing tickets so that only the answer to the latest request is used
 * (an older, slower answer must not overwrite a newer one).
 */
export class LatestOnly {
  private last = 0;
  next(): number {
    this.last += 1;
    return this.last;
  }
  isLatest(ticket: number): boolean {
    return ticket === this.last;
  }
}
