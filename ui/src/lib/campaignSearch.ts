/**
 * Searching the loaded campaign list as the person types, without a round trip: the name,
 * sender and template of each campaign folded once (letter case and accents ignored, so
 * "promocao" finds "Promoção"), then a substring test per campaign — immediate for 10,000.
 */
import type { CampaignRow } from '$lib/bindings/CampaignRow';

/** Lower case without accents: `Promoção` → `promocao`. */
export function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLocaleLowerCase();
}

export interface Searchable {
  campaign: CampaignRow;
  key: string;
}

/** The folded text each campaign is found by (built once per loaded list). */
export function searchIndex(campaigns: CampaignRow[]): Searchable[] {
  return campaigns.map((campaign) => ({
    campaign,
    key: fold(
      [campaign.name, campaign.sender.name, campaign.sender.phone_display, campaign.template.name].join('\u0000'),
    ),
  }));
}

/** The campaigns whose name, sender or template contains every word of `query`. */
export function search(index: Searchable[], query: string): CampaignRow[] {
  const words = fold(query).split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return index.map((s) => s.campaign);
  return index.filter((s) => words.every((w) => s.key.includes(w))).map((s) => s.campaign);
}
