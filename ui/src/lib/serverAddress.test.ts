import { describe, expect, it } from 'vitest';
import { isLocalHost, normalizeServerAddress } from './serverAddress';

describe('the server address of the sign-in form', () => {
  it('assumes https when no scheme is typed, and drops spaces and a trailing slash', () => {
    expect(normalizeServerAddress('  engage.example.com/ ')).toEqual({ ok: true, url: 'https://engage.example.com', insecureLocal: false });
    expect(normalizeServerAddress('engage.example.com:8443/api/')).toEqual({ ok: true, url: 'https://engage.example.com:8443/api', insecureLocal: false });
  });

  it('keeps an explicit https address as it is', () => {
    expect(normalizeServerAddress('https://engage.example.com')).toEqual({ ok: true, url: 'https://engage.example.com', insecureLocal: false });
  });

  it('accepts plain http only for this computer or a private network, with a note', () => {
    for (const local of ['http://127.0.0.1:8787', 'http://localhost:8787/', 'http://192.168.1.20', 'http://10.0.0.5:80', 'http://172.20.1.1', 'http://[::1]:8787']) {
      const address = normalizeServerAddress(local);
      expect(address.ok && address.insecureLocal, local).toBe(true);
    }
    expect(normalizeServerAddress('http://engage.example.com')).toEqual({ ok: false, problem: 'http_public' });
    expect(normalizeServerAddress('http://172.32.0.1')).toEqual({ ok: false, problem: 'http_public' });
  });

  it('names what is wrong', () => {
    expect(normalizeServerAddress('   ')).toEqual({ ok: false, problem: 'empty' });
    expect(normalizeServerAddress('ftp://engage.example.com')).toEqual({ ok: false, problem: 'scheme' });
    expect(normalizeServerAddress('https://ana:pw@engage.example.com')).toEqual({ ok: false, problem: 'credentials' });
    expect(normalizeServerAddress('engage.example.com/?x=1')).toEqual({ ok: false, problem: 'query' });
    expect(normalizeServerAddress('engage example.com')).toEqual({ ok: false, problem: 'invalid' });
    expect(normalizeServerAddress('https://')).toEqual({ ok: false, problem: 'invalid' });
  });

  it('knows local hosts', () => {
    expect(isLocalHost('localhost')).toBe(true);
    expect(isLocalHost('fd12::1')).toBe(true);
    expect(isLocalHost('8.8.8.8')).toBe(false);
    expect(isLocalHost('engage.example.com')).toBe(false);
  });
});
