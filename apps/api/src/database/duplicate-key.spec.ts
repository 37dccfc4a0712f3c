import { isDuplicateKeyError, onlyDuplicateKeys } from './duplicate-key';

describe('duplicate-key errors', () => {
  it('recognises a unique index violation and nothing else', () => {
    expect(isDuplicateKeyError({ code: 11000 })).toBe(true);
    expect(isDuplicateKeyError({ code: 11001 })).toBe(false);
    expect(isDuplicateKeyError(new Error('E11000'))).toBe(false);
    expect(isDuplicateKeyError(null)).toBe(false);
  });

  it('accepts a bulk write that failed only for documents already there', () => {
    expect(onlyDuplicateKeys({ writeErrors: [{ code: 11000 }, { code: 11000 }] })).toBe(true);
    expect(onlyDuplicateKeys({ writeErrors: [{ code: 11000 }, { code: 2 }] })).toBe(false);
    expect(onlyDuplicateKeys({ writeErrors: [] })).toBe(false);
    // The driver gives a single write error as an object.
    expect(onlyDuplicateKeys({ code: 65, writeErrors: { index: 3, code: 11000 } })).toBe(true);
    expect(onlyDuplicateKeys({ code: 65, writeErrors: { index: 3, code: 2 } })).toBe(false);
    expect(onlyDuplicateKeys({ code: 11000 })).toBe(true);
    expect(onlyDuplicateKeys('boom')).toBe(false);
  });
});
