import { main } from '../../cli/main.js';
import { parseJob } from '../../cli/commands/labeling.js';

describe('edge-stl labeling and trainer command lines', () => {
  let errors: string[];
  let logs: string[];
  const original = { error: console.error, log: console.log };

  beforeEach(() => {
    errors = [];
    logs = [];
    console.error = (m: unknown) => void errors.push(String(m));
    console.log = (m: unknown) => void logs.push(String(m));
  });
  afterEach(() => Object.assign(console, original));

  it('prints usage on --help and exits 0', async () => {
    expect(await main(['labeling', '--help'])).toBe(0);
    expect(logs.join('\n')).toContain('Usage: edge-stl labeling');
    expect(await main(['trainer', '--help'])).toBe(0);
    expect(logs.join('\n')).toContain('Usage: edge-stl trainer');
  });

  it('rejects misuse with exit code 2 and a pointed message', async () => {
    expect(await main(['labeling', '--job', 'demo/pcb:defect'])).toBe(2);
    expect(errors.join('\n')).toContain('--bucket is required');
    expect(await main(['labeling', '--bucket', 'b', '--job', 'Demo/pcb'])).toBe(2);
    expect(errors.join('\n')).toContain('--job expects NS/JOB:CLASS');
    expect(await main(['labeling', '--bucket', 'b'])).toBe(2);
    expect(errors.join('\n')).toContain('give --from-cluster, or at least one --job or --auto-job');
    expect(await main(['labeling', '--bucket', 'b', '--from-cluster', '--job', 'demo/pcb:a'])).toBe(2);
    expect(errors.join('\n')).toContain('--from-cluster cannot be combined with --job or --auto-job');
    expect(await main(['labeling', '--bucket', 'b', '--job', 'demo/pcb:a', '--namespace', 'x'])).toBe(2);
    expect(errors.join('\n')).toContain('--kubeconfig and --namespace go with --from-cluster');
    expect(await main(['trainer', '--namespace', 'x'])).toBe(2);
    expect(errors.join('\n')).toContain('--kubeconfig and --namespace go with --credentials-from-jobs');
    expect(await main(['trainer', '--checkpoint-every', '0'])).toBe(2);
    expect(errors.join('\n')).toContain('--checkpoint-every expects an integer >= 1, got "0"');
    expect(await main(['trainer', '--bogus'])).toBe(2);
    expect(errors.join('\n')).toContain("Unknown option '--bogus'");
  });

  it('parses job specs with their classes and mode', () => {
    expect(parseJob('demo/pcb-aoi:defect, scratch', 'auto')).toEqual({
      namespace: 'demo',
      job: 'pcb-aoi',
      classes: ['defect', 'scratch'],
      mode: 'auto',
    });
  });
});
