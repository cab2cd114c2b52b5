import { existsSync } from 'node:fs';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { AppConfig } from './app-config.js';
import { documentedEnvVars } from './env-var.decorator.js';

/** Thrown when the environment does not describe a usable configuration; one line per bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the configuration from an environment (process.env by default). Only documented
 * variables are read; an empty string counts as unset, so a blank line in `.env` keeps the default.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, string> = {};
  for (const { name } of documentedEnvVars()) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  const config = plainToInstance(AppConfig, raw, { exposeDefaultValues: true });
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (errors.length > 0) throw new ConfigError(errors.map((e) => describe(e, raw)));
  return Object.freeze(config);
}

function describe(error: ValidationError, raw: Record<string, string>): string {
  const name = error.property;
  const doc = documentedEnvVars().find((d) => d.name === name);
  const reasons = Object.values(error.constraints ?? {})
    .map((m) => m.replace(new RegExp(`^${name} `), ''))
    .join(', ');
  const shown = doc?.sensitive ? '(value hidden)' : JSON.stringify(raw[name]);
  return `${name} ${reasons} (got ${shown})`;
}

/** Loads `.env` from the working directory into process.env, when there is one (set variables win). */
export function loadDotEnv(): void {
  if (existsSync('.env')) process.loadEnvFile('.env');
}

/**
 * Loads `.env` from the working directory when there is one (variables already set in the environment win),
 * then the configuration; on error prints one line per bad variable and ends the process with status 1.
 */
export function loadConfigOrExit(): AppConfig {
  loadDotEnv();
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) console.error(`Configuration error: ${problem}`);
      process.exit(1);
    }
    throw error;
  }
}

function defaultCell(value: string | number | boolean | undefined, sensitive: boolean): string {
  if (value === undefined) return sensitive ? '(none, sensitive)' : '(none)';
  return sensitive ? '(local default, sensitive)' : `\`${String(value)}\``;
}

/** The variables as a Markdown table, for the README (`npm run config:docs`). */
export function environmentTable(): string {
  const defaults = new AppConfig() as unknown as Record<string, unknown>;
  const rows = documentedEnvVars().map(
    ({ name, description, sensitive }) =>
      `| \`${name}\` | ${defaultCell(defaults[name] as string | number | boolean | undefined, sensitive)} | ${description} |`,
  );
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
