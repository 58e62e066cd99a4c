import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox } from '../../edge-agent/outbox.js';
import type { SampleRecord } from '../../lib/protocol/index.js';

function record(id: string, createdAt: string): SampleRecord {
  return {
    id,
    job: { namespace: 'ns', name: 'job' },
    node: 'n1',
    bucket: 'b',
    createdAt,
    model: { job: 'ns/job', version: 'v1' },
    reason: 'all',
    image: { width: 4, height: 4, format: 'jpeg' },
    detections: [],
  };
}

describe('Outbox', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outbox-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps samples across a reopen, oldest first, and ignores a second copy of the same image', async () => {
    const outbox = await Outbox.open(dir, { maxBytes: 1e6 });
    expect(await outbox.add(record('b', '2026-01-01T00:00:02.000Z'), Buffer.from('img-b'))).toBe(true);
    expect(await outbox.add(record('a', '2026-01-01T00:00:01.000Z'), Buffer.from('img-a'))).toBe(true);
    expect(await outbox.add(record('a', '2026-01-01T00:00:03.000Z'), Buffer.from('img-a'))).toBe(false);
    expect(outbox.size).toBe(2);

    const reopened = await Outbox.open(dir, { maxBytes: 1e6 });
    expect(reopened.size).toBe(2);
    const first = reopened.claim();
    expect(first?.record.id).toBe('a');
    expect(reopened.claim()?.record.id).toBe('b');
    expect(reopened.claim()).toBeNull();
    reopened.release(first!);
    expect(reopened.claim()?.record.id).toBe('a');
    await reopened.done(first!);
    expect(reopened.size).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(['ns_job_b.jpeg', 'ns_job_b.json']);
  });

  it('removes what a crash mid-write leaves: temp files, an image without its JSON, unreadable JSON', async () => {
    const outbox = await Outbox.open(dir, { maxBytes: 1e6 });
    await outbox.add(record('good', '2026-01-01T00:00:00.000Z'), Buffer.from('img'));
    await writeFile(join(dir, 'ns_job_half.jpeg'), 'image whose json was never committed');
    await writeFile(join(dir, 'ns_job_x.json.1234abcd.tmp'), '{"partial');
    await writeFile(join(dir, 'ns_job_torn.jpeg'), 'img');
    await writeFile(join(dir, 'ns_job_torn.json'), '{"id": "torn", ');

    const reopened = await Outbox.open(dir, { maxBytes: 1e6 });
    expect(reopened.size).toBe(1);
    expect(reopened.claim()?.record.id).toBe('good');
    expect((await readdir(dir)).sort()).toEqual(['ns_job_good.jpeg', 'ns_job_good.json', 'rejected']);
    // The unreadable record is set aside, not deleted: a person can still look at it.
    expect((await readdir(join(dir, 'rejected'))).sort()).toEqual(['ns_job_torn.jpeg', 'ns_job_torn.json']);
  });

  it('drops the oldest samples when full, counting each drop, and never the one being uploaded', async () => {
    const dropped: string[] = [];
    const image = Buffer.alloc(1000, 1);
    const outbox = await Outbox.open(dir, { maxBytes: 3 * 1400, onDrop: (r) => dropped.push(r.id) });
    await outbox.add(record('s1', '2026-01-01T00:00:01.000Z'), image);
    await outbox.add(record('s2', '2026-01-01T00:00:02.000Z'), image);
    await outbox.add(record('s3', '2026-01-01T00:00:03.000Z'), image);
    const inUpload = outbox.claim(); // s1
    expect(inUpload?.record.id).toBe('s1');
    await outbox.add(record('s4', '2026-01-01T00:00:04.000Z'), image);
    expect(dropped).toEqual(['s2']);
    await outbox.add(record('s5', '2026-01-01T00:00:05.000Z'), image);
    expect(dropped).toEqual(['s2', 's3']);
    expect(outbox.dropped).toBe(2);
    expect(outbox.bytes).toBeLessThanOrEqual(3 * 1400);
    const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
    expect(names).toEqual(['ns_job_s1.json', 'ns_job_s4.json', 'ns_job_s5.json']);
  });

  it('wakes a waiting uploader when a sample arrives', async () => {
    const outbox = await Outbox.open(dir, { maxBytes: 1e6 });
    const abort = new AbortController();
    let woke = false;
    const waiting = outbox.waitForWork(abort.signal).then(() => (woke = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(woke).toBe(false);
    await outbox.add(record('w', new Date().toISOString()), Buffer.from('x'));
    await waiting;
    expect(woke).toBe(true);
    expect(outbox.countByJob().get('ns/job')).toBe(1);
  });
});
