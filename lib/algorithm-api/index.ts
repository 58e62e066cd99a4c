export { ClassType } from './class-type.js';
export { ClassFactory, ClassFactoryError } from './class-factory.js';
export { IBTFilter, type HardExampleFilter, type IbtOptions } from './ibt-filter.js';
export type * from './types.js';
export {
  modelFor,
  openModel,
  registeredAlgorithm,
  type AlgorithmResolver,
  type OpenModelOptions,
} from './open-model.js';
