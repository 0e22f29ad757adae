/**
 * Environment configuration: one TypeBox schema (names and defaults from docs/contracts.md),
 * validated at boot. A bad value stops the process with a message naming the variable, the
 * value and what is allowed, before anything listens.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Type, { type Static, type TSchema } from 'typebox';
import Value from 'typebox/value';

// src/config.ts and dist/config.js both sit one level below service/, so the repo's model/
// is two levels up; in the image (/app/service/dist/config.js) that is /app/model.
const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../../model/', import.meta.url));

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const int = (minimum: number, maximum: number, fallback: number) =>
  Type.Integer({ minimum, maximum, default: fallback, description: `an integer in ${minimum}..${maximum}` });
const seconds = (minimum: number, maximum: number, fallback: number) =>
  Type.Number({
    minimum,
    maximum,
    default: fallback,
    description: `a number of seconds in ${minimum}..${maximum}`,
  });
const text = (fallback: string, description = 'a non-empty string') =>
  Type.String({ minLength: 1, default: fallback, description });

export const EnvSchema = Type.Object({
  HOST: text('0.0.0.0', 'an interface address such as 0.0.0.0 or 127.0.0.1'),
  PORT: int(0, 65535, 8000),
  METRICS_PORT: int(0, 65535, 9464),
  MODEL_DIR: text(DEFAULT_MODEL_DIR, 'a directory holding model.onnx and model.json'),
  GIT_COMMIT: text('unknown'),
  BUILD_TIME: text('unknown'),
  INSTANCE_ID: text(`${hostname()}-${process.pid}`),
  LOG_LEVEL: Type.Enum([...LOG_LEVELS], { default: 'info', description: `one of ${LOG_LEVELS.join(', ')}` }),
  SHUTDOWN_DRAIN_DELAY_SECONDS: seconds(0, 300, 5),
  SHUTDOWN_TIMEOUT_SECONDS: seconds(1, 600, 10),
  MAX_BATCH_ITEMS: int(1, 10_000, 64),
  MAX_INPUT_CHARS: int(1, 10_000_000, 20_000),
  BODY_LIMIT_BYTES: int(1024, 100 * 1024 * 1024, 1_048_576),
  MAX_QUEUE: int(1, 1_000_000, 2048),
  BATCH_MAX_SIZE: int(1, 4096, 64),
  BATCH_MAX_WAIT_MS: Type.Number({
    minimum: 0,
    maximum: 1000,
    default: 0,
    description: 'a number of milliseconds in 0..1000 (0 = flush on the next event-loop turn)',
  }),
});
export type Env = Static<typeof EnvSchema>;

/** The validated configuration, in the service's own names. */
export interface Config {
  host: string;
  port: number;
  /** GET /metrics listens here, apart from the API (PORT). */
  metricsPort: number;
  modelDir: string;
  gitCommit: string;
  buildTime: string;
  instanceId: string;
  logLevel: (typeof LOG_LEVELS)[number];
  shutdownDrainDelaySeconds: number;
  shutdownTimeoutSeconds: number;
  maxBatchItems: number;
  maxInputChars: number;
  bodyLimitBytes: number;
  maxQueue: number;
  batchMaxSize: number;
  batchMaxWaitMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads the variables of `EnvSchema` from `env` (unset or empty = default) and returns the
 * configuration, or throws a ConfigError listing every bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(EnvSchema.properties) as [string, TSchema][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      values[name] = Value.Default(schema, undefined);
      continue;
    }
    // Convert turns numeric strings into numbers; anything it cannot convert fails Check.
    // It would truncate "80.5" for an integer, so integers must look like integers first.
    const value = Value.Convert(schema, raw.trim());
    const notInteger = (schema as { type?: string }).type === 'integer' && !/^[+-]?\d+$/.test(raw.trim());
    if (notInteger || !Value.Check(schema, value)) {
      problems.push(`${name}=${JSON.stringify(raw)} is invalid: expected ${describe(schema)}`);
    }
    values[name] = value;
  }
  const e = values as Env;
  if (problems.length === 0) {
    // Rules that involve two variables or the file system.
    if (e.SHUTDOWN_DRAIN_DELAY_SECONDS >= e.SHUTDOWN_TIMEOUT_SECONDS) {
      problems.push(
        `SHUTDOWN_DRAIN_DELAY_SECONDS=${e.SHUTDOWN_DRAIN_DELAY_SECONDS} is invalid: expected less than ` +
          `SHUTDOWN_TIMEOUT_SECONDS=${e.SHUTDOWN_TIMEOUT_SECONDS}, so in-flight requests have time to finish`,
      );
    }
    // 0 asks the OS for a free port (tests), so two zeros do not clash.
    if (e.METRICS_PORT === e.PORT && e.PORT !== 0) {
      problems.push(
        `METRICS_PORT=${e.METRICS_PORT} is invalid: expected a port other than PORT=${e.PORT}, ` +
          'so /metrics stays off the API port',
      );
    }
    if (e.MAX_BATCH_ITEMS > e.MAX_QUEUE) {
      problems.push(
        `MAX_BATCH_ITEMS=${e.MAX_BATCH_ITEMS} is invalid: expected at most MAX_QUEUE=${e.MAX_QUEUE}, ` +
          'or a full batch request could never be queued',
      );
    }
    for (const file of ['model.onnx', 'model.json']) {
      if (!existsSync(join(e.MODEL_DIR, file))) {
        problems.push(`MODEL_DIR=${JSON.stringify(e.MODEL_DIR)} is invalid: ${file} is missing there`);
      }
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return {
    host: e.HOST,
    port: e.PORT,
    metricsPort: e.METRICS_PORT,
    modelDir: e.MODEL_DIR,
    gitCommit: e.GIT_COMMIT,
    buildTime: e.BUILD_TIME,
    instanceId: e.INSTANCE_ID,
    logLevel: e.LOG_LEVEL as Config['logLevel'],
    shutdownDrainDelaySeconds: e.SHUTDOWN_DRAIN_DELAY_SECONDS,
    shutdownTimeoutSeconds: e.SHUTDOWN_TIMEOUT_SECONDS,
    maxBatchItems: e.MAX_BATCH_ITEMS,
    maxInputChars: e.MAX_INPUT_CHARS,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    maxQueue: e.MAX_QUEUE,
    batchMaxSize: e.BATCH_MAX_SIZE,
    batchMaxWaitMs: e.BATCH_MAX_WAIT_MS,
  };
}

function describe(schema: TSchema): string {
  return (schema as { description?: string }).description ?? 'a valid value';
}
