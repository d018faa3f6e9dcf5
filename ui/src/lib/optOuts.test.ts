import { describe, expect, it } from 'vitest';
import { keywordsFromText, quickReplies, toggleMark } from './optOuts';

describe('keywordsFromText', () => {
  it('splits on commas and new lines, trims and drops empty ones', () => {
    expect(keywordsFromText(' PARAR, Sair,\nSTOP ,, ')).toEqual(['PARAR', 'Sair', 'STOP']);
    expect(keywordsFromText('')).toEqual([]);
  });
});

describe('quickReplies and toggleMark', () => {
  const buttons = [
    { type: 'quick_reply', text: 'Finalizar compra' },
    { type: 'url', text: 'Ver', url: 'https://example.com' },
    { type: 'quick_reply', text: 'Não tenho interesse' },
  ] as const;

  it('lists only the quick-reply buttons, in order', () => {
    expect(quickReplies(buttons)).toEqual(['Finalizar compra', 'Não tenho interesse']);
  });

  it('marks and unmarks a button keeping the template order and no duplicates', () => {
    const order = quickReplies(buttons);
    expect(toggleMark(order, [], 'Não tenho interesse', true)).toEqual(['Não tenho interesse']);
    expect(toggleMark(order, ['Não tenho interesse'], 'Finalizar compra', true)).toEqual(['Finalizar compra', 'Não tenho interesse']);
    expect(toggleMark(order, ['Finalizar compra', 'Não tenho interesse'], 'Finalizar compra', false)).toEqual(['Não tenho interesse']);
    expect(toggleMark(order, ['Não tenho interesse'], 'Não tenho interesse', true)).toEqual(['Não tenho interesse']);
  });
});
