import { Injectable, UnauthorizedException } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';

/** The guard's one answer to a missing, invalid, expired or revoked login (401). */
export function authenticationRequired(): UnauthorizedException {
  return new UnauthorizedException('Authentication required');
}

/** Passport's JWT guard with one generic 401 whatever was wrong with the token. */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  override handleRequest<TUser>(error: unknown, user: TUser | false | null): TUser {
    if (error) throw error;
    if (!user) throw authenticationRequired();
    return user;
  }
}
