import { describe, expect, it } from 'vitest';
import ptBR from './i18n/pt-BR.json';
import { syncErrorKey, syncResultParts, SYNC_ERROR_KEYS, SYNC_RESULT_KEYS } from './whatsappSync';

type Tree = { [key: string]: string | Tree };
function has(tree: Tree, key: string): boolean {
  let node: string | Tree | undefined = tree;
  for (const part of key.split('.')) node = typeof node === 'object' ? node[part] : undefined;
  return typeof node === 'string';
}

const empty = {
  templates_created: 0,
  templates_updated: 0,
  templates_disabled: 0,
  senders_created: 0,
  senders_updated: 0,
  senders_deactivated: 0,
  skipped: [],
};

describe('sync result', () => {
  it('lists only what changed, templates first', () => {
    expect(syncResultParts({ ...empty, templates_updated: 3, senders_created: 1 })).toEqual([
      { key: 'sync.result.templates_updated', count: 3 },
      { key: 'sync.result.senders_created', count: 1 },
    ]);
  });

  it('counts what was left out', () => {
    const skipped = [{ item: 'carousel_offer (en_US)', reason: 'unsupported component CAROUSEL' }];
    expect(syncResultParts({ ...empty, skipped })).toEqual([{ key: 'sync.result.skipped', count: 1 }]);
  });

  it('is empty when nothing changed', () => {
    expect(syncResultParts(empty)).toEqual([]);
  });
});

describe('sync errors', () => {
  const key = (code: string): string => syncErrorKey({ code, message: '' });

  it('explains a workspace without a WhatsApp Cloud number', () => {
    expect(key('no_whatsapp_sender')).toBe('sync.errors.no_whatsapp_sender');
  });

  it('tells Meta being out of reach from Meta refusing', () => {
    expect(key('whatsapp_timeout')).toBe('sync.errors.whatsapp_unreachable');
    expect(key('whatsapp_unreachable')).toBe('sync.errors.whatsapp_unreachable');
    expect(key('whatsapp_http_503')).toBe('sync.errors.whatsapp_unreachable');
    expect(key('whatsapp_190')).toBe('sync.errors.whatsapp_token');
    expect(key('whatsapp_200')).toBe('sync.errors.whatsapp_permission');
    expect(key('whatsapp_130429')).toBe('sync.errors.whatsapp_busy');
    expect(key('whatsapp_100')).toBe('sync.errors.whatsapp_refused');
    expect(key('whatsapp_unexpected_response')).toBe('sync.errors.whatsapp_refused');
  });

  it('words the app-wide errors like everywhere else', () => {
    expect(key('server_unreachable')).toBe('errors.server_unreachable');
    expect(key('something_new')).toBe('errors.unknown');
  });
});

describe('sync catalogue keys', () => {
  it('exist in the reference catalogue', () => {
    const keys = [...SYNC_RESULT_KEYS, ...SYNC_ERROR_KEYS, 'sync.result.nothing'];
    expect(keys.filter((k) => !has(ptBR as Tree, k))).toEqual([]);
  });
});
