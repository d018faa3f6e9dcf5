/**
 * Helpers to show a WhatsApp template as the recipient sees it: the text cut into plain
 * runs and variables (highlighted in the bubble), with example values filled in.
 */

export type Segment = { kind: 'text'; text: string } | { kind: 'var'; key: string };

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** Cuts `text` into runs of text and `{{key}}` placeholders, in order. */
export function segments(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    const at = m.index ?? 0;
    if (at > last) out.push({ kind: 'text', text: text.slice(last, at) });
    out.push({ kind: 'var', key: m[1] ?? '' });
    last = at + m[0].length;
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last) });
  return out;
}

/** Placeholder keys of `text`, in order of first appearance, without repeats. */
export function placeholderKeys(text: string): string[] {
  const keys: string[] = [];
  for (const s of segments(text)) if (s.kind === 'var' && !keys.includes(s.key)) keys.push(s.key);
  return keys;
}

/** Where a variable is used, as in `TemplateVariable`. */
export interface VariableRef {
  key: string;
  location: 'header' | 'body' | 'button';
  button_index: number | null;
}

/**
 * The variable a placeholder of a given part stands for. Header and button placeholders
 * are numbered on their own in WhatsApp (`{{1}}` in a URL button is not the body's `{{1}}`),
 * so the template's variable list decides; failing that the placeholder is its own key.
 */
export function variableFor(
  placeholder: string,
  location: VariableRef['location'],
  variables: readonly VariableRef[],
  buttonIndex: number | null = null,
): string {
  const here = variables.filter(
    (v) => v.location === location && (location !== 'button' || v.button_index === buttonIndex),
  );
  const exact = here.find((v) => v.key === placeholder);
  if (exact) return exact.key;
  if (location !== 'body' && here.length === 1 && here[0]) return here[0].key;
  return placeholder;
}

/** A run of rendered text; `key` is set when it came from a variable. */
export interface Run {
  text: string;
  key?: string;
  /** The variable has no value: shown as `{{key}}`. */
  empty?: boolean;
}

/** Fills the placeholders of `text` with `values` (resolved through `resolve`). */
export function fill(
  text: string,
  values: Readonly<Record<string, string | undefined>>,
  resolve: (placeholder: string) => string = (p) => p,
): Run[] {
  return segments(text).map((s) => {
    if (s.kind === 'text') return { text: s.text };
    const key = resolve(s.key);
    const value = values[key];
    if (value === undefined || value === '') return { text: `{{${s.key}}}`, key, empty: true };
    return { text: value, key };
  });
}

/** The plain text of runs. */
export function plain(runs: readonly Run[]): string {
  return runs.map((r) => r.text).join('');
}

// ------------------------------------------------------------------ bubble model

/** The parts of a template, as in `TemplateComponents` (structural, so tests need no bindings). */
export interface TemplateParts {
  header:
    | { format: 'text'; text: string }
    | { format: 'image' | 'video' | 'document'; example_url: string | null }
    | { format: 'location' }
    | null;
  body: string;
  footer: string | null;
  buttons: Array<
    | { type: 'quick_reply'; text: string }
    | { type: 'url'; text: string; url: string }
    | { type: 'phone_number'; text: string; phone_number: string }
    | { type: 'copy_code'; text: string }
    | { type: 'otp'; text: string }
  >;
}

/** A rendered message, as in `RenderedMessage`. */
export interface RenderedParts {
  header:
    | { format: 'text'; text: string }
    | { format: 'image' | 'video' | 'document'; url: string }
    | { format: 'location'; latitude: string; longitude: string; name: string; address: string }
    | null;
  body: string;
  footer: string | null;
  buttons: Array<{ kind: string; text: string; value: string | null }>;
}

export type MediaKind = 'image' | 'video' | 'document' | 'location';

export interface BubbleButton {
  kind: 'quick_reply' | 'url' | 'phone_number' | 'copy_code' | 'otp' | 'other';
  text: string;
  /** URL, phone number or code, when the button carries one. */
  value: Run[] | null;
}

/** What a message bubble shows. */
export interface BubbleModel {
  header:
    | { kind: 'text'; runs: Run[] }
    | { kind: 'media'; media: MediaKind; url: Run[] | null }
    | { kind: 'location'; name: Run[]; address: Run[]; coordinates: Run[] }
    | null;
  body: Run[];
  footer: string | null;
  buttons: BubbleButton[];
}

/** A run for the variable `key`: its value, or `{{key}}` when it has none. */
function valueRun(key: string, values: Readonly<Record<string, string | undefined>>): Run {
  const value = values[key];
  return value ? { text: value, key } : { text: `{{${key}}}`, key, empty: true };
}

/** Keys of a location header's map pin (as in engage-core). */
export const LOCATION_KEYS = {
  latitude: 'location_latitude',
  longitude: 'location_longitude',
  name: 'location_name',
  address: 'location_address',
} as const;

/** The bubble of a template with example `values`: variables become highlighted runs. */
export function bubbleFromTemplate(
  parts: TemplateParts,
  variables: readonly VariableRef[],
  values: Readonly<Record<string, string | undefined>>,
): BubbleModel {
  let header: BubbleModel['header'] = null;
  const h = parts.header;
  if (h) {
    if (h.format === 'text') {
      header = { kind: 'text', runs: fill(h.text, values, (p) => variableFor(p, 'header', variables)) };
    } else if (h.format === 'location') {
      header = {
        kind: 'location',
        name: [valueRun(LOCATION_KEYS.name, values)],
        address: [valueRun(LOCATION_KEYS.address, values)],
        coordinates: [valueRun(LOCATION_KEYS.latitude, values), { text: ', ' }, valueRun(LOCATION_KEYS.longitude, values)],
      };
    } else {
      const key = variables.find((v) => v.location === 'header')?.key;
      const value = key ? values[key] : undefined;
      const url = key ? [value ? { text: value, key } : { text: `{{${key}}}`, key, empty: true }] : null;
      header = { kind: 'media', media: h.format, url };
    }
  }
  const body = fill(parts.body, values, (p) => variableFor(p, 'body', variables));
  const buttons = parts.buttons.map((b, i): BubbleButton => {
    switch (b.type) {
      case 'quick_reply':
        return { kind: 'quick_reply', text: b.text, value: null };
      case 'phone_number':
        return { kind: 'phone_number', text: b.text, value: [{ text: b.phone_number }] };
      case 'url':
        return { kind: 'url', text: b.text, value: fill(b.url, values, (p) => variableFor(p, 'button', variables, i)) };
      case 'copy_code': {
        const key = variables.find((v) => v.location === 'button' && v.button_index === i)?.key ?? 'coupon_code';
        return { kind: 'copy_code', text: b.text, value: [valueRun(key, values)] };
      }
      case 'otp': {
        // The one-time code in the body, sent once.
        const key = variables.find((v) => v.location === 'body')?.key ?? '1';
        return { kind: 'otp', text: b.text, value: [valueRun(key, values)] };
      }
    }
  });
  return { header, body, footer: parts.footer, buttons };
}

const BUTTON_KINDS: ReadonlyArray<BubbleButton['kind']> = ['quick_reply', 'url', 'phone_number', 'copy_code', 'otp'];

/** The bubble of a message as the recipient received it (no variables to highlight). */
export function bubbleFromRendered(msg: RenderedParts): BubbleModel {
  let header: BubbleModel['header'] = null;
  const h = msg.header;
  if (h) {
    if (h.format === 'text') header = { kind: 'text', runs: [{ text: h.text }] };
    else if (h.format === 'location')
      header = {
        kind: 'location',
        name: [{ text: h.name }],
        address: [{ text: h.address }],
        coordinates: [{ text: `${h.latitude}, ${h.longitude}` }],
      };
    else header = { kind: 'media', media: h.format, url: [{ text: h.url }] };
  }
  return {
    header,
    body: [{ text: msg.body }],
    footer: msg.footer,
    buttons: msg.buttons.map((b) => ({
      kind: BUTTON_KINDS.includes(b.kind as BubbleButton['kind']) ? (b.kind as BubbleButton['kind']) : 'other',
      text: b.text,
      value: b.value ? [{ text: b.value }] : null,
    })),
  };
}
