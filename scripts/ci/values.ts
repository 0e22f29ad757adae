/**
 * Reads an environment's Helm values the way the chart sees them
 * (helm/values.yaml overlaid with helm/values-<env>.yaml), from the working
 * tree or from a git revision. The verify job uses it to ask "which commit
 * should this environment run now?" and "how many replicas must answer?".
 *
 *   tsx scripts/ci/values.ts --env prod [--ref origin/main] image.tag
 *   tsx scripts/ci/values.ts --env prod --expected-replicas
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';

type Values = Record<string, unknown>;

function readFile(path: string, ref: string | undefined): string {
  if (ref === undefined) return readFileSync(path, 'utf8');
  return execFileSync('git', ['show', `${ref}:${path}`], { encoding: 'utf8' });
}

function isObject(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Helm's merge of value files: maps merge key by key, anything else replaces. */
export function mergeValues(base: Values, override: Values): Values {
  const merged: Values = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = merged[key];
    merged[key] = isObject(current) && isObject(value) ? mergeValues(current, value) : value;
  }
  return merged;
}

export function getKey(values: Values, dotted: string): unknown {
  let node: unknown = values;
  for (const part of dotted.split('.')) {
    if (!isObject(node) || !(part in node)) return undefined;
    node = node[part];
  }
  return node;
}

/** With the HPA on, its minimum is what must answer; otherwise replicaCount. */
export function getExpectedReplicas(values: Values): number {
  const count = getKey(values, 'autoscaling.enabled')
    ? getKey(values, 'autoscaling.minReplicas')
    : getKey(values, 'replicaCount');
  return typeof count === 'number' && count > 0 ? count : 1;
}

export function loadValues(env: string, ref?: string): Values {
  if (!/^[a-z0-9-]+$/.test(env)) throw new Error(`--env must be a name like prod or dev, got \`${env}\``);
  const base = parse(readFile('helm/values.yaml', ref)) as Values | null;
  const overlay = parse(readFile(`helm/values-${env}.yaml`, ref)) as Values | null;
  return mergeValues(base ?? {}, overlay ?? {});
}

function main(): void {
  const { values: flags, positionals } = parseArgs({
    options: {
      env: { type: 'string' },
      ref: { type: 'string' },
      'expected-replicas': { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (!flags.env)
    throw new Error('usage: values.ts --env <env> [--ref <git ref>] (<key> | --expected-replicas)');
  const values = loadValues(flags.env, flags.ref);
  if (flags['expected-replicas']) {
    console.log(getExpectedReplicas(values));
    return;
  }
  const key = positionals[0];
  if (!key) throw new Error('name a key, e.g. image.tag');
  const value = getKey(values, key);
  if (value === undefined)
    throw new Error(`helm/values-${flags.env}.yaml has no \`${key}\` (nor helm/values.yaml)`);
  console.log(typeof value === 'string' ? value : JSON.stringify(value));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    main();
  } catch (error) {
    console.error(`values: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
}
