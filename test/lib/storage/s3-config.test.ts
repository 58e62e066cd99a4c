import { s3ConfigFromEnv } from '../../../lib/storage/s3-config.js';

describe('s3ConfigFromEnv', () => {
  test('reads the S3_* variables', () => {
    expect(
      s3ConfigFromEnv({ S3_ENDPOINT: 'http://127.0.0.1:9000', S3_ACCESS_KEY: 'ak', S3_SECRET_KEY: 'sk' }),
    ).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      accessKey: 'ak',
      secretKey: 'sk',
    });
  });

  test('falls back to the AWS credential names and reads the region', () => {
    expect(
      s3ConfigFromEnv({
        S3_ENDPOINT: 'https://s3.example',
        AWS_ACCESS_KEY_ID: 'ak',
        AWS_SECRET_ACCESS_KEY: 'sk',
        AWS_REGION: 'eu-west-1',
      }),
    ).toEqual({ endpoint: 'https://s3.example', accessKey: 'ak', secretKey: 'sk', region: 'eu-west-1' });
  });

  test('names every missing variable and never echoes a secret', () => {
    expect(() => s3ConfigFromEnv({ S3_SECRET_KEY: 'top-secret' })).toThrow(
      expect.objectContaining({
        code: 'S3_CONFIG_MISSING',
        message: 'S3 is not configured: set S3_ENDPOINT, S3_ACCESS_KEY (or AWS_ACCESS_KEY_ID)',
      }),
    );
    expect(() => s3ConfigFromEnv({})).toThrow(
      /S3_ENDPOINT, S3_ACCESS_KEY \(or AWS_ACCESS_KEY_ID\), S3_SECRET_KEY/,
    );
  });
});
