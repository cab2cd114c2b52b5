import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { ApiKeyRole, Role } from './roles.js';

// The tables, their checks, triggers and grants are defined in SQL (migration Access); TypeORM only maps
// them (synchronize: false keeps them out of migration:generate).

/** NHS England's seven regions (the column's check holds the same list). */
export const SITE_REGIONS = [
  'east_of_england',
  'london',
  'midlands',
  'north_east_and_yorkshire',
  'north_west',
  'south_east',
  'south_west',
] as const;

export type SiteRegion = (typeof SITE_REGIONS)[number];

/** A hospital taking part in the registry; the unit of data ownership for site roles. */
@Entity('site', { synchronize: false })
export class Site {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Short upper-case code, the prefix of the registry IDs of the site's patients. */
  @Column({ type: 'text' })
  code: string;

  @Column({ type: 'text' })
  name: string;

  /** The number patients call about their follow-up; reminders end with it. */
  @Column({ name: 'follow_up_phone', type: 'text', nullable: true })
  followUpPhone: string | null;

  /** The site's NHS England region (an external-audit export may show it in place of the site). */
  @Column({ type: 'text', nullable: true })
  region: SiteRegion | null;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt: Date;

  /** Set by TypeORM on every save and update (update(), query builder), never by hand. */
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** A person who signs in. Service accounts are API keys, not users. */
@Entity('app_user', { synchronize: false })
export class AppUser {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Stored lower-cased; the sign-in name. */
  @Column({ type: 'text' })
  email: string;

  @Column({ name: 'display_name', type: 'text' })
  displayName: string;

  @Column({ type: 'text' })
  role: Role;

  /** argon2id; null until the user sets a password with their one-time token. */
  @Column({ name: 'password_hash', type: 'text', nullable: true })
  passwordHash: string | null;

  @Column({ name: 'password_changed_at', type: 'timestamptz', nullable: true })
  passwordChangedAt: Date | null;

  /** AES-256-GCM ciphertext of the TOTP secret once enrolment is confirmed. */
  @Column({ name: 'totp_secret', type: 'text', nullable: true })
  totpSecret: string | null;

  /** Ciphertext of a secret shown for enrolment, not yet confirmed by a code. */
  @Column({ name: 'totp_pending_secret', type: 'text', nullable: true })
  totpPendingSecret: string | null;

  @Column({ name: 'totp_enrolled_at', type: 'timestamptz', nullable: true })
  totpEnrolledAt: Date | null;

  /** The last accepted TOTP time step: a code is accepted once (RFC 6238 §5.2). */
  @Column({ name: 'totp_last_step', type: 'bigint', nullable: true })
  totpLastStep: string | null;

  /** The sign-in in progress: the id of the only MFA step token that may complete it. */
  @Column({ name: 'mfa_challenge', type: 'uuid', nullable: true })
  mfaChallenge: string | null;

  @Column({ name: 'failed_login_count', type: 'integer' })
  failedLoginCount: number;

  @Column({ name: 'locked_at', type: 'timestamptz', nullable: true })
  lockedAt: Date | null;

  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt: Date | null;

  @Column({ name: 'last_login_at', type: 'timestamptz', nullable: true })
  lastLoginAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt: Date;

  /** Set by TypeORM on every save and update (update(), query builder), never by hand. */
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

@Entity('user_site', { synchronize: false })
export class UserSite {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ name: 'site_id', type: 'uuid' })
  siteId: string;
}

/** One refresh token of a family; the token itself is a JWT whose jti is this id. */
@Entity('refresh_token', { synchronize: false })
export class RefreshToken {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'family_id', type: 'uuid' })
  familyId: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ name: 'issued_at', type: 'timestamptz', insert: false, update: false })
  issuedAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  /** Set when exchanged for a new token; a second exchange is a replay and revokes the family. */
  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_reason', type: 'text', nullable: true })
  revokedReason: string | null;
}

@Entity('password_reset_token', { synchronize: false })
export class PasswordResetToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ name: 'token_hash', type: 'bytea' })
  tokenHash: Buffer;

  @Column({ name: 'issued_by', type: 'text' })
  issuedBy: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;
}

@Entity('mfa_recovery_code', { synchronize: false })
export class MfaRecoveryCode {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ name: 'code_hash', type: 'bytea' })
  codeHash: Buffer;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @Column({ name: 'superseded_at', type: 'timestamptz', nullable: true })
  supersededAt: Date | null;
}

/** The credential of a service account (the audit exporter): roles without sites, no identifiers. */
@Entity('api_key', { synchronize: false })
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'secret_hash', type: 'bytea', select: false })
  secretHash: Buffer;

  @Column({ type: 'text', array: true })
  roles: ApiKeyRole[];

  @Column({ name: 'created_by', type: 'uuid' })
  createdBy: string;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_by', type: 'uuid', nullable: true })
  revokedBy: string | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;
}

export const ACCESS_ENTITIES = [
  Site,
  AppUser,
  UserSite,
  RefreshToken,
  PasswordResetToken,
  MfaRecoveryCode,
  ApiKey,
];
