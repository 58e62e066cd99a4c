import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { EdgeStlError } from '../errors/index.js';
import { ClassType } from './class-type.js';

/** Raised for unknown aliases, duplicate registrations and plugins that fail to load. */
export class ClassFactoryError extends EdgeStlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CLASS_FACTORY', message, options);
  }
}

type AnyClass = new (...args: never[]) => unknown;

/**
 * The algorithm registry, as Sedna's `ClassFactory`: classes registered by (type, alias) and
 * chosen by name in YAML. Use `ClassFactory.register(type, alias)` as a decorator or call it
 * with the class.
 */
export class ClassFactory {
  private static readonly registry = new Map<string, Map<string, AnyClass>>();

  /** Registers a class under `alias` (default: the class name). A duplicate alias is an error. */
  static register(type: ClassType, alias?: string) {
    return <T extends AnyClass>(cls: T, _context?: unknown): T => {
      const name = alias ?? cls.name;
      const byAlias = ClassFactory.registry.get(type) ?? new Map<string, AnyClass>();
      const existing = byAlias.get(name);
      if (existing && existing !== cls) {
        throw new ClassFactoryError(`ClassFactory: "${name}" is already registered as ${type}`);
      }
      byAlias.set(name, cls);
      ClassFactory.registry.set(type, byAlias);
      return cls;
    };
  }

  /** The class registered as (type, alias); an unknown alias names the known ones. */
  static get<T extends AnyClass = AnyClass>(type: ClassType, alias: string): T {
    const cls = ClassFactory.registry.get(type)?.get(alias);
    if (!cls) {
      const known = ClassFactory.aliases(type);
      throw new ClassFactoryError(
        `ClassFactory: no ${type} class "${alias}"; registered: ${known.length ? known.join(', ') : '(none)'}`,
      );
    }
    return cls as T;
  }

  static has(type: ClassType, alias: string): boolean {
    return ClassFactory.registry.get(type)?.has(alias) ?? false;
  }

  static aliases(type: ClassType): string[] {
    return [...(ClassFactory.registry.get(type)?.keys() ?? [])].sort();
  }

  /**
   * Loads a user's plugin module (a JS/TS file path or package name). A module may register on
   * import, or export `register(factory)`, which is called with this factory (so a plugin built
   * against another copy of edge-stl still lands in this registry).
   */
  static async registerFromModule(specifier: string): Promise<void> {
    const url =
      /^[./]/.test(specifier) || specifier.includes('\\')
        ? pathToFileURL(resolve(specifier)).href
        : specifier;
    let mod: { register?: (factory: typeof ClassFactory, types: typeof ClassType) => unknown };
    try {
      mod = await import(url);
    } catch (err) {
      throw new ClassFactoryError(`ClassFactory: cannot load plugin module "${specifier}"`, { cause: err });
    }
    if (typeof mod.register === 'function') await mod.register(ClassFactory, ClassType);
  }

  /** Removes a registration; for tests and plugin reloads. */
  static unregister(type: ClassType, alias: string): void {
    ClassFactory.registry.get(type)?.delete(alias);
  }
}
