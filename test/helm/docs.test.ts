import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { CHART_DIR, REPO_ROOT } from './chart.js';
import { renderCrdReference } from '../../scripts/gen-crd-reference.js';

const DOCS = join(REPO_ROOT, 'docs');
const CRD = join(REPO_ROOT, 'crds', 'singletasklearningjob.yaml');
const read = (f: string): string => readFileSync(join(DOCS, f), 'utf8');

describe('docs/crd-reference.md', () => {
  it('is the generator output for the committed CRD (run `npm run docs:crd` after a CRD edit)', () => {
    expect(read('crd-reference.md')).toBe(renderCrdReference(readFileSync(CRD, 'utf8')));
    execFileSync(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'gen-crd-reference.ts'), '--check'],
      { cwd: REPO_ROOT },
    );
  });

  it('carries every field description of the schema, so an edit to one shows up in the diff', () => {
    const crdText = readFileSync(CRD, 'utf8');
    const doc = renderCrdReference(crdText);
    for (const field of [
      'spec.dataset.trainIndex',
      'spec.storage.credentialsSecret',
      'spec.edge.sampling.strategy',
      'status.phase',
    ]) {
      expect(doc).toContain(`\`${field}\``);
    }
    const edited = renderCrdReference(
      crdText.replace('s3:// URI of the Ianvs train index.txt.', 's3:// URI of the train index.'),
    );
    expect(edited).not.toBe(doc);
    expect(edited).toContain('s3:// URI of the train index.');
  });
});

describe('docs', () => {
  it.each([
    'architecture.md',
    'install-kubeedge.md',
    'crd-reference.md',
    'operations.md',
    'troubleshooting.md',
  ])('has %s', (f) => {
    expect(existsSync(join(DOCS, f))).toBe(true);
  });

  it('maps the seven steps to components in a mermaid diagram', () => {
    const arch = read('architecture.md');
    const mermaid = /```mermaid\n([\s\S]*?)```/.exec(arch)?.[1] ?? '';
    for (let step = 1; step <= 7; step++) expect(mermaid).toMatch(new RegExp(`\\b${step}\\.? `));
    for (const component of ['operator', 'edge agent', 'trainer', 'labeling', 'S3', 'Redis'])
      expect(mermaid.toLowerCase()).toContain(component.toLowerCase());
  });

  it('links only to files that exist', () => {
    const broken: string[] = [];
    for (const f of readdirSync(DOCS).filter((n) => n.endsWith('.md'))) {
      // Inline code (regex patterns in the CRD reference) is not a link.
      for (const m of read(f)
        .replace(/`[^`\n]*`/g, '')
        .matchAll(/\]\((?!https?:|#|mailto:)([^)#\s]+)(#[^)]*)?\)/g)) {
        if (!existsSync(resolve(DOCS, m[1]))) broken.push(`${f}: ${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('uses only chart values that exist in the schema (--set keys and values files)', () => {
    const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8'));
    const known = (path: string): boolean => {
      let node = schema;
      for (const part of path.replace(/\[\d+\]/g, '').split('.')) {
        node =
          node.properties?.[part] ??
          (node.$ref ? schema.$defs[node.$ref.replace('#/$defs/', '')].properties?.[part] : undefined);
        if (!node) return false;
        if (node.$ref && !node.properties)
          node = { ...schema.$defs[node.$ref.replace('#/$defs/', '')], ...node };
      }
      return true;
    };
    const unknown: string[] = [];
    let seen = 0;
    for (const f of ['install-kubeedge.md', 'operations.md', 'troubleshooting.md']) {
      // Whole shell commands (continuation lines joined) that install or upgrade this chart.
      const commands = read(f)
        .replace(/\\\n\s*/g, ' ')
        .split('\n')
        .filter((l) => /helm (install|upgrade|template)\b.*helm\/edge-stl/.test(l));
      for (const command of commands) {
        for (const m of command.matchAll(/--set(?:-string)?[ =]'?([A-Za-z][\w.[\]]*)=/g)) {
          seen++;
          if (!known(m[1])) unknown.push(`${f}: ${m[1]}`);
        }
      }
    }
    expect(seen).toBeGreaterThan(3);
    expect(unknown).toEqual([]);
  });
});

describe('helm commands in the docs', () => {
  it('render: every `helm install|upgrade ... ./helm/edge-stl` with its --set flags passes the schema and templates', async () => {
    const { helm } = await import('./chart.js');
    let commands = 0;
    for (const f of ['install-kubeedge.md', 'operations.md', 'troubleshooting.md']) {
      const lines = read(f)
        .replace(/\\\n\s*/g, ' ')
        .split('\n');
      for (const line of lines.filter((l) => /helm (install|upgrade) .*\.\/helm\/edge-stl/.test(l))) {
        const tokens = (line.match(/'[^']*'|"[^"]*"|\S+/g) ?? []).map((t) => t.replace(/^['"]|['"]$/g, ''));
        const sets: string[] = [];
        tokens.forEach((t, i) => {
          if (t === '--set') sets.push(tokens[i + 1]);
        });
        // Placeholders in angle brackets stand for the reader's addresses.
        const args = [
          'template',
          'edge-stl',
          join(REPO_ROOT, 'helm', 'edge-stl'),
          '-n',
          'edge-stl',
          ...sets.flatMap((s) => ['--set', s.replace(/<[^>]+>/g, '192.0.2.1')]),
        ];
        const result = await helm(args);
        expect({ f, line, code: result.code, err: result.stderr }).toMatchObject({ code: 0 });
        commands++;
      }
    }
    expect(commands).toBeGreaterThan(3);
  });
});

describe('a second job in the install guide', () => {
  const guide = read('install-kubeedge.md');
  const start = guide.indexOf('## 8. A second job');
  const section = guide.slice(start, guide.indexOf('\n## ', start + 1));
  const blocks = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], text: m[2] }));

  it('is a kubectl apply alone: no helm, no per-job chart values', () => {
    expect(start).toBeGreaterThan(0);
    const shell = blocks.filter((b) => b.lang === 'sh').map((b) => b.text);
    expect(shell.join('\n')).toContain('kubectl apply -f team-b.yaml');
    expect(section).not.toMatch(/helm (install|upgrade)|secretNames|labeling\.jobs/);
  });

  it('applies a Namespace, the Secret the job names, and a valid job, all in that namespace', async () => {
    const { loadAll } = await import('js-yaml');
    const { validateJob } = await import('../../lib/validation/index.js');
    const yaml = blocks.find((b) => b.lang === 'yaml');
    const docs = loadAll(yaml!.text.replace(/<([^>]+)>/g, '$1')) as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(docs.map((d) => d.kind)).toEqual(['Namespace', 'Secret', 'SingleTaskLearningJob']);
    const [ns, secret, job] = docs;
    expect(validateJob(job).errors).toEqual([]);
    expect(job.metadata.namespace).toBe(ns.metadata.name);
    expect(secret.metadata.namespace).toBe(ns.metadata.name);
    expect(job.spec.storage.credentialsSecret).toBe(secret.metadata.name);
    expect(Object.keys(secret.stringData).sort()).toEqual(['accessKey', 'secretKey']);
  });
});
