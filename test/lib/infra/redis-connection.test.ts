import {
  DEFAULT_REDIS_URL,
  configuredRedisUrl,
  redisConnection,
  redisUrl,
} from '../../../lib/infra/index.js';

describe('redisConnection', () => {
  it('reads host, port, credentials and db from the URL, BullMQ-ready by default', () => {
    expect(redisConnection('redis://us%40er:p%3Ass@example.test:6390/2')).toEqual({
      host: 'example.test',
      port: 6390,
      username: 'us@er',
      password: 'p:ss',
      db: 2,
      maxRetriesPerRequest: null,
    });
  });

  it('turns TLS on for rediss:// and takes a retry limit for plain clients', () => {
    expect(redisConnection('rediss://h', { maxRetriesPerRequest: 3 })).toEqual({
      host: 'h',
      port: 6379,
      tls: {},
      maxRetriesPerRequest: 3,
    });
  });

  it('rejects a URL that is not redis', () => {
    expect(() => redisConnection('http://h:6379')).toThrow(
      'Redis URL must start with redis:// or rediss://, got http://',
    );
  });
});

describe('redisUrl', () => {
  it('is REDIS_URL when set, else the local default', () => {
    expect(redisUrl({ REDIS_URL: 'redis://r:1' })).toBe('redis://r:1');
    expect(redisUrl({})).toBe(DEFAULT_REDIS_URL);
    expect(configuredRedisUrl({})).toBeUndefined();
  });
});
