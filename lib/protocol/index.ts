export * from './heartbeat.js';
