import { Injectable } from '@nestjs/common';
import { CompaniesService } from '../companies/companies.service';
import { UsersService } from '../users/users.service';
import type { Principal } from './principal';
import { RevokedTokensService } from './revoked-tokens.service';
import { survivesPasswordChange } from './token-validity';

/**
 * Checks again, during a long request (a live stream), what the login checked at its start: a
 * request that outlives its login must end when the token is revoked or expires, or when its user
 * is disabled or changes role or company (its scope was fixed when it began).
 */
@Injectable()
export class PrincipalRevalidator {
  constructor(
    private readonly users: UsersService,
    private readonly companies: CompaniesService,
    private readonly revokedTokens: RevokedTokensService,
  ) {}

  /**
   * Why each principal no longer holds, or null while it does, in order, with three reads however
   * many there are. Development mode (no token) always holds.
   */
  async endReasons(principals: readonly Principal[], now = Date.now()): Promise<(string | null)[]> {
    const tokened = principals.filter((principal) => principal.token && principal.token.expiresAt.getTime() > now);
    const [users, revoked] = await Promise.all([
      this.users.findEnabledByIds(distinct(tokened.map((principal) => principal.userId))),
      this.revokedTokens.revokedOf(distinct(tokened.map((principal) => principal.token?.id ?? ''))),
    ]);
    const disabledCompanies = await this.companies.disabledOf(distinct([...users.values()].map((user) => user.companyId)));
    return principals.map((principal) => {
      const token = principal.token;
      if (!token) return null;
      if (token.expiresAt.getTime() <= now) return 'token expired';
      const user = users.get(principal.userId);
      if (revoked.has(token.id)) return 'token revoked';
      if (!user) return 'user disabled or deleted';
      if (!survivesPasswordChange(token, user)) return 'password changed';
      if (user.role !== principal.role || user.companyId !== principal.companyId) return 'role or company changed';
      if (disabledCompanies.has(user.companyId)) return 'company disabled';
      return null;
    });
  }
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)];
}
