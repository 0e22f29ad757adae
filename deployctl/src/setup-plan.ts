/**
 * The setup of a new project as data (issue 17, "one setup command"): every
 * step from an empty AWS account and a GitLab project to the first push, in
 * order, with what it needs. `deployctl setup --dry-run` prints it; an executor
 * (not written yet) would run exactly these steps, so the plan is the one
 * description of the setup.
 *
 * GitLab endpoints and fields follow GitLab's REST API documentation
 * (docs.gitlab.com/api/): environments, project-level variables, protected
 * branches, project webhooks, project access tokens, resource groups. Argo CD's
 * token endpoint is its API's `POST /api/v1/projects/{project}/roles/{role}/token`.
 */

export type Tier = 'free' | 'premium';

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
}

export type SetupStep =
  | { kind: 'shell'; title: string; command: string; needs: string }
  | {
      kind: 'gitlab';
      title: string;
      method: 'POST' | 'PUT';
      path: string;
      body: Record<string, unknown>;
      needs: string;
    }
  | { kind: 'argocd'; title: string; method: 'POST'; path: string; needs: string; store: string }
  | { kind: 'manual'; title: string; detail: string; needs: string };

const ENVIRONMENTS = [
  { env: 'prod', tier: 'production', app: 'mlops-inference-service', project: 'mlops-prod' },
  { env: 'dev', tier: 'development', app: 'mlops-inference-service-dev', project: 'mlops-dev' },
] as const;

/** The ordered plan. Values only known at run time are `<from …>` placeholders. */
export function getSetupPlan(input: SetupInput): SetupStep[] {
  const project = `/projects/${encodeURIComponent(input.project)}`;
  const exposed = Boolean(input.argocdDomain && input.argocdCertificateArn);
  const ctx = [
    `-c gitlabProjectPath=${input.project}`,
    `-c apiAllowedCidrs=${input.apiAllowedCidrs}`,
    `-c clusterAdminArns=${input.clusterAdminArn}`,
    `-c region=${input.region}`,
    ...(input.defaultBranch === 'main' ? [] : [`-c prodBranch=${input.defaultBranch}`]),
    ...(exposed
      ? [
          `-c argocdDomain=${input.argocdDomain}`,
          `-c argocdCertificateArn=${input.argocdCertificateArn}`,
          `-c argocdAllowedCidrs=${input.apiAllowedCidrs}`,
        ]
      : []),
  ].join(' ');
  const aws = `--profile ${input.awsProfile}`;
  const cdk = (args: string) => `cd infra && npx cdk ${args} ${ctx} ${aws}`;
  const output = (stack: string, name: string) => `<from ${stack} output ${name}>`;
  const gitlab = 'a GitLab token with the api scope (Maintainer of the project)';
  const steps: SetupStep[] = [
    {
      kind: 'shell',
      title: 'point the Argo CD manifests at the project',
      command: `scripts/set-argocd-repo.sh ${input.gitlabUrl}/${input.project}.git && git commit -am "argocd: this project" && git push`,
      needs: 'git push access',
    },
    {
      kind: 'shell',
      title: 'bootstrap CDK',
      command: cdk('bootstrap'),
      needs: 'the AWS profile (administrator)',
    },
    {
      kind: 'shell',
      title: 'deploy the registry stack',
      command: cdk('deploy MlopsRegistry --require-approval never'),
      needs: 'the AWS profile',
    },
    {
      kind: 'shell',
      title: 'deploy the cluster stack (25–35 minutes)',
      command: cdk('deploy MlopsCluster --require-approval never'),
      needs: 'the AWS profile',
    },
    ...ENVIRONMENTS.map(
      ({ env, tier }): SetupStep => ({
        kind: 'gitlab',
        title: `create environment ${env}`,
        method: 'POST',
        path: `${project}/environments`,
        body: { name: env, tier },
        needs: gitlab,
      }),
    ),
    ...[input.defaultBranch, 'develop'].map(
      (branch): SetupStep => ({
        kind: 'gitlab',
        title: `protect ${branch}`,
        method: 'POST',
        path: `${project}/protected_branches`,
        body: { name: branch, push_access_level: 40, merge_access_level: 40, allow_force_push: false },
        needs: gitlab,
      }),
    ),
    {
      kind: 'gitlab',
      title: 'CI/CD variable AWS_ACCOUNT_ID',
      method: 'POST',
      path: `${project}/variables`,
      body: { key: 'AWS_ACCOUNT_ID', value: '<from aws sts get-caller-identity>', environment_scope: '*' },
      needs: gitlab,
    },
    ...ENVIRONMENTS.flatMap(({ env }): SetupStep[] => [
      {
        kind: 'gitlab',
        title: `CI/CD variable AWS_ROLE_ARN_${env.toUpperCase()}`,
        method: 'POST',
        path: `${project}/variables`,
        body: {
          key: `AWS_ROLE_ARN_${env.toUpperCase()}`,
          value: output('MlopsRegistry', `${env === 'prod' ? 'Prod' : 'Dev'}GitLabCiRoleArn`),
          environment_scope: '*',
        },
        needs: gitlab,
      },
      {
        kind: 'gitlab',
        title: `CI/CD variable SERVICE_URL_${env.toUpperCase()}`,
        method: 'POST',
        path: `${project}/variables`,
        body: {
          key: `SERVICE_URL_${env.toUpperCase()}`,
          value: '<the service as the runner reaches it>',
          environment_scope: '*',
        },
        needs: gitlab,
      },
    ]),
    input.tier === 'premium'
      ? {
          kind: 'gitlab',
          title: 'write-back credential: a project access token (Premium or Ultimate on GitLab.com)',
          method: 'POST',
          path: `${project}/access_tokens`,
          body: {
            name: 'gitops-write-back',
            scopes: ['write_repository'],
            access_level: 40,
            expires_at: '<one year ahead>',
          },
          needs: gitlab,
        }
      : {
          kind: 'manual',
          title: 'write-back credential (Free): a bot user’s personal access token',
          detail:
            'create a user for the pipeline, add it to the project as Maintainer, and as that user a personal access token with scope write_repository (GitLab.com Free has no project access tokens; the API cannot create another user’s token without admin rights)',
          needs: 'a second GitLab account',
        },
    ...ENVIRONMENTS.map(
      ({ env }): SetupStep => ({
        kind: 'gitlab',
        title: `CI/CD variable GITOPS_PUSH_TOKEN for ${env}`,
        method: 'POST',
        path: `${project}/variables`,
        body: {
          key: 'GITOPS_PUSH_TOKEN',
          value: '<the write-back token>',
          masked: true,
          protected: true,
          environment_scope: env,
        },
        needs: gitlab,
      }),
    ),
    {
      kind: 'manual',
      title: 'Argo CD repository credential',
      detail: `GitLab deploy token (read_repository) stored with: aws secretsmanager put-secret-value ${aws} --secret-id ${output('MlopsCluster', 'ArgoCdRepoCredentialsSecretName')} --secret-string '{"username":"<token user>","password":"<token>"}'`,
      needs: 'the AWS profile; POST /projects/:id/deploy_tokens creates the token',
    },
    ...ENVIRONMENTS.flatMap(({ env, project: appProject }): SetupStep[] => [
      {
        kind: 'argocd',
        title: `Argo CD token for ${env}'s pipeline`,
        method: 'POST',
        path: `/api/v1/projects/${appProject}/roles/pipeline/token`,
        needs: 'an Argo CD admin session (infra/README.md step 5)',
        store: `stored as ARGOCD_AUTH_TOKEN, masked, protected, environment_scope ${env}`,
      },
    ]),
    ...(exposed
      ? [
          {
            kind: 'gitlab',
            title: 'CI/CD variable ARGOCD_SERVER',
            method: 'POST',
            path: `${project}/variables`,
            body: {
              key: 'ARGOCD_SERVER',
              value: output('MlopsCluster', 'ArgoCdServer'),
              environment_scope: '*',
            },
            needs: gitlab,
          } satisfies SetupStep,
          {
            kind: 'gitlab',
            title: 'webhook to Argo CD, with its secret',
            method: 'POST',
            path: `${project}/hooks`,
            body: {
              url: output('MlopsCluster', 'ArgoCdWebhookUrl'),
              token: `<from the secret ${output('MlopsCluster', 'ArgoCdWebhookSecretName')}>`,
              push_events: true,
              enable_ssl_verification: true,
            },
            needs: `${gitlab}; gitlabWebhookCidrs set to GitLab's webhook ranges`,
          } satisfies SetupStep,
        ]
      : []),
    {
      kind: 'shell',
      title: 'check the setup',
      command: 'npx deployctl doctor --local --env prod && npx deployctl doctor --local --env dev',
      needs: 'the AWS profile and git credentials',
    },
    {
      kind: 'shell',
      title: 'first push',
      command: 'git push origin HEAD:develop',
      needs: 'git push access; then docs/pipeline.md says what to expect',
    },
    ...ENVIRONMENTS.map(
      ({ env }): SetupStep => ({
        kind: 'gitlab',
        title: `resource group ${env}: newest_first (after the first pipeline created it)`,
        method: 'PUT',
        path: `${project}/resource_groups/${env}`,
        body: { process_mode: 'newest_first' },
        needs: gitlab,
      }),
    ),
  ];
  return steps;
}

export function formatSetupPlan(steps: SetupStep[]): string {
  return `${steps
    .map((step, index) => {
      const head = `${index + 1}. ${step.title}`;
      switch (step.kind) {
        case 'shell':
          return `${head}\n   $ ${step.command}\n   needs: ${step.needs}`;
        case 'gitlab':
          return `${head}\n   GitLab ${step.method} /api/v4${step.path} ${JSON.stringify(step.body)}\n   needs: ${step.needs}`;
        case 'argocd':
          return `${head}\n   Argo CD ${step.method} ${step.path}\n   then: ${step.store}\n   needs: ${step.needs}`;
        default:
          return `${head}\n   by hand: ${step.detail}\n   needs: ${step.needs}`;
      }
    })
    .join('\n')}\n`;
}
