import { HEADER_LENGTH, decodeFrame, encodeFrame } from './frame';
import { FrameDecodeError, FrameDecodeErrorReason } from './frame-decode.error';

// mulberry32: small, seeded, so a failure can be replayed.
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 0x5eed1234;
const CASES = 5000;

describe('decodeFrame on random input', () => {
  const random = prng(SEED);
  const int = (max: number): number => Math.floor(random() * max);
  const bytes = (length: number): Buffer => Buffer.from(Array.from({ length }, () => int(256)));
  const length = (): number => [int(HEADER_LENGTH), int(64), int(2048)][int(3)];

  function corrupt(frame: Buffer): Buffer {
    const copy = Buffer.from(frame);
    switch (int(5)) {
      case 0: // flip one bit anywhere
        if (copy.length > 0) copy[int(copy.length)] ^= 1 << int(8);
        return copy;
      case 1: // truncate
        return copy.subarray(0, int(copy.length));
      case 2: // append garbage
        return Buffer.concat([copy, bytes(1 + int(16))]);
      case 3: // overwrite a header byte
        copy[int(HEADER_LENGTH)] = int(256);
        return copy;
      default: // untouched: must decode
        return copy;
    }
  }

  it(`yields a Frame or a FrameDecodeError for ${CASES} inputs, never anything else`, () => {
    const outcomes = new Map<string, number>();
    for (let i = 0; i < CASES; i++) {
      const original = bytes(length());
      const useFrame = int(2) === 0;
      const input = useFrame ? corrupt(encodeFrame(original, int(2 ** 31))) : bytes(length());
      let outcome: string;
      try {
        const frame = decodeFrame(input);
        expect(frame.payload.length).toBe(input.length - HEADER_LENGTH);
        if (useFrame) expect(frame.payload.equals(original)).toBe(true);
        outcome = 'ok';
      } catch (error) {
        if (!(error instanceof FrameDecodeError)) throw new Error(`case ${i} (seed ${SEED}) threw ${String(error)}`);
        outcome = error.reason;
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    // The generator must actually reach every branch.
    for (const reason of [...Object.values(FrameDecodeErrorReason), 'ok']) {
      expect(outcomes.get(reason) ?? 0).toBeGreaterThan(0);
    }
    expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(CASES);
  });
});
