import type { AlgorithmConfig, RankConfig } from '../../local/ianvs/config.js';
import { allRank, formatRankCsv, selectedRank, type TestCaseResult } from '../../local/ianvs/rank.js';
import { expandTestCases } from '../../local/ianvs/test-cases.js';

const algorithm: AlgorithmConfig = {
  name: 'fpn_singletask_learning',
  paradigmType: 'singletasklearning',
  initialModelUrl: null,
  modules: [
    {
      type: 'basemodel',
      name: 'FPN',
      pluginPath: null,
      hyperparameters: [
        { name: 'momentum', values: [0.95, 0.5] },
        { name: 'learning_rate', values: [0.1, 0.01, 0.001] },
      ],
    },
  ],
};

const rank: RankConfig = {
  sortBy: [{ metric: 'f1_score', order: 'descend' }],
  selectedMetrics: ['f1_score'],
  selectedHyperparameters: 'all',
  saveMode: 'selected_and_all',
};

describe('Ianvs test cases and rank', () => {
  it('expands the Cartesian product of hyperparameter lists, with stable distinct ids', () => {
    const cases = expandTestCases([algorithm]);
    expect(cases).toHaveLength(6);
    const grid = cases.map((c) => c.modules.basemodel.hyperparameters);
    expect(grid).toContainEqual({ momentum: 0.5, learning_rate: 0.001 });
    expect(new Set(cases.map((c) => c.id)).size).toBe(6);
    expect(expandTestCases([algorithm]).map((c) => c.id)).toEqual(cases.map((c) => c.id));
  });

  it('writes all_rank and selected_rank sorted by sort_by, in Ianvs column order', () => {
    const cases = expandTestCases([algorithm]).slice(0, 3);
    const results: TestCaseResult[] = cases.map((testCase, i) => ({
      testCase,
      metrics: { f1_score: [0.5, 0.9, 0.7][i], mAP50: [0.4, 0.8, 0.6][i] },
      time: '2026-11-26 19:00:00',
      url: `/ws/case${i}`,
    }));
    const all = allRank(results, rank);
    expect(all.header).toEqual([
      'rank',
      'algorithm',
      'f1_score',
      'mAP50',
      'paradigm',
      'basemodel',
      'basemodel-momentum',
      'basemodel-learning_rate',
      'time',
      'url',
    ]);
    expect(all.rows.map((r) => r[2])).toEqual(['0.9', '0.7', '0.5']);
    expect(all.rows.map((r) => r[0])).toEqual(['1', '2', '3']);
    const selected = selectedRank(results, rank);
    expect(selected.header).not.toContain('mAP50');
    const csv = formatRankCsv(selected).split('\n');
    expect(csv[0]).toBe(
      'rank algorithm f1_score paradigm basemodel basemodel-momentum basemodel-learning_rate time url',
    );
    expect(csv[1]).toBe(
      '1 fpn_singletask_learning 0.9 singletasklearning FPN 0.95 0.01 "2026-11-26 19:00:00" /ws/case1',
    );
  });

  it('sorts ascending when asked', () => {
    const cases = expandTestCases([algorithm]).slice(0, 2);
    const results = cases.map((testCase, i) => ({
      testCase,
      metrics: { f1_score: [0.9, 0.2][i] },
      time: 't',
      url: 'u',
    }));
    const table = allRank(results, { ...rank, sortBy: [{ metric: 'f1_score', order: 'ascend' }] });
    expect(table.rows.map((r) => r[2])).toEqual(['0.2', '0.9']);
  });
});
