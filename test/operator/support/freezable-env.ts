import { FreezeProxy } from '../../support/freeze-proxy.js';
import { startOperatorEnv, type OperatorEnv } from './operator-env.js';

/** An operator env with a FreezeProxy in front of its API server: operators started with `apiUrl: proxy.url` can be cut off. */
export interface FreezableEnv {
  env: OperatorEnv;
  proxy: FreezeProxy;
}

/** Sets a FreezableEnv up before the tests of the calling describe block and tears it down after them. */
export function useFreezableEnv(name: string): FreezableEnv {
  const fixture = {} as FreezableEnv;
  beforeAll(async () => {
    fixture.env = await startOperatorEnv(name);
    fixture.proxy = new FreezeProxy(fixture.env.api.url);
    await fixture.proxy.start();
  });
  afterAll(async () => {
    fixture.proxy.thaw();
    await fixture.env.close();
    await fixture.proxy.close();
  });
  return fixture;
}
