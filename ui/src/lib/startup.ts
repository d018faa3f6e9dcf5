/**
 * The start-up answer (`get_startup`: language, theme, session, the first campaign list),
 * asked for the moment the bundle starts evaluating: `main.ts` imports this module first, so
 * the Rust side answers while the rest of the bundle is evaluated and the app mounts, instead
 * of after (the page waited 50-70 ms for it on every launch: desktop footprint, issue 14).
 * `App.svelte` awaits it once.
 */
import { call } from '$lib/ipc';

performance.mark('engage:bundle-evaluating');
export const startup = call('get_startup');
// Marks the answer's arrival (User Timing). A failure is App.svelte's to show: handled here
// only so that it is not reported as unhandled before the app has mounted.
startup.then(
  () => performance.mark('engage:startup-answered'),
  () => {},
);
