import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EdgeStlError } from '../../errors/index.js';
import { crdPath, jobSchema, parseCrd, type OpenApiSchema } from './crd.js';

/**
 * Generates `generated-types.ts` from the CRD's openAPIV3Schema, so the TypeScript types cannot drift
 * from the YAML. Run `node --import tsx lib/api/v1alpha1/codegen.ts --write` after editing the CRD;
 * test/crds/drift.test.ts fails while the file is stale.
 */

/** TypeScript names of the object schemas, by dotted path (`[]` = array items). Every object needs one. */
export const OBJECT_NAMES: Readonly<Record<string, string>> = {
  '': 'SingleTaskLearningJob',
  spec: 'SingleTaskLearningJobSpec',
  'spec.algorithm': 'AlgorithmSpec',
  'spec.dataset': 'DatasetSpec',
  'spec.storage': 'StorageSpec',
  'spec.edge': 'EdgeSpec',
  'spec.edge.tolerations[]': 'Toleration',
  'spec.edge.sampling': 'SamplingSpec',
  'spec.labeling': 'LabelingSpec',
  'spec.trigger': 'TriggerSpec',
  'spec.trigger.window': 'TimeWindow',
  'spec.evaluation': 'EvaluationSpec',
  'spec.rollout': 'RolloutSpec',
  'spec.runPolicy': 'RunPolicy',
  status: 'SingleTaskLearningJobStatus',
  'status.conditions[]': 'Condition',
  'status.currentModel': 'CurrentModel',
  'status.models[]': 'ModelRecord',
  'status.edgeNodes[]': 'EdgeNodeStatus',
  'status.samples': 'SampleCounts',
  'status.training': 'TrainingStatus',
  'status.rollout': 'RolloutStatus',
};

/** Names of the string enums; each becomes a `type` plus a `<UPPER_SNAKE>_VALUES` tuple. */
export const ENUM_NAMES: Readonly<Record<string, string>> = {
  'spec.edge.tolerations[].operator': 'TolerationOperator',
  'spec.edge.tolerations[].effect': 'TolerationEffect',
  'spec.edge.sampling.strategy': 'SamplingStrategy',
  'spec.labeling.mode': 'LabelingMode',
  'spec.evaluation.operator': 'ComparisonOperator',
  'spec.rollout.strategy': 'RolloutStrategy',
  'spec.cleanupPolicy': 'CleanupPolicy',
  'status.phase': 'Phase',
  'status.conditions[].status': 'ConditionStatus',
  'status.models[].state': 'ModelRecordState',
  'status.edgeNodes[].state': 'EdgeNodeState',
  'status.edgeNodes[].modelState': 'EdgeModelState',
  'status.training.state': 'TrainingState',
  'status.rollout.phase': 'RolloutPhase',
};

/** Fields typed by hand-written types instead of their (open) schema. */
const EXTERNAL_TYPES: Readonly<Record<string, string>> = { metadata: 'ObjectMeta' };

/** Prefix of the variants in which every field with a schema default is present (after `withDefaults`). */
const DEFAULTED = 'Defaulted';

interface Emitted {
  name: string;
  code: string;
}

/** Renders the TypeScript source (unformatted) for a job schema. */
export function renderTypes(root: OpenApiSchema): string {
  const objects: Emitted[] = [];
  const enums: Emitted[] = [];
  const seen = new Set<string>();
  const renderer = new Renderer(objects, enums, seen);
  renderer.object(root, '', false);
  renderer.object(schemaOf(root, 'spec'), 'spec', true);
  const header = [
    '// Generated from crds/singletasklearningjob.yaml by lib/api/v1alpha1/codegen.ts. Do not edit:',
    '// change the CRD, then run `node --import tsx lib/api/v1alpha1/codegen.ts --write`.',
    '',
    "import type { ObjectMeta } from './object-meta.js';",
    '',
  ].join('\n');
  return [header, ...enums.map((e) => e.code), ...objects.map((o) => o.code)].join('\n');
}

function schemaOf(root: OpenApiSchema, prop: string): OpenApiSchema {
  const s = root.properties?.[prop];
  if (!s) throw new EdgeStlError('CODEGEN', `schema has no ${prop}`);
  return s;
}

class Renderer {
  constructor(
    private readonly objects: Emitted[],
    private readonly enums: Emitted[],
    private readonly seen: Set<string>,
  ) {}

  /** Emits the interface of the named object at `path` and returns its name. */
  object(schema: OpenApiSchema, path: string, defaulted: boolean): string {
    const base = OBJECT_NAMES[path];
    if (!base) throw new EdgeStlError('CODEGEN', `name the object at "${path}" in OBJECT_NAMES`);
    const name = defaulted && hasDefaults(schema) ? DEFAULTED + base : base;
    if (this.seen.has(name)) return name;
    this.seen.add(name);
    const required = new Set(schema.required ?? []);
    const lines = Object.entries(schema.properties ?? {}).map(([prop, sub]) => {
      const subPath = path ? `${path}.${prop}` : prop;
      const optional = !required.has(prop) && !(defaulted && sub.default !== undefined);
      const type =
        path === '' && EXTERNAL_TYPES[prop] ? EXTERNAL_TYPES[prop] : this.type(sub, subPath, defaulted);
      return `${doc(sub, '  ')}  ${prop}${optional ? '?' : ''}: ${type};`;
    });
    const note = name.startsWith(DEFAULTED)
      ? ` ${base} with every schema default applied (withDefaults).`
      : '';
    const desc: OpenApiSchema = { description: `${schema.description ?? base}${note}` };
    this.objects.push({ name, code: `${doc(desc, '')}export interface ${name} {\n${lines.join('\n')}\n}\n` });
    return name;
  }

  type(schema: OpenApiSchema, path: string, defaulted: boolean): string {
    const t = this.baseType(schema, path, defaulted);
    return schema.nullable ? `${t} | null` : t;
  }

  private baseType(schema: OpenApiSchema, path: string, defaulted: boolean): string {
    if (schema['x-kubernetes-int-or-string']) return 'number | string';
    if (schema.enum) return this.enumType(schema, path);
    switch (schema.type) {
      case 'string':
        return 'string';
      case 'integer':
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'array': {
        if (!schema.items) throw new EdgeStlError('CODEGEN', `array at "${path}" has no items`);
        const item = this.type(schema.items, `${path}[]`, defaulted);
        return /^[A-Za-z0-9_]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
      }
      case 'object':
        if (schema.properties) return this.object(schema, path, defaulted);
        if (typeof schema.additionalProperties === 'object') {
          return `Record<string, ${this.type(schema.additionalProperties, `${path}.*`, defaulted)}>`;
        }
        return 'Record<string, unknown>';
      default:
        if (schema['x-kubernetes-preserve-unknown-fields']) return 'unknown';
        throw new EdgeStlError('CODEGEN', `field "${path}" has no type (not a structural schema)`);
    }
  }

  private enumType(schema: OpenApiSchema, path: string): string {
    const values = (schema.enum ?? []).map((v) => `'${String(v).replace(/'/g, "\\'")}'`);
    const name = ENUM_NAMES[path];
    if (!name) return values.join(' | ');
    if (!this.seen.has(name)) {
      this.seen.add(name);
      const constName = `${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}_VALUES`;
      this.enums.push({
        name,
        code:
          `/** Values of \`${path}\`. */\nexport const ${constName} = [${values.join(', ')}] as const;\n` +
          `${doc({ description: schema.description }, '')}export type ${name} = (typeof ${constName})[number];\n`,
      });
    }
    return name;
  }
}

/** True when the schema or anything below it carries a default. */
function hasDefaults(schema: OpenApiSchema): boolean {
  if (schema.default !== undefined) return true;
  const subs = [
    ...Object.values(schema.properties ?? {}),
    ...(schema.items ? [schema.items] : []),
    ...(typeof schema.additionalProperties === 'object' ? [schema.additionalProperties] : []),
  ];
  return subs.some(hasDefaults);
}

/** TSDoc from the schema: description, then the default. */
function doc(schema: OpenApiSchema, indent: string): string {
  const text = (schema.description ?? '').replace(/\*\//g, '*\\/').trim();
  const lines = text ? text.split('\n') : [];
  if (schema.default !== undefined) lines.push(`@defaultValue \`${JSON.stringify(schema.default)}\``);
  if (lines.length === 0) return '';
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

/** Path of the generated file. */
export const GENERATED_PATH = fileURLToPath(new URL('./generated-types.ts', import.meta.url));

/** Renders and formats (prettier, with the repository's config) the generated file's content. */
export async function generateTypesSource(crdYaml = readFileSync(crdPath(), 'utf8')): Promise<string> {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(GENERATED_PATH)) ?? {};
  return prettier.format(renderTypes(jobSchema(parseCrd(crdYaml))), { ...options, filepath: GENERATED_PATH });
}

async function cli(argv: string[]): Promise<number> {
  const source = await generateTypesSource();
  if (argv.includes('--write')) {
    writeFileSync(GENERATED_PATH, source);
    console.log(`wrote ${GENERATED_PATH}`);
    return 0;
  }
  const current = readFileSync(GENERATED_PATH, 'utf8');
  if (current === source) return 0;
  console.error(`${GENERATED_PATH} is stale: run node --import tsx lib/api/v1alpha1/codegen.ts --write`);
  return 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  cli(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
