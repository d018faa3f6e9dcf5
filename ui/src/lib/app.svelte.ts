/** App-wide state: the session, the current screen, the banner and the toast. */
import type { SessionInfo } from '$lib/bindings/SessionInfo';
import type { Language } from '$lib/bindings/Language';
import type { LastSignIn } from '$lib/bindings/LastSignIn';
import type { UpdateInfo } from '$lib/bindings/UpdateInfo';
import type { Permission } from '$lib/bindings/Permission';
import type { Theme } from '$lib/bindings/Theme';
import type { CampaignRow } from '$lib/bindings/CampaignRow';
import { call, errorOf } from './ipc';
import { setLocale, resolveLocale } from './i18n';
import { handlingOf, type UiError } from './errors';

export type Route =
  | { name: 'welcome' }
  | { name: 'campaigns' }
  | { name: 'new' }
  | { name: 'docs'; id: string }
  | { name: 'activity'; id: string }
  | { name: 'settings' }
  | { name: 'team' }
  | { name: 'audit' }
  | { name: 'account' }
  | { name: 'insights'; id: string }
  | { name: 'opt_outs' };

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
  /** The last session is being restored (the first screen shows a quiet progress state). */
  restoring: boolean;
  /** A newer version found by an update check (a small banner offers to install it). */
  update: UpdateInfo | null;
  /** The Rust side panicked: a message with "Copy diagnostics" covers the window. */
  panicked: boolean;
  /** System, light or dark (issue 15), kept in the app settings by Rust. */
  theme: Theme;
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
  restoring: false,
  update: null,
  panicked: false,
  theme: 'system',
});

export function go(route: Route): void {
  app.route = route;
}

/**
 * The campaign list that came with the start-up answer (issue 14: the first screen shows it
 * without another round trip). Kept outside `app`, which is deeply reactive: 1,000 rows need
 * no proxies. Taken once by the campaign list; dropped on sign-out.
 */
let firstCampaigns: CampaignRow[] | null = null;

export function keepFirstCampaigns(rows: CampaignRow[] | null): void {
  firstCampaigns = rows;
}

export function takeFirstCampaigns(): CampaignRow[] | null {
  const rows = firstCampaigns;
  firstCampaigns = null;
  return rows;
}

export function signedIn(session: SessionInfo): void {
  app.session = session;
  app.notice = null;
  app.unreachable = false;
  go({ name: 'campaigns' });
}

export function signedOut(notice: UiError | null = null): void {
  firstCampaigns = null;
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
  await setLocale(resolveLocale(language, app.systemLanguage));
  try {
    await call('set_language', { language });
    return null;
  } catch (thrown) {
    app.language = previous;
    await setLocale(resolveLocale(previous, app.systemLanguage));
    return report(thrown);
  }
}

/** Applies a theme to the window: `data-theme` on the root (none: follow the OS). */
export function applyTheme(theme: Theme): void {
  app.theme = theme;
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

/** Switches the theme at once and keeps it; on failure the previous one comes back. */
export async function chooseTheme(theme: Theme): Promise<UiError | null> {
  const previous = app.theme;
  applyTheme(theme);
  try {
    await call('set_theme', { theme });
    return null;
  } catch (thrown) {
    applyTheme(previous);
    return report(thrown);
  }
}

let campaignsReported = false;

/** The campaign list was shown: the first time, tell the footprint benchmark (`ui_ready`). */
export function campaignsShown(): void {
  if (campaignsReported) return;
  campaignsReported = true;
  // User Timing marks: the start's moments on the page's clock (read through WebDriver's
  // `performance.getEntriesByType('mark')`; README, "Desktop footprint").
  performance.mark('engage:campaigns-shown');
  requestAnimationFrame(() => performance.mark('engage:campaigns-frame'));
  call('ui_ready', { stage: 'campaigns' }).catch(() => {});
}

/** The background update check of the start (at most once a day, decided in Rust); silent. */
export async function checkForUpdatesInBackground(): Promise<void> {
  try {
    const check = await call('check_for_updates', { force: false });
    if (check.update) app.update = check.update;
  } catch {
    // A failed background check never interrupts; Settings → "Check for updates" says why.
  }
}

/** Whether the signed-in person's role allows `permission` (the server enforces it too). */
export function can(permission: Permission): boolean {
  return app.session?.permissions.includes(permission) ?? false;
}

/**
 * The catalogue key saying why a control is unavailable to this role, or `null` when it is
 * available. Controls stay focusable (`aria-disabled`) and show this on hover and focus.
 */
export function deniedReason(permission: Permission): string | null {
  return can(permission) ? null : `roles.denied.${permission}`;
}
