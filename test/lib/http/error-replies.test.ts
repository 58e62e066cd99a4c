import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import Fastify, { type FastifyInstance } from 'fastify';
import { EdgeStlError } from '../../../lib/errors/index.js';
import { errorResponses, installErrorReplies } from '../../../lib/http/error-replies.js';
import { HttpError } from '../../../lib/http/http-error.js';
import { ErrorBody } from '../../../lib/protocol/index.js';

describe('installErrorReplies', () => {
  let app: FastifyInstance;
  const seen: number[] = [];

  beforeAll(async () => {
    app = Fastify();
    installErrorReplies(app, {
      statusByCode: { THING_NOT_FOUND: 404 },
      onError: (status) => seen.push(status),
    });
    // Routes in a child context: the handler set on the root covers them.
    await app.register(async (api) => {
      api.post(
        '/things',
        {
          schema: {
            body: Type.Object({ size: Type.Integer({ minimum: 1 }) }),
            response: { 201: Type.Object({ ok: Type.Boolean() }), ...errorResponses(400, 409) },
          },
        },
        async () => {
          throw new HttpError(409, 'ALREADY_THERE', 'thing 7 exists');
        },
      );
      api.get('/things/:id', async () => {
        throw new EdgeStlError('THING_NOT_FOUND', 'no thing 9');
      });
      api.get('/untyped', async () => {
        throw new Error('connect ECONNREFUSED 10.0.0.7:6379');
      });
      api.get('/unmapped', async () => {
        throw new EdgeStlError('STORAGE_DOWN', 'bucket secret-bucket unreachable');
      });
    });
    await app.ready();
  });

  afterAll(() => app.close());

  async function call(method: 'GET' | 'POST', url: string, payload?: string) {
    const res = await app.inject({
      method,
      url,
      ...(payload !== undefined ? { payload, headers: { 'content-type': 'application/json' } } : {}),
    });
    const body: unknown = res.json();
    expect(Value.Check(ErrorBody, body)).toBe(true); // every error reply has the one shape
    return { status: res.statusCode, body };
  }

  it('answers a schema validation error 400 BAD_REQUEST naming the field', async () => {
    expect(await call('POST', '/things', JSON.stringify({ size: 0 }))).toEqual({
      status: 400,
      body: { error: 'BAD_REQUEST', message: expect.stringContaining('size') },
    });
    expect(await call('POST', '/things', '{"size":')).toEqual({
      status: 400,
      body: { error: 'BAD_REQUEST', message: expect.any(String) },
    });
  });

  it('answers a typed error with its status, code and message', async () => {
    expect(await call('POST', '/things', JSON.stringify({ size: 2 }))).toEqual({
      status: 409,
      body: { error: 'ALREADY_THERE', message: 'thing 7 exists' },
    });
    expect(await call('GET', '/things/9')).toEqual({
      status: 404,
      body: { error: 'THING_NOT_FOUND', message: 'no thing 9' },
    });
  });

  it('answers an unknown route 404 NOT_FOUND', async () => {
    expect(await call('GET', '/nowhere')).toEqual({
      status: 404,
      body: { error: 'NOT_FOUND', message: 'no such route' },
    });
  });

  it('answers faults 500 INTERNAL without their message', async () => {
    for (const url of ['/untyped', '/unmapped'])
      expect(await call('GET', url)).toEqual({
        status: 500,
        body: { error: 'INTERNAL', message: 'internal error' },
      });
  });

  it('tells onError the status of each error reply', () => {
    // Every call above went through the handler except the unknown route (the not-found handler).
    expect(seen).toEqual([400, 400, 409, 404, 500, 500]);
  });
});
