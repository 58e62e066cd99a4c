export * from './training-queue.js';
