import { addMessages, init, locale } from 'svelte-i18n';
import en from './en.json';
import { REFERENCE_LOCALE, type Locale } from './locales';

export { LOCALES, resolveLocale, type Locale } from './locales';

/**
 * English is in the main bundle (the first guess until the Rust side answers); the other
 * catalogues are a chunk each, loaded when first used, so a launch parses one catalogue, not
 * three (desktop footprint, issue 14). No network: the chunks are embedded in the app.
 */
const loaders: Record<Exclude<Locale, 'en'>, () => Promise<{ default: typeof en }>> = {
  'pt-BR': () => import('./pt-BR.json'),
  es: () => import('./es.json'),
};

addMessages('en', en);
const loaded = new Set<Locale>(['en']);
/** The locale asked for last: an earlier request that finishes loading later does not win. */
let wanted: Locale = 'en';

async function load(next: Locale): Promise<void> {
  if (loaded.has(next) || next === 'en') return;
  const catalogue = await loaders[next]();
  addMessages(next, catalogue.default);
  loaded.add(next);
}

/** Sets up svelte-i18n in English, then switches to `initial` as soon as it is loaded. */
export function setupI18n(initial: Locale): void {
  init({ fallbackLocale: REFERENCE_LOCALE, initialLocale: 'en' });
  document.documentElement.lang = 'en';
  void setLocale(initial);
}

/** Switches to `next` once its catalogue is loaded (at once for a loaded one). */
export async function setLocale(next: Locale): Promise<void> {
  wanted = next;
  try {
    await load(next);
  } catch {
    // An embedded chunk that cannot load: the language in use stays.
    return;
  }
  if (wanted !== next) return;
  void locale.set(next);
  document.documentElement.lang = next;
}
