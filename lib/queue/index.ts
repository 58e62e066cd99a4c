export * from './training-queue.js';
export * from './round-cancellation.js';
