export const PayloadErrorCode = {
  TooLarge: 'TOO_LARGE',
  InvalidUtf8: 'INVALID_UTF8',
  MalformedJson: 'MALFORMED_JSON',
  NotAnObject: 'NOT_AN_OBJECT',
  MissingField: 'MISSING_FIELD',
  InvalidField: 'INVALID_FIELD',
} as const;

export type PayloadErrorCode = (typeof PayloadErrorCode)[keyof typeof PayloadErrorCode];

/** Thrown by the payload parsers and builders; `field` names the offending JSON field, if any. */
export class PayloadError extends Error {
  override readonly name = 'PayloadError';

  constructor(
    readonly code: PayloadErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
