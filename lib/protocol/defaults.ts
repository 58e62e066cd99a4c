/**
 * The heartbeat interval, s: what the operator asks of agents by default, and what an agent uses
 * until an operator has answered. One constant, so the two cannot drift apart.
 */
export const DEFAULT_HEARTBEAT_SECONDS = 10;
