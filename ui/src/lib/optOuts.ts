/** The do-not-message list's screen logic (issue 12), without Svelte. */
import type { TemplateButton } from '$lib/bindings/TemplateButton';

/** Keywords as typed in one field: separated by commas or new lines, trimmed, empty ones dropped. */
export function keywordsFromText(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
}

/** The texts of a template's quick-reply buttons, in order (issue 12 §4). */
export function quickReplies(buttons: readonly TemplateButton[]): string[] {
  return buttons.flatMap((b) => (b.type === 'quick_reply' ? [b.text] : []));
}

/** The marked opt-out buttons after turning `text` on or off, in the template's order. */
export function toggleMark(order: readonly string[], marked: readonly string[], text: string, on: boolean): string[] {
  const next = new Set(marked.filter((m) => m !== text));
  if (on) next.add(text);
  return order.filter((t) => next.has(t));
}
