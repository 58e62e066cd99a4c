export * from './heartbeat.js';
export * from './names.js';
