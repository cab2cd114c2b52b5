import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { GENERATED_SECRETS, loadConfig } from '../../../libs/config/src/index.js';
import { ApiModule } from './api.module.js';
import { apiDocument } from './bootstrap.js';

/**
 * Writes the api's OpenAPI document to the file named (default `openapi.json`) without a database, Redis or a
 * port: Nest's preview mode builds the module graph and the routes without instantiating a provider. The
 * configuration is the defaults with throwaway secrets, so the document depends on the code alone.
 */
async function main(): Promise<void> {
  const file = process.argv[2] ?? 'openapi.json';
  const secrets = Object.fromEntries(Object.entries(GENERATED_SECRETS).map(([name, make]) => [name, make()]));
  const config = loadConfig({ NODE_ENV: 'development', ...secrets });
  const app = await NestFactory.create<NestFastifyApplication>(
    ApiModule.forRoot(config),
    new FastifyAdapter(),
    {
      preview: true,
      logger: false,
      abortOnError: false,
    },
  );
  const document = apiDocument(app, config.APP_VERSION);
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  await app.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
