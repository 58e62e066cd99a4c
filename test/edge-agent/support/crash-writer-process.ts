/**
 * The process crash-atomicity.test.ts kills (with crash-points.ts preloaded). Modes:
 * - `atomic <file>`: replaces <file> with versions 1..VERSIONS through writeFileAtomic, printing
 *   `wrote <v>` after each returns.
 * - `outbox <dir>`: adds SAMPLES samples to an Outbox in <dir>, printing `committed <id>` after each.
 * The contents are what crash-samples.ts generates, so the test knows what whole looks like.
 */
import { writeFileAtomic } from '../../../lib/fs/atomic-write.js';
import { Outbox } from '../../../edge-agent/outbox.js';
import { SAMPLES, VERSIONS, sampleOf, versionText } from './crash-samples.js';

const [mode, target] = process.argv.slice(2);
if (mode === 'atomic') {
  for (let v = 1; v <= VERSIONS; v++) {
    await writeFileAtomic(target, versionText(v), { durable: true });
    process.stdout.write(`wrote ${v}\n`);
  }
} else if (mode === 'outbox') {
  const outbox = await Outbox.open(target, { maxBytes: 1 << 30 });
  for (let i = 0; i < SAMPLES; i++) {
    const { record, jpeg } = sampleOf(i);
    await outbox.add(record, jpeg);
    process.stdout.write(`committed ${record.id}\n`);
  }
} else {
  process.stderr.write(`usage: crash-writer-process.ts atomic FILE | outbox DIR\n`);
  process.exit(2);
}
