/** Jest global teardown: stops what global setup started and removes its data directory. */
import { rm } from 'node:fs/promises';
import type { TestServices } from './global-setup.js';

const SERVICES = Symbol.for('edge-stl.test-services');

export default async function globalTeardown(): Promise<void> {
  const services = (globalThis as Record<symbol, unknown>)[SERVICES] as TestServices | undefined;
  if (!services) return;
  delete (globalThis as Record<symbol, unknown>)[SERVICES];
  await services.stopS3();
  await services.stopRedis();
  await rm(services.dataDir, { recursive: true, force: true });
}
