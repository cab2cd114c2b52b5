/** What the README and `.env.example` say about one environment variable. */
export interface EnvVarDoc {
  readonly name: string;
  readonly description: string;
  /** A sensitive value (password, key) is never printed, not even in a configuration error. */
  readonly sensitive: boolean;
}

const documented: EnvVarDoc[] = [];

/**
 * Documents an environment variable next to its validation rules, so that the configuration class is the one
 * place that says what a variable means; `describeEnvironment()` lists them for the README and `.env.example`.
 */
export function EnvVar(description: string, options: { sensitive?: boolean } = {}): PropertyDecorator {
  return (_target, propertyKey) => {
    documented.push({ name: String(propertyKey), description, sensitive: options.sensitive ?? false });
  };
}

export function documentedEnvVars(): readonly EnvVarDoc[] {
  return documented;
}
