import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeSyntheticDataset } from '../../lib/builtin-algorithms/fpn/index.js';
import { ClassFactory, ClassType } from '../../lib/algorithm-api/index.js';
import { createLogger } from '../../lib/log.js';
import { loadBenchmarkingJob } from '../../local/ianvs/config.js';
import { runBenchmark } from '../../local/ianvs/runner.js';

/** An Ianvs benchmark in Ianvs's own file format, with a plugin algorithm, on a two-case grid. */
describe('edge-stl ianvs', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ianvs-'));
    await writeSyntheticDataset(join(dir, 'dataset', 'train_data'), { images: 8, seed: 3 });
    await writeSyntheticDataset(join(dir, 'dataset', 'test_data'), { images: 4, seed: 4 });
    await writeFile(
      join(dir, 'benchmarkingjob.yaml'),
      `benchmarkingjob:
  name: "benchmarkingjob"
  workspace: "./workspace"
  testenv: "./testenv.yaml"
  test_object:
    type: "algorithms"
    algorithms:
      - name: "mobilenet_fpn_singletask_learning"
        url: "./algorithm.yaml"
  rank:
    sort_by: [ { "f1_score": "descend" } ]
    selected_dataitem: { paradigms: [ "all" ], modules: [ "all" ], hyperparameters: [ "all" ], metrics: [ "f1_score" ] }
    save_mode: "selected_and_all"
`,
    );
    await writeFile(
      join(dir, 'testenv.yaml'),
      `testenv:
  dataset:
    train_url: "./dataset/train_data/index.txt"
    test_url: "./dataset/test_data/index.txt"
  metrics:
    - name: "f1_score"
      url: "./f1_score.py"
    - name: "mAP50"
`,
    );
    await writeFile(
      join(dir, 'algorithm.yaml'),
      `algorithm:
  paradigm_type: "singletasklearning"
  modules:
    - type: "basemodel"
      name: "MobileNetFPN"
      url: "${resolve('examples/plugins/mobilenet-fpn.mjs')}"
      hyperparameters:
        - preset: { values: [ "tiny" ] }
        - max_iteration: { values: [ 4, 12 ] }
`,
    );
  });

  afterAll(() => ClassFactory.unregister(ClassType.GENERAL, 'MobileNetFPN'));

  it('trains and ranks every grid point, writing Ianvs rank CSVs', async () => {
    const job = await loadBenchmarkingJob(join(dir, 'benchmarkingjob.yaml'));
    expect(job.workspace).toBe(resolve('workspace'));
    job.workspace = join(dir, 'workspace');
    const outcome = await runBenchmark(job, createLogger('ianvs-test', { level: 'warn' }));
    expect(ClassFactory.has(ClassType.GENERAL, 'MobileNetFPN')).toBe(true);

    const lines = (await readFile(outcome.allRankFile, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe(
      'rank algorithm f1_score mAP50 paradigm basemodel basemodel-preset basemodel-max_iteration time url',
    );
    expect(lines).toHaveLength(3);
    const rows = lines.slice(1).map((l) => l.match(/"[^"]*"|\S+/g)!);
    expect(rows.map((r) => r[0])).toEqual(['1', '2']);
    expect(rows.map((r) => r[5]).sort()).toEqual(['MobileNetFPN', 'MobileNetFPN']);
    expect(rows.map((r) => r[7]).sort()).toEqual(['12', '4']);
    const f1 = rows.map((r) => Number(r[2]));
    expect(f1[0]).toBeGreaterThanOrEqual(f1[1]);
    for (const v of f1) expect(v).toBeGreaterThanOrEqual(0);

    const selected = (await readFile(outcome.selectedRankFile, 'utf8')).trim().split('\n');
    expect(selected[0]).toBe(
      'rank algorithm f1_score paradigm basemodel basemodel-preset basemodel-max_iteration time url',
    );
  }, 300_000);

  it('rejects a paradigm it does not run, naming the file', async () => {
    const bad = join(dir, 'bad-algorithm.yaml');
    await writeFile(bad, 'algorithm:\n  paradigm_type: "incrementallearning"\n  modules: []\n');
    await writeFile(
      join(dir, 'bad-job.yaml'),
      `benchmarkingjob:\n  name: b\n  workspace: ./ws\n  testenv: ./testenv.yaml\n  test_object:\n    algorithms:\n      - name: x\n        url: ./bad-algorithm.yaml\n`,
    );
    await expect(loadBenchmarkingJob(join(dir, 'bad-job.yaml'))).rejects.toThrow(
      /incrementallearning" is not supported/,
    );
  });
});
