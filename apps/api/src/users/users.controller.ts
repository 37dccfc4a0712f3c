import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CreateUserDto, ListUsersQueryDto, UpdateUserDto, UserDto, UserListDto } from '@upgrade-manager/dto';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@ApiForbiddenResponse({ description: 'Plain users manage only themselves (see /auth/me); admins only their company, never super users.' })
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @ApiOperation({ summary: 'Create a user (super: any role and company; admin: admin/user of its own company)' })
  @ApiCreatedResponse({ type: UserDto })
  @ApiConflictResponse({ description: 'The email is taken.' })
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateUserDto): Promise<UserDto> {
    return this.users.create(principal, dto);
  }

  @Get()
  @ApiOperation({ summary: 'List the users the caller manages (disabled ones included)' })
  @ApiOkResponse({ type: UserListDto })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListUsersQueryDto): Promise<UserListDto> {
    return this.users.list(principal, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse({ description: 'No such user in the companies the caller sees.' })
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<UserDto> {
    return this.users.get(principal, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a user: name, email, password, role, company, enabled' })
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'Email taken, or the last enabled super user would be lost.' })
  update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() dto: UpdateUserDto): Promise<UserDto> {
    return this.users.update(principal, id, dto);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Disable a user (soft: the account stays, login is refused; PATCH enabled=true restores it)' })
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse()
  disable(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<UserDto> {
    return this.users.disable(principal, id);
  }
}
