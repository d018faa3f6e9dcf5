import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ptBR from './pt-BR.json';
import es from './es.json';
import en from './en.json';
import { KNOWN_ERROR_CODES } from '../errors';
import { AUDIT_ACTIONS, ROLES } from '../team';
import { HEALTHS, WORDED_CODES } from '../integration';
import { SHORTCUTS } from '../shortcuts';

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}

/** ICU arguments used by a message: `{name}` and `{count, plural, ...}`. */
function argumentsOf(message: string): string[] {
  return [...message.matchAll(/\{\s*([a-z_]+)\s*[,}]/g)].map((m) => m[1] ?? '').sort();
}

const reference = flatten(ptBR as Tree);
const catalogues: Record<string, Map<string, string>> = { 'pt-BR': reference, es: flatten(es as Tree), en: flatten(en as Tree) };

describe('message catalogues', () => {
  for (const [name, catalogue] of Object.entries(catalogues)) {
    it(`${name} has every key of the Portuguese reference, and no other`, () => {
      expect([...catalogue.keys()].sort()).toEqual([...reference.keys()].sort());
    });

    it(`${name} has no empty message`, () => {
      const empty = [...catalogue].filter(([, v]) => v.trim() === '').map(([k]) => k);
      expect(empty).toEqual([]);
    });

    it(`${name} uses the same message arguments as the reference`, () => {
      const differing = [...reference]
        .filter(([k, v]) => JSON.stringify(argumentsOf(v)) !== JSON.stringify(argumentsOf(catalogue.get(k) ?? '')))
        .map(([k]) => k);
      expect(differing).toEqual([]);
    });
  }

  it('words every error code the UI knows, with what to do', () => {
    const missing = KNOWN_ERROR_CODES.filter((code) => !reference.has(`errors.${code}`));
    expect(missing).toEqual([]);
  });

  it('has every key the source code uses', () => {
    const used = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.(svelte|ts)$/.test(entry) && !entry.endsWith('.test.ts')) {
          const text = readFileSync(path, 'utf8');
          for (const m of text.matchAll(/\$_\(\s*'([a-z0-9_.]+)'/g)) used.add(m[1] ?? '');
          for (const m of text.matchAll(/showToast\(\s*'([a-z0-9_.]+)'/g)) used.add(m[1] ?? '');
        }
      }
    };
    walk(fileURLToPath(new URL('../..', import.meta.url)));
    const missing = [...used].filter((k) => !reference.has(k));
    expect(used.size).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });

  it('covers every value of the enums shown through dynamic keys', () => {
    const dynamic = [
      ...['UTILITY', 'MARKETING', 'AUTHENTICATION'].map((c) => `category.${c}`),
      ...['active', 'inactive'].map((s) => `status.${s}`),
      ...['queued', 'sent', 'delivered', 'read', 'failed'].map((s) => `message_status.${s}`),
      ...['image', 'video', 'document', 'location'].map((m) => `bubble.media.${m}`),
      ...['header', 'body', 'button'].map((w) => `docs.where.${w}`),
      ...ROLES.flatMap((r) => [`roles.${r}`, `roles.describe.${r}`]),
      ...AUDIT_ACTIONS.map((a) => `audit.actions.${a}`),
      ...['edit_campaigns', 'reveal_credentials', 'manage_team', 'view_audit_log'].map((p) => `roles.denied.${p}`),
      ...['role_changed', 'member_reactivated', 'member_deactivated', 'member_unblocked', 'reset_created'].map((t) => `toast.${t}`),
      // issue 15: the integration log
      ...WORDED_CODES.map((c) => `integration.reason.${c}`),
      ...HEALTHS.map((h) => `integration.health.${h}`),
      ...['waiting', 'token_obtained', 'sending', 'failing'].map((s) => `integration.state.${s}`),
      ...['token', 'send'].map((k) => `integration.kind.${k}`),
      ...['other', 'status'].map((r) => `integration.reason.${r}`),
      ...['system', 'light', 'dark'].map((t) => `settings.theme.${t}`),
      ...SHORTCUTS.map((s) => `settings.shortcuts.${s.action}`),
      ...['empty', 'invalid', 'scheme', 'credentials', 'query', 'http_public'].map((p) => `welcome.address.error.${p}`),
    ];
    expect(dynamic.filter((k) => !reference.has(k))).toEqual([]);
  });
});
