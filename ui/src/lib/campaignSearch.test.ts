import { describe, expect, it } from 'vitest';
import type { CampaignRow } from '$lib/bindings/CampaignRow';
import { fold, search, searchIndex } from './campaignSearch';

function campaign(name: string, sender = 'Atendimento', template = 'saldo_baixo'): CampaignRow {
  return {
    id: name,
    name,
    sender: { name: sender, phone_display: '+55 11 98765-4321' },
    template: { name: template },
  } as unknown as CampaignRow;
}

describe('campaign search', () => {
  it('ignores letter case and accents', () => {
    expect(fold('Promoção de NATAL')).toBe('promocao de natal');
    const index = searchIndex([campaign('Promoção de Natal'), campaign('Carrinho abandonado')]);
    expect(search(index, 'promocao').map((c) => c.name)).toEqual(['Promoção de Natal']);
    expect(search(index, 'CARRINHO').map((c) => c.name)).toEqual(['Carrinho abandonado']);
  });

  it('finds campaigns by sender and template too, every word anywhere', () => {
    const index = searchIndex([campaign('Saldo', 'Vendas', 'recarga'), campaign('Carrinho', 'Atendimento', 'carrinho_v2')]);
    expect(search(index, 'vendas').map((c) => c.name)).toEqual(['Saldo']);
    expect(search(index, 'carrinho atendimento').map((c) => c.name)).toEqual(['Carrinho']);
    expect(search(index, 'carrinho vendas')).toEqual([]);
  });

  it('an empty query shows every campaign in order', () => {
    const all = [campaign('B'), campaign('A')];
    expect(search(searchIndex(all), '   ')).toEqual(all);
  });

  it('searches 10,000 campaigns and keeps their order', () => {
    const all = Array.from({ length: 10_000 }, (_, n) => campaign(`Campanha recorrente ${String(n).padStart(5, '0')}`));
    const found = search(searchIndex(all), 'recorrente 0999');
    expect(found.map((c) => c.name)).toEqual([
      'Campanha recorrente 00999',
      ...Array.from({ length: 10 }, (_, n) => `Campanha recorrente 0999${n}`),
    ]);
  });
});
