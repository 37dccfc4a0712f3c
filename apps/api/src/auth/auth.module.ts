import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { MongooseModule } from '@nestjs/mongoose';
import { PassportModule } from '@nestjs/passport';
import { CompaniesModule } from '../companies/companies.module';
import { AppConfigService } from '../config/app-config.service';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JWT_ALGORITHM, jwtSecretOf } from './jwt-secret';
import { JwtStrategy } from './jwt.strategy';
import { LoginThrottle } from './login-throttle';
import { PrincipalGuard } from './principal.guard';
import { PrincipalRevalidator } from './principal-revalidator';
import { LoginCheck } from './login-check';
import { LegacyRevocationsMigration } from './legacy-revocations.migration';
import { RevokedToken, RevokedTokenSchema } from './revoked-token.schema';
import { RevokedTokensService } from './revoked-tokens.service';
import { EventsModule } from '../events/events.module';

@Module({
  imports: [
    EventsModule,
    PassportModule,
    JwtModule.registerAsync({
      inject: [AppConfigService],
      useFactory: (config: AppConfigService) => ({
        secret: jwtSecretOf(config),
        signOptions: { algorithm: JWT_ALGORITHM, expiresIn: config.get('JWT_EXPIRES_IN') as `${number}${'s' | 'm' | 'h' | 'd'}` },
        verifyOptions: { algorithms: [JWT_ALGORITHM] },
      }),
    }),
    MongooseModule.forFeature([{ name: RevokedToken.name, schema: RevokedTokenSchema }]),
    UsersModule,
    CompaniesModule,
  ],
  controllers: [AuthController],
  providers: [
    { provide: APP_GUARD, useClass: PrincipalGuard },
    JwtAuthGuard,
    JwtStrategy,
    AuthService,
    RevokedTokensService,
    LegacyRevocationsMigration,
    PrincipalRevalidator,
    LoginCheck,
    LoginThrottle,
  ],
  exports: [PrincipalRevalidator, LoginCheck],
})
export class AuthModule {}
