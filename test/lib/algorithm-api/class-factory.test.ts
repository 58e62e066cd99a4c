import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassFactory, ClassFactoryError, ClassType } from '../../../lib/algorithm-api/index.js';

describe('ClassFactory', () => {
  afterEach(() => {
    ClassFactory.unregister(ClassType.GENERAL, 'Echo');
    ClassFactory.unregister(ClassType.GENERAL, 'FromPlugin');
  });

  it('registers by (type, alias) and builds the class by name', () => {
    class Echo {
      constructor(readonly hp: Record<string, unknown> = {}) {}
    }
    ClassFactory.register(ClassType.GENERAL, 'Echo')(Echo);
    const Cls = ClassFactory.get<typeof Echo>(ClassType.GENERAL, 'Echo');
    expect(new Cls({ learning_rate: 0.1 }).hp).toEqual({ learning_rate: 0.1 });
    expect(ClassFactory.has(ClassType.HEM, 'Echo')).toBe(false);
  });

  it('refuses a duplicate alias instead of overwriting it', () => {
    class A {}
    class B {}
    ClassFactory.register(ClassType.GENERAL, 'Echo')(A);
    expect(() => ClassFactory.register(ClassType.GENERAL, 'Echo')(B)).toThrow(ClassFactoryError);
    expect(ClassFactory.get(ClassType.GENERAL, 'Echo')).toBe(A);
  });

  it('names the registered aliases when one is unknown', () => {
    expect(() => ClassFactory.get(ClassType.HEM, 'Nope')).toThrow(
      /no hard_example_mining class "Nope"; registered: .*IBT/,
    );
  });

  it('loads a plugin module that exports register(factory, types)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plugin-'));
    const file = join(dir, 'plugin.mjs');
    await writeFile(
      file,
      `export function register(factory, types) { factory.register(types.GENERAL, 'FromPlugin')(class FromPlugin {}); }\n`,
    );
    await ClassFactory.registerFromModule(file);
    expect(ClassFactory.get(ClassType.GENERAL, 'FromPlugin').name).toBe('FromPlugin');
  });

  it('wraps a plugin that fails to load in a readable error', async () => {
    await expect(ClassFactory.registerFromModule('/nonexistent/plugin.mjs')).rejects.toThrow(
      /cannot load plugin module "\/nonexistent\/plugin.mjs"/,
    );
  });
});
