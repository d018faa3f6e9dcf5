/**
 * The start-up answer (`get_startup`: language, theme, session, the first campaign list),
 * asked for the moment the bundle starts evaluating: `main.ts` imports this module first, so
 * the Rust side answers while the rest of the bundle is evaluated and the app mounts, instead
 * of after (the page waited 50-70 ms for it on every launch: desktop footprint, issue 14).
 * `App.svelte` awaits it once.
 */
import { call } from '$lib/ipc';

export const startup = call('get_startup');
// Awaited (and its failure shown) by App.svelte; this only keeps an early failure from
// being reported as unhandled before the app has mounted.
startup.catch(() => {});
