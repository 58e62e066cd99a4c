import { ClassFactory, ClassType } from '../lib/algorithm-api/index.js';
import type { BaseModel, BaseModelConstructor, Hyperparameters } from '../lib/algorithm-api/types.js';
import { TrainingInputError } from './training-input-error.js';

/**
 * Builds the algorithm registered as `ClassType.GENERAL` under `name` with its hyperparameters. An
 * unknown alias or hyperparameters the algorithm rejects are a {@link TrainingInputError}.
 */
export function buildModel(name: string, hyperparameters: Hyperparameters): BaseModel {
  let Model: BaseModelConstructor;
  try {
    Model = ClassFactory.get<BaseModelConstructor>(ClassType.GENERAL, name);
  } catch (err) {
    throw new TrainingInputError(`unknown algorithm "${name}": ${messageOf(err)}`, { cause: err });
  }
  try {
    return new Model(hyperparameters);
  } catch (err) {
    throw new TrainingInputError(`invalid hyperparameters for ${name}: ${messageOf(err)}`, { cause: err });
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
