import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { decompressFrame, compressFrame } from 'lz4-napi';
import { decompress as zstdDecompress } from 'fzstd';
// kafkajs-snappy has no types; it exports a codec factory handling Kafka's xerial framing.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SnappyCodec = require('kafkajs-snappy') as () => {
  compress(e: { buffer: Buffer }): Promise<Buffer>;
  decompress(b: Buffer): Promise<Buffer>;
};

let registered = false;

/**
 * kafkajs reads only gzip by itself, but customers' producers compress with LZ4, Snappy or
 * Zstandard too (librdkafka, kcat and the Java client offer all three). Registers those
 * codecs once per process: LZ4 frames through lz4-napi (a prebuilt native binding from
 * npm), Snappy through snappyjs, Zstandard decompression through fzstd (pure JavaScript;
 * we never produce zstd ourselves).
 */
export function registerCompressionCodecs(): void {
  if (registered) return;
  registered = true;
  CompressionCodecs[CompressionTypes.LZ4] = () => ({
    compress: async (encoder: { buffer: Buffer }) => compressFrame(encoder.buffer),
    decompress: async (buffer: Buffer) => decompressFrame(buffer),
  });
  CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    compress: async () => {
      throw new Error('producing zstd-compressed messages is not supported');
    },
    decompress: async (buffer: Buffer) => Buffer.from(zstdDecompress(buffer)),
  });
}
