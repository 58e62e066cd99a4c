import { describe, expect, it } from '@jest/globals';
import { jobKey, jobKeyFromText, parseJobKey } from '../../../lib/protocol/job-key.js';

describe('job keys', () => {
  it('round-trips <namespace>/<name>', () => {
    expect(parseJobKey(jobKey({ namespace: 'line-2', name: 'pcb-aoi.v2' }))).toEqual({
      namespace: 'line-2',
      name: 'pcb-aoi.v2',
    });
  });

  it('reads a job a user names, by the name patterns every part uses', () => {
    expect(jobKeyFromText('default/pcb-aoi')).toEqual({ namespace: 'default', name: 'pcb-aoi' });
    expect(jobKeyFromText('default/pcb.aoi-1')).toEqual({ namespace: 'default', name: 'pcb.aoi-1' });
    for (const bad of [
      'pcb-aoi',
      'default/',
      '/pcb-aoi',
      'Default/pcb',
      'default/pcb-',
      'a.b/pcb',
      'x/y/z',
      `${'n'.repeat(64)}/job`,
    ])
      expect(jobKeyFromText(bad)).toBeNull();
  });
});
