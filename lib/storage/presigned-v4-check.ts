import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The parts of a request a presigned-URL check reads (a Koa context has them). */
export interface PresignedRequest {
  method: string;
  /** Raw request target as sent: path and query, still percent-encoded. */
  url: string;
  get(header: string): string;
}

/** Why a presigned request is refused, or null when its signature and expiry hold. */
export type PresignedVerdict = null | { code: 'SignatureDoesNotMatch' | 'AccessDenied'; message: string };

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/**
 * Checks an AWS Signature V4 query-string (presigned) request against `secretKey`, as S3 does: the
 * signature covers method, path, query and the signed headers, so a URL signed for one key cannot
 * write another. s3rver skips V4 checks; the embedded endpoint runs this in front of it so tests and
 * local mode see what MinIO or AWS would answer.
 */
export function checkPresignedV4(
  req: PresignedRequest,
  secretKey: string,
  nowMs = Date.now(),
): PresignedVerdict {
  const [path, rawQuery = ''] = req.url.split('?', 2);
  const params = new URLSearchParams(rawQuery);
  const signature = params.get('X-Amz-Signature') ?? '';
  const credential = params.get('X-Amz-Credential') ?? '';
  const amzDate = params.get('X-Amz-Date') ?? '';
  const expires = Number(params.get('X-Amz-Expires'));
  const signedHeaders = (params.get('X-Amz-SignedHeaders') ?? '').split(';').filter(Boolean);
  const [, day, region, service, terminator] = credential.split('/');
  const signedAt = Date.parse(
    amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
  );
  if (!day || !region || service !== 's3' || terminator !== 'aws4_request' || !Number.isFinite(signedAt))
    return { code: 'AccessDenied', message: 'malformed presigned credential or date' };
  if (!Number.isInteger(expires) || expires < 1 || nowMs > signedAt + expires * 1000)
    return { code: 'AccessDenied', message: 'Request has expired' };
  const query = rawQuery
    .split('&')
    .filter((p) => p && !p.startsWith('X-Amz-Signature='))
    .map((p) => (p.includes('=') ? p : `${p}=`))
    .sort()
    .join('&');
  const headers = signedHeaders.map((h) => `${h}:${req.get(h).trim().replace(/ +/g, ' ')}\n`).join('');
  const canonical = [
    req.method.toUpperCase(),
    path,
    query,
    headers,
    signedHeaders.join(';'),
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonical).digest('hex'),
  ].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretKey}`, day), region), 's3'), 'aws4_request');
  const expected = Buffer.from(createHmac('sha256', key).update(toSign).digest('hex'));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return {
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided.',
    };
  return null;
}
