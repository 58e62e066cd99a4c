/**
 * Generates docs/crd-reference.md from the descriptions in crds/singletasklearningjob.yaml, the one
 * source of the API, so the reference can never disagree with what the API server validates.
 *
 *   node --import tsx scripts/gen-crd-reference.ts          # rewrite docs/crd-reference.md
 *   node --import tsx scripts/gen-crd-reference.ts --check  # exit 1 when the committed file is stale
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as yaml from 'js-yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CRD_PATH = join(ROOT, 'crds', 'singletasklearningjob.yaml');
export const REFERENCE_PATH = join(ROOT, 'docs', 'crd-reference.md');

/** The subset of OpenAPI v3 that structural CRD schemas use. */
interface Schema {
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  required?: string[];
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-int-or-string'?: boolean;
}

interface Crd {
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; singular?: string; shortNames?: string[]; categories?: string[] };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources?: Record<string, unknown>;
      additionalPrinterColumns?: { name: string; type: string; jsonPath: string; description?: string }[];
      schema: { openAPIV3Schema: Schema };
    }[];
  };
}

/** A table row per field, in schema order, nested fields after their parent. */
interface Row {
  path: string;
  schema: Schema;
  required: boolean;
}

function typeOf(s: Schema): string {
  if (s['x-kubernetes-int-or-string']) return 'int or string';
  if (s.type === 'array') return `[]${s.items ? typeOf(s.items) : 'any'}`;
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') {
    return `map[string]${typeOf(s.additionalProperties)}`;
  }
  return s.type ?? 'any';
}

function constraints(s: Schema): string[] {
  const out: string[] = [];
  const range = (
    lo: number | undefined,
    hi: number | undefined,
    exLo?: boolean,
    exHi?: boolean,
    unit = '',
  ): void => {
    if (lo !== undefined && hi !== undefined)
      out.push(`${exLo ? '(' : '['}${lo}, ${hi}${exHi ? ')' : ']'}${unit}`);
    else if (lo !== undefined) out.push(`${exLo ? '>' : '>='} ${lo}${unit}`);
    else if (hi !== undefined) out.push(`${exHi ? '<' : '<='} ${hi}${unit}`);
  };
  if (s.enum) out.push(`one of ${s.enum.map((v) => `\`${String(v)}\``).join(', ')}`);
  range(s.minimum, s.maximum, s.exclusiveMinimum, s.exclusiveMaximum);
  range(s.minLength, s.maxLength, false, false, ' chars');
  range(s.minItems, s.maxItems, false, false, ' items');
  if (s.pattern) out.push(`pattern \`${s.pattern}\``);
  if (s.format) out.push(`format ${s.format}`);
  if (s['x-kubernetes-list-type'] === 'set') out.push('unique items');
  if (s['x-kubernetes-list-type'] === 'map')
    out.push(`list map keyed by ${(s['x-kubernetes-list-map-keys'] ?? []).join(', ')}`);
  if (s['x-kubernetes-preserve-unknown-fields']) out.push('free-form');
  return out;
}

/** Markdown table cells may not hold pipes or newlines. */
function cell(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
}

function collect(schema: Schema, path: string, rows: Row[]): void {
  const required = new Set(schema.required ?? []);
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const childPath = path ? `${path}.${name}` : name;
    rows.push({ path: childPath, schema: child, required: required.has(name) });
    if (child.properties) collect(child, childPath, rows);
    else if (child.items?.properties) collect(child.items, `${childPath}[]`, rows);
    else if (
      child.additionalProperties &&
      typeof child.additionalProperties === 'object' &&
      child.additionalProperties.properties
    ) {
      collect(child.additionalProperties, `${childPath}.<key>`, rows);
    }
  }
}

function table(rows: Row[]): string {
  const lines = ['| Field | Type | Required | Default | Description |', '|---|---|---|---|---|'];
  for (const r of rows) {
    const extra = constraints(r.schema);
    const description = [r.schema.description ?? '', extra.length ? `*${extra.join('; ')}*` : '']
      .filter(Boolean)
      .join(' ');
    const dflt = r.schema.default === undefined ? '' : `\`${JSON.stringify(r.schema.default)}\``;
    lines.push(
      `| \`${r.path}\` | ${cell(typeOf(r.schema))} | ${r.required ? 'yes' : ''} | ${cell(dflt)} | ${cell(description)} |`,
    );
  }
  return lines.join('\n');
}

/** The reference page for one CRD document. Pure: same input, same bytes. */
export function renderCrdReference(crdText: string): string {
  const crd = yaml.load(crdText) as Crd;
  const { group, names, scope } = crd.spec;
  const out: string[] = [
    `# ${names.kind} reference`,
    '',
    `<!-- Generated by scripts/gen-crd-reference.ts from ${relative(ROOT, CRD_PATH)}; do not edit. Run \`npm run docs:crd\`. -->`,
    '',
    `| | |`,
    `|---|---|`,
    `| Group | \`${group}\` |`,
    `| Kind | \`${names.kind}\` (list \`${names.kind}List\`) |`,
    `| Scope | ${scope} |`,
    `| Resource | \`${names.plural}\`${names.shortNames?.length ? `, short names ${names.shortNames.map((n) => `\`${n}\``).join(', ')}` : ''} |`,
    ...(names.categories?.length
      ? [`| Categories | ${names.categories.map((c) => `\`${c}\``).join(', ')} |`]
      : []),
  ];
  for (const version of crd.spec.versions) {
    const root = version.schema.openAPIV3Schema;
    out.push('', `## ${group}/${version.name}`, '');
    out.push(
      `Served: ${version.served ? 'yes' : 'no'}. Storage version: ${version.storage ? 'yes' : 'no'}. Subresources: ${
        Object.keys(version.subresources ?? {}).join(', ') || 'none'
      }.`,
    );
    if (root.description) out.push('', cell(root.description));
    if (version.additionalPrinterColumns?.length) {
      out.push(
        '',
        `### \`kubectl get ${names.shortNames?.[0] ?? names.plural}\` columns`,
        '',
        '| Column | Type | JSONPath | Description |',
        '|---|---|---|---|',
      );
      for (const c of version.additionalPrinterColumns)
        out.push(`| ${c.name} | ${c.type} | \`${c.jsonPath}\` | ${cell(c.description ?? '')} |`);
    }
    for (const top of ['spec', 'status']) {
      const section = root.properties?.[top];
      if (!section) continue;
      out.push('', `### ${top}`, '');
      if (section.description) out.push(cell(section.description), '');
      const rows: Row[] = [];
      collect(section, top, rows);
      out.push(table(rows));
    }
  }
  return out.join('\n') + '\n';
}

function main(argv: string[]): number {
  const expected = renderCrdReference(readFileSync(CRD_PATH, 'utf8'));
  if (argv.includes('--check')) {
    if (existsSync(REFERENCE_PATH) && readFileSync(REFERENCE_PATH, 'utf8') === expected) return 0;
    console.error(`${relative(ROOT, REFERENCE_PATH)} is stale: run \`npm run docs:crd\``);
    return 1;
  }
  writeFileSync(REFERENCE_PATH, expected);
  console.log(`wrote ${relative(ROOT, REFERENCE_PATH)}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  process.exitCode = main(process.argv.slice(2));
