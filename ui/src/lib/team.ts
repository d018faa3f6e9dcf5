/**
 * Roles and audit actions as lists for the team and audit screens. Each list is the key set
 * of a `Record` over the generated union type, so the compiler refuses a list that misses
 * or invents a value when the Rust enum changes.
 */
import type { AuditAction } from '$lib/bindings/AuditAction';
import type { Role } from '$lib/bindings/Role';

const ROLE_ORDER: Record<Role, number> = { admin: 0, editor: 1, viewer: 2 };

const ACTION_ORDER: Record<AuditAction, number> = {
  campaign_created: 0,
  campaign_renamed: 1,
  campaign_activated: 2,
  campaign_deactivated: 3,
  credentials_copied: 4,
  secret_rotated: 5,
  credentials_revoked: 6,
  callback_changed: 7,
  callback_secret_rotated: 8,
  sender_created: 9,
  templates_imported: 10,
  whatsapp_settings_changed: 11,
  user_invited: 12,
  invitation_accepted: 13,
  password_reset_issued: 14,
  password_changed: 15,
  role_changed: 16,
  user_deactivated: 17,
  user_reactivated: 18,
  signed_in: 19,
  sign_in_failed: 20,
  sign_in_unblocked: 21,
  signed_out_everywhere: 22,
  // issue 12: opt-outs
  opt_out_added: 23,
  opt_out_removed: 24,
  opt_out_keywords_changed: 25,
  // issue 12 §5
  campaign_frequency_cap_changed: 26,
  opt_out_buttons_changed: 27,
};

function ordered<K extends string>(order: Record<K, number>): K[] {
  return (Object.keys(order) as K[]).sort((a, b) => order[a] - order[b]);
}

export const ROLES: Role[] = ordered(ROLE_ORDER);
export const AUDIT_ACTIONS: AuditAction[] = ordered(ACTION_ORDER);

/** `YYYY-MM-DD` of a date input → the RFC 3339 start of that day in local time (`null` when empty). */
export function dayStart(day: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  const [y, m, d] = day.split('-').map(Number);
  const date = new Date(y ?? 0, (m ?? 1) - 1, d ?? 1);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** The start of the day after `day` (an exclusive end of the period). */
export function dayAfter(day: string): string | null {
  const start = dayStart(day);
  if (start === null) return null;
  const date = new Date(start);
  date.setDate(date.getDate() + 1);
  return date.toISOString();
}
