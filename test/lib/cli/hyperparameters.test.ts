import { parseHyperparameterFlags } from '../../../lib/cli/hyperparameters.js';

describe('parseHyperparameterFlags', () => {
  it('parses values as YAML scalars', () => {
    expect(
      parseHyperparameterFlags([
        'learning_rate=0.01',
        'max_iteration=300',
        'backbone=resnet18',
        'flip=true',
        'name=',
      ]),
    ).toEqual({
      learning_rate: 0.01,
      max_iteration: 300,
      backbone: 'resnet18',
      flip: true,
      name: '',
    });
  });

  it('keeps lists and later flags win', () => {
    expect(parseHyperparameterFlags(['anchor_sizes=[16, 32]', 'momentum=0.5', 'momentum=0.9'])).toEqual({
      anchor_sizes: [16, 32],
      momentum: 0.9,
    });
  });

  it('rejects a flag without key=value', () => {
    expect(() => parseHyperparameterFlags(['lr'])).toThrow(/--hp expects key=value, got "lr"/);
    expect(() => parseHyperparameterFlags(['=3'])).toThrow(/key=value/);
  });
});
