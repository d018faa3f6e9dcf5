/**
 * What staff should know about a campaign's template after Meta changed it (paused,
 * disabled, rejected, approved again, flagged, recategorised, quality dropped): the badge
 * on the campaign list row and the notice on the documentation screen.
 */

import type { Template } from '$lib/bindings/Template';
import type { TemplateChangeKind } from '$lib/bindings/TemplateChangeKind';

export type NoticeKind = TemplateChangeKind | 'not_approved';

export interface TemplateNotice {
  kind: NoticeKind;
  /** `warn`: sends are refused or at risk; `info`: nothing to do. */
  tone: 'warn' | 'info';
  /** When Meta made the change (RFC 3339), if known. */
  at: string | null;
  reason: string | null;
  /** Recategorisations (categories) and quality drops (ratings). */
  from: string | null;
  to: string | null;
}

type NoticeSource = Pick<Template, 'status' | 'last_change'>;

const STOPPING: readonly NoticeKind[] = ['paused', 'disabled', 'rejected'];
const INFO: readonly NoticeKind[] = ['reapproved', 'recategorised'];

/** The notice of a template, or `null` when there is nothing to tell. */
export function templateNotice(template: NoticeSource): TemplateNotice | null {
  const change = template.last_change;
  const approved = template.status === 'APPROVED';
  // A change that says sends work is superseded by a status that says they do not.
  if (change && (approved || STOPPING.includes(change.kind))) {
    const quality = change.kind === 'quality_dropped';
    return {
      kind: change.kind,
      tone: INFO.includes(change.kind) ? 'info' : 'warn',
      at: change.at,
      reason: change.reason,
      from: quality ? change.previous_quality : change.previous_category,
      to: quality ? change.new_quality : change.new_category,
    };
  }
  if (!approved) return { kind: 'not_approved', tone: 'warn', at: null, reason: null, from: null, to: null };
  return null;
}
