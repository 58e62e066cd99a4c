import { describe, expect, it } from '@jest/globals';
import {
  CONDITION_TYPE,
  REASON,
  conditionsEqual,
  getCondition,
  isConditionTrue,
  removeCondition,
  setCondition,
  type Condition,
} from '../../lib/api/v1alpha1/index.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:05:00.000Z';
const T2 = '2026-01-01T00:10:00.000Z';

describe('setCondition', () => {
  it('adds a condition with the time and generation', () => {
    const list = setCondition(
      undefined,
      { type: 'Ready', status: 'False', reason: REASON.Initializing },
      1,
      T0,
    );
    expect(list).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'Initializing',
        message: '',
        lastTransitionTime: T0,
        observedGeneration: 1,
      },
    ]);
  });

  it('keeps one entry per type and moves lastTransitionTime only when the status flips', () => {
    let list = setCondition([], { type: 'Ready', status: 'False', reason: 'Initializing' }, 1, T0);
    list = setCondition(list, { type: 'Training', status: 'True', reason: 'TrainingQueued' }, 1, T0);
    list = setCondition(
      list,
      { type: 'Ready', status: 'False', reason: 'InitialTraining', message: 'round 0' },
      2,
      T1,
    );
    expect(list).toHaveLength(2);
    expect(getCondition(list, 'Ready')).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'InitialTraining',
      message: 'round 0',
      lastTransitionTime: T0,
      observedGeneration: 2,
    });
    list = setCondition(list, { type: 'Ready', status: 'True', reason: 'Serving' }, 2, new Date(T2));
    expect(getCondition(list, 'Ready')?.lastTransitionTime).toBe(T2);
    expect(list.map((c) => c.type)).toEqual(['Ready', 'Training']);
  });

  it('does not modify the list it is given', () => {
    const original: Condition[] = [{ type: 'Ready', status: 'False', lastTransitionTime: T0 }];
    const frozen = structuredClone(original);
    setCondition(original, { type: 'Ready', status: 'True', reason: 'Serving' }, 1, T1);
    expect(original).toEqual(frozen);
  });
});

describe('condition helpers', () => {
  const list = setCondition(
    setCondition([], { type: CONDITION_TYPE.Ready, status: 'True', reason: REASON.Serving }, 1, T0),
    { type: CONDITION_TYPE.InvalidSpec, status: 'False', reason: REASON.SpecValid },
    1,
    T0,
  );

  it('reads and removes by type', () => {
    expect(isConditionTrue(list, 'Ready')).toBe(true);
    expect(isConditionTrue(list, 'InvalidSpec')).toBe(false);
    expect(isConditionTrue(list, 'Failed')).toBe(false);
    expect(removeCondition(list, 'Ready').map((c) => c.type)).toEqual(['InvalidSpec']);
  });

  it('compares lists regardless of order', () => {
    expect(conditionsEqual(list, [...list].reverse())).toBe(true);
    expect(
      conditionsEqual(list, setCondition(list, { type: 'Ready', status: 'True', reason: 'Other' }, 1, T1)),
    ).toBe(false);
    expect(conditionsEqual(list, list.slice(1))).toBe(false);
    expect(conditionsEqual(undefined, [])).toBe(true);
  });
});
