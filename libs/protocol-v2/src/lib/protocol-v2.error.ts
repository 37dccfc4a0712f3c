export const ProtocolV2ErrorReason = {
  TooShort: 'V2_TOO_SHORT',
  TooLarge: 'V2_TOO_LARGE',
  InvalidUtf8: 'V2_INVALID_UTF8',
  MalformedJson: 'V2_MALFORMED_JSON',
  MissingField: 'V2_MISSING_FIELD',
  InvalidField: 'V2_INVALID_FIELD',
  BadRangeCount: 'V2_BAD_RANGE_COUNT',
  BadRange: 'V2_BAD_RANGE',
  RangesNotAscending: 'V2_RANGES_NOT_ASCENDING',
  TrailingBytes: 'V2_TRAILING_BYTES',
} as const;

export type ProtocolV2ErrorReason = (typeof ProtocolV2ErrorReason)[keyof typeof ProtocolV2ErrorReason];

/** Thrown by every v2 decoder (and by encoders given invalid input); `reason` is a stable code for metrics. */
export class ProtocolV2Error extends Error {
  override readonly name = 'ProtocolV2Error';

  constructor(
    readonly reason: ProtocolV2ErrorReason,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
