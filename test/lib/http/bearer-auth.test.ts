import { describe, expect, it } from '@jest/globals';
import Fastify from 'fastify';
import { bearerAuth, bearerToken, secretMatches } from '../../../lib/http/bearer-auth.js';

describe('bearer auth', () => {
  it('reads the token of a Bearer header, scheme case-insensitive', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('compares secrets whole, whatever their lengths', () => {
    expect(secretMatches('s3cret', 's3cret')).toBe(true);
    expect(secretMatches('s3cre', 's3cret')).toBe(false);
    expect(secretMatches('s3cret!', 's3cret')).toBe(false);
    expect(secretMatches(undefined, 's3cret')).toBe(false);
    expect(secretMatches('', 's3cret')).toBe(false);
  });

  it('answers 401 UNAUTHORIZED with the given message unless verify accepts, and hands verify the request', async () => {
    const app = Fastify();
    const seen: string[] = [];
    await app.register(async (api) => {
      await api.register(bearerAuth, {
        verify: (token, req) => {
          const node = (req.params as { node: string }).node;
          seen.push(`${node}:${token}`);
          return token === `token-of-${node}`;
        },
        unauthorizedMessage: 'nope',
      });
      api.get('/v1/:node', async () => ({ ok: true }));
    });
    app.get('/open', async () => ({ open: true }));

    const ok = await app.inject({ url: '/v1/a', headers: { authorization: 'Bearer token-of-a' } });
    expect(ok.statusCode).toBe(200);
    const wrongNode = await app.inject({ url: '/v1/b', headers: { authorization: 'Bearer token-of-a' } });
    expect(wrongNode.statusCode).toBe(401);
    expect(wrongNode.json()).toEqual({ error: 'UNAUTHORIZED', message: 'nope' });
    const missing = await app.inject({ url: '/v1/a' });
    expect(missing.statusCode).toBe(401);
    expect(seen).toEqual(['a:token-of-a', 'b:token-of-a']); // no header: verify is not called
    // Outside the context it was registered in, nothing is checked.
    expect((await app.inject({ url: '/open' })).statusCode).toBe(200);
    await app.close();
  });

  it('runs after the hooks added before it and before those added after it', async () => {
    const app = Fastify();
    const order: string[] = [];
    app.addHook('onRequest', async () => {
      order.push('before');
    });
    await app.register(bearerAuth, {
      verify: async (token) => {
        order.push('verify');
        return token === 'good';
      },
      unauthorizedMessage: 'no',
    });
    app.addHook('onRequest', async () => {
      order.push('after');
    });
    app.get('/', async () => 'hi');
    expect((await app.inject({ url: '/', headers: { authorization: 'Bearer bad' } })).statusCode).toBe(401);
    expect(order).toEqual(['before', 'verify']);
    order.length = 0;
    expect((await app.inject({ url: '/', headers: { authorization: 'Bearer good' } })).statusCode).toBe(200);
    expect(order).toEqual(['before', 'verify', 'after']);
    await app.close();
  });
});
