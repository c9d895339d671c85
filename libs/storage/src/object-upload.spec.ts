import { randomBytes } from 'node:crypto';
import { CRC32C } from '@google-cloud/storage';
import { nativeCrc32c } from './object-upload';

describe('nativeCrc32c', () => {
  it("gives the GCS client's CRC32C of data fed in pieces, and validates it", () => {
    for (const sizes of [[0], [1], [3, 5000, 1], [65536, 65536, 7]]) {
      const ours = nativeCrc32c();
      const theirs = new CRC32C();
      for (const size of sizes) {
        const piece = randomBytes(size);
        ours.update(piece);
        theirs.update(piece);
      }
      expect(ours.toString()).toBe(theirs.toString());
      expect(ours.validate(theirs.toString())).toBe(true);
      expect(ours.validate('AAAAAA==')).toBe(ours.toString() === 'AAAAAA==');
    }
    // The value GCS documents for the bytes of 'data'.
    const data = nativeCrc32c();
    data.update(Buffer.from('data'));
    expect(data.toString()).toBe('rth90Q==');
  });
});
