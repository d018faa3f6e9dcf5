/** Finding a template by what people remember of it: name, language or category. */

export interface TemplateSummary {
  name: string;
  language: string;
  category: string;
}

function fold(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[_\-\s]+/g, ' ')
    .trim();
}

/**
 * Every word of `query` appears in the template's name, language or category (or in one of
 * `labels`, e.g. the category as the UI words it).
 */
export function matchesTemplate(t: TemplateSummary, query: string, labels: readonly string[] = []): boolean {
  const words = fold(query).split(' ').filter((w) => w !== '');
  if (words.length === 0) return true;
  const haystack = fold([t.name, t.language, t.category, ...labels].join(' '));
  return words.every((w) => haystack.includes(w));
}
