import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectAsync } from 'mqtt';
import type { ResultMessage } from '../../edge-agent/result-sink.js';
import { infer, removeTempDirs, startTestAgent, testImage, waitFor } from './support/agent-harness.js';
import { tinyModelZip } from './support/tiny-model.js';

const MQTT_URL = 'mqtt://127.0.0.1:1883';

afterAll(removeTempDirs);

describe('results to the application', () => {
  it('delivers each result to the webhook (retrying a failure, never delaying the reply) and to MQTT', async () => {
    const model = await tinyModelZip(1);
    const received: ResultMessage[] = [];
    let calls = 0;
    // The first delivery is held until the inference has been answered (or 10 s, so a regression
    // fails instead of hanging): the reply must come while it is still held.
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((r) => (releaseFirst = r));
    let firstAnswered = false;
    const webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        calls += 1;
        // The first delivery is slow and fails: the inference must not wait for it, and it is retried.
        if (calls === 1)
          void Promise.race([firstHeld, new Promise((r) => setTimeout(r, 10_000).unref())]).then(() => {
            firstAnswered = true;
            res.writeHead(500).end();
          });
        else {
          received.push(JSON.parse(body) as ResultMessage);
          res.writeHead(204).end();
        }
      });
    });
    await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
    const topic = `edge-stl-test/results/${process.pid}-${Date.now()}`;
    const subscriber = await connectAsync(MQTT_URL);
    const published: ResultMessage[] = [];
    subscriber.on('message', (_t, payload) =>
      published.push(JSON.parse(payload.toString()) as ResultMessage),
    );
    await subscriber.subscribeAsync(topic, { qos: 1 });

    const agent = await startTestAgent({
      initialModel: model.path,
      sampling: { strategy: 'none' },
      webhookUrl: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/results`,
      mqttUrl: MQTT_URL,
      mqttTopic: topic,
      limits: { maxBackoffMs: 200 },
    });
    try {
      const res = await infer(agent.url, await testImage(7));
      expect(res.status).toBe(200);
      expect(firstAnswered).toBe(false); // answered while the webhook was still hanging
      releaseFirst();

      await waitFor(() => received.length === 1, 10_000, 'webhook delivery');
      await waitFor(() => published.length === 1, 10_000, 'MQTT publish');
      for (const message of [received[0], published[0]]) {
        expect(message).toMatchObject({
          node: 'edge-1',
          job: 'default/local',
          model: res.body.model,
          detections: res.body.detections,
          imageId: expect.stringMatching(/^[0-9a-f]{64}$/),
        });
      }
      const metrics = await (await fetch(`${agent.url}/metrics`)).text();
      expect(metrics).toMatch(
        /edge_stl_agent_result_deliveries_total\{sink="webhook",result="retried",node="edge-1"\} [1-9]/,
      );
      expect(metrics).toMatch(
        /edge_stl_agent_result_deliveries_total\{sink="webhook",result="delivered",node="edge-1"\} 1/,
      );
      expect(metrics).toMatch(
        /edge_stl_agent_result_deliveries_total\{sink="mqtt",result="delivered",node="edge-1"\} 1/,
      );
    } finally {
      await agent.close();
      await subscriber.endAsync();
      await new Promise((r) => webhook.close(r));
    }
  });

  it('counts and drops deliveries to an unreachable broker while inference goes on', async () => {
    const model = await tinyModelZip(1);
    const agent = await startTestAgent({
      initialModel: model.path,
      sampling: { strategy: 'none' },
      mqttUrl: 'mqtt://127.0.0.1:9',
      limits: { maxBackoffMs: 50 },
    });
    try {
      for (const seed of [1, 2]) expect((await infer(agent.url, await testImage(seed))).status).toBe(200);
      await waitFor(
        async () =>
          /result_deliveries_total\{sink="mqtt",result="dropped",node="edge-1"\} 2/.test(
            await (await fetch(`${agent.url}/metrics`)).text(),
          ),
        10_000,
        'two dropped deliveries',
      );
    } finally {
      await agent.close();
    }
  });
});
