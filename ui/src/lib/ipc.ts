/**
 * The one typed way to call the Rust side. Every command, its arguments (camelCase, as
 * Tauri expects from JS) and its result are listed in `Commands`; failures reject with a
 * `UiError` (`{code, message, field?}`) and the UI branches on `code` only.
 */
import { invoke } from '@tauri-apps/api/core';
import type { Campaign } from '$lib/bindings/Campaign';
import type { CampaignDocs } from '$lib/bindings/CampaignDocs';
import type { CampaignStatus } from '$lib/bindings/CampaignStatus';
import type { Language } from '$lib/bindings/Language';
import type { MessagePage } from '$lib/bindings/MessagePage';
import type { NameAvailability } from '$lib/bindings/NameAvailability';
import type { Sender } from '$lib/bindings/Sender';
import type { SessionInfo } from '$lib/bindings/SessionInfo';
import type { Startup } from '$lib/bindings/Startup';
import type { Template } from '$lib/bindings/Template';
import type { WhatsAppSyncSummary } from '$lib/bindings/WhatsAppSyncSummary';
import { toUiError, type UiError } from './errors';

/** Example values of a campaign's variables, by variable key. */
export type Variables = Record<string, string>;

export interface Commands {
  get_startup: { args: undefined; result: Startup };
  start_sandbox: { args: undefined; result: SessionInfo };
  sign_in: { args: { serverUrl: string; email: string; password: string }; result: SessionInfo };
  sign_out: { args: undefined; result: null };
  set_language: { args: { language: Language | null }; result: null };
  list_senders: { args: undefined; result: Sender[] };
  list_templates: { args: undefined; result: Template[] };
  sync_whatsapp: { args: undefined; result: WhatsAppSyncSummary };
  list_campaigns: { args: { query: string | null }; result: Campaign[] };
  check_campaign_name: { args: { name: string }; result: NameAvailability };
  create_campaign: { args: { name: string; senderId: string; templateId: string }; result: Campaign };
  get_campaign: { args: { id: string }; result: Campaign };
  set_campaign_status: { args: { id: string; status: CampaignStatus }; result: Campaign };
  campaign_docs: { args: { id: string; variables: Variables; to: string | null }; result: CampaignDocs };
  copy_token_curl: { args: { id: string }; result: null };
  copy_send_curl: { args: { id: string; variables: Variables; to: string | null }; result: null };
  list_messages: { args: { campaignId: string; cursor: string | null }; result: MessagePage };
  ui_ready: { args: undefined; result: null };
}

export type Command = keyof Commands;
type ArgList<K extends Command> = Commands[K]['args'] extends undefined ? [] : [Commands[K]['args']];

/** An `invoke` failure, carrying the Rust `IpcError`. */
export class IpcFailure extends Error {
  readonly error: UiError;
  constructor(error: UiError) {
    super(`${error.code}: ${error.message}`);
    this.name = 'IpcFailure';
    this.error = error;
  }
}

export async function call<K extends Command>(cmd: K, ...args: ArgList<K>): Promise<Commands[K]['result']> {
  try {
    return await invoke<Commands[K]['result']>(cmd, args[0] ?? {});
  } catch (raw) {
    throw new IpcFailure(toUiError(raw));
  }
}

/** The `UiError` of anything a `call` threw. */
export function errorOf(thrown: unknown): UiError {
  return thrown instanceof IpcFailure ? thrown.error : toUiError(thrown);
}
