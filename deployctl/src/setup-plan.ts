/**
 * The setup of a new project, and its teardown, as data (issue 17, "one setup
 * command"): every step from an empty AWS account and a GitLab project to the
 * first push, in order, with what it needs. `deployctl setup --dry-run` prints
 * it and `deployctl setup` runs exactly these steps (setup-run.ts); the same
 * holds for `teardown`. So the plan is the one description of both, and
 * infra/README.md and docs/deployctl.md quote it (deployctl/test/setup-plan.test.ts
 * checks that they do).
 *
 * GitLab endpoints and fields follow GitLab's REST API documentation
 * (docs.gitlab.com/api/): environments, project-level variables, protected
 * branches, project webhooks, deploy keys, deploy tokens, project access
 * tokens, resource groups. Argo CD's are its API's
 * `POST /api/v1/projects/{project}/roles/{role}/token` and
 * `POST /api/v1/repositories?upsert=true`.
 */
import { getCiVariable } from './ci-variables.js';

export type Tier = 'free' | 'premium';
export const TIERS: readonly Tier[] = ['free', 'premium'];

export interface SetupInput {
  /** GitLab project path, `group/project`. */
  project: string;
  gitlabUrl: string;
  awsProfile: string;
  region: string;
  apiAllowedCidrs: string;
  clusterAdminArn: string;
  /** Argo CD's DNS name with an ACM certificate; without it no webhook and no ARGOCD_SERVER. */
  argocdDomain?: string | undefined;
  argocdCertificateArn?: string | undefined;
  tier: Tier;
  defaultBranch: string;
  /** The repository Argo CD reads (infra's gitRepoUrl); default `<gitlabUrl>/<project>.git`. */
  gitRepoUrl?: string | undefined;
  /** SERVICE_URL_<ENV> per env, only to verify through a public endpoint instead of the cluster's API. */
  serviceUrls?: Partial<Record<string, string>> | undefined;
}

/** A value only known while setup runs; `formatRef` is how the dry run shows it. */
export type Ref =
  | { from: 'output'; stack: StackId; name: string }
  | { from: 'account' }
  | { from: 'ssh-private-key'; env: string }
  | { from: 'ssh-public-key'; env: string }
  | { from: 'deploy-key-id'; env: string }
  | { from: 'webhook-secret' }
  | { from: 'access-token' }
  | { from: 'argocd-token'; env: string }
  | { from: 'one-year-ahead' };

export type StackId = 'MlopsRegistry' | 'MlopsCluster';

export type GitLabResource =
  | 'environment'
  | 'protected-branch'
  | 'variable'
  | 'hook'
  | 'deploy-key'
  | 'deploy-token'
  | 'access-token'
  | 'resource-group';

export type SetupStep =
  | {
      kind: 'shell';
      title: string;
      /** What runs, program first; Refs are resolved just before. */
      argv: (string | Ref)[];
      /** `infra` for the CDK commands, else the checkout's root. */
      cwd: 'repo' | 'infra';
      /** `cdk deploy --outputs-file`: the stack whose outputs the file holds. */
      outputs?: StackId;
      needs: string;
    }
  | {
      kind: 'gitlab';
      title: string;
      resource: GitLabResource;
      method: 'POST' | 'PUT';
      /** Under /api/v4. */
      path: string;
      body: Record<string, unknown>;
      needs: string;
    }
  | {
      kind: 'argocd';
      title: string;
      action: 'repo-credential' | 'project-token';
      method: 'POST';
      path: string;
      /** For project-token: the env whose ARGOCD_AUTH_TOKEN it becomes. */
      env?: string;
      store: string;
      needs: string;
    }
  | { kind: 'manual'; title: string; detail: string; needs: string }
  /** Printed at the end of a run: what comes after setup (the first push). */
  | { kind: 'next'; title: string; command: string; needs: string };

/** `stack`: the step runs only while CloudFormation has that stack, so a rerun skips what is gone. */
export type TeardownStep =
  | {
      kind: 'shell';
      title: string;
      argv: (string | Ref)[];
      cwd: 'repo' | 'infra';
      stack: StackId;
      needs: string;
    }
  | {
      kind: 'wait-load-balancers';
      title: string;
      argv: string[][];
      timeoutS: number;
      stack: StackId;
      needs: string;
    }
  | {
      kind: 'gitlab-delete';
      title: string;
      resource: 'hook' | 'deploy-key' | 'deploy-token' | 'access-token' | 'variable';
      /** What is deleted: hooks to `…/api/webhook`, keys/tokens by title/name, variables by key and scope. */
      match: { url?: string; title?: string; name?: string; key?: string; environment_scope?: string }[];
      needs: string;
    };

export const ENVIRONMENTS = [
  { env: 'prod', tier: 'production', app: 'mlops-inference-service', project: 'mlops-prod' },
  { env: 'dev', tier: 'development', app: 'mlops-inference-service-dev', project: 'mlops-dev' },
] as const;

/** The names setup gives what it creates in GitLab, so a rerun and teardown find them again. */
export const SETUP_NAMES = {
  deployKey: (env: string) => `gitops-write-back-${env}`,
  accessToken: 'gitops-write-back',
  deployToken: 'argocd',
  /** The AppProject role whose tokens the pipelines get (argocd/project.yaml). */
  argocdRole: 'pipeline',
} as const;

/** A year in seconds: the pipeline's Argo CD tokens expire; a rerun of setup mints new ones. */
export const ARGOCD_TOKEN_EXPIRES_IN_S = 365 * 24 * 3600;

/** A CI/CD variable name, checked against deployctl/src/ci-variables.ts, the one list. */
export function ciVariable(name: string): string {
  if (getCiVariable(name)) return name;
  throw new Error(`setup plan: ${name} is not declared in deployctl/src/ci-variables.ts`);
}

export const WRITE_BACK_SSH_KEY = ciVariable('GITOPS_PUSH_SSH_KEY');

const GITLAB_NEEDS = 'GITLAB_TOKEN: a token with the api scope, of a Maintainer of the project';

function getCdkContext(input: SetupInput): string[] {
  const exposed = Boolean(input.argocdDomain && input.argocdCertificateArn);
  return [
    `gitlabProjectPath=${input.project}`,
    `apiAllowedCidrs=${input.apiAllowedCidrs}`,
    `clusterAdminArns=${input.clusterAdminArn}`,
    `region=${input.region}`,
    ...(input.defaultBranch === 'main' ? [] : [`prodBranch=${input.defaultBranch}`]),
    ...(input.gitRepoUrl ? [`gitRepoUrl=${input.gitRepoUrl}`] : []),
    ...(exposed
      ? [
          `argocdDomain=${input.argocdDomain}`,
          `argocdCertificateArn=${input.argocdCertificateArn}`,
          `argocdAllowedCidrs=${input.apiAllowedCidrs}`,
        ]
      : []),
  ].flatMap((setting) => ['-c', setting]);
}

function cdk(input: SetupInput, ...args: string[]): string[] {
  return ['npx', 'cdk', ...args, ...getCdkContext(input), '--profile', input.awsProfile];
}

/** Where `cdk deploy --outputs-file` writes a stack's outputs, relative to the state directory. */
export function getOutputsFileName(stack: StackId): string {
  return `cdk-outputs-${stack}.json`;
}

const output = (stack: StackId, name: string): Ref => ({ from: 'output', stack, name });
const upper = (env: string) => env.toUpperCase();
const prefix = (env: string) => (env === 'prod' ? 'Prod' : 'Dev');

/** The repository Argo CD reads. */
export function getGitRepoUrl(input: SetupInput): string {
  return input.gitRepoUrl ?? `${input.gitlabUrl.replace(/\/+$/, '')}/${input.project}.git`;
}

export function isArgoCdExposed(input: SetupInput): boolean {
  return Boolean(input.argocdDomain && input.argocdCertificateArn);
}

/** The URL setup reaches Argo CD's API at: its domain, or the port-forward of output ArgoCdPortForwardCommand. */
export function getArgoCdUrl(input: SetupInput): string {
  return isArgoCdExposed(input) ? `https://${input.argocdDomain}` : 'https://localhost:8080';
}

function variable(
  title: string,
  project: string,
  body: { key: string; value: string | Ref; environment_scope: string } & Record<string, unknown>,
): SetupStep {
  return {
    kind: 'gitlab',
    title,
    resource: 'variable',
    method: 'POST',
    path: `${project}/variables`,
    body: { variable_type: 'env_var', protected: false, masked: false, raw: true, ...body },
    needs: GITLAB_NEEDS,
  };
}

/** The ordered setup plan. */
export function getSetupPlan(input: SetupInput): SetupStep[] {
  const project = `/projects/${encodeURIComponent(input.project)}`;
  const exposed = isArgoCdExposed(input);
  const repoUrl = getGitRepoUrl(input);
  const branches = [
    { branch: input.defaultBranch, env: 'prod' },
    { branch: 'develop', env: 'dev' },
  ];
  const steps: SetupStep[] = [
    {
      kind: 'shell',
      title: 'point the Argo CD manifests at the project, commit and push (if they do not already)',
      argv: ['bash', 'scripts/set-argocd-repo.sh', repoUrl],
      cwd: 'repo',
      needs: 'git push access to the project (your own git credentials)',
    },
    {
      kind: 'shell',
      title: 'bootstrap CDK',
      argv: cdk(input, 'bootstrap'),
      cwd: 'infra',
      needs: 'the AWS profile (administrator)',
    },
    {
      kind: 'shell',
      title: 'deploy the registry stack',
      argv: cdk(
        input,
        'deploy',
        'MlopsRegistry',
        '--require-approval',
        'never',
        '--outputs-file',
        `<state>/${getOutputsFileName('MlopsRegistry')}`,
      ),
      cwd: 'infra',
      outputs: 'MlopsRegistry',
      needs: 'the AWS profile',
    },
    {
      kind: 'shell',
      title: 'deploy the cluster stack (25–35 minutes)',
      argv: cdk(
        input,
        'deploy',
        'MlopsCluster',
        '--require-approval',
        'never',
        '--outputs-file',
        `<state>/${getOutputsFileName('MlopsCluster')}`,
      ),
      cwd: 'infra',
      outputs: 'MlopsCluster',
      needs: 'the AWS profile',
    },
    {
      kind: 'shell',
      title: 'point kubectl at the cluster (output KubeconfigCommand)',
      argv: kubeconfigArgv(input),
      cwd: 'repo',
      needs: 'the AWS profile, listed in clusterAdminArns',
    },
    ...ENVIRONMENTS.map(
      ({ env, tier }): SetupStep => ({
        kind: 'gitlab',
        title: `create environment ${env}`,
        resource: 'environment',
        method: 'POST',
        path: `${project}/environments`,
        body: { name: env, tier },
        needs: GITLAB_NEEDS,
      }),
    ),
    ...(input.tier === 'free'
      ? ENVIRONMENTS.map(
          ({ env }): SetupStep => ({
            kind: 'gitlab',
            title: `write-back credential for ${env} (any tier, GitLab.com Free included): a deploy key with write access, a new ed25519 key pair`,
            resource: 'deploy-key',
            method: 'POST',
            path: `${project}/deploy_keys`,
            body: { title: SETUP_NAMES.deployKey(env), key: { from: 'ssh-public-key', env }, can_push: true },
            needs: GITLAB_NEEDS,
          }),
        )
      : [
          {
            kind: 'gitlab',
            title:
              'write-back credential: a project access token (GitLab.com Premium or Ultimate; self-managed any tier)',
            resource: 'access-token',
            method: 'POST',
            path: `${project}/access_tokens`,
            body: {
              name: SETUP_NAMES.accessToken,
              scopes: ['write_repository'],
              access_level: 40,
              expires_at: { from: 'one-year-ahead' },
            },
            needs: GITLAB_NEEDS,
          } satisfies SetupStep,
        ]),
    ...branches.map(
      ({ branch, env }): SetupStep => ({
        kind: 'gitlab',
        title: `protect ${branch}: Maintainers push and merge, no force push${input.tier === 'free' ? `, ${env}'s deploy key may push` : ''}`,
        resource: 'protected-branch',
        method: 'POST',
        path: `${project}/protected_branches`,
        body: {
          name: branch,
          push_access_level: 40,
          merge_access_level: 40,
          allow_force_push: false,
          ...(input.tier === 'free'
            ? { allowed_to_push: [{ deploy_key_id: { from: 'deploy-key-id', env } }] }
            : {}),
        },
        needs: GITLAB_NEEDS,
      }),
    ),
    variable(`CI/CD variable ${ciVariable('AWS_ACCOUNT_ID')}`, project, {
      key: ciVariable('AWS_ACCOUNT_ID'),
      value: { from: 'account' },
      environment_scope: '*',
    }),
    ...ENVIRONMENTS.flatMap(({ env }): SetupStep[] => {
      const roleArn = ciVariable(`AWS_ROLE_ARN_${upper(env)}`);
      const serviceUrl = ciVariable(`SERVICE_URL_${upper(env)}`);
      const url = input.serviceUrls?.[env];
      return [
        variable(`CI/CD variable ${roleArn}`, project, {
          key: roleArn,
          value: output('MlopsRegistry', `${prefix(env)}GitLabCiRoleArn`),
          environment_scope: '*',
        }),
        // Verify reaches the service through the cluster's API (EKS_CLUSTER_NAME, below);
        // a URL is set only when the user wants verify to use a public endpoint instead.
        ...(url
          ? [
              variable(`CI/CD variable ${serviceUrl}`, project, {
                key: serviceUrl,
                value: url,
                environment_scope: '*',
              }),
            ]
          : []),
      ];
    }),
    variable(`CI/CD variable ${ciVariable('EKS_CLUSTER_NAME')} (verify through the cluster's API)`, project, {
      key: ciVariable('EKS_CLUSTER_NAME'),
      value: output('MlopsCluster', 'ClusterName'),
      environment_scope: '*',
    }),
    ...ENVIRONMENTS.map(({ env }): SetupStep => {
      if (input.tier === 'free') {
        return variable(`CI/CD variable ${WRITE_BACK_SSH_KEY} for ${env} (file, protected)`, project, {
          key: WRITE_BACK_SSH_KEY,
          value: { from: 'ssh-private-key', env },
          variable_type: 'file',
          protected: true,
          // GitLab masks only single-line values; a private key has many lines. A file
          // variable reaches the job as a path, so the key is never in a log unless printed.
          masked: false,
          environment_scope: env,
        });
      }
      return variable(`CI/CD variable ${ciVariable('GITOPS_PUSH_TOKEN')} for ${env}`, project, {
        key: ciVariable('GITOPS_PUSH_TOKEN'),
        value: { from: 'access-token' },
        masked: true,
        protected: true,
        environment_scope: env,
      });
    }),
    // The deploy key's push checks the SSH host key; deployctl knows gitlab.com's (push-credential.ts).
    ...(input.tier === 'free'
      ? [
          {
            kind: 'manual',
            title: `only on a GitLab other than gitlab.com: CI/CD variable ${ciVariable('GITOPS_SSH_KNOWN_HOSTS')}`,
            detail:
              'the output of `ssh-keyscan [-p <port>] <ssh host>`, checked against the fingerprints the instance publishes; on gitlab.com nothing to do (deployctl carries its published host keys)',
            needs: GITLAB_NEEDS,
          } satisfies SetupStep,
        ]
      : []),
    ...(exposed
      ? [
          variable(`CI/CD variable ${ciVariable('ARGOCD_SERVER')}`, project, {
            key: ciVariable('ARGOCD_SERVER'),
            value: output('MlopsCluster', 'ArgoCdServer'),
            environment_scope: '*',
          }),
          {
            kind: 'gitlab',
            title: 'webhook to Argo CD, with its secret',
            resource: 'hook',
            method: 'POST',
            path: `${project}/hooks`,
            body: {
              url: output('MlopsCluster', 'ArgoCdWebhookUrl'),
              token: { from: 'webhook-secret' },
              push_events: true,
              enable_ssl_verification: true,
            },
            needs: `${GITLAB_NEEDS}; gitlabWebhookCidrs set to GitLab's webhook ranges`,
          } satisfies SetupStep,
        ]
      : [
          {
            kind: 'manual',
            title: 'reach Argo CD: in another terminal, keep output ArgoCdPortForwardCommand running',
            detail:
              'kubectl port-forward svc/argocd-server -n argocd 8080:443 (Argo CD is not exposed without argocdDomain + certificate, so there is no webhook; Argo CD polls Git)',
            needs: 'kubectl pointed at the cluster',
          } satisfies SetupStep,
        ]),
    {
      kind: 'gitlab',
      title: "Argo CD's read credential: a deploy token with read_repository (any tier)",
      resource: 'deploy-token',
      method: 'POST',
      path: `${project}/deploy_tokens`,
      body: { name: SETUP_NAMES.deployToken, scopes: ['read_repository'] },
      needs: GITLAB_NEEDS,
    },
    {
      kind: 'argocd',
      title: "Argo CD's repository credential",
      action: 'repo-credential',
      method: 'POST',
      path: '/api/v1/repositories?upsert=true',
      store: `also into Secrets Manager (output ArgoCdRepoCredentialsSecretName) with aws secretsmanager put-secret-value, which External Secrets keeps the cluster in step with`,
      needs: `an Argo CD admin session (ARGOCD_ADMIN_PASSWORD, else the argocd-initial-admin-secret through kubectl) at ${getArgoCdUrl(input)}`,
    },
    ...ENVIRONMENTS.flatMap(({ env, project: appProject }): SetupStep[] => [
      {
        kind: 'argocd',
        title: `Argo CD token for ${env}'s pipeline (role ${SETUP_NAMES.argocdRole} of AppProject ${appProject})`,
        action: 'project-token',
        method: 'POST',
        path: `/api/v1/projects/${appProject}/roles/${SETUP_NAMES.argocdRole}/token`,
        env,
        store: `stored as ${ciVariable('ARGOCD_AUTH_TOKEN')}, masked, protected, environment_scope ${env}`,
        needs: 'an Argo CD admin session',
      },
      variable(`CI/CD variable ${ciVariable('ARGOCD_AUTH_TOKEN')} for ${env}`, project, {
        key: ciVariable('ARGOCD_AUTH_TOKEN'),
        value: { from: 'argocd-token', env },
        masked: true,
        protected: true,
        environment_scope: env,
      }),
    ]),
    ...ENVIRONMENTS.map(
      ({ env }): SetupStep => ({
        kind: 'gitlab',
        title: `resource group ${env}: newest_first (exists after the first pipeline; a rerun of setup sets it)`,
        resource: 'resource-group',
        method: 'PUT',
        path: `${project}/resource_groups/${env}`,
        body: { process_mode: 'newest_first' },
        needs: GITLAB_NEEDS,
      }),
    ),
    {
      kind: 'next',
      title: 'check the setup',
      command: 'npx deployctl doctor --local --env prod && npx deployctl doctor --local --env dev',
      needs: 'the AWS profile and git credentials',
    },
    {
      kind: 'next',
      title: 'first push',
      command: 'git push origin HEAD:develop',
      needs: 'git push access; then docs/pipeline.md says what to expect',
    },
  ];
  return steps;
}

/** `aws eks update-kubeconfig` for the cluster stack's output: setup and teardown both start with it. */
function kubeconfigArgv(input: SetupInput): (string | Ref)[] {
  return [
    'aws',
    'eks',
    'update-kubeconfig',
    '--region',
    input.region,
    '--name',
    output('MlopsCluster', 'ClusterName'),
    '--profile',
    input.awsProfile,
  ];
}

/**
 * The ordered teardown: the load balancers first, while their controller
 * still runs (an Ingress's ALB is not CloudFormation's, and the VPC deletion
 * stalls on its network interfaces), then the stacks, cluster first, then
 * what setup made in GitLab. Environments and protected branches stay: they
 * hold the deployment history and protect the code, not the cloud.
 */
export function getTeardownPlan(input: SetupInput): TeardownStep[] {
  const kubectl = (...args: string[]): string[] => ['kubectl', ...args];
  const variables: { key: string; environment_scope: string }[] = [
    { key: ciVariable('AWS_ACCOUNT_ID'), environment_scope: '*' },
    ...ENVIRONMENTS.flatMap(({ env }) => [
      { key: ciVariable(`AWS_ROLE_ARN_${upper(env)}`), environment_scope: '*' },
      { key: ciVariable(`SERVICE_URL_${upper(env)}`), environment_scope: '*' },
      // Both write-back credentials: the tier may have changed since setup.
      { key: WRITE_BACK_SSH_KEY, environment_scope: env },
      { key: ciVariable('GITOPS_PUSH_TOKEN'), environment_scope: env },
      { key: ciVariable('ARGOCD_AUTH_TOKEN'), environment_scope: env },
    ]),
    { key: ciVariable('ARGOCD_SERVER'), environment_scope: '*' },
    { key: ciVariable('EKS_CLUSTER_NAME'), environment_scope: '*' },
  ];
  return [
    {
      kind: 'shell',
      title: 'point kubectl at the cluster (output KubeconfigCommand)',
      argv: kubeconfigArgv(input),
      cwd: 'repo',
      stack: 'MlopsCluster',
      needs: 'the AWS profile, listed in clusterAdminArns',
    },
    {
      kind: 'shell',
      title:
        'delete the root Application first (no finalizer: what it made stays), or its self-heal recreates the next ones',
      argv: kubectl('-n', 'argocd', 'delete', 'application', 'mlops-root', '--ignore-not-found'),
      cwd: 'repo',
      stack: 'MlopsCluster',
      needs: 'kubectl pointed at the cluster (output KubeconfigCommand)',
    },
    {
      kind: 'shell',
      title:
        "delete the prod and dev Applications and wait: their resources-finalizer makes Argo CD delete what they deployed, the service's Ingress and so its load balancer included",
      argv: kubectl(
        '-n',
        'argocd',
        'delete',
        'application',
        ...ENVIRONMENTS.map(({ app }) => app),
        '--ignore-not-found',
        '--wait=true',
        '--timeout=20m',
      ),
      cwd: 'repo',
      stack: 'MlopsCluster',
      needs: 'kubectl',
    },
    {
      kind: 'shell',
      title: "delete Argo CD's own Ingress (only there with argocdDomain + certificate)",
      argv: kubectl(
        '-n',
        'argocd',
        'delete',
        'ingress',
        'argocd-server',
        '--ignore-not-found',
        '--wait=true',
      ),
      cwd: 'repo',
      stack: 'MlopsCluster',
      needs: 'kubectl',
    },
    {
      kind: 'wait-load-balancers',
      title: 'wait until no Ingress and no load balancer of the controller is left',
      argv: [
        ['kubectl', 'get', 'ingress', '--all-namespaces', '-o', 'json'],
        [
          'aws',
          'elbv2',
          'describe-load-balancers',
          '--query',
          "LoadBalancers[?starts_with(LoadBalancerName, 'k8s-')].LoadBalancerName",
          '--output',
          'json',
          '--region',
          input.region,
          '--profile',
          input.awsProfile,
        ],
      ],
      timeoutS: 900,
      stack: 'MlopsCluster',
      needs: 'kubectl and the AWS profile',
    },
    {
      kind: 'shell',
      title: 'destroy the cluster stack',
      argv: cdk(input, 'destroy', 'MlopsCluster', '--force'),
      cwd: 'infra',
      stack: 'MlopsCluster',
      needs: 'the AWS profile',
    },
    {
      kind: 'shell',
      title:
        'destroy the registry stack (the two image repositories are retained: aws ecr delete-repository --force deletes them)',
      argv: cdk(input, 'destroy', 'MlopsRegistry', '--force'),
      cwd: 'infra',
      stack: 'MlopsRegistry',
      needs: 'the AWS profile',
    },
    {
      kind: 'gitlab-delete',
      title: 'delete the webhook to Argo CD',
      resource: 'hook',
      match: [{ url: '/api/webhook' }],
      needs: GITLAB_NEEDS,
    },
    {
      kind: 'gitlab-delete',
      title: 'delete the write-back deploy keys',
      resource: 'deploy-key',
      match: ENVIRONMENTS.map(({ env }) => ({ title: SETUP_NAMES.deployKey(env) })),
      needs: GITLAB_NEEDS,
    },
    {
      kind: 'gitlab-delete',
      title: `revoke the project access token (Premium path)`,
      resource: 'access-token',
      match: [{ name: SETUP_NAMES.accessToken }],
      needs: GITLAB_NEEDS,
    },
    {
      kind: 'gitlab-delete',
      title: "revoke Argo CD's deploy token",
      resource: 'deploy-token',
      match: [{ name: SETUP_NAMES.deployToken }],
      needs: GITLAB_NEEDS,
    },
    {
      kind: 'gitlab-delete',
      title: 'delete the CI/CD variables setup set',
      resource: 'variable',
      match: variables,
      needs: GITLAB_NEEDS,
    },
  ];
}

export function formatRef(ref: Ref): string {
  switch (ref.from) {
    case 'output':
      return `<from ${ref.stack} output ${ref.name}>`;
    case 'account':
      return '<the account of output ProdGitLabCiRoleArn>';
    case 'ssh-private-key':
      return `<a new ed25519 private key for ${ref.env}>`;
    case 'ssh-public-key':
      return `<its public key, ${ref.env}>`;
    case 'deploy-key-id':
      return `<the id of deploy key ${SETUP_NAMES.deployKey(ref.env)}>`;
    case 'webhook-secret':
      return '<from the secret of output ArgoCdWebhookSecretName>';
    case 'access-token':
      return '<the project access token>';
    case 'argocd-token':
      return `<the Argo CD token of ${ref.env}>`;
    case 'one-year-ahead':
      return '<one year ahead>';
  }
}

export function isRef(value: unknown): value is Ref {
  return typeof value === 'object' && value !== null && 'from' in value;
}

/** JSON with every Ref shown as its `<from …>` placeholder. */
export function formatBody(body: unknown): string {
  return JSON.stringify(body, (_key, value) => (isRef(value) ? formatRef(value) : value));
}

const GITLAB_COLLECTIONS = {
  hook: 'hooks',
  'deploy-key': 'deploy_keys',
  'deploy-token': 'deploy_tokens',
  'access-token': 'access_tokens',
  variable: 'variables',
} as const;

function formatDeletion(
  resource: keyof typeof GITLAB_COLLECTIONS,
  match: Extract<TeardownStep, { kind: 'gitlab-delete' }>['match'][number],
): string {
  const collection = `/api/v4/projects/:id/${GITLAB_COLLECTIONS[resource]}`;
  if (match.key)
    return `${collection}/${match.key}?filter[environment_scope]=${match.environment_scope ?? '*'}`;
  if (match.url) return `${collection}/<id of each hook whose url ends in ${match.url}>`;
  return `${collection}/<id of ${match.title ?? match.name}>`;
}

/** A word as a shell reads it back: quoted when it holds anything but plain characters. */
function quote(word: string): string {
  // `<state>/…` stands for --state-dir, a placeholder like the Refs.
  return /^[\w@%+=:,./-]+$/.test(word) || /^<state>\/[\w.-]+$/.test(word)
    ? word
    : `'${word.replaceAll("'", "'\\''")}'`;
}

export function formatArgv(argv: (string | Ref)[], cwd: 'repo' | 'infra'): string {
  const words = argv.map((word) => (typeof word === 'string' ? quote(word) : formatRef(word)));
  return `${cwd === 'infra' ? 'cd infra && ' : ''}${words.join(' ')}`;
}

export function formatSetupPlan(steps: SetupStep[]): string {
  return `${steps
    .map((step, index) => {
      const head = `${index + 1}. ${step.title}`;
      switch (step.kind) {
        case 'shell':
          return `${head}\n   $ ${formatArgv(step.argv, step.cwd)}\n   needs: ${step.needs}`;
        case 'gitlab':
          return `${head}\n   GitLab ${step.method} /api/v4${step.path} ${formatBody(step.body)}\n   needs: ${step.needs}`;
        case 'argocd':
          return `${head}\n   Argo CD ${step.method} ${step.path}\n   then: ${step.store}\n   needs: ${step.needs}`;
        case 'next':
          return `${head} (after setup)\n   $ ${step.command}\n   needs: ${step.needs}`;
        default:
          return `${head}\n   by hand: ${step.detail}\n   needs: ${step.needs}`;
      }
    })
    .join('\n')}\n`;
}

export function formatTeardownPlan(steps: TeardownStep[]): string {
  return `${steps
    .map((step, index) => {
      const head = `${index + 1}. ${step.title}`;
      switch (step.kind) {
        case 'shell':
          return `${head}\n   $ ${formatArgv(step.argv, step.cwd)}\n   needs: ${step.needs}`;
        case 'wait-load-balancers':
          return `${head} (up to ${step.timeoutS / 60} minutes)\n${step.argv.map((argv) => `   $ ${formatArgv(argv, 'repo')}`).join('\n')}\n   needs: ${step.needs}`;
        default:
          return `${head}\n${step.match.map((match) => `   GitLab DELETE ${formatDeletion(step.resource, match)}`).join('\n')}\n   needs: ${step.needs}`;
      }
    })
    .join('\n')}\n`;
}
