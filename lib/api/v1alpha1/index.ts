export type * from './types.js';
export * from './generated-types.js';
export * from './constants.js';
export { withDefaults, applySchemaDefaults } from './defaults.js';
export {
  setCondition,
  getCondition,
  isConditionTrue,
  removeCondition,
  conditionsEqual,
} from './conditions.js';
export { loadCrd, jobSchema, schemaAt, crdPath, parseCrd } from './crd.js';
export type { OpenApiSchema, CustomResourceDefinition, CrdVersion } from './crd.js';
