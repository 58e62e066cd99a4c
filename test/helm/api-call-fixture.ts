/**
 * The committed record of the Kubernetes API calls the operator makes in its tests against the fake
 * API server (test/helm/fixtures/operator-api-calls.json), which rbac-coverage.test.ts checks against
 * the chart's RBAC. record-api-calls.setup.ts writes it. An operator test can also pass its server's
 * operator calls to {@link checkApiCallFixture}, so a new kind of call fails there until the fixture
 * (and hence the RBAC check) is updated; `UPDATE_RBAC_FIXTURE=1` rewrites the fixture instead.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callKey, normalizeCalls, type RbacCall } from './rbac.js';

export const API_CALLS_FIXTURE = join(
  dirname(fileURLToPath(import.meta.url)),
  'fixtures',
  'operator-api-calls.json',
);

/** The fixture's calls; throws when it has not been recorded yet. */
export function readApiCallFixture(): RbacCall[] {
  if (!existsSync(API_CALLS_FIXTURE)) {
    throw new Error(
      `${API_CALLS_FIXTURE} is missing: record it with npm test -- test/operator --setupFilesAfterEnv "$PWD/test/helm/record-api-calls.setup.ts"`,
    );
  }
  return JSON.parse(readFileSync(API_CALLS_FIXTURE, 'utf8')) as RbacCall[];
}

/**
 * Compares recorded calls with the fixture. Returns the calls the fixture lacks (the caller expects
 * none). With UPDATE_RBAC_FIXTURE=1 it writes the recorded calls as the new fixture and returns [].
 */
export function checkApiCallFixture(
  calls: readonly RbacCall[],
  env: NodeJS.ProcessEnv = process.env,
): RbacCall[] {
  const recorded = normalizeCalls(calls);
  if (env.UPDATE_RBAC_FIXTURE === '1') {
    writeFileSync(API_CALLS_FIXTURE, JSON.stringify(recorded, null, 2) + '\n');
    return [];
  }
  const known = new Set(readApiCallFixture().map(callKey));
  return recorded.filter((c) => !known.has(callKey(c)));
}
