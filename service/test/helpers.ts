/**
 * Test helpers: the app built from app.ts (for `inject`), the model card and copies of the
 * model bundle. The real server process is test/support/service-process.ts (`startService`).
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { BUNDLED_MODEL_DIR } from '../../test/support/paths.js';
import app, { serverOptions } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import metricsApp, { metricsServerOptions } from '../src/metrics-app.js';

/** The bundled model (MODEL_DIR may point elsewhere, e.g. a freshly trained one). */
export const MODEL_DIR = process.env.MODEL_DIR || BUNDLED_MODEL_DIR;

export interface ModelCardJson {
  name: string;
  version: string;
  labels: string[];
  golden: { input: string; label: string }[];
}
export const card = JSON.parse(readFileSync(join(MODEL_DIR, 'model.json'), 'utf8')) as ModelCardJson;

/** The app from app.ts with test env (quiet logs), model loaded unless `waitForModel` is false. */
export async function buildApp(
  env: Record<string, string> = {},
  waitForModel = true,
): Promise<FastifyInstance> {
  const config = loadConfig({ MODEL_DIR, LOG_LEVEL: 'silent', ...env });
  const fastify = Fastify({ ...serverOptions(config), logger: { level: config.logLevel } });
  await fastify.register(app, { config });
  await fastify.ready();
  if (waitForModel) await fastify.model.loaded;
  return fastify;
}

/**
 * GET /metrics of an app built by buildApp, through the metrics listener's own plugin on a
 * second instance, as server.ts runs it (the API app does not serve /metrics).
 */
export async function scrapeMetrics(api: FastifyInstance, url = '/metrics') {
  const metrics = Fastify({ ...metricsServerOptions(), logger: false });
  await metrics.register(metricsApp, { registry: api.metrics.registry });
  try {
    return await metrics.inject({ url });
  } finally {
    await metrics.close();
  }
}

/** A copy of the model bundle with the card edited, for failure scenarios. */
export function modelCopy(edit: (card: Record<string, unknown>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'model-'));
  cpSync(MODEL_DIR, dir, { recursive: true });
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  return dir;
}
