import { Body, Controller, ForbiddenException, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsEmail, IsJWT, IsString, Length, MaxLength } from 'class-validator';
import type { AuditContext } from '../../../database/src/index.js';
import type { Principal } from '../principal.js';
import { Public } from '../../../observability/src/index.js';
import { AnyRole } from '../roles.decorator.js';
import { UsersService, type UserView } from '../users/users.js';
import { AuthService, type PasswordStepResult, type TokenPair } from './auth.service.js';
import { LoginThrottle } from './login-throttle.js';
import { CurrentPrincipal, RequestAudit } from './request-context.js';

export class LoginDto {
  @ApiProperty({ format: 'email', example: 'nina.nurse@example.nhs.uk' })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ format: 'password' })
  @IsString()
  @Length(1, 1024)
  password: string;
}

export class SecondFactorDto {
  @ApiProperty({ description: 'The mfaToken from POST /auth/login' })
  @IsJWT()
  mfaToken: string;

  /** A 6-digit code from the authenticator app, or one of the recovery codes. */
  @ApiProperty({
    example: '123456',
    description: 'A TOTP code, or a recovery code such as abcd-efgh-jkmn-pqrs',
  })
  @IsString()
  @Length(6, 40)
  code: string;
}

export class RefreshDto {
  @ApiProperty()
  @IsJWT()
  refreshToken: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'The one-time token an administrator (or create-admin) issued' })
  @IsString()
  @Length(20, 200)
  token: string;

  @ApiProperty({ format: 'password', minLength: 12, maxLength: 128 })
  @IsString()
  @Length(1, 1024)
  newPassword: string;
}

export class ChangePasswordDto {
  @ApiProperty({ format: 'password' })
  @IsString()
  @Length(1, 1024)
  currentPassword: string;

  @ApiProperty({ format: 'password', minLength: 12, maxLength: 128 })
  @IsString()
  @Length(1, 1024)
  newPassword: string;
}

/**
 * Signing in is two steps: the password (answering which second-factor step comes next), then a TOTP code
 * (or a recovery code), or, the first time, enrolment of an authenticator app. Only then are tokens issued.
 */
@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  @Post('login')
  @Public()
  @LoginThrottle()
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with e-mail and password (first step)' })
  login(@Body() dto: LoginDto, @RequestAudit() context: AuditContext): Promise<PasswordStepResult> {
    return this.auth.passwordStep(dto.email, dto.password, context);
  }

  @Post('mfa/verify')
  @Public()
  @LoginThrottle()
  @HttpCode(200)
  @ApiOperation({ summary: 'Finish signing in with an authenticator or recovery code' })
  verify(@Body() dto: SecondFactorDto, @RequestAudit() context: AuditContext): Promise<TokenPair> {
    return this.auth.verifySecondFactor(dto.mfaToken, dto.code, context);
  }

  @Post('mfa/enrol')
  @Public()
  @LoginThrottle()
  @HttpCode(200)
  @ApiOperation({ summary: 'Enrol an authenticator at first sign-in' })
  enrol(@Body() dto: SecondFactorDto, @RequestAudit() context: AuditContext) {
    return this.auth.enrolSecondFactor(dto.mfaToken, dto.code, context);
  }

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a refresh token for new tokens' })
  refresh(@Body() dto: RefreshDto, @RequestAudit() context: AuditContext): Promise<TokenPair> {
    return this.auth.refresh(dto.refreshToken, context);
  }

  @Post('logout')
  @Public()
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign out: revoke the session' })
  async logout(@Body() dto: RefreshDto, @RequestAudit() context: AuditContext): Promise<void> {
    await this.auth.signOut(dto.refreshToken, context);
  }

  @Post('password/reset')
  @Public()
  @LoginThrottle()
  @HttpCode(204)
  @ApiOperation({ summary: 'Set a password with a one-time token' })
  async resetPassword(@Body() dto: ResetPasswordDto, @RequestAudit() context: AuditContext): Promise<void> {
    await this.auth.resetPassword(dto.token, dto.newPassword, context);
  }

  @Get('me')
  @ApiBearerAuth()
  @AnyRole()
  @ApiOperation({ summary: 'Who am I: the signed-in user' })
  async me(
    @CurrentPrincipal() principal: Principal,
  ): Promise<UserView | { apiKeyId: string; roles: readonly string[] }> {
    if (principal.kind === 'api_key') return { apiKeyId: principal.id, roles: principal.roles };
    return this.users.get(principal.id);
  }

  @Post('password')
  @ApiBearerAuth()
  @AnyRole()
  @LoginThrottle()
  @HttpCode(204)
  @ApiOperation({ summary: 'Change my password' })
  async changePassword(
    @Body() dto: ChangePasswordDto,
    @CurrentPrincipal() principal: Principal,
    @RequestAudit() context: AuditContext,
  ): Promise<void> {
    if (principal.kind !== 'user') throw new ForbiddenException('An API key has no password');
    await this.auth.changePassword(
      principal.id,
      principal.sessionId,
      dto.currentPassword,
      dto.newPassword,
      context,
    );
  }
}
