import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfigService } from '../config/app-config.service';
import { HttpRateLimitGuard } from './http-rate-limit.guard';

const MINUTE_MS = 60_000;

/**
 * Requests per client address and minute (HTTP_RATE_LIMIT_PER_MINUTE), beyond which the API
 * answers 429 with Retry-After. The address is the proxy's unless TRUST_PROXY names it. Counted
 * per process: it bounds the load one client puts on each; logins have their own throttle in the
 * database (auth/login-throttle.ts).
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfigService],
      useFactory: (config: AppConfigService) => ({ throttlers: [{ ttl: MINUTE_MS, limit: config.get('HTTP_RATE_LIMIT_PER_MINUTE') }] }),
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: HttpRateLimitGuard }],
})
export class RateLimitModule {}
