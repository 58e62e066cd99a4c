import type { RankConfig } from './config.js';
import type { TestCase } from './test-cases.js';

/** What one test case produced. */
export interface TestCaseResult {
  testCase: TestCase;
  metrics: Record<string, number>;
  /** Wall-clock end time, as Ianvs writes it. */
  time: string;
  /** Output directory of the test case. */
  url: string;
}

export interface RankTable {
  header: string[];
  rows: string[][];
}

function hyperparameterColumns(results: TestCaseResult[]): string[] {
  const names: string[] = [];
  for (const r of results) {
    for (const [type, m] of Object.entries(r.testCase.modules)) {
      for (const hp of Object.keys(m.hyperparameters)) {
        const column = `${type}-${hp}`;
        if (!names.includes(column)) names.push(column);
      }
    }
  }
  return names;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function sortResults(results: TestCaseResult[], rank: RankConfig): TestCaseResult[] {
  return [...results].sort((a, b) => {
    for (const { metric, order } of rank.sortBy) {
      const x = a.metrics[metric];
      const y = b.metrics[metric];
      if (x === undefined || y === undefined || x === y) continue;
      return order === 'ascend' ? x - y : y - x;
    }
    return 0;
  });
}

function buildTable(results: TestCaseResult[], metrics: string[], hps: string[]): RankTable {
  const moduleTypes = unique(results.flatMap((r) => Object.keys(r.testCase.modules)));
  const header = ['rank', 'algorithm', ...metrics, 'paradigm', ...moduleTypes, ...hps, 'time', 'url'];
  const rows = results.map((r, i) => {
    const cells: Record<string, string> = {
      rank: String(i + 1),
      algorithm: r.testCase.algorithm.name,
      paradigm: r.testCase.algorithm.paradigmType,
      time: r.time,
      url: r.url,
    };
    for (const m of metrics) cells[m] = r.metrics[m] === undefined ? '' : String(r.metrics[m]);
    for (const [type, m] of Object.entries(r.testCase.modules)) {
      cells[type] = m.name;
      for (const [hp, v] of Object.entries(m.hyperparameters)) cells[`${type}-${hp}`] = String(v);
    }
    return header.map((h) => cells[h] ?? '');
  });
  return { header, rows };
}

/** Ianvs `all_rank.csv`: every metric and hyperparameter column, sorted as `rank.sort_by` says. */
export function allRank(results: TestCaseResult[], rank: RankConfig): RankTable {
  const metrics = unique(results.flatMap((r) => Object.keys(r.metrics)));
  return buildTable(sortResults(results, rank), metrics, hyperparameterColumns(results));
}

/** Ianvs `selected_rank.csv`: only the selected metrics and hyperparameters. */
export function selectedRank(results: TestCaseResult[], rank: RankConfig): RankTable {
  const allMetrics = unique(results.flatMap((r) => Object.keys(r.metrics)));
  const metrics = rank.selectedMetrics === 'all' ? allMetrics : rank.selectedMetrics;
  const allHps = hyperparameterColumns(results);
  const hps =
    rank.selectedHyperparameters === 'all'
      ? allHps
      : allHps.filter((c) => rank.selectedHyperparameters.includes(c.replace(/^[^-]*-/, '')));
  return buildTable(sortResults(results, rank), metrics, hps);
}

/** Ianvs writes its rank files with pandas `to_csv(sep=" ")`: space-separated, quoted when needed. */
export function formatRankCsv(table: RankTable): string {
  const cell = (v: string) => (v === '' ? '' : /[\s"]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [table.header, ...table.rows].map((row) => row.map(cell).join(' ')).join('\n') + '\n';
}

/** A fixed-width table for the terminal. */
export function formatRankTable(table: RankTable): string {
  const widths = table.header.map((h, i) => Math.max(h.length, ...table.rows.map((r) => r[i].length)));
  const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i])).join(' | ');
  return [line(table.header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...table.rows.map(line)].join(
    '\n',
  );
}
