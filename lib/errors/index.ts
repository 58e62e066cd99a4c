export { EdgeStlError } from './edge-stl-error.js';
export { UsageError } from './usage-error.js';
