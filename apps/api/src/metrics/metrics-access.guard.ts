import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { LoginCheck } from '../auth/login-check';
import { AppConfigService } from '../config/app-config.service';

/**
 * /metrics is not public: the Prometheus scraper sends METRICS_TOKEN as a Bearer token, a super
 * user its login token. Development mode (loopback only) keeps it open.
 */
@Injectable()
export class MetricsAccessGuard implements CanActivate {
  constructor(
    private readonly config: AppConfigService,
    private readonly login: LoginCheck,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.config.get('AUTH_MODE') === 'none') return true;
    const request = context.switchToHttp().getRequest<Request>();
    const presented = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (presented !== undefined && isMetricsToken(presented, this.config.get('METRICS_TOKEN'))) return true;
    const principal = await this.login.principalOf(request);
    if (principal === null) throw new UnauthorizedException('Metrics need METRICS_TOKEN or a super user login (Authorization: Bearer ...)');
    if (principal.role !== 'super') throw new ForbiddenException('Metrics are for super users');
    return true;
  }
}

function isMetricsToken(presented: string, expected: string): boolean {
  if (expected === '') return false;
  const [a, b] = [Buffer.from(presented), Buffer.from(expected)];
  return a.length === b.length && timingSafeEqual(a, b);
}
