import { DeployctlError } from './errors.js';

/**
 * Environment → the branch its Argo CD Application watches (docs/contracts.md):
 * `develop` → dev, the default branch → prod. GitLab tells us the default branch
 * (CI_DEFAULT_BRANCH), so `master` repositories work without configuration.
 * DEPLOYCTL_ENV_BRANCHES="dev=develop,prod=main,staging=release" replaces the map;
 * `--branch` overrides it for one call.
 */
export function getEnvironmentBranches(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const configured = env.DEPLOYCTL_ENV_BRANCHES?.trim();
  if (!configured) return { dev: 'develop', prod: env.CI_DEFAULT_BRANCH || 'main' };
  const map: Record<string, string> = {};
  for (const pair of configured.split(',')) {
    const [name, branch] = pair.split('=').map((part) => part.trim());
    if (!name || !branch) {
      throw new DeployctlError(
        'input',
        `DEPLOYCTL_ENV_BRANCHES entry \`${pair}\` is not env=branch; write it like "dev=develop,prod=main"`,
      );
    }
    map[name] = branch;
  }
  return map;
}

export function getBranchForEnv(
  envName: string,
  branches: Record<string, string>,
  override?: string,
): string {
  const branch = branches[envName];
  if (branch === undefined) {
    throw new DeployctlError(
      'input',
      `unknown environment \`${envName}\`; known: ${Object.keys(branches).join(', ')} (set DEPLOYCTL_ENV_BRANCHES to add one)`,
    );
  }
  return override || branch;
}

export function getValuesPath(envName: string): string {
  return `helm/values-${envName}.yaml`;
}
