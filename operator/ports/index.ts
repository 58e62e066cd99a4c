export * from './job-store.js';
export type * from './training-queue.js';
export * from './clock.js';
export type * from './object-stores.js';
export * from './leader-election.js';
