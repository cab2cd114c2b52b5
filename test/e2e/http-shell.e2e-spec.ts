import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsString, Matches, Max, Min, ValidateNested } from 'class-validator';
import { ApiModule } from '../../apps/api/src/api.module.js';
import { RequestAudit } from '../../libs/access/src/index.js';
import { createHttpApp, Public } from '../../libs/observability/src/index.js';
import { TransactionService, type AuditContext } from '../../libs/database/src/index.js';
import { testConfig } from '../support/apps.js';

class PreEcmoStateDto {
  @Min(0)
  @Max(30)
  lactateMmolPerL: number;
}

class ProbeDto {
  @IsString()
  @Matches(/^\d{10}$/, { message: 'nhsNumber must be 10 digits' })
  nhsNumber: string;

  @IsInt()
  @Min(18)
  ageYears: number;

  @ValidateNested()
  @Type(() => PreEcmoStateDto)
  preEcmo: PreEcmoStateDto;
}

class LostDependencyDto {
  @IsBoolean()
  after: boolean;
}

/** A stand-in for the domain controllers to come, mounted on the real api shell. */
@Public()
@Controller('probe')
class ProbeController {
  @Post()
  create(@Body() body: ProbeDto) {
    return { received: body, ageType: typeof body.ageYears };
  }

  @Get('crash')
  crash(): never {
    throw new Error('secret internal detail: connection string postgres://x');
  }

  constructor(private readonly transactions: TransactionService) {}

  /** A dependency lost after (`after`) or before the request's transaction committed. */
  @Post('lost-dependency')
  async lostDependency(@RequestAudit() context: AuditContext, @Body() body: LostDependencyDto) {
    const lost = () =>
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    if (!body.after) throw lost();
    await this.transactions.run(context, (em) => em.query('SELECT 1'));
    throw lost();
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

describe('http shell: validation pipe and problem details', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const config = testConfig();
    @Module({ imports: [ApiModule.forRoot(config), ProbeModule] })
    class ApiWithProbe {}
    app = await createHttpApp(ApiWithProbe, config, { shutdownHooks: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app.close();
  });

  const valid = { nhsNumber: '9990000018', ageYears: '64', preEcmo: { lactateMmolPerL: 8.2 } };

  it('accepts a valid body and converts declared types', async () => {
    const response = await app.inject({ method: 'POST', url: '/probe', payload: { ...valid, ageYears: 64 } });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ ageType: 'number', received: { ageYears: 64 } });
  });

  it.each([['role'], ['siteId'], ['createdBy']])(
    'refuses an undeclared field %s with 400 (no mass assignment)',
    async (field) => {
      const response = await app.inject({
        method: 'POST',
        url: '/probe',
        payload: { ...valid, ageYears: 64, [field]: 'x' },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().errors).toContainEqual({ field, reason: `property ${field} should not exist` });
    },
  );

  it('names every invalid field, nested ones by their path, with the reason', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/probe',
      payload: { nhsNumber: '123', ageYears: 12, preEcmo: { lactateMmolPerL: 45 } },
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ status: 400, title: 'Bad Request' });
    expect(response.json().errors).toEqual(
      expect.arrayContaining([
        { field: 'nhsNumber', reason: 'nhsNumber must be 10 digits' },
        { field: 'ageYears', reason: 'ageYears must not be less than 18' },
        { field: 'preEcmo.lactateMmolPerL', reason: 'lactateMmolPerL must not be greater than 30' },
      ]),
    );
  });

  it('answers a protected route called without a token with 401 in problem details', async () => {
    const response = await app.inject({ method: 'GET', url: '/sites' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({
      status: 401,
      title: 'Unauthorized',
      detail: 'Authentication required: send Authorization: Bearer <token>',
    });
  });

  it('answers an unexpected error with a 500 that reveals nothing of it', async () => {
    const response = await app.inject({ method: 'GET', url: '/probe/crash' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toMatchObject({ status: 500, title: 'Internal Server Error' });
    expect(response.body).not.toContain('secret');
    expect(response.body).not.toContain('postgres://');
  });

  it('answers a dependency lost after the request committed as saved, and before as nothing changed', async () => {
    const answer = async (after: boolean) => {
      const response = await app.inject({
        method: 'POST',
        url: '/probe/lost-dependency',
        payload: { after },
      });
      expect(response.statusCode).toBe(503);
      return response.json<{ detail: string }>().detail;
    };
    expect(await answer(true)).toMatch(/^The change was saved/);
    expect(await answer(false)).toMatch(/nothing was changed/);
    // Each request counts its own commits: a commit of an earlier request does not make a later one "saved".
    expect(await answer(true)).toMatch(/^The change was saved/);
    expect(await answer(false)).toMatch(/nothing was changed/);
  });
});
