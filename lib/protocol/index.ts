export * from './heartbeat.js';
export * from './names.js';
export * from './job-key.js';
export * from './detection.js';
export * from './sample-record.js';
export * from './error-body.js';
