export { AppConfig, trustProxySetting } from './app-config.js';
export { ConfigModule } from './config.module.js';
export { documentedEnvVars, type EnvVarDoc } from './env-var.decorator.js';
export { ConfigError, environmentTable, loadConfig, loadConfigOrExit, loadDotEnv } from './load-config.js';
export { ensureDevelopmentSecrets, GENERATED_SECRETS } from './dev-secrets.js';
