import { checkPresignedV4 } from '../../../lib/storage/presigned-v4-check.js';
import { testS3Config, testStore, uniqueBucket } from '../../support/env.js';

/** The embedded endpoint checks presigned URLs as S3 does: signature over the key, and expiry. */
describe('checkPresignedV4', () => {
  const store = testStore();
  const { secretKey } = testS3Config();
  const asRequest = (url: string, method = 'PUT') => {
    const u = new URL(url);
    return {
      method,
      url: u.pathname + u.search,
      get: (h: string) => (h.toLowerCase() === 'host' ? u.host : ''),
    };
  };

  it('accepts the URL as signed, and refuses another key, another method, an expired URL or a wrong secret', async () => {
    const bucket = uniqueBucket('presign');
    const url = await store.presignedPutUrl(bucket, 'samples/ns/job/node-a/abc.jpeg', 60);
    expect(checkPresignedV4(asRequest(url), secretKey)).toBeNull();
    const moved = url.replace('/node-a/', '/node-b/');
    expect(checkPresignedV4(asRequest(moved), secretKey)?.code).toBe('SignatureDoesNotMatch');
    expect(checkPresignedV4(asRequest(url, 'DELETE'), secretKey)?.code).toBe('SignatureDoesNotMatch');
    expect(checkPresignedV4(asRequest(url), secretKey, Date.now() + 61_000)?.code).toBe('AccessDenied');
    expect(checkPresignedV4(asRequest(url), 'not-the-secret')?.code).toBe('SignatureDoesNotMatch');
    expect(
      checkPresignedV4(asRequest(url.replace(/X-Amz-Credential=[^&]+/, 'X-Amz-Credential=x')), secretKey)
        ?.code,
    ).toBe('AccessDenied');
  });

  it('is what the embedded endpoint answers: 403 for a URL moved to another key', async () => {
    const bucket = uniqueBucket('presign-http');
    await store.ensureBucket(bucket);
    const url = await store.presignedPutUrl(bucket, 'samples/ns/job/node-a/abc.jpeg', 60);
    const moved = await fetch(url.replace('/node-a/', '/node-b/'), { method: 'PUT', body: 'x' });
    expect(moved.status).toBe(403);
    expect(await moved.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect((await fetch(url, { method: 'PUT', body: 'x' })).status).toBe(200);
  });
});
