import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import { CompaniesService } from '../companies/companies.service';
import { AppConfigService } from '../config/app-config.service';
import { UsersService } from '../users/users.service';
import { extractAccessToken } from './access-token.extractor';
import { JWT_ALGORITHM, jwtSecretOf } from './jwt-secret';
import type { Principal } from './principal';
import { RevokedTokensService } from './revoked-tokens.service';
import { survivesPasswordChange } from './token-validity';

export interface AccessTokenPayload {
  sub?: unknown;
  jti?: unknown;
  exp?: unknown;
  iat?: unknown;
  iat_ms?: unknown;
}

/**
 * Verifies the login token, then checks on every request that the user still exists and is
 * enabled, its company is enabled and the token was not logged out: role and company come from
 * the database, so a change applies at once.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    config: AppConfigService,
    private readonly users: UsersService,
    private readonly companies: CompaniesService,
    private readonly revokedTokens: RevokedTokensService,
  ) {
    super({ jwtFromRequest: extractAccessToken, secretOrKey: jwtSecretOf(config), algorithms: [JWT_ALGORITHM], ignoreExpiration: false });
  }

  async validate(payload: AccessTokenPayload): Promise<Principal | null> {
    const { sub, jti, exp } = payload;
    if (typeof sub !== 'string' || typeof jti !== 'string' || typeof exp !== 'number') return null;
    const token = { id: jti, expiresAt: new Date(exp * 1000), issuedAtMs: issuedAtMsOf(payload) };
    const [user, revoked] = await Promise.all([this.users.findEnabledById(sub), this.revokedTokens.isRevoked(jti)]);
    if (!user || revoked || !survivesPasswordChange(token, user) || !(await this.companies.isEnabled(user.companyId))) return null;
    return { userId: user._id.toString(), email: user.email, role: user.role, companyId: user.companyId, token };
  }
}

function issuedAtMsOf(payload: AccessTokenPayload): number {
  if (typeof payload.iat_ms === 'number') return payload.iat_ms;
  return typeof payload.iat === 'number' ? payload.iat * 1000 : 0;
}
