/**
 * `node --import tsx bench/storage.ts`: object store and model package figures on this machine.
 *   - put / get throughput of one object through the minio adapter to the embedded S3 endpoint,
 *     single PUT and multipart (5 MiB parts);
 *   - model.zip write (yazl) and safe extract (yauzl) throughput, and sha256 of the zip.
 * Env: BENCH_MIB (object / checkpoint size in MiB, default 64).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODEL_MANIFEST_FORMAT, type ModelManifest } from '../lib/model-package/manifest.js';
import { readModelPackage } from '../lib/model-package/read-model-package.js';
import { sha256File } from '../lib/model-package/sha256.js';
import { writeModelPackage } from '../lib/model-package/write-model-package.js';
import { startEmbeddedS3 } from '../lib/storage/embedded-s3.js';
import { MinioObjectStore } from '../lib/storage/minio-object-store.js';

const MIB = Number(process.env.BENCH_MIB ?? 64);
const BYTES = MIB * 1024 * 1024;

interface Row {
  figure: string;
  value: string;
  note: string;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const rate = (seconds: number): string => `${(MIB / seconds).toFixed(0)} MiB/s`;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-stl-bench-storage-'));
  const s3 = await startEmbeddedS3({ dir: join(dir, 's3') });
  const rows: Row[] = [];
  try {
    const config = { endpoint: s3.endpoint, accessKey: s3.accessKey, secretKey: s3.secretKey };
    const single = new MinioObjectStore(config, { partSize: 1024 * 1024 * 1024 });
    const multipart = new MinioObjectStore(config, { partSize: 5 * 1024 * 1024 });
    await single.ensureBucket('bench-storage');
    const file = join(dir, 'object.bin');
    // Random bytes: incompressible, like trained weights.
    await writeFile(file, randomBytes(BYTES));

    rows.push({
      figure: 'putFile, single PUT',
      value: rate(await timed(() => single.putFile('bench-storage', 'single.bin', file))),
      note: `${MIB} MiB`,
    });
    const parts = Math.ceil(BYTES / (5 * 1024 * 1024));
    rows.push({
      figure: 'putFile, multipart',
      value: rate(await timed(() => multipart.putFile('bench-storage', 'multi.bin', file))),
      note: `${parts} parts of 5 MiB`,
    });
    rows.push({
      figure: 'getFile',
      value: rate(await timed(() => single.getFile('bench-storage', 'multi.bin', join(dir, 'down.bin')))),
      note: `${MIB} MiB`,
    });

    const ckpt = join(dir, 'ckpt');
    await mkdir(ckpt);
    for (let i = 0; i < 4; i++) await writeFile(join(ckpt, `shard${i}.bin`), randomBytes(BYTES / 4));
    const manifest: Omit<ModelManifest, 'files'> = {
      formatVersion: MODEL_MANIFEST_FORMAT,
      algorithm: 'FPN',
      classes: ['a'],
      inputShortSide: 640,
      hyperparameters: {},
      metrics: {},
      parentVersion: null,
      createdAt: new Date().toISOString(),
    };
    const zip = join(dir, 'model.zip');
    rows.push({
      figure: 'writeModelPackage',
      value: rate(await timed(() => writeModelPackage({ dir: ckpt, manifest, out: zip }))),
      note: '4 .bin shards (stored), sha256 while writing',
    });
    rows.push({
      figure: 'readModelPackage',
      value: rate(await timed(() => readModelPackage(zip, join(dir, 'extracted')))),
      note: 'all checks, temp dir + rename',
    });
    rows.push({ figure: 'sha256File', value: rate(await timed(() => sha256File(zip))), note: 'streamed' });
  } finally {
    await s3.stop();
    await rm(dir, { recursive: true, force: true });
  }

  const w = [Math.max(...rows.map((r) => r.figure.length)), Math.max(...rows.map((r) => r.value.length))];
  console.log(`\nObject store + model package (${MIB} MiB, embedded s3rver on loopback)\n`);
  console.log(`| ${'figure'.padEnd(w[0]!)} | ${'value'.padEnd(w[1]!)} | note |`);
  console.log(`|${'-'.repeat(w[0]! + 2)}|${'-'.repeat(w[1]! + 2)}|------|`);
  for (const r of rows) console.log(`| ${r.figure.padEnd(w[0]!)} | ${r.value.padEnd(w[1]!)} | ${r.note} |`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
