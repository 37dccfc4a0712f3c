import { survivesPasswordChange } from './token-validity';

describe('survivesPasswordChange', () => {
  const token = { id: 't1', issuedAtMs: 1_000_000 };

  it('keeps every token of a user whose password never changed', () => {
    expect(survivesPasswordChange(token, {})).toBe(true);
  });

  it('ends tokens issued before the change, except the one that made it', () => {
    expect(survivesPasswordChange(token, { tokensIssuedBefore: 1_000_001, keptTokenId: 'other' })).toBe(false);
    expect(survivesPasswordChange(token, { tokensIssuedBefore: 1_000_001, keptTokenId: 't1' })).toBe(true);
    expect(survivesPasswordChange({ id: 't2', issuedAtMs: 1_000_001 }, { tokensIssuedBefore: 1_000_001, keptTokenId: '' })).toBe(true);
  });
});
