/** App-wide state: the session, the current screen, the banner and the toast. */
import type { SessionInfo } from '$lib/bindings/SessionInfo';
import type { Language } from '$lib/bindings/Language';
import type { LastSignIn } from '$lib/bindings/LastSignIn';
import { call, errorOf } from './ipc';
import { setLocale, resolveLocale } from './i18n';
import { handlingOf, type UiError } from './errors';

export type Route =
  | { name: 'welcome' }
  | { name: 'campaigns' }
  | { name: 'new' }
  | { name: 'docs'; id: string }
  | { name: 'activity'; id: string }
  | { name: 'settings' };

interface AppState {
  route: Route;
  session: SessionInfo | null;
  /** Why the user is on the sign-in screen (session expired, keyring unavailable...). */
  notice: UiError | null;
  /** The server could not be reached by the last action. */
  unreachable: boolean;
  /** The language chosen in settings (`null`: follow the OS). */
  language: Language | null;
  systemLanguage: Language;
  lastSignIn: LastSignIn | null;
  /** A short confirmation ("Copied"), shown for a moment. */
  toast: { key: string; serial: number } | null;
}

export const app: AppState = $state({
  route: { name: 'welcome' },
  session: null,
  notice: null,
  unreachable: false,
  language: null,
  systemLanguage: 'en',
  lastSignIn: null,
  toast: null,
});

export function go(route: Route): void {
  app.route = route;
}

export function signedIn(session: SessionInfo): void {
  app.session = session;
  app.notice = null;
  app.unreachable = false;
  go({ name: 'campaigns' });
}

export function signedOut(notice: UiError | null = null): void {
  // Signing in again to the same server: keep its address and the email in the form.
  if (app.session?.mode === 'server') app.lastSignIn = { server_url: app.session.server_url, email: app.session.email };
  app.session = null;
  app.notice = notice;
  app.unreachable = false;
  go({ name: 'welcome' });
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;
let toastSerial = 0;

export function showToast(key: string, ms = 2200): void {
  toastSerial += 1;
  app.toast = { key, serial: toastSerial };
  if (toastTimer !== undefined) clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    app.toast = null;
  }, ms);
}

/**
 * Handles what is app-wide about a failure (session expired → sign-in; server unreachable
 * → banner) and returns the error for the screen to show where it belongs.
 */
export function report(thrown: unknown): UiError {
  const err = errorOf(thrown);
  const handling = handlingOf(err);
  if (handling.kind === 'sign_in') signedOut(err);
  else if (handling.kind === 'banner') app.unreachable = true;
  return err;
}

/** A call went through: the server is reachable again. */
export function reachable(): void {
  app.unreachable = false;
}

/**
 * Switches the UI language at once and keeps the choice (`null`: follow the OS). When it
 * cannot be kept, the previous language comes back and the error is returned.
 */
export async function chooseLanguage(language: Language | null): Promise<UiError | null> {
  const previous = app.language;
  app.language = language;
  setLocale(resolveLocale(language, app.systemLanguage));
  try {
    await call('set_language', { language });
    return null;
  } catch (thrown) {
    app.language = previous;
    setLocale(resolveLocale(previous, app.systemLanguage));
    return report(thrown);
  }
}
