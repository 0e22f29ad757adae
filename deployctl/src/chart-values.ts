/**
 * The Helm values an environment deploys with, as the chart sees them:
 * `helm/values.yaml` overlaid with `helm/values-<env>.yaml`, read at a Git
 * revision (the env branch's tip). `verify --env` and `status` read from it
 * how many replicas must answer; values-file.ts edits `image.*` in the env's file.
 */
import { parse } from 'yaml';
import { getValuesPath } from './environments.js';
import { DeployctlError } from './exit-codes.js';
import { getFileAtRevision } from './git.js';

export const BASE_VALUES_PATH = 'helm/values.yaml';

type Values = Record<string, unknown>;

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

/** The value at a dotted path (`autoscaling.minReplicas`), or undefined; own keys only. */
export function getValue(values: unknown, dotted: string): unknown {
  let node: unknown = values;
  for (const part of dotted.split('.')) {
    if (Array.isArray(node) && /^\d+$/.test(part)) node = node[Number(part)];
    else if (isObject(node) && Object.hasOwn(node, part)) node = node[part];
    else return undefined;
  }
  return node;
}

/**
 * Does the chart run no pods yet? The same test as the chart's
 * `mlops-inference-service.waitingForRelease` helper (helm/templates/_helpers.tpl):
 * `image.waitForRelease` on, and neither a tag nor a digest.
 */
export function isWaitingForRelease(values: Values): boolean {
  return (
    getValue(values, 'image.waitForRelease') === true &&
    !getValue(values, 'image.tag') &&
    !getValue(values, 'image.digest')
  );
}

/** With the HPA on, its minimum is what must answer; otherwise replicaCount; at least 1. */
export function getExpectedReplicas(values: Values): number {
  const count = getValue(values, 'autoscaling.enabled')
    ? getValue(values, 'autoscaling.minReplicas')
    : getValue(values, 'replicaCount');
  return typeof count === 'number' && Number.isInteger(count) && count > 0 ? count : 1;
}

async function readValues(cwd: string, rev: string, path: string): Promise<Values> {
  const text = await getFileAtRevision(cwd, rev, path);
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (cause) {
    throw new DeployctlError('input', `${path} at ${rev.slice(0, 12)} is not valid YAML; fix the file`, {
      cause,
    });
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isObject(parsed)) {
    throw new DeployctlError('input', `${path} at ${rev.slice(0, 12)} is not a YAML mapping; fix the file`);
  }
  return parsed;
}

/** The env's merged chart values at `rev`. */
export async function getChartValues(cwd: string, rev: string, env: string): Promise<Values> {
  const base = await readValues(cwd, rev, BASE_VALUES_PATH);
  return mergeValues(base, await readValues(cwd, rev, getValuesPath(env)));
}
