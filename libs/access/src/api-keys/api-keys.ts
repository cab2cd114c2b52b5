import { Injectable, NotFoundException } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { ArrayMinSize, ArrayUnique, IsArray, IsIn, IsString, IsUUID, Length } from 'class-validator';
import type { DataSource } from 'typeorm';
import { AuditService } from '../../../audit/src/index.js';
import { type AuditContext, TransactionService } from '../../../database/src/index.js';
import { API_KEY_PREFIX } from '../auth/authenticator.js';
import { digest, randomToken } from '../../../crypto/src/index.js';
import type { ApiKey } from '../entities.js';
import type { Principal } from '../principal.js';
import { API_KEY_ROLES, type ApiKeyRole } from '../roles.js';
import { IsNotBlank } from '../../../observability/src/index.js';
import { findApiKeyOrFail, insertApiKey, listApiKeys, lockApiKey, revokeApiKey } from './api-keys.queries.js';

export class CreateApiKeyDto {
  /** What the key is for, e.g. "NICE audit exporter". */
  @ApiProperty({ example: 'NICE audit exporter' })
  @IsString()
  @Length(1, 200)
  @IsNotBlank()
  name: string;

  @ApiProperty({ enum: API_KEY_ROLES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(API_KEY_ROLES, { each: true })
  roles: ApiKeyRole[];
}

export class ApiKeyParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  apiKeyId: string;
}

export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  readonly roles: ApiKeyRole[];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

function view(key: ApiKey): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    roles: key.roles,
    createdBy: key.createdBy,
    createdAt: key.createdAt.toISOString(),
    revokedAt: key.revokedAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  };
}

/** Service accounts: a key is shown once at creation, stored as a digest, revocable, its last use kept. */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly transactions: TransactionService,
    private readonly audit: AuditService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async create(
    creator: Principal,
    dto: CreateApiKeyDto,
    context: AuditContext,
  ): Promise<{ apiKey: ApiKeyView; key: string }> {
    const key = `${API_KEY_PREFIX}${randomToken()}`;
    return this.transactions.run(context, async (em) => {
      const id = await insertApiKey(em, {
        name: dto.name.trim(),
        secretHash: digest(key),
        roles: dto.roles,
        createdBy: creator.id,
      });
      await this.audit.record(em, context, {
        action: 'api_key.created',
        entityType: 'api_key',
        entityId: id,
        details: { roles: dto.roles },
      });
      return { apiKey: view(await findApiKeyOrFail(em, id)), key };
    });
  }

  async list(): Promise<ApiKeyView[]> {
    return (await listApiKeys(this.dataSource.manager)).map(view);
  }

  /** Revoking is immediate (the guard looks the key up on every request) and cannot be undone. */
  async revoke(revoker: Principal, id: string, context: AuditContext): Promise<ApiKeyView> {
    return this.transactions.run(context, async (em) => {
      const key = await lockApiKey(em, id);
      if (!key) throw new NotFoundException('API key not found');
      if (key.revokedAt === null) {
        await revokeApiKey(em, id, revoker.id);
        await this.audit.record(em, context, {
          action: 'api_key.revoked',
          entityType: 'api_key',
          entityId: id,
        });
      }
      return view(await findApiKeyOrFail(em, id));
    });
  }
}
