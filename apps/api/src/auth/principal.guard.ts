import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppConfigService } from '../config/app-config.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { DEVELOPMENT_PRINCIPAL, type Principal } from './principal';
import { IS_PUBLIC_KEY } from './public.decorator';

/**
 * Global guard: every HTTP route needs a principal unless marked @Public().
 * Development mode acts as the super user; otherwise the JWT strategy authenticates.
 */
@Injectable()
export class PrincipalGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfigService,
    private readonly jwtGuard: JwtAuthGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<{ user?: Principal }>();
    if (this.config.get('AUTH_MODE') === 'none') {
      request.user = DEVELOPMENT_PRINCIPAL;
      return true;
    }
    return (await this.jwtGuard.canActivate(context)) as boolean;
  }
}
