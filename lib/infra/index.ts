export { ensureRedis, pingRedis, freePort, DEFAULT_REDIS_URL } from './redis.js';
export type { EnsureRedisOptions, RedisHandle } from './redis.js';
