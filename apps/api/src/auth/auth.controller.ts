import { Body, Controller, Get, HttpCode, HttpStatus, Ip, Patch, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { LoginDto, LoginResponseDto, SUPER_COMPANY_ID, UpdateProfileDto, UserDto } from '@upgrade-manager/dto';
import { DomainError, DomainErrorCode } from '../common/domain.error';
import { AppConfigService } from '../config/app-config.service';
import { UsersService } from '../users/users.service';
import { AuthService } from './auth.service';
import { CurrentPrincipal } from './current-principal.decorator';
import type { Principal } from './principal';
import { Public } from './public.decorator';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
    private readonly config: AppConfigService,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Log in with email and password' })
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiUnauthorizedResponse({ description: 'Wrong email or password, or a disabled account (one message for all).' })
  @ApiTooManyRequestsResponse({ description: 'Too many failed logins for this account or address.' })
  login(@Body() dto: LoginDto, @Ip() address: string): Promise<LoginResponseDto> {
    return this.auth.login(dto, address);
  }

  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Log out: the token is refused from now on' })
  @ApiNoContentResponse()
  logout(@CurrentPrincipal() principal: Principal): Promise<void> {
    return this.auth.logout(principal);
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOkResponse({ type: UserDto })
  me(@CurrentPrincipal() principal: Principal): Promise<UserDto> {
    if (this.isDevelopmentPrincipal(principal)) return Promise.resolve(developmentProfile(principal));
    return this.users.findOwn(principal);
  }

  @Patch('me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Change the own name or password (a new password needs the current one)' })
  @ApiOkResponse({ type: UserDto })
  @ApiForbiddenResponse({ description: 'The current password is wrong.' })
  updateMe(@CurrentPrincipal() principal: Principal, @Body() dto: UpdateProfileDto): Promise<UserDto> {
    if (this.isDevelopmentPrincipal(principal)) {
      throw new DomainError(DomainErrorCode.INVALID_INPUT, 'Development mode (AUTH_MODE=none) has no profile to change');
    }
    return this.users.updateProfile(principal, dto);
  }

  private isDevelopmentPrincipal(principal: Principal): boolean {
    return this.config.get('AUTH_MODE') === 'none' && !principal.token;
  }
}

function developmentProfile(principal: Principal): UserDto {
  const epoch = new Date(0).toISOString();
  return {
    id: principal.userId,
    email: principal.email,
    name: 'Development',
    role: principal.role,
    companyId: SUPER_COMPANY_ID,
    enabled: true,
    createdAt: epoch,
    updatedAt: epoch,
  };
}
