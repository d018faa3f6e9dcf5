import { describe, expect, it } from 'vitest';
import { matchesTemplate } from './templates';
import { matchLocale, resolveLocale } from './i18n/locales';
import { newestFirst, statusTone } from './messages';
import { formatDate } from './format';

describe('matchesTemplate', () => {
  const t = { name: 'carrinho_abandonado', language: 'pt_BR', category: 'MARKETING' };

  it('matches by name, language or category, ignoring case, accents and underscores', () => {
    expect(matchesTemplate(t, 'Carrinho')).toBe(true);
    expect(matchesTemplate(t, 'carrinho abandonado')).toBe(true);
    expect(matchesTemplate(t, 'pt_br')).toBe(true);
    expect(matchesTemplate(t, 'marketing')).toBe(true);
    expect(matchesTemplate(t, 'carrinho marketing')).toBe(true);
  });

  it('matches the category as the UI words it', () => {
    expect(matchesTemplate({ ...t, category: 'UTILITY' }, 'utilidade', ['Utilidade'])).toBe(true);
  });

  it('rejects templates missing a word; an empty query matches all', () => {
    expect(matchesTemplate(t, 'senha')).toBe(false);
    expect(matchesTemplate(t, '   ')).toBe(true);
  });
});

describe('locale choice', () => {
  it('maps OS language tags to the supported languages', () => {
    expect(matchLocale('pt_BR.UTF-8')).toBe('pt-BR');
    expect(matchLocale('pt-PT')).toBe('pt-BR');
    expect(matchLocale('es-MX')).toBe('es');
    expect(matchLocale('en-GB')).toBe('en');
    expect(matchLocale('de-DE')).toBeNull();
  });

  it('prefers the language chosen in settings over the OS language', () => {
    expect(resolveLocale('es', 'pt-BR')).toBe('es');
    expect(resolveLocale(null, 'pt-BR')).toBe('pt-BR');
    expect(resolveLocale(null, 'fr-FR')).toBe('en');
  });
});

describe('statusTone', () => {
  it('tells delivered from pending from failed', () => {
    expect(statusTone('delivered')).toBe('ok');
    expect(statusTone('read')).toBe('ok');
    expect(statusTone('queued')).toBe('wait');
    expect(statusTone('failed')).toBe('bad');
  });
});

describe('formatDate', () => {
  it('formats in the active language', () => {
    const iso = '2026-03-05T12:00:00Z';
    expect(formatDate(iso, 'pt-BR')).toMatch(/mar/i);
    expect(formatDate(iso, 'en')).toMatch(/Mar/);
    expect(formatDate('not a date', 'en')).toBe('not a date');
  });
});

describe('newestFirst', () => {
  it('puts the most recent message first', () => {
    const items = [
      { id: 'a', created_at: '2026-01-01T10:00:00Z' },
      { id: 'c', created_at: '2026-01-01T12:00:00Z' },
      { id: 'b', created_at: '2026-01-01T11:00:00+00:00' },
    ];
    expect(newestFirst(items).map((m) => m.id)).toEqual(['c', 'b', 'a']);
  });
});
