export const FrameDecodeErrorReason = {
  TooShort: 'TOO_SHORT',
  NegativeLength: 'NEGATIVE_LENGTH',
  LengthMismatch: 'LENGTH_MISMATCH',
  CrcMismatch: 'CRC_MISMATCH',
} as const;

export type FrameDecodeErrorReason = (typeof FrameDecodeErrorReason)[keyof typeof FrameDecodeErrorReason];

/** Thrown by `decodeFrame` for bytes that are not a well-formed frame; `expected`/`actual` say why. */
export class FrameDecodeError extends Error {
  override readonly name = 'FrameDecodeError';

  constructor(
    readonly reason: FrameDecodeErrorReason,
    readonly expected: number,
    readonly actual: number,
    message: string,
  ) {
    super(message);
  }
}
