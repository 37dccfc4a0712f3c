import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { Request } from 'express';
import { ExtractJwt } from 'passport-jwt';
import { JwtStrategy } from './jwt.strategy';
import type { Principal } from './principal';

const fromBearerHeader = ExtractJwt.fromAuthHeaderAsBearerToken();

/** The logged-in principal of a request outside Nest's guards (routes mounted on Express directly), or null. */
@Injectable()
export class LoginCheck {
  constructor(
    private readonly jwt: JwtService,
    private readonly strategy: JwtStrategy,
  ) {}

  async principalOf(request: Request): Promise<Principal | null> {
    const token = fromBearerHeader(request);
    if (!token) return null;
    try {
      return await this.strategy.validate(await this.jwt.verifyAsync(token));
    } catch {
      return null;
    }
  }
}
