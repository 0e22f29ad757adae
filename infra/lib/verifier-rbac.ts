import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Manifest } from './root-app';

/**
 * The read-only identity of the pipeline's verify job: the Roles and RoleBindings of
 * `infra/manifests/verifier-rbac.yaml`, which the cluster stack applies as they are, and the
 * Kubernetes group each environment's CI role joins through its EKS access entry
 * (docs/contracts.md, "Verification through the Kubernetes API").
 */
export const VERIFIER_RBAC_FILE = path.join(__dirname, '..', 'manifests', 'verifier-rbac.yaml');

/** The group an environment's CI role is mapped to; the file's RoleBinding of that env names it. */
export function verifierGroup(env: string): string {
  return `mlops:verifiers:${env}`;
}

/**
 * Every document of the file, in order. Fails synthesis when an environment's group is bound
 * nowhere (its access entry would then grant nothing, and verify would only fail in the
 * pipeline) or when a Role grants more than `get`/`create` on `services/proxy`.
 */
export function loadVerifierRbac(envs: readonly string[], file = VERIFIER_RBAC_FILE): Manifest[] {
  const manifests = parseAllDocuments(fs.readFileSync(file, 'utf8'))
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null && m !== undefined);
  for (const role of manifests.filter((m) => m.kind === 'Role')) {
    for (const rule of role.rules ?? []) {
      const wide =
        JSON.stringify(rule.resources) !== '["services/proxy"]' ||
        !Array.isArray(rule.resourceNames) ||
        rule.resourceNames.length === 0 ||
        rule.verbs.some((verb: string) => verb !== 'get' && verb !== 'create');
      if (wide) {
        throw new Error(
          `${file}: Role ${role.metadata.namespace}/${role.metadata.name} grants ${JSON.stringify(rule)}; the verifier may only get and create services/proxy of named Services`,
        );
      }
    }
  }
  const bound = new Set(
    manifests
      .filter((m) => m.kind === 'RoleBinding')
      .flatMap((m) =>
        (m.subjects ?? []).filter((s: Manifest) => s.kind === 'Group').map((s: Manifest) => s.name),
      ),
  );
  for (const env of envs) {
    if (!bound.has(verifierGroup(env))) {
      throw new Error(
        `${file} binds no Role to group ${verifierGroup(env)}: the ${env} CI role's access entry would grant nothing; add its RoleBinding`,
      );
    }
  }
  return manifests;
}
