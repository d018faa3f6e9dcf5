/** The languages of the app and how one is picked (pure: no svelte-i18n here). */

export const LOCALES = ['pt-BR', 'es', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

/** Portuguese (Brazil) is the reference catalogue. */
export const REFERENCE_LOCALE: Locale = 'pt-BR';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** Maps an OS / browser language tag (`pt_BR.UTF-8`, `es-MX`, `en`) to a supported locale. */
export function matchLocale(tag: string | null | undefined): Locale | null {
  if (!tag) return null;
  const primary = tag.trim().toLowerCase().split(/[-_.@]/)[0];
  switch (primary) {
    case 'pt':
      return 'pt-BR';
    case 'es':
      return 'es';
    case 'en':
      return 'en';
    default:
      return null;
  }
}

/** The chosen language wins; else the OS language; else English (the most widely read). */
export function resolveLocale(chosen: string | null | undefined, system: string | null | undefined): Locale {
  if (isLocale(chosen)) return chosen;
  return matchLocale(chosen) ?? matchLocale(system) ?? 'en';
}
