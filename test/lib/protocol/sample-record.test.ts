import { sampleRecordProblem, type SampleRecord } from '../../../lib/protocol/index.js';

const record: SampleRecord = {
  id: 'a'.repeat(64),
  job: { namespace: 'factory', name: 'pcb' },
  node: 'edge-1',
  bucket: 'edge-stl',
  createdAt: '2026-01-01T00:00:00.000Z',
  model: { job: 'factory/pcb', version: 'v1' },
  reason: 'ibt',
  image: { width: 640, height: 480, format: 'jpeg' },
  detections: [{ class: 'defect', score: 0.4, box: { xmin: 1, ymin: 2, xmax: 30, ymax: 40 } }],
};

describe('the sample record contract', () => {
  it('accepts what the agent writes, and fields added later', () => {
    expect(sampleRecordProblem(record)).toBeUndefined();
    expect(sampleRecordProblem({ ...record, extra: { added: 'later' } })).toBeUndefined();
  });

  it('names the first problem: a missing field, an unsafe name, a malformed detection', () => {
    const { job: _job, ...withoutJob } = record;
    expect(sampleRecordProblem(withoutJob)).toMatch(/^\/job /);
    expect(sampleRecordProblem({ ...record, id: '../escape' })).toMatch(/^\/id /);
    expect(sampleRecordProblem({ ...record, node: 'a/b' })).toMatch(/^\/node /);
    const badBox = { class: 'defect', score: 0.4, box: { xmin: 1, ymin: 2, xmax: 30 } };
    expect(sampleRecordProblem({ ...record, detections: [badBox] })).toMatch(/^\/detections\/0\/box/);
    expect(sampleRecordProblem('not an object')).toMatch(/^\/ /);
  });
});
