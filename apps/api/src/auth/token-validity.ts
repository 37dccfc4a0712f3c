import type { User } from '../users/user.schema';

export interface IssuedToken {
  id: string;
  /** Milliseconds since the epoch (the token's `iat_ms` claim, or its `iat` in seconds). */
  issuedAtMs: number;
}

/** False for a token that a password change ended (see User.tokensIssuedBefore). */
export function survivesPasswordChange(token: IssuedToken, user: Pick<User, 'tokensIssuedBefore' | 'keptTokenId'>): boolean {
  if (user.tokensIssuedBefore === undefined || user.tokensIssuedBefore === null) return true;
  return token.issuedAtMs >= user.tokensIssuedBefore || token.id === user.keptTokenId;
}
