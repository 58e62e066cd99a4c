import { Redis } from 'ioredis';

/**
 * An ioredis connection for BullMQ workers: `maxRetriesPerRequest: null` is what BullMQ requires for
 * blocking commands, and reconnects keep the worker alive across Redis restarts.
 */
export function redisConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}
