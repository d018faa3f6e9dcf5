import { addMessages, init, locale } from 'svelte-i18n';
import ptBR from './pt-BR.json';
import es from './es.json';
import en from './en.json';
import { REFERENCE_LOCALE, type Locale } from './locales';

export { LOCALES, resolveLocale, type Locale } from './locales';

addMessages('pt-BR', ptBR);
addMessages('es', es);
addMessages('en', en);

/** Sets up svelte-i18n with the catalogues bundled in (no network, no lazy loading). */
export function setupI18n(initial: Locale): void {
  init({ fallbackLocale: REFERENCE_LOCALE, initialLocale: initial });
  document.documentElement.lang = initial;
}

export function setLocale(next: Locale): void {
  void locale.set(next);
  document.documentElement.lang = next;
}
