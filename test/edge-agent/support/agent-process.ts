/** Runs `edge-stl edge-agent <args>` as its own process, for the SIGKILL test. */
import { main } from '../../../cli/main.js';

process.exitCode = await main(['edge-agent', ...process.argv.slice(2)]);
