/** Messages in the activity view: order and how a status looks. */
export type Tone = 'ok' | 'wait' | 'bad' | '';

export function statusTone(status: string): Tone {
  switch (status) {
    case 'delivered':
    case 'read':
      return 'ok';
    case 'queued':
    case 'sent':
      return 'wait';
    case 'failed':
      return 'bad';
    default:
      return '';
  }
}

/** Newest first (by creation time; the server already sends them so, this keeps it true). */
export function newestFirst<T extends { created_at: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
}
