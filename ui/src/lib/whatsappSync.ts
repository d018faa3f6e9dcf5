/** "Sync from WhatsApp": the result and the refusals of `sync_whatsapp`, in catalogue keys. */
import type { WhatsAppSyncSummary } from '$lib/bindings/WhatsAppSyncSummary';
import { errorKey, type UiError } from './errors';

/** One phrase of the result message: a catalogue key (an ICU plural on `count`) and its count. */
export interface SyncPart {
  key: string;
  count: number;
}

/** The counts in the order people read them (templates, then numbers); zeros left out. */
export const SYNC_RESULT_KEYS = [
  'sync.result.templates_created',
  'sync.result.templates_updated',
  'sync.result.templates_disabled',
  'sync.result.senders_created',
  'sync.result.senders_updated',
  'sync.result.senders_deactivated',
  'sync.result.skipped',
] as const;

/**
 * The phrases of the result message, e.g. `1 new template, 3 templates updated, 1 new number`;
 * empty when nothing changed (say `sync.result.nothing` then).
 */
export function syncResultParts(summary: WhatsAppSyncSummary): SyncPart[] {
  const counts = [
    summary.templates_created,
    summary.templates_updated,
    summary.templates_disabled,
    summary.senders_created,
    summary.senders_updated,
    summary.senders_deactivated,
    summary.skipped.length,
  ];
  return SYNC_RESULT_KEYS.map((key, i) => ({ key, count: counts[i] ?? 0 })).filter((p) => p.count > 0);
}

/** Meta's error codes with their own explanation (the server sends them as `whatsapp_<code>`). */
const META_TOKEN_CODES = new Set(['190', '102', '463', '467']);
const META_PERMISSION_CODES = new Set(['10', '200', '294']);
const META_BUSY_CODES = new Set(['4', '17', '32', '613', '80007', '130429']);

/** The catalogue key explaining why a sync failed, in plain words with what to do. */
export function syncErrorKey(err: UiError): string {
  const code = err.code;
  if (code === 'no_whatsapp_sender') return 'sync.errors.no_whatsapp_sender';
  if (!code.startsWith('whatsapp_')) return errorKey(code);
  const meta = code.slice('whatsapp_'.length);
  if (meta === 'timeout' || meta === 'unreachable' || /^http_5\d\d$/.test(meta)) return 'sync.errors.whatsapp_unreachable';
  if (META_TOKEN_CODES.has(meta)) return 'sync.errors.whatsapp_token';
  if (META_PERMISSION_CODES.has(meta)) return 'sync.errors.whatsapp_permission';
  if (META_BUSY_CODES.has(meta)) return 'sync.errors.whatsapp_busy';
  return 'sync.errors.whatsapp_refused';
}

/** Every key `syncErrorKey` can return beside the generic `errors.*` ones. */
export const SYNC_ERROR_KEYS = [
  'sync.errors.no_whatsapp_sender',
  'sync.errors.whatsapp_unreachable',
  'sync.errors.whatsapp_token',
  'sync.errors.whatsapp_permission',
  'sync.errors.whatsapp_busy',
  'sync.errors.whatsapp_refused',
] as const;
