import type { BaseModel } from '../../lib/algorithm-api/index.js';
import type { ModelManifest } from '../../lib/model-package/manifest.js';
import { ModelSlot, type LoadedModel } from '../../edge-agent/model-slot.js';

function fakeLoaded(version: string, disposed: string[]): LoadedModel {
  const model = { dispose: async () => void disposed.push(version) } as unknown as BaseModel;
  return { version, sha256: version, manifest: {} as ModelManifest, model, dir: `/m/${version}` };
}

describe('ModelSlot', () => {
  it('swaps atomically: a lease keeps the old model alive until released, then it is disposed once', async () => {
    const disposed: string[] = [];
    const slot = new ModelSlot();
    expect(slot.acquire()).toBeNull();
    await slot.swap(fakeLoaded('v1', disposed));
    const inflight = slot.acquire()!;
    expect(inflight.loaded.version).toBe('v1');

    let drained = false;
    const drain = slot.swap(fakeLoaded('v2', disposed)).then(() => (drained = true));
    const probe = slot.acquire()!;
    expect(probe.loaded.version).toBe('v2');
    probe.release();
    await new Promise((r) => setTimeout(r, 10));
    expect(disposed).toEqual([]);
    expect(drained).toBe(false);

    inflight.release();
    inflight.release(); // a second release is a no-op
    await drain;
    expect(disposed).toEqual(['v1']);
    const last = slot.acquire()!;
    const cleared = slot.clear();
    expect(slot.acquire()).toBeNull();
    await new Promise((r) => setTimeout(r, 10));
    expect(disposed).toEqual(['v1']); // v2 is still leased
    last.release();
    await cleared;
    expect(disposed).toEqual(['v1', 'v2']);
  });
});
