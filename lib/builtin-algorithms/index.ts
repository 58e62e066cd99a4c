/**
 * Built-in algorithms. Importing this module registers every one of them in the ClassFactory
 * (side effect), so `ClassFactory.get(ClassType.GENERAL, 'FPN')` works after it.
 */
export * from './fpn/index.js';
