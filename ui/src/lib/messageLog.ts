/**
 * The message log's logic (issue 12), without Svelte: the filters the form means, whether the
 * first page refreshes itself, how a refreshed first page joins the pages already loaded, a
 * message's status timeline, what its failure means, and the export's progress.
 */
import type { Message } from '$lib/bindings/Message';
import type { MessageLogFilter } from '$lib/bindings/MessageLogFilter';
import type { MessageStatus } from '$lib/bindings/MessageStatus';
import type { ExportProgress } from '$lib/bindings/ExportProgress';
import { failureKeys, parseDateInput } from './insights';

export const LOG_STATUSES: readonly MessageStatus[] = ['queued', 'sent', 'delivered', 'read', 'failed'];

export type LogKind = 'all' | 'live' | 'test';

/** What the filter form holds: dates as `<input type="date">` values (local days). */
export interface LogForm {
  status: '' | MessageStatus;
  recipient: string;
  from: string;
  to: string;
  kind: LogKind;
}

export const EMPTY_FORM: LogForm = { status: '', recipient: '', from: '', to: '', kind: 'all' };

export type FormProblem = 'dates_reversed' | 'recipient_invalid';

/** The digits a person typed, with a leading `+` kept: `+55 (11) 9876-` → `+55119876`. */
export function recipientQuery(input: string): string {
  const trimmed = input.trim();
  const digits = trimmed.replace(/[^0-9]/g, '');
  return trimmed.startsWith('+') && digits ? `+${digits}` : digits;
}

/**
 * The filter for the server: a period from the start of its first local day to the end of its
 * last (either end may be open), the recipient's digits, test or live.
 */
export function filterFromForm(form: LogForm): MessageLogFilter | FormProblem {
  const first = form.from ? parseDateInput(form.from) : null;
  const last = form.to ? parseDateInput(form.to) : null;
  if (first && last && last < first) return 'dates_reversed';
  const recipient = recipientQuery(form.recipient);
  const typed = form.recipient.trim() !== '';
  if (typed && (recipient.replace('+', '').length === 0 || recipient.replace('+', '').length > 15)) {
    return 'recipient_invalid';
  }
  const end = last ? new Date(last.getFullYear(), last.getMonth(), last.getDate() + 1) : null;
  return {
    status: form.status || null,
    recipient: typed ? recipient : null,
    from: first ? first.toISOString() : null,
    to: end ? end.toISOString() : null,
    test: form.kind === 'all' ? null : form.kind === 'test',
  };
}

/** Whether any filter is set (the empty state then says "no message matches"). */
export function isFiltered(form: LogForm): boolean {
  return form.status !== '' || form.recipient.trim() !== '' || form.from !== '' || form.to !== '' || form.kind !== 'all';
}

/**
 * Whether the first page refreshes itself: only when a message sent now could appear in it,
 * i.e. the period does not end before now. (Status, recipient and test or live still let new
 * messages in: a new message is queued, then moves on.)
 */
export function refreshesLive(filter: MessageLogFilter, now: Date): boolean {
  return filter.to === null || Date.parse(filter.to) > now.getTime();
}

/** `a` before `b` in the log's order: newer first, then the greater id. */
function newer(a: Message, b: Message): boolean {
  const at = Date.parse(a.created_at);
  const bt = Date.parse(b.created_at);
  return at !== bt ? at > bt : a.id > b.id;
}

/**
 * The loaded list after a refresh of the first page: the fresh page, then the loaded messages
 * older than its last one (pages loaded with "Load more" stay, with their cursor).
 */
export function mergeFirstPage(loaded: readonly Message[], page: readonly Message[]): Message[] {
  const last = page[page.length - 1];
  if (!last) return [];
  const seen = new Set(page.map((m) => m.id));
  return [...page, ...loaded.filter((m) => !seen.has(m.id) && newer(last, m))];
}

export type TimelineStep = 'accepted' | 'sent' | 'delivered' | 'read' | 'failed';

export interface TimelineEntry {
  step: TimelineStep;
  /** When it happened (RFC 3339), `null` while it has not. */
  at: string | null;
}

/**
 * The status timeline of a message: accepted, then sent, delivered and read as they happen;
 * a failed message ends with its failure (after "sent" when it got that far).
 */
export function timeline(m: Message): TimelineEntry[] {
  const entries: TimelineEntry[] = [{ step: 'accepted', at: m.created_at }];
  if (m.status === 'failed') {
    if (m.sent_at) entries.push({ step: 'sent', at: m.sent_at });
    entries.push({ step: 'failed', at: m.failed_at ?? m.updated_at });
    return entries;
  }
  entries.push({ step: 'sent', at: m.sent_at });
  entries.push({ step: 'delivered', at: m.delivered_at });
  entries.push({ step: 'read', at: m.read_at });
  return entries;
}

/** Meta's number in a stored failure code (`whatsapp_131026` → 131026). */
export function metaCode(code: string): number | null {
  const match = /^whatsapp_(\d+)$/.exec(code);
  return match ? Number(match[1]) : null;
}

/** The catalogue keys explaining a message's failure, as the insights screen explains them. */
export function failureExplanation(code: string): { label: string; meaning: string; action: string; known: boolean } {
  const meta = metaCode(code);
  const keys = failureKeys({ code, meta_code: meta, count: 0 });
  return { label: meta !== null ? String(meta) : code, ...keys };
}

/** How far an export is, 0 to 1 (by rows when the total is known). */
export function exportFraction(progress: ExportProgress | null): number {
  if (!progress || progress.total_rows <= 0) return 0;
  return Math.min(1, progress.rows / progress.total_rows);
}
