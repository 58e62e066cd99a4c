import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as yaml from 'js-yaml';
import { CHART_DIR, REPO_ROOT } from './chart.js';
import { reachableSources } from './sources.js';

const run = promisify(execFile);

interface Instruction {
  op: string;
  args: string;
  stage: string;
}

/** Dockerfile instructions with continuation lines joined, each tagged with its stage name. */
function parseDockerfile(file: string): Instruction[] {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8').replace(/\\\n/g, ' ');
  const out: Instruction[] = [];
  let stage = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [, op, args] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (!op) continue;
    if (op.toUpperCase() === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? `stage${out.length}`;
    out.push({ op: op.toUpperCase(), args: args.trim(), stage });
  }
  return out;
}

/** A COPY instruction split into flags, sources and destination. */
function parseCopy(args: string): { from?: string; sources: string[]; dest: string } {
  const parts = args.split(/\s+/);
  const flags = parts.filter((p) => p.startsWith('--'));
  const paths = parts.filter((p) => !p.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { from, sources: paths.slice(0, -1), dest: paths[paths.length - 1] };
}

/** .dockerignore patterns as predicates over context-relative paths (the subset of syntax the file uses). */
function dockerIgnore(): (path: string) => boolean {
  const patterns = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const regexes = patterns.map((p) => {
    const body = p
      .replace(/^\*\*\//, '')
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*');
    return p.startsWith('**/') ? new RegExp(`(^|/)${body}(/|$)`) : new RegExp(`^${body}(/|$)`);
  });
  return (path) => regexes.some((r) => r.test(path));
}

/** Directories read at run time through `new URL('./dir/', import.meta.url)` (not compiled by tsc). */
function runtimeAssetDirs(sources: Set<string>): string[] {
  const dirs = new Set<string>();
  for (const file of sources) {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8');
    for (const m of text.matchAll(/new URL\('(\.{1,2}\/[^']*)',\s*import\.meta\.url\)/g)) {
      const target = relative(REPO_ROOT, resolve(REPO_ROOT, dirname(file), m[1]));
      if (existsSync(join(REPO_ROOT, target)) && statSync(join(REPO_ROOT, target)).isDirectory())
        dirs.add(target);
    }
  }
  return [...dirs].sort();
}

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};
const ignored = dockerIgnore();
const sources = reachableSources('cli/main.ts');
const topDirs = [
  ...new Set([...sources].map((f) => f.split('/')[0]).filter((d) => !d.endsWith('.ts'))),
].sort();

describe.each(['Dockerfile', 'Dockerfile.gpu'])('%s', (file) => {
  const instructions = parseDockerfile(file);
  const stages = instructions.filter((i) => i.op === 'FROM').map((i) => i.stage);
  const finalStage = stages[stages.length - 1];
  const final = instructions.filter((i) => i.stage === finalStage);

  it('copies only paths that exist in the build context and are not ignored', () => {
    for (const copy of instructions.filter((i) => i.op === 'COPY').map((i) => parseCopy(i.args))) {
      if (copy.from) {
        expect(stages).toContain(copy.from);
        continue;
      }
      for (const src of copy.sources) {
        expect({ src, exists: existsSync(join(REPO_ROOT, src)) }).toEqual({ src, exists: true });
        expect({ src, ignored: ignored(src) }).toEqual({ src, ignored: false });
      }
    }
  });

  it('runs only npm scripts and packages that exist', () => {
    for (const i of instructions.filter((x) => x.op === 'RUN')) {
      for (const m of i.args.matchAll(/npm run (\S+)/g)) expect(Object.keys(pkg.scripts)).toContain(m[1]);
      // Packages named by `npm rebuild <pkg>` or `rm ... node_modules/<pkg>` (not the npm CLI's own
      // path): declared, or installed by the same instruction.
      for (const m of i.args.matchAll(/(?:npm rebuild\s+|\snode_modules\/)((?:@[\w.-]+\/)?[\w.-]+)/g)) {
        if (
          !i.args.includes(`npm install --omit=dev --ignore-scripts --no-save --no-audit --no-fund "${m[1]}@`)
        )
          expect(pkg.dependencies).toHaveProperty([m[1]]);
      }
    }
  });

  it('compiles every source directory the CLI reaches, and ships its run-time assets', () => {
    const buildCopies = instructions
      .filter((i) => i.op === 'COPY' && !parseCopy(i.args).from)
      .flatMap((i) => parseCopy(i.args).sources);
    for (const dir of topDirs) expect(buildCopies).toContain(dir);
    const runtimeCopies = final.filter((i) => i.op === 'COPY').map((i) => parseCopy(i.args));
    for (const asset of runtimeAssetDirs(sources)) {
      expect(runtimeCopies).toEqual(
        expect.arrayContaining([expect.objectContaining({ dest: `./dist/${asset}` })]),
      );
    }
  });

  it('ends in a non-root runtime with the edge-stl entrypoint and a healthcheck that exist', () => {
    const user = final.find((i) => i.op === 'USER')?.args;
    const chartUser = (
      yaml.load(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as {
        podSecurityContext: { runAsUser: number };
      }
    ).podSecurityContext.runAsUser;
    expect(user).toBe(`${chartUser}:${chartUser}`);
    expect(final.find((i) => i.op === 'ENTRYPOINT')?.args).toBe('["node", "/app/bin/edge-stl.js"]');
    expect(final.find((i) => i.op === 'WORKDIR')?.args).toBe('/app');
    const copies = final.filter((i) => i.op === 'COPY').map((i) => parseCopy(i.args));
    expect(copies).toEqual(
      expect.arrayContaining([expect.objectContaining({ sources: ['bin'], dest: './bin' })]),
    );
    expect(copies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ from: 'build', sources: ['/src/dist'], dest: './dist' }),
      ]),
    );
    // bin/edge-stl.js loads the compiled CLI from ../dist, which the build stage produces with tsc.
    expect(readFileSync(join(REPO_ROOT, 'bin', 'edge-stl.js'), 'utf8')).toContain("'../dist/cli/main.js'");
    const health = final.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
    const script = /"(\/app\/[^"]+\.mjs)"/.exec(health)?.[1];
    expect(script).toBe('/app/docker/healthcheck.mjs');
    expect(copies).toEqual(
      expect.arrayContaining([expect.objectContaining({ sources: ['docker/healthcheck.mjs'] })]),
    );
    // Production dependencies only.
    const installs = final.filter((i) => i.op === 'RUN' && i.args.includes('npm ci'));
    for (const i of installs) expect(i.args).toContain('--omit=dev');
  });
});

describe('image variants', () => {
  it("builds both images on Node 22 LTS; only the GPU image, on CUDA, has tfjs-node-gpu, at tfjs-core's version", () => {
    const cpu = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const gpu = readFileSync(join(REPO_ROOT, 'Dockerfile.gpu'), 'utf8');
    for (const text of [cpu, gpu]) expect(text).toMatch(/^ARG NODE_IMAGE=node:22-bookworm-slim$/m);
    expect(cpu).not.toMatch(/tfjs-node|s3rver/);
    expect(gpu).toMatch(/ARG CUDA_IMAGE=nvidia\/cuda:11\.8\.0-cudnn8-runtime-ubuntu22\.04/);
    expect(gpu).toContain('npm rebuild @tensorflow/tfjs-node-gpu');
    const pinned = /^ARG TFJS_NODE_GPU_VERSION=(\S+)$/m.exec(gpu)?.[1];
    expect(pkg.dependencies['@tensorflow/tfjs-core']).toBe(`~${pinned}`);
    // Nothing else installs it: npm ci on a workstation stays offline-clean and CPU-only.
    expect(pkg.optionalDependencies ?? {}).not.toHaveProperty(['@tensorflow/tfjs-node-gpu']);
    // Local-only code stays out of the images: the embedded S3 is a devDependency.
    expect(pkg.dependencies).not.toHaveProperty(['s3rver']);
  });

  it('compiles every reached source directory through tsconfig.build.json', () => {
    const build = JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    for (const dir of topDirs)
      expect({ dir, included: build.include.includes(dir) }).toEqual({ dir, included: true });
  });
});

describe('docker/healthcheck.mjs', () => {
  let server: Server;
  let status = 200;
  let port = 0;
  const dir = mkdtempSync(join(tmpdir(), 'edge-stl-healthcheck-'));

  beforeAll(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/healthz' ? status : 404;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  async function check(cmdline: string[]): Promise<number> {
    const file = join(dir, 'cmdline');
    writeFileSync(file, cmdline.join('\0') + '\0');
    try {
      await run(process.execPath, [join(REPO_ROOT, 'docker', 'healthcheck.mjs')], {
        env: { HEALTHCHECK_CMDLINE: file, PATH: process.env.PATH ?? '' },
      });
      return 0;
    } catch (err) {
      return (err as { code: number }).code;
    }
  }

  it('probes /healthz on the port of the running subcommand', async () => {
    status = 200;
    expect(await check(['node', '/app/bin/edge-stl.js', 'operator', `--port=${port}`])).toBe(0);
    expect(await check(['node', '/app/bin/edge-stl.js', 'edge-agent', '--port', String(port)])).toBe(0);
    status = 503;
    expect(await check(['node', '/app/bin/edge-stl.js', 'trainer', `--port=${port}`])).toBe(1);
  });

  it('fails when nothing listens and passes for one-shot subcommands', async () => {
    expect(await check(['node', '/app/bin/edge-stl.js', 'labeling', '--port=1'])).toBe(1);
    expect(await check(['node', '/app/bin/edge-stl.js', 'validate', 'job.yaml'])).toBe(0);
  });
});
