import { BlockPool, StructureOfBlocks } from './block-pool';
import type { JsonStructure } from '../json/json-structure';

describe('StructureOfBlocks', () => {
  it('keeps the structure of every block when their answers come back in another order', async () => {
    // A pool whose answers come when the test says, the second block's first.
    const answers: ((structure: JsonStructure) => void)[] = [];
    const pool = {
      structure: () => new Promise<JsonStructure>((resolve) => answers.push(resolve)),
    } as unknown as BlockPool;
    const structure = new StructureOfBlocks(pool);
    const empty = new Uint8Array(0);
    await structure.add(empty, new Int32Array(0));
    await structure.add(empty, new Int32Array(0));
    expect(answers).toHaveLength(2);
    answers[1]({ b: 'BOOLEAN' });
    answers[0]({ a: 'BIGINT' });
    expect(await structure.result()).toEqual({ a: 'BIGINT', b: 'BOOLEAN' });
  });
});
