import type { Request } from 'express';
import { extractAccessToken, redactAccessToken } from './access-token.extractor';

function request(method: string, path: string, headers: Record<string, string> = {}, query: Record<string, unknown> = {}): Request {
  return { method, path, headers, query } as unknown as Request;
}

describe('extractAccessToken', () => {
  it('reads the Bearer header on any route', () => {
    expect(extractAccessToken(request('GET', '/api/users', { authorization: 'Bearer abc.def.ghi' }))).toBe('abc.def.ghi');
  });

  it('reads ?access_token= on GET /api/stream only', () => {
    expect(extractAccessToken(request('GET', '/api/stream', {}, { access_token: 'tok' }))).toBe('tok');
    expect(extractAccessToken(request('GET', '/api/users', {}, { access_token: 'tok' }))).toBeNull();
    expect(extractAccessToken(request('POST', '/api/stream', {}, { access_token: 'tok' }))).toBeNull();
    expect(extractAccessToken(request('GET', '/api/stream/x', {}, { access_token: 'tok' }))).toBeNull();
  });

  it('ignores a repeated or empty query parameter', () => {
    expect(extractAccessToken(request('GET', '/api/stream', {}, { access_token: ['a', 'b'] }))).toBeNull();
    expect(extractAccessToken(request('GET', '/api/stream', {}, { access_token: '' }))).toBeNull();
  });
});

describe('redactAccessToken', () => {
  it('hides the token of a URL and keeps the rest', () => {
    expect(redactAccessToken('/api/stream?access_token=a.b.c')).toBe('/api/stream?access_token=[Redacted]');
    expect(redactAccessToken('/api/stream?x=1&access_token=a.b.c&y=2')).toBe('/api/stream?x=1&access_token=[Redacted]&y=2');
    expect(redactAccessToken('/api/users?page=2')).toBe('/api/users?page=2');
  });
});
