/** Runs `edge-stl edge-agent <args>` as its own process, for the SIGKILL and SIGTERM tests. */
import { main } from '../../../cli/main.js';
// The misbehaving test algorithms, so a test can hand this process a model that hangs.
import './test-models.js';

process.exitCode = await main(['edge-agent', ...process.argv.slice(2)]);
