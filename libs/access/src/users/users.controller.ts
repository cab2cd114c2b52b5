import { Body, Controller, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuditContext } from '../../../database/src/index.js';
import { CurrentPrincipal, RequestAudit } from '../auth/request-context.js';
import { type PasswordToken } from './password-token.js';
import type { Principal } from '../principal.js';
import { Roles } from '../roles.decorator.js';
import { CreateUserDto, UpdateUserDto, UserParams, type UserView, UsersService } from './users.js';

@ApiTags('users')
@ApiBearerAuth()
@Roles('admin')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @ApiOperation({ summary: 'Create a user and their password-setup token' })
  create(@Body() dto: CreateUserDto, @RequestAudit() context: AuditContext) {
    return this.users.create(dto, context);
  }

  @Get()
  @ApiOperation({ summary: 'List the users' })
  list(): Promise<UserView[]> {
    return this.users.list();
  }

  @Get(':userId')
  @ApiOperation({ summary: 'Read a user' })
  get(@Param() params: UserParams): Promise<UserView> {
    return this.users.get(params.userId);
  }

  @Patch(':userId')
  @ApiOperation({ summary: "Change a user's name, role or sites" })
  update(
    @Param() params: UserParams,
    @Body() dto: UpdateUserDto,
    @CurrentPrincipal() actor: Principal,
    @RequestAudit() context: AuditContext,
  ): Promise<UserView> {
    return this.users.update(actor, params.userId, dto, context);
  }

  @Post(':userId/disable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Disable a user: ends their sessions' })
  disable(
    @Param() params: UserParams,
    @CurrentPrincipal() actor: Principal,
    @RequestAudit() context: AuditContext,
  ) {
    return this.users.setDisabled(actor, params.userId, true, context);
  }

  @Post(':userId/enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Enable a disabled user' })
  enable(
    @Param() params: UserParams,
    @CurrentPrincipal() actor: Principal,
    @RequestAudit() context: AuditContext,
  ) {
    return this.users.setDisabled(actor, params.userId, false, context);
  }

  @Post(':userId/unlock')
  @HttpCode(200)
  @ApiOperation({ summary: 'Unlock a user locked out by failed sign-ins' })
  unlock(@Param() params: UserParams, @RequestAudit() context: AuditContext): Promise<UserView> {
    return this.users.unlock(params.userId, context);
  }

  @Post(':userId/password-reset')
  @HttpCode(201)
  @ApiOperation({ summary: 'Issue a one-time password-reset token' })
  issuePasswordReset(
    @Param() params: UserParams,
    @RequestAudit() context: AuditContext,
  ): Promise<PasswordToken> {
    return this.users.issuePasswordReset(params.userId, context);
  }

  @Post(':userId/mfa-reset')
  @HttpCode(200)
  @ApiOperation({ summary: "Reset a user's authenticator" })
  resetMfa(@Param() params: UserParams, @RequestAudit() context: AuditContext): Promise<UserView> {
    return this.users.resetMfa(params.userId, context);
  }
}
