// Container HEALTHCHECK for the edge-stl image. Docker runs it beside PID 1, so it reads PID 1's
// command line to learn which subcommand runs and on which port, then GETs /healthz. One-shot
// subcommands (validate, train, ...) serve nothing and count as healthy. Kubernetes ignores
// HEALTHCHECK and uses the chart's probes; this serves `docker run` and compose users.
/* global fetch, AbortSignal */
import { readFileSync } from 'node:fs';

const SERVERS = new Set(['operator', 'trainer', 'labeling', 'edge-agent', 'up']);

function argv() {
  try {
    // HEALTHCHECK_CMDLINE points elsewhere only in tests.
    return readFileSync(process.env.HEALTHCHECK_CMDLINE ?? '/proc/1/cmdline', 'utf8')
      .split('\0')
      .filter(Boolean);
  } catch {
    return [];
  }
}

function portOf(args) {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--port=')) return a.slice('--port='.length);
    if (a === '--port' && args[i + 1]) return args[i + 1];
  }
  return process.env.HEALTHCHECK_PORT ?? process.env.EDGE_STL_PORT ?? '8080';
}

const args = argv();
const entry = args.findIndex((a) => a.endsWith('edge-stl.js'));
const subcommand = entry >= 0 ? args[entry + 1] : undefined;
if (!subcommand || !SERVERS.has(subcommand)) process.exit(0);

const url = `http://127.0.0.1:${portOf(args)}/healthz`;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  console.error(`healthcheck ${url}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
