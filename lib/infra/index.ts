export { ensureRedis, pingRedis, freePort } from './redis.js';
export { DEFAULT_REDIS_URL, configuredRedisUrl, redisConnection, redisUrl } from './redis-connection.js';
export type { RedisConnectionOptions } from './redis-connection.js';
export type { EnsureRedisOptions, RedisHandle } from './redis.js';
