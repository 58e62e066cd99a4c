import { s3ConfigFromEnv } from '../../lib/storage/s3-config.js';
import { registerAlgorithms } from '../../lib/builtin-algorithms/register.js';
import { EDGE_AGENT_USAGE, parseEdgeAgentArgs } from '../../edge-agent/config.js';
import { startEdgeAgent } from '../../edge-agent/server.js';

export { EDGE_AGENT_USAGE as usage };

/**
 * `edge-stl edge-agent`: runs the edge agent until SIGTERM or SIGINT, then shuts down gracefully
 * (in-flight requests finish, the outbox stays consistent).
 */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseEdgeAgentArgs(argv, process.env, s3ConfigFromEnv);
  if (parsed.help) {
    console.log(EDGE_AGENT_USAGE);
    return 0;
  }
  // Before the agent opens: the model on disk (or --model) may name a plugin's alias. Without
  // plugins the built-ins are registered when a model first names one.
  if (parsed.plugins.length > 0) await registerAlgorithms(parsed.plugins);
  // Listen before starting: a SIGTERM during start-up (model loading) still shuts down cleanly.
  const stopRequested = new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  const running = await startEdgeAgent(parsed.options);
  await stopRequested;
  // The deadline holds whatever runs (a long inference, a stuck native call): past it the
  // process exits; the outbox is crash-safe, so nothing committed is lost.
  const { shutdownTimeoutMs } = running.config.limits;
  const hardStop = setTimeout(() => {
    console.error(`edge-agent: shutdown took longer than ${shutdownTimeoutMs} ms; exiting`);
    process.exit(1);
  }, shutdownTimeoutMs);
  hardStop.unref();
  await running.close();
  clearTimeout(hardStop);
  return 0;
}
