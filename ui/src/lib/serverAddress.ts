/**
 * The sign-in form's server address (issue 15), read the way people type it: spaces and a
 * trailing slash dropped, `https://` assumed when no scheme is given, plain `http://` only for
 * this computer or a private network (with a note). The Rust side applies the same rule
 * (`ServerUrl::parse`); this one answers on the field while the person types.
 */

export type AddressProblem = 'empty' | 'invalid' | 'scheme' | 'credentials' | 'query' | 'http_public';

export type Address =
  | { ok: true; url: string; /** Plain http to a local address: say it is unencrypted. */ insecureLocal: boolean }
  | { ok: false; problem: AddressProblem };

/** `localhost`, loopback, private and link-local addresses (IPv4 and IPv6). */
export function isLocalHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const v4 = host.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  if (host.includes(':')) {
    if (host === '::1') return true;
    const first = parseInt(host.split(':')[0] || '0', 16);
    return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80;
  }
  return false;
}

export function normalizeServerAddress(input: string): Address {
  const trimmed = input.trim();
  if (trimmed === '') return { ok: false, problem: 'empty' };
  const withScheme = trimmed.includes('://') ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { ok: false, problem: 'invalid' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, problem: 'scheme' };
  if (url.hostname === '' || /\s/.test(trimmed)) return { ok: false, problem: 'invalid' };
  if (url.username !== '' || url.password !== '') return { ok: false, problem: 'credentials' };
  if (url.search !== '' || url.hash !== '' || withScheme.includes('?') || withScheme.includes('#')) {
    return { ok: false, problem: 'query' };
  }
  const local = isLocalHost(url.hostname);
  if (url.protocol === 'http:' && !local) return { ok: false, problem: 'http_public' };
  const path = url.pathname.replace(/\/+$/, '');
  return { ok: true, url: `${url.protocol}//${url.host}${path}`, insecureLocal: url.protocol === 'http:' };
}
