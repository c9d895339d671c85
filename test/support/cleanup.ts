import { gcs } from '@bulk-export/testing';

/**
 * After every end-to-end test file: the buckets it created go, with what the exports wrote
 * (its TestSystem deletes its topics and staging when stopped). KEEP_TEST_DATA=1 keeps them.
 */
afterAll(async () => {
  if (!process.env.KEEP_TEST_DATA) await gcs.deleteCreatedBuckets();
});
