import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { AppConfig, OptionalSetting } from './app-config';

export class InvalidConfiguration extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidConfiguration';
  }
}

export interface LoadConfigOptions {
  /** Defaults of this service (e.g. its HTTP_PORT), applied before the environment. */
  defaults?: Partial<Record<keyof AppConfig, string | number>>;
  /** Settings that are optional in general but this service needs. */
  require?: OptionalSetting[];
}

/**
 * Reads the configuration from an environment once, validates it and returns it typed.
 * The only place in the project that looks at environment variables.
 */
export function loadConfig(env: NodeJS.ProcessEnv, options: LoadConfigOptions = {}): AppConfig {
  const known = Object.keys(new AppConfig()).concat([
    'HTTP_PORT',
    'DATABASE_URL',
    'GCS_API_ENDPOINT',
    'CREDENTIALS_KEKS',
    'WEBHOOK_ALLOWED_HOSTS',
  ]);
  const raw: Record<string, unknown> = { ...options.defaults };
  for (const name of new Set(known)) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  const config = plainToInstance(AppConfig, raw, { exposeDefaultValues: true });
  const problems = validateSync(config, { forbidUnknownValues: true }).flatMap(describe);
  for (const name of options.require ?? []) {
    if (!config[name]) problems.push(`${name} is required by this service`);
  }
  if (config.CREDENTIALS_KEKS) problems.push(...checkKeks(config.CREDENTIALS_KEKS));
  if (problems.length > 0) throw new InvalidConfiguration(problems);
  return config;
}

function describe(error: ValidationError): string[] {
  const messages = Object.values(error.constraints ?? {});
  if (error.property === 'DATABASE_URL' || error.property === 'CREDENTIALS_KEKS') {
    // Never echo a value that may hold a secret.
    return messages.length ? [`${error.property}: ${messages[messages.length - 1]}`] : [];
  }
  return messages.map((m) => `${error.property}: ${m} (got ${JSON.stringify(error.value)})`);
}

function checkKeks(value: string): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const entry of value.split(',')) {
    const [id, key] = entry.split(':');
    if (ids.has(id)) problems.push(`CREDENTIALS_KEKS: key id "${id}" appears twice`);
    ids.add(id);
    if (Buffer.from(key, 'base64').length !== 32) {
      problems.push(`CREDENTIALS_KEKS: key "${id}" must be 32 bytes, base64-encoded`);
    }
  }
  return problems;
}
