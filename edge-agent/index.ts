/** The edge agent's public API: start one in-process, or parse the CLI configuration. */
export { startEdgeAgent, type RunningEdgeAgent, type StartEdgeAgentDeps } from './server.js';
export { EdgeAgent, type InferRequest, type InferResult } from './agent.js';
export {
  resolveEdgeAgentConfig,
  parseEdgeAgentArgs,
  EDGE_AGENT_USAGE,
  DEFAULT_LIMITS,
  DEFAULT_SAMPLING,
  type EdgeAgentConfig,
  type EdgeAgentLimits,
  type EdgeAgentOptions,
} from './config.js';
export { AgentError } from './agent-error.js';
export type { SampleRecord } from '../lib/protocol/index.js';
export type { ResultMessage } from './result-sink.js';
