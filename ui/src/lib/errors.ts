/** Errors as they cross the IPC boundary, and what the UI does with each `code`. */

/** `IpcError` of the Rust side: `{code, message, field?}`. */
export interface UiError {
  code: string;
  message: string;
  field?: string;
}

/** Codes the UI words itself (each has `errors.<code>` in every catalogue). */
export const KNOWN_ERROR_CODES = [
  'server_unreachable',
  'session_expired',
  'keyring_unavailable',
  /** UI-only: sign-out ended the session but the keyring entry could not be deleted. */
  'keyring_delete_failed',
  'invalid_input',
  'invalid_credentials',
  'campaign_name_taken',
  'campaign_name_required',
  'campaign_name_too_long',
  'campaign_name_invalid',
  'campaign_inactive',
  'campaign_not_found',
  'not_found',
  'sender_not_found',
  'sender_inactive',
  'template_not_found',
  'template_not_approved',
  'template_unsupported',
  'invalid_status_transition',
  'sandbox_failed',
  'clipboard_unavailable',
  'file_unwritable',
  'dialog_unavailable',
  'rate_limited',
  'internal',
  'internal_error',
  'service_unavailable',
  'email_required',
  'empty_variable',
  'variable_too_long',
  'invalid_variable_value',
  'not_signed_in',
  'no_such_variable',
  'settings_unwritable',
  'unexpected_response',
  // issue 14: updates and diagnostics
  'updates_not_configured',
  'update_check_failed',
  'update_not_found',
  'update_download_failed',
  'update_signature_invalid',
  'update_install_failed',
  'log_folder_unavailable',
  // per-campaign credentials (issue 11, part B)
  'credentials_shared',
  'campaign_not_in_scope',
  'callback_not_set',
  'invalid_callback_url',
  'callback_destination_not_allowed',
  // team (issue 13)
  'forbidden',
  'too_many_attempts',
  'invitation_not_found',
  'password_too_short',
  'password_too_long',
  'password_too_common',
  'wrong_password',
  'email_taken',
  'invalid_email',
  'last_admin',
  'member_inactive',
  'member_not_found',
  // campaign results (issue 12)
  'invalid_time_zone',
  'invalid_period',
  'period_too_long',
  'invalid_phone_number',
  'recipient_opted_out',
  'reason_required',
  'reason_too_long',
  'opt_out_not_found',
  'invalid_keywords',
  'import_failed',
  'invalid_csv',
  'empty_file',
  'not_a_sandbox_message',
  'reply_required',
  // frequency cap (issue 12 §5)
  'frequency_capped',
  'invalid_frequency_cap',
  // opt-out buttons (issue 12 §4)
  'not_a_quick_reply_button',
  // the message log and its export (issue 12)
  'invalid_status',
  'invalid_recipient',
  'invalid_from',
  'invalid_to',
  'invalid_test',
  'export_interrupted',
] as const;

export type KnownErrorCode = (typeof KNOWN_ERROR_CODES)[number];

/** Turns whatever an `invoke` rejected with into a `UiError` (never throws). */
export function toUiError(raw: unknown): UiError {
  if (raw && typeof raw === 'object') {
    const o = raw as Record<string, unknown>;
    if (typeof o.code === 'string' && o.code.length > 0) {
      const err: UiError = {
        code: o.code,
        message: typeof o.message === 'string' ? o.message : '',
      };
      if (typeof o.field === 'string' && o.field.length > 0) err.field = o.field;
      return err;
    }
    if (o instanceof Error) return { code: 'internal', message: o.message };
  }
  if (typeof raw === 'string') return { code: 'internal', message: raw };
  return { code: 'internal', message: String(raw) };
}

/** The catalogue key of the plain-words explanation of `code` (with what to do). */
export function errorKey(code: string): string {
  return (KNOWN_ERROR_CODES as readonly string[]).includes(code) ? `errors.${code}` : 'errors.unknown';
}

/** Where an error is shown / what happens. */
export type ErrorHandling =
  /** The session is gone: back to the sign-in screen. */
  | { kind: 'sign_in' }
  /** The server cannot be reached: a banner that says what to do. */
  | { kind: 'banner' }
  /** Shown next to the form field it concerns. */
  | { kind: 'field'; field: string }
  /** Shown where the action was attempted. */
  | { kind: 'inline' };

/** Field names the server may use, mapped to the form controls of the UI. */
const FIELD_ALIASES: Record<string, string> = {
  name: 'name',
  sender_id: 'sender',
  senderId: 'sender',
  sender: 'sender',
  template_id: 'template',
  templateId: 'template',
  template: 'template',
  server_url: 'server_url',
  serverUrl: 'server_url',
  campaign_id: 'campaign',
  campaignId: 'campaign',
  email: 'email',
  password: 'password',
  code: 'code',
  current_password: 'current_password',
  new_password: 'new_password',
};

export function handlingOf(err: UiError): ErrorHandling {
  if (err.code === 'session_expired' || err.code === 'not_signed_in') return { kind: 'sign_in' };
  if (err.code === 'server_unreachable') return { kind: 'banner' };
  if (err.code.startsWith('campaign_name_')) return { kind: 'field', field: 'name' };
  if (err.field) {
    const field = FIELD_ALIASES[err.field] ?? err.field;
    return { kind: 'field', field };
  }
  return { kind: 'inline' };
}

/** Errors the app handles as a whole (sign-in screen or banner), not where they happened. */
export function isAppWide(err: UiError): boolean {
  const kind = handlingOf(err).kind;
  return kind === 'sign_in' || kind === 'banner';
}
