import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { Request } from 'express';
import { ExtractJwt } from 'passport-jwt';
import { JwtStrategy, type AccessTokenPayload } from './jwt.strategy';
import type { Principal } from './principal';

const fromBearerHeader = ExtractJwt.fromAuthHeaderAsBearerToken();

/**
 * The logged-in principal of a request outside Nest's guards (routes mounted on Express directly),
 * or null. A token that does not verify (forged, malformed, expired) is no login; a failure to
 * read its user (the database) rejects, as the guard's does, and is not taken for "not logged in".
 */
@Injectable()
export class LoginCheck {
  constructor(
    private readonly jwt: JwtService,
    private readonly strategy: JwtStrategy,
  ) {}

  async principalOf(request: Request): Promise<Principal | null> {
    const token = fromBearerHeader(request);
    if (!token) return null;
    const payload = await this.jwt.verifyAsync<AccessTokenPayload & object>(token).catch(() => null);
    return payload === null ? null : this.strategy.validate(payload);
  }
}
