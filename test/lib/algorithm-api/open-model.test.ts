import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { jest } from '@jest/globals';
import { join } from 'node:path';
import {
  ClassFactory,
  ClassType,
  modelFor,
  openModel,
  type BaseModel,
  type BaseModelConstructor,
  type Hyperparameters,
} from '../../../lib/algorithm-api/index.js';
import { testModelZip } from '../../edge-agent/support/test-models.js';

const ALIAS = 'OpenModelTestRecorder';

/** Records what it was built with and what it loaded; `fail_load` makes load throw. */
class RecordingModel implements Partial<BaseModel> {
  static last: RecordingModel | null = null;
  loaded: string | null = null;
  disposed = false;
  constructor(readonly hp: Hyperparameters = {}) {
    RecordingModel.last = this;
  }
  async load(zip: string): Promise<void> {
    if (this.hp.fail_load) throw new Error('weights unreadable');
    this.loaded = zip;
  }
  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

let dir: string;
beforeAll(async () => {
  if (!ClassFactory.has(ClassType.GENERAL, ALIAS))
    ClassFactory.register(ClassType.GENERAL, ALIAS)(RecordingModel as unknown as BaseModelConstructor);
  dir = await mkdtemp(join(tmpdir(), 'open-model-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A package of `algorithm` with `hp`, in a directory of its own. */
async function zipWith(name: string, algorithm: string, hp: Hyperparameters): Promise<string> {
  const own = join(dir, name);
  await mkdir(own);
  return testModelZip(own, algorithm, hp);
}

describe('openModel', () => {
  it("builds the manifest's algorithm with its hyperparameters under the overrides, then loads the zip", async () => {
    const zip = await zipWith('good', ALIAS, { score_threshold: 0.5, short_side: 96 });
    const model = (await openModel(zip, {
      overrides: { score_threshold: 0.1 },
    })) as unknown as RecordingModel;
    expect(model.hp).toEqual({ score_threshold: 0.1, short_side: 96 });
    expect(model.loaded).toBe(zip);
  });

  it('uses the given resolver instead of the ClassFactory', async () => {
    const zip = await zipWith('other', 'NotRegisteredAnywhere', {});
    const resolve = jest.fn(() => RecordingModel as unknown as BaseModelConstructor);
    await openModel(zip, { resolveAlgorithm: resolve });
    expect(resolve).toHaveBeenCalledWith('NotRegisteredAnywhere');
  });

  it('disposes the model when the zip does not load', async () => {
    const zip = await zipWith('broken', ALIAS, { fail_load: true });
    await expect(openModel(zip)).rejects.toThrow('weights unreadable');
    expect(RecordingModel.last?.disposed).toBe(true);
  });

  it('names an unknown algorithm', async () => {
    const zip = await zipWith('unknown', 'NoSuchNet', {});
    await expect(openModel(zip)).rejects.toThrow('NoSuchNet');
  });
});

describe('modelFor', () => {
  it('builds without loading', async () => {
    const model = (await modelFor({
      algorithm: ALIAS,
      hyperparameters: { a: 1 },
    })) as unknown as RecordingModel;
    expect(model.hp).toEqual({ a: 1 });
    expect(model.loaded).toBeNull();
  });
});
