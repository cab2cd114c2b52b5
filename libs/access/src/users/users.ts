import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { ArrayUnique, IsArray, IsEmail, IsIn, IsString, IsUUID, Length } from 'class-validator';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../../../audit/src/index.js';
import { AppConfig } from '../../../config/src/index.js';
import { type AuditContext, isUniqueViolation, TransactionService } from '../../../database/src/index.js';
import { IsNotBlank, IsOptionalNotNull, ValidationProblem } from '../../../observability/src/index.js';
import { AuthService } from '../auth/auth.service.js';
import type { AppUser } from '../entities.js';
import { createUserWithPasswordToken, issuePasswordToken, type PasswordToken } from './password-token.js';
import type { Principal } from '../principal.js';
import { isSiteRole, ROLES, type Role } from '../roles.js';
import {
  addUserSites,
  findSites,
  findUser,
  findUserSites,
  forgetAuthenticator,
  listUsers,
  listUserSites,
  lockUser,
  removeUserSites,
  retireRecoveryCodes,
  setDisabledAt,
  unlockUser,
  updateNameAndRole,
} from './users.queries.js';

export class CreateUserDto {
  @ApiProperty({ format: 'email', example: 'nina.nurse@example.nhs.uk' })
  @IsEmail()
  @Length(3, 254)
  email: string;

  @ApiProperty({ example: 'Nina Nurse' })
  @IsString()
  @Length(1, 200)
  @IsNotBlank()
  displayName: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role: Role;

  /** Required (one or more) for research_nurse and site_investigator; absent for registry-wide roles. */
  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description: 'One or more for site roles; none for registry-wide roles',
  })
  @IsOptionalNotNull()
  @IsArray()
  @IsUUID('all', { each: true })
  @ArrayUnique()
  siteIds?: string[];
}

export class UpdateUserDto {
  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 200)
  @IsNotBlank()
  displayName?: string;

  @ApiPropertyOptional({ enum: ROLES })
  @IsOptionalNotNull()
  @IsIn(ROLES)
  role?: Role;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description: 'One or more for site roles; none for registry-wide roles',
  })
  @IsOptionalNotNull()
  @IsArray()
  @IsUUID('all', { each: true })
  @ArrayUnique()
  siteIds?: string[];
}

export class UserParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  userId: string;
}

export interface UserView {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly role: Role;
  readonly siteIds: string[];
  readonly mfaEnrolled: boolean;
  readonly passwordSet: boolean;
  readonly locked: boolean;
  readonly disabled: boolean;
  readonly lastLoginAt: string | null;
  readonly createdAt: string;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly config: AppConfig,
    private readonly transactions: TransactionService,
    private readonly audit: AuditService,
    private readonly auth: AuthService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Creates a user with no password: the answer carries the one-time token with which they set one. */
  async create(
    dto: CreateUserDto,
    context: AuditContext,
  ): Promise<{ user: UserView; passwordSetup: PasswordToken }> {
    const siteIds = dto.siteIds ?? [];
    assertRoleSites(dto.role, siteIds);
    try {
      return await this.transactions.run(context, async (em) => {
        await assertSitesExist(em, siteIds);
        const { userId, passwordSetup } = await createUserWithPasswordToken(
          em,
          this.audit,
          context,
          { email: dto.email, displayName: dto.displayName, role: dto.role, siteIds },
          this.config.PASSWORD_RESET_TTL_SECONDS,
        );
        return { user: await this.view(em, userId), passwordSetup };
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictException('A user with this e-mail address already exists');
      throw error;
    }
  }

  async list(): Promise<UserView[]> {
    const users = await listUsers(this.dataSource.manager);
    const sitesOf = new Map<string, string[]>();
    for (const { userId, siteId } of await listUserSites(this.dataSource.manager)) {
      sitesOf.set(userId, [...(sitesOf.get(userId) ?? []), siteId]);
    }
    return users.map((u) => toView(u, sitesOf.get(u.id) ?? []));
  }

  async get(userId: string): Promise<UserView> {
    return this.view(this.dataSource.manager, userId);
  }

  /** Changes name, role or sites; a role or site change is its own audit event as well as a row change. */
  async update(
    actor: Principal,
    userId: string,
    dto: UpdateUserDto,
    context: AuditContext,
  ): Promise<UserView> {
    return this.transactions.run(context, async (em) => {
      const user = await this.lockExisting(em, userId);
      const current = (await findUserSites(em, userId)).map((s) => s.siteId);
      const role = dto.role ?? user.role;
      const siteIds = dto.siteIds ?? (dto.role && !isSiteRole(dto.role) ? [] : current);
      if (dto.role !== undefined && dto.role !== user.role && actor.id === userId) {
        throw new ConflictException('You cannot change your own role: ask another administrator');
      }
      assertRoleSites(role, siteIds);
      await assertSitesExist(em, siteIds);
      if (dto.displayName !== undefined) user.displayName = dto.displayName.trim();
      if (role !== user.role) {
        await this.audit.record(em, context, {
          action: 'user.role_changed',
          entityType: 'app_user',
          entityId: userId,
          details: { from: user.role, to: role },
        });
        user.role = role;
      }
      await updateNameAndRole(em, userId, { displayName: user.displayName, role });
      const removed = current.filter((s) => !siteIds.includes(s));
      const added = siteIds.filter((s) => !current.includes(s));
      if (removed.length > 0) await removeUserSites(em, userId, removed);
      if (added.length > 0) await addUserSites(em, userId, added);
      if (removed.length > 0 || added.length > 0) {
        await this.audit.record(em, context, {
          action: 'user.sites_changed',
          entityType: 'app_user',
          entityId: userId,
          details: { added, removed },
        });
      }
      return this.view(em, userId);
    });
  }

  /** Disables (or re-enables) an account; disabling ends its sessions at once. */
  async setDisabled(
    actor: Principal,
    userId: string,
    disabled: boolean,
    context: AuditContext,
  ): Promise<UserView> {
    if (disabled && actor.id === userId) throw new ConflictException('You cannot disable your own account');
    return this.transactions.run(context, async (em) => {
      const user = await this.lockExisting(em, userId);
      if ((user.disabledAt !== null) !== disabled) {
        await setDisabledAt(em, userId, disabled ? new Date() : null);
        await this.audit.record(em, context, {
          action: disabled ? 'user.disabled' : 'user.enabled',
          entityType: 'app_user',
          entityId: userId,
        });
        if (disabled) await this.auth.revokeAllSessions(em, context, userId, 'disabled');
      }
      return this.view(em, userId);
    });
  }

  async unlock(userId: string, context: AuditContext): Promise<UserView> {
    return this.transactions.run(context, async (em) => {
      const user = await this.lockExisting(em, userId);
      if (user.lockedAt !== null || user.failedLoginCount > 0) {
        await unlockUser(em, userId);
        await this.audit.record(em, context, {
          action: 'account.unlocked',
          entityType: 'app_user',
          entityId: userId,
        });
      }
      return this.view(em, userId);
    });
  }

  /** A one-time password reset token, for a user who forgot theirs (passed on by the administrator). */
  async issuePasswordReset(userId: string, context: AuditContext): Promise<PasswordToken> {
    return this.transactions.run(context, async (em) => {
      const user = await this.lockExisting(em, userId);
      return this.issueToken(em, context, user.id, 'password_reset');
    });
  }

  /** For a lost authenticator: the next sign-in enrols again; sessions and recovery codes end now. */
  async resetMfa(userId: string, context: AuditContext): Promise<UserView> {
    return this.transactions.run(context, async (em) => {
      await this.lockExisting(em, userId);
      await forgetAuthenticator(em, userId);
      await retireRecoveryCodes(em, userId);
      await this.auth.revokeAllSessions(em, context, userId, 'mfa_reset');
      await this.audit.record(em, context, { action: 'mfa.reset', entityType: 'app_user', entityId: userId });
      return this.view(em, userId);
    });
  }

  private issueToken(
    em: EntityManager,
    context: AuditContext,
    userId: string,
    purpose: 'first_password' | 'password_reset',
  ): Promise<PasswordToken> {
    return issuePasswordToken(
      em,
      this.audit,
      context,
      userId,
      purpose,
      this.config.PASSWORD_RESET_TTL_SECONDS,
    );
  }

  private async lockExisting(em: EntityManager, userId: string): Promise<AppUser> {
    const user = await lockUser(em, userId);
    if (!user) throw new NotFoundException('User not found');
    return user;
  }

  private async view(em: EntityManager, userId: string): Promise<UserView> {
    const user = await findUser(em, userId);
    if (!user) throw new NotFoundException('User not found');
    const sites = await findUserSites(em, userId);
    return toView(
      user,
      sites.map((s) => s.siteId),
    );
  }
}

function toView(user: AppUser, siteIds: string[]): UserView {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    role: user.role,
    siteIds: [...siteIds].sort(),
    mfaEnrolled: user.totpEnrolledAt !== null,
    passwordSet: user.passwordHash !== null,
    locked: user.lockedAt !== null,
    disabled: user.disabledAt !== null,
    lastLoginAt: user.lastLoginAt?.toISOString() ?? null,
    createdAt: user.createdAt.toISOString(),
  };
}

/** Site roles work at one or more sites; registry-wide roles at none (they see all, or none of the data). */
function assertRoleSites(role: Role, siteIds: readonly string[]): void {
  if (isSiteRole(role) && siteIds.length === 0) {
    throw new ValidationProblem([
      { field: 'siteIds', reason: `must name at least one site for the role ${role}` },
    ]);
  }
  if (!isSiteRole(role) && siteIds.length > 0) {
    throw new ValidationProblem([
      { field: 'siteIds', reason: `must be empty for the registry-wide role ${role}` },
    ]);
  }
}

async function assertSitesExist(em: EntityManager, siteIds: readonly string[]): Promise<void> {
  if (siteIds.length === 0) return;
  const found = await findSites(em, siteIds);
  const missing = siteIds.filter((id) => !found.some((s) => s.id === id));
  if (missing.length > 0) {
    throw new ValidationProblem([{ field: 'siteIds', reason: `names unknown sites: ${missing.join(', ')}` }]);
  }
}
