import { createParamDecorator, ExecutionContext, UnauthorizedException } from '@nestjs/common';
import type { Principal } from './principal';

/** The authenticated principal of an HTTP request (see Principal). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const request = context.switchToHttp().getRequest<{ user?: Principal }>();
  if (!request.user) throw new UnauthorizedException();
  return request.user;
});
