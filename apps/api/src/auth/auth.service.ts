import { HttpException, HttpStatus, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { LoginDto, LoginResponseDto } from '@upgrade-manager/dto';
import { randomUUID } from 'node:crypto';
import { CompaniesService } from '../companies/companies.service';
import { EventsService } from '../events/events.service';
import { PasswordHasher } from '../users/password-hasher.service';
import { UsersService } from '../users/users.service';
import { LoginThrottle } from './login-throttle';
import type { Principal } from './principal';
import { RevokedTokensService } from './revoked-tokens.service';

// One message for every wrong credential, so answers never tell which accounts exist.
export const INVALID_CREDENTIALS_MESSAGE = 'Invalid email or password';

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly users: UsersService,
    private readonly companies: CompaniesService,
    private readonly hasher: PasswordHasher,
    private readonly jwt: JwtService,
    private readonly revokedTokens: RevokedTokensService,
    private readonly events: EventsService,
    private readonly throttle: LoginThrottle,
  ) {}

  async login(dto: LoginDto, address: string): Promise<LoginResponseDto> {
    const account = dto.email.trim().toLowerCase();
    const attempt = await this.throttle.begin(account, address);
    if (!attempt.allowed) {
      this.logger.warn(`Login throttled for ${account} from ${address}`);
      const { retryAfterSeconds } = attempt;
      throw new HttpException(
        { statusCode: HttpStatus.TOO_MANY_REQUESTS, message: 'Too many failed logins; try again later', retryAfterSeconds },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }

    const user = await this.users.findForLogin(account);
    const passwordMatches = await this.hasher.verify(user?.passwordHash, dto.password);
    if (!user || !passwordMatches || !user.enabled || !(await this.companies.isEnabled(user.companyId))) {
      await attempt.failed();
      this.logger.warn(`Failed login for ${account} from ${address}`);
      throw new UnauthorizedException(INVALID_CREDENTIALS_MESSAGE);
    }
    await attempt.succeeded();

    const userId = user._id.toString();
    // iat_ms: a password change ends the tokens issued before it, to the millisecond.
    const accessToken = await this.jwt.signAsync({ sub: userId, iat_ms: Date.now() }, { jwtid: randomUUID() });
    await this.events.record({ type: 'user.logged-in', companyId: user.companyId, actor: { userId, email: user.email }, details: { address } });
    return { accessToken, user: { id: userId, email: user.email, name: user.name, role: user.role, companyId: user.companyId } };
  }

  async logout(principal: Principal): Promise<void> {
    // Development mode has no token and no account to log out.
    if (!principal.token) return;
    await this.revokedTokens.revoke(principal.token.id, principal.token.expiresAt);
    await this.events.record({ type: 'user.logged-out', companyId: principal.companyId, actor: principal });
  }
}
