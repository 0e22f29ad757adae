import { DeployctlError } from './exit-codes.js';
import { isEnvironmentName, verifyBranchName } from './validate.js';

/**
 * Environment → the branch its Argo CD Application watches (docs/contracts.md):
 * `develop` → dev, the default branch → prod. GitLab tells us the default branch
 * (CI_DEFAULT_BRANCH), so `master` repositories work without configuration.
 * DEPLOYCTL_ENV_BRANCHES="dev=develop,prod=main,staging=release" replaces the map;
 * `--branch` overrides it for one call.
 *
 * A Map, not an object: `--env constructor` (or `__proto__`, `toString`) must be
 * an unknown environment, not a lookup on Object.prototype (issue 13, point 9).
 */
export type EnvironmentBranches = ReadonlyMap<string, string>;

export function getEnvironmentBranches(env: NodeJS.ProcessEnv = process.env): EnvironmentBranches {
  const configured = env.DEPLOYCTL_ENV_BRANCHES?.trim();
  if (!configured) {
    return new Map([
      ['dev', 'develop'],
      ['prod', env.CI_DEFAULT_BRANCH || 'main'],
    ]);
  }
  const map = new Map<string, string>();
  for (const pair of configured.split(',')) {
    // Split at the first `=` only: everything after it is the branch, checked as a whole below.
    const at = pair.indexOf('=');
    const name = at === -1 ? '' : pair.slice(0, at).trim();
    const branch = at === -1 ? '' : pair.slice(at + 1).trim();
    if (!name || !branch) {
      throw new DeployctlError(
        'input',
        `DEPLOYCTL_ENV_BRANCHES entry \`${pair}\` is not env=branch; write it like "dev=develop,prod=main"`,
      );
    }
    if (!isEnvironmentName(name)) {
      throw new DeployctlError(
        'input',
        `DEPLOYCTL_ENV_BRANCHES entry \`${pair}\`: env name \`${name}\` must be lowercase letters, digits and - (it names helm/values-<env>.yaml)`,
      );
    }
    map.set(name, verifyBranchName(branch, `DEPLOYCTL_ENV_BRANCHES entry \`${pair}\`: branch`));
  }
  return map;
}

export function getBranchForEnv(envName: string, branches: EnvironmentBranches, override?: string): string {
  const branch = branches.get(envName);
  if (branch === undefined) {
    throw new DeployctlError(
      'input',
      `unknown environment \`${envName}\`; known: ${[...branches.keys()].join(', ')} (set DEPLOYCTL_ENV_BRANCHES to add one)`,
    );
  }
  // CI_DEFAULT_BRANCH and --branch reach `git fetch`/`git push` refspecs: check them like any input.
  return override
    ? verifyBranchName(override, '--branch')
    : verifyBranchName(branch, `branch of env \`${envName}\``);
}

export function getValuesPath(envName: string): string {
  return `helm/values-${envName}.yaml`;
}

/**
 * Environment → the namespace its Argo CD Application deploys the chart into
 * (argocd/application.yaml, application-dev.yaml; docs/contracts.md): where `verify`
 * finds the Service through the Kubernetes API. Environments added with
 * DEPLOYCTL_ENV_BRANCHES have none: pass --namespace.
 */
const ENVIRONMENT_NAMESPACES: ReadonlyMap<string, string> = new Map([
  ['prod', 'default'],
  ['dev', 'mlops-dev'],
]);

export function getNamespaceForEnv(envName: string): string | undefined {
  return ENVIRONMENT_NAMESPACES.get(envName);
}
