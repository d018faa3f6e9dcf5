/**
 * The one typed way to call the Rust side. Every command, its arguments (camelCase, as
 * Tauri expects from JS) and its result are listed in `Commands`; failures reject with a
 * `UiError` (`{code, message, field?}`) and the UI branches on `code` only.
 */
import { invoke, type Channel } from '@tauri-apps/api/core';
import type { Campaign } from '$lib/bindings/Campaign';
import type { CampaignRow } from '$lib/bindings/CampaignRow';
import type { CampaignDocs } from '$lib/bindings/CampaignDocs';
import type { ApiDocument } from '$lib/bindings/ApiDocument';
import type { CampaignStatus } from '$lib/bindings/CampaignStatus';
import type { CredentialMode } from '$lib/bindings/CredentialMode';
import type { RotationGrace } from '$lib/bindings/RotationGrace';
import type { CallbackRecipe } from '$lib/bindings/CallbackRecipe';
import type { CallbackSaved } from '$lib/bindings/CallbackSaved';
import type { CallbackScope } from '$lib/bindings/CallbackScope';
import type { CallbackView } from '$lib/bindings/CallbackView';
import type { Language } from '$lib/bindings/Language';
import type { MessagePage } from '$lib/bindings/MessagePage';
import type { NameAvailability } from '$lib/bindings/NameAvailability';
import type { Sender } from '$lib/bindings/Sender';
import type { SnippetLang } from '$lib/bindings/SnippetLang';
import type { SessionInfo } from '$lib/bindings/SessionInfo';
import type { Startup } from '$lib/bindings/Startup';
import type { Template } from '$lib/bindings/Template';
import type { WhatsAppSyncSummary } from '$lib/bindings/WhatsAppSyncSummary';
import type { Restored } from '$lib/bindings/Restored';
import type { UiStage } from '$lib/bindings/UiStage';
import type { AppInfo } from '$lib/bindings/AppInfo';
import type { UpdateCheck } from '$lib/bindings/UpdateCheck';
import type { AuditPage } from '$lib/bindings/AuditPage';
import type { AuditQuery } from '$lib/bindings/AuditQuery';
import type { InvitationCreated } from '$lib/bindings/InvitationCreated';
import type { Role } from '$lib/bindings/Role';
import type { SessionList } from '$lib/bindings/SessionList';
import type { Team } from '$lib/bindings/Team';
import type { TeamMember } from '$lib/bindings/TeamMember';
import type { IntegrationLog } from '$lib/bindings/IntegrationLog';
import type { CampaignIntegrationHealth } from '$lib/bindings/CampaignIntegrationHealth';
import type { Theme } from '$lib/bindings/Theme';
import type { GuideFormat } from '$lib/bindings/GuideFormat';
import type { CampaignStatsResponse } from '$lib/bindings/CampaignStatsResponse';
import type { StatsBucket } from '$lib/bindings/StatsBucket';
import type { SendAccepted } from '$lib/bindings/SendAccepted';
import type { OptOut } from '$lib/bindings/OptOut';
import type { OptOutKeywords } from '$lib/bindings/OptOutKeywords';
import type { OptOutPage } from '$lib/bindings/OptOutPage';
import type { OptOutImport } from '$lib/bindings/OptOutImport';
import type { SimulatedReply } from '$lib/bindings/SimulatedReply';
import type { FrequencyCap } from '$lib/bindings/FrequencyCap';
import type { MessageLogFilter } from '$lib/bindings/MessageLogFilter';
import type { ExportProgress } from '$lib/bindings/ExportProgress';
import type { ExportOutcome } from '$lib/bindings/ExportOutcome';
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
  list_campaigns: { args: { query: string | null }; result: CampaignRow[] };
  check_campaign_name: { args: { name: string }; result: NameAvailability };
  create_campaign: { args: { name: string; senderId: string; templateId: string; frequencyCap?: FrequencyCap | null }; result: Campaign };
  get_campaign: { args: { id: string }; result: Campaign };
  set_campaign_status: { args: { id: string; status: CampaignStatus }; result: Campaign };
  campaign_docs: { args: { id: string; variables: Variables; to: string | null; mode?: CredentialMode }; result: CampaignDocs };
  copy_token_curl: { args: { id: string; mode?: CredentialMode; lang: SnippetLang | null }; result: null };
  copy_send_curl: { args: { id: string; variables: Variables; to: string | null; mode?: CredentialMode; lang: SnippetLang | null }; result: null };
  list_messages: {
    args: { campaignId: string; cursor: string | null; filter?: MessageLogFilter };
    result: MessagePage;
  };
  ui_ready: { args: { stage: UiStage }; result: null };
  // issue 14: start-up, updates, diagnostics
  restore_session: { args: undefined; result: Restored };
  app_info: { args: undefined; result: AppInfo };
  check_for_updates: { args: { force: boolean }; result: UpdateCheck };
  install_update: { args: undefined; result: null };
  copy_diagnostics: { args: undefined; result: null };
  open_log_folder: { args: undefined; result: null };
  set_snippet_lang: { args: { lang: SnippetLang }; result: null };
  save_api_document: { args: { document: ApiDocument; id: string }; result: string | null };
  // per-campaign credentials (issue 11, part B)
  rotate_credentials: { args: { id: string; mode: CredentialMode; grace: RotationGrace }; result: null };
  revoke_credentials: { args: { id: string; mode: CredentialMode }; result: null };
  get_callback: { args: { campaignId: string }; result: CallbackView | null };
  set_callback: { args: { campaignId: string; scope: CallbackScope; url: string }; result: CallbackSaved };
  rotate_callback_secret: { args: { campaignId: string; scope: CallbackScope }; result: null };
  send_test_callback: { args: { campaignId: string }; result: null };
  callback_recipes: { args: undefined; result: CallbackRecipe[] };
  // team (issue 13)
  accept_invitation: { args: { serverUrl: string; code: string; password: string }; result: SessionInfo };
  get_team: { args: undefined; result: Team };
  invite_member: { args: { email: string; role: Role }; result: InvitationCreated };
  update_member: { args: { id: string; role: Role | null; active: boolean | null }; result: TeamMember };
  reset_member_password: { args: { id: string }; result: InvitationCreated };
  unblock_member: { args: { id: string }; result: null };
  change_password: { args: { currentPassword: string; newPassword: string }; result: null };
  list_sessions: { args: undefined; result: SessionList };
  sign_out_everywhere: { args: undefined; result: null };
  audit_log: { args: { query: AuditQuery; cursor: string | null }; result: AuditPage };
  /** The path written, or `null` when the save dialog was cancelled. */
  export_audit_csv: { args: { query: AuditQuery }; result: string | null };
  // the integration log (issue 15)
  integration_log: { args: { campaignId: string; refusedOnly: boolean }; result: IntegrationLog };
  integration_health: { args: undefined; result: CampaignIntegrationHealth[] };
  // first run and settings (issue 15)
  set_theme: { args: { theme: Theme }; result: null };
  /** The path written, or `null` when the save dialog was cancelled. */
  save_integration_guide: { args: { id: string; format: GuideFormat; includeSecret: boolean }; result: string | null };
  // campaign results (issue 12)
  campaign_stats: {
    args: { campaignId: string; from: string; to: string; bucket: StatsBucket; tz: string };
    result: CampaignStatsResponse;
  };
  send_test_message: { args: { campaignId: string; to: string; variables: Variables }; result: SendAccepted };
  list_opt_outs: { args: { query: string | null; cursor: string | null }; result: OptOutPage };
  add_opt_out: { args: { phone: string; reason: string | null }; result: OptOut };
  remove_opt_out: { args: { phone: string; reason: string }; result: null };
  /** With `keywords`: replaces them, then answers the saved list. */
  opt_out_keywords: { args: { keywords: string[] | null }; result: OptOutKeywords };
  /** The path written, or `null` when the save dialog was cancelled. */
  export_opt_outs_csv: { args: undefined; result: string | null };
  /** What the import did, or `null` when the open dialog was cancelled. */
  import_opt_outs_csv: { args: undefined; result: OptOutImport | null };
  simulate_reply: { args: { messageId: string; text: string; button?: boolean }; result: SimulatedReply };
  // issue 12 §5: frequency cap (null removes it)
  set_campaign_frequency_cap: { args: { id: string; frequencyCap: FrequencyCap | null }; result: Campaign };
  // issue 12 §4: quick-reply buttons marked as opt-out
  set_opt_out_buttons: { args: { templateId: string; buttons: string[] }; result: Template };
  // issue 12: the message log's export (streamed to the chosen file, progress on a channel)
  export_messages_csv: {
    args: { campaignId: string; filter: MessageLogFilter; tz: string; onProgress: Channel<ExportProgress> };
    result: ExportOutcome;
  };
  cancel_message_export: { args: undefined; result: null };
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
