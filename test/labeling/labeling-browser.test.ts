import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { parseVoc } from '../../lib/dataset/voc.js';
import { labeledIndexKey } from '../../lib/storage/layout.js';
import type { ObjectStore } from '../../lib/storage/object-store.js';
import { startLabeling, type LabelingService } from '../../labeling/server.js';
import { ARTIFACTS_DIR as ARTIFACTS, launchChromium } from '../support/browser.js';
import { testRedisUrl, testStore, uniqueBucket } from '../support/env.js';
import { makeJpeg, putSample } from './sample-fixtures.js';

const TOKEN = 'browser-token-xyz';
const NS = 'demo';
const JOB = 'browser';

describe('labeling page in a real browser', () => {
  let store: ObjectStore;
  let bucket: string;
  let service: LabelingService;
  let browser: Browser;

  beforeAll(async () => {
    store = testStore();
    bucket = uniqueBucket('labeling-browser');
    await store.ensureBucket(bucket);
    service = await startLabeling({
      store,
      bucket,
      token: TOKEN,
      jobs: [{ namespace: NS, job: JOB, classes: ['defect', 'scratch'] }],
      redisUrl: testRedisUrl(),
      port: 0,
      host: '127.0.0.1',
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it('logs in, deletes a predicted box, draws and adjusts a box, picks its class, saves VOC to S3', async () => {
    const node = 'edge-b';
    const jpeg = await makeJpeg(320, 240, [{ class: 'x', xmin: 150, ymin: 100, xmax: 250, ymax: 180 }], 5);
    const id = await putSample(store, bucket, { namespace: NS, job: JOB, node }, jpeg, [
      { class: 'defect', score: 0.35, box: { xmin: 20, ymin: 20, xmax: 80, ymax: 60 } },
    ]);

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${service.url}/?job=${NS}/${JOB}`);
    await page.getByTestId('token').fill(TOKEN);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('status').filter({ hasText: '1 predicted box' }).waitFor();
    await page.getByTestId('counts').filter({ hasText: '1 pending' }).waitFor();

    const canvas = await page.getByTestId('canvas').boundingBox();
    if (!canvas) throw new Error('canvas not laid out');
    // Page coordinates of an image pixel (the page scales the image to fit).
    const scale = canvas.width / 320;
    const at = (x: number, y: number) => [canvas.x + x * scale, canvas.y + y * scale] as const;

    // Pick the class, draw a box, then drag its bottom-right corner.
    await page.getByTestId('class').selectOption('scratch');
    await page.mouse.move(...at(150, 100));
    await page.mouse.down();
    await page.mouse.move(...at(200, 140), { steps: 4 });
    await page.mouse.move(...at(240, 170), { steps: 4 });
    await page.mouse.up();
    await page.mouse.move(...at(240, 170));
    await page.mouse.down();
    await page.mouse.move(...at(250, 180), { steps: 4 });
    await page.mouse.up();

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'labeling-page.png') });

    // Select the edge model's predicted box and delete it with the keyboard.
    await page.mouse.click(...at(50, 40));
    await page.keyboard.press('d');
    await page.getByTestId('save').click();
    await page.getByTestId('status').filter({ hasText: 'Saved 1 box(es)' }).waitFor();
    await page.getByTestId('counts').filter({ hasText: '0 pending' }).waitFor();

    const stem = `${node}_${id}`;
    const xml = (await store.getBuffer(bucket, `labeled/${NS}/${JOB}/Annotations/${stem}.xml`)).toString(
      'utf8',
    );
    const voc = parseVoc(xml, 'browser.xml');
    expect(voc).toMatchObject({ filename: `${stem}.jpeg`, width: 320, height: 240 });
    expect(voc.objects).toHaveLength(1);
    const [box] = voc.objects;
    expect(box.name).toBe('scratch');
    for (const [got, want] of [
      [box.xmin, 151],
      [box.ymin, 101],
      [box.xmax, 250],
      [box.ymax, 180],
    ]) {
      expect(Math.abs(got - want)).toBeLessThanOrEqual(2);
    }
    const index = (await store.getBuffer(bucket, labeledIndexKey(NS, JOB))).toString('utf8');
    expect(index).toBe(`./JPEGImages/${stem}.jpeg ./Annotations/${stem}.xml\n`);
    await page.close();

    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain('edge_stl_labeling_saves_total{method="manual"} 1');
  });
});
