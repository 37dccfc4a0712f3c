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

export interface AccessTokenPayload {
  sub?: unknown;
  jti?: unknown;
  exp?: unknown;
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
    const [user, revoked] = await Promise.all([this.users.findEnabledById(sub), this.revokedTokens.isRevoked(jti)]);
    if (!user || revoked || !(await this.companies.isEnabled(user.companyId))) return null;
    return {
      userId: user._id.toString(),
      email: user.email,
      role: user.role,
      companyId: user.companyId,
      token: { id: jti, expiresAt: new Date(exp * 1000) },
    };
  }
}
