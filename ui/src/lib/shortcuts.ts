/**
 * Keyboard shortcuts (issue 15): a new campaign and search with Ctrl (Linux, Windows) or Cmd
 * (macOS); Esc closes a dialog (the dialog itself) or goes back one screen. The list Settings
 * shows is `SHORTCUTS`.
 */

export type ShortcutAction = 'new_campaign' | 'search' | 'back';

export interface Shortcut {
  action: ShortcutAction;
  /** The key, as `KeyboardEvent.key` gives it (lower case for letters). */
  key: string;
  /** Needs Ctrl, or Cmd on macOS. */
  primary: boolean;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { action: 'new_campaign', key: 'n', primary: true },
  { action: 'search', key: 'f', primary: true },
  { action: 'back', key: 'Escape', primary: false },
];

/** Whether the app runs on macOS (Cmd instead of Ctrl). */
export function onMac(platform: string): boolean {
  return /mac/i.test(platform);
}

type KeyEventLike = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>;

/** The action of a key press, or `null`. */
export function shortcutOf(event: KeyEventLike, mac: boolean): ShortcutAction | null {
  const primary = mac ? event.metaKey && !event.ctrlKey : event.ctrlKey && !event.metaKey;
  for (const shortcut of SHORTCUTS) {
    const key = shortcut.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (key !== shortcut.key || event.altKey || event.shiftKey) continue;
    if (shortcut.primary ? primary : !event.ctrlKey && !event.metaKey) return shortcut.action;
  }
  return null;
}

/** The keys of a shortcut as people read them: `Ctrl + N`, `⌘ + N`, `Esc`. */
export function keysOf(shortcut: Shortcut, mac: boolean): string {
  const key = shortcut.key === 'Escape' ? 'Esc' : shortcut.key.toUpperCase();
  return shortcut.primary ? `${mac ? '⌘' : 'Ctrl'} + ${key}` : key;
}

/** Where Esc goes from each screen (`null`: nowhere). */
export function backFrom(route: { name: string; id?: string }): { name: string; id?: string } | null {
  switch (route.name) {
    case 'new':
    case 'docs':
      return { name: 'campaigns' };
    case 'activity':
      return route.id ? { name: 'docs', id: route.id } : { name: 'campaigns' };
    default:
      return null;
  }
}
