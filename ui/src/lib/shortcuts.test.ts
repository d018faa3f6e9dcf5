import { describe, expect, it } from 'vitest';
import { backFrom, keysOf, onMac, SHORTCUTS, shortcutOf } from './shortcuts';

const press = (key: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean }> = {}) => ({
  key,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});

describe('keyboard shortcuts', () => {
  it('Ctrl+N and Ctrl+F on Linux and Windows', () => {
    expect(shortcutOf(press('n', { ctrlKey: true }), false)).toBe('new_campaign');
    expect(shortcutOf(press('F', { ctrlKey: true }), false)).toBe('search');
    expect(shortcutOf(press('n', { metaKey: true }), false)).toBeNull();
  });

  it('Cmd+N and Cmd+F on macOS, not Ctrl', () => {
    expect(shortcutOf(press('n', { metaKey: true }), true)).toBe('new_campaign');
    expect(shortcutOf(press('f', { metaKey: true }), true)).toBe('search');
    expect(shortcutOf(press('n', { ctrlKey: true }), true)).toBeNull();
  });

  it('Esc goes back; plain letters and other modifiers do nothing', () => {
    expect(shortcutOf(press('Escape'), false)).toBe('back');
    expect(shortcutOf(press('n'), false)).toBeNull();
    expect(shortcutOf(press('n', { ctrlKey: true, shiftKey: true }), false)).toBeNull();
    expect(shortcutOf(press('Escape', { ctrlKey: true }), false)).toBeNull();
  });

  it('goes back from the documentation, the activity and the new campaign form', () => {
    expect(backFrom({ name: 'docs', id: 'c1' })).toEqual({ name: 'campaigns' });
    expect(backFrom({ name: 'activity', id: 'c1' })).toEqual({ name: 'docs', id: 'c1' });
    expect(backFrom({ name: 'new' })).toEqual({ name: 'campaigns' });
    expect(backFrom({ name: 'campaigns' })).toBeNull();
  });

  it('are listed with the keys of the platform', () => {
    expect(SHORTCUTS.map((s) => keysOf(s, false))).toEqual(['Ctrl + N', 'Ctrl + F', 'Esc']);
    expect(keysOf(SHORTCUTS[0]!, true)).toBe('⌘ + N');
    expect(onMac('MacIntel')).toBe(true);
    expect(onMac('Linux x86_64')).toBe(false);
  });
});
