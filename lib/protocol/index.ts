export * from './heartbeat.js';
export * from './names.js';
export * from './job-key.js';
