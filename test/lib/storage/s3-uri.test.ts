import { formatS3Uri, isValidBucketName, parseS3Uri, resolveS3Uri } from '../../../lib/storage/s3-uri.js';
import { StorageError } from '../../../lib/storage/storage-error.js';

describe('parseS3Uri', () => {
  test.each([
    ['s3://bucket/key.txt', 'bucket', 'key.txt'],
    ['s3://my.bucket-1/a/b/c.jpeg', 'my.bucket-1', 'a/b/c.jpeg'],
    ['s3://bucket/prefix/', 'bucket', 'prefix/'],
    ['s3://bucket', 'bucket', ''],
    ['s3://bucket/', 'bucket', ''],
    ['s3://bucket/with space/ü.txt', 'bucket', 'with space/ü.txt'],
  ])('%s', (uri, bucket, key) => {
    expect(parseS3Uri(uri)).toEqual({ bucket, key });
  });

  test.each([
    ['http://bucket/key', /Not an s3:\/\/ URI/],
    ['bucket/key', /Not an s3:\/\/ URI/],
    ['s3:///key', /Missing bucket/],
    ['s3://', /Missing bucket/],
    ['s3://Upper/key', /Invalid bucket name "Upper"/],
    ['s3://ab/key', /Invalid bucket name "ab"/],
    ['s3://under_score/key', /Invalid bucket name/],
    ['s3://192.168.1.1/key', /Invalid bucket name/],
    ['s3://a..b/key', /Invalid bucket name/],
    ['s3://bucket//key', /starts with "\/"/],
  ])('refuses %s', (uri, message) => {
    let error: unknown;
    try {
      parseS3Uri(uri);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: 'INVALID_S3_URI', message: expect.stringMatching(message) });
  });
});

describe('formatS3Uri / resolveS3Uri', () => {
  test('formatS3Uri is the inverse of parseS3Uri', () => {
    expect(formatS3Uri('bucket', 'models/ns/job/v1/model.zip')).toBe(
      's3://bucket/models/ns/job/v1/model.zip',
    );
    expect(parseS3Uri(formatS3Uri('bucket', 'a/b'))).toEqual({ bucket: 'bucket', key: 'a/b' });
    expect(formatS3Uri('bucket')).toBe('s3://bucket/');
    expect(() => formatS3Uri('Bad_Bucket', 'k')).toThrow(StorageError);
  });

  test('resolveS3Uri resolves relative to the directory of the base, as Ianvs index paths are', () => {
    expect(resolveS3Uri('s3://bkt/datasets/pcb/train/index.txt', 'JPEGImages/1.jpg')).toBe(
      's3://bkt/datasets/pcb/train/JPEGImages/1.jpg',
    );
    expect(resolveS3Uri('s3://bkt/datasets/pcb/train/index.txt', '../Annotations/1.xml')).toBe(
      's3://bkt/datasets/pcb/Annotations/1.xml',
    );
    expect(resolveS3Uri('s3://bkt/index.txt', './x.jpg')).toBe('s3://bkt/x.jpg');
  });

  test('isValidBucketName follows the S3 rules', () => {
    expect(isValidBucketName('edge-stl')).toBe(true);
    expect(isValidBucketName('a'.repeat(63))).toBe(true);
    expect(isValidBucketName('a'.repeat(64))).toBe(false);
    expect(isValidBucketName('-edge')).toBe(false);
  });
});
