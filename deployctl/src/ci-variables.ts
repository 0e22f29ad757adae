/**
 * The CI/CD variables the pipeline uses, declared once: what each is, whether
 * a job fails without it, whether it is a secret, whether GitLab scopes it to
 * an environment, which jobs need it and what sets it. `doctor` checks a job's
 * environment against this list, and test/ci-variables.test.ts keeps the header
 * and `variables:` of .gitlab-ci.yml and the `require` lines of
 * scripts/ci/*.sh in step with it.
 */

/** The pipeline's jobs by kind (`release` is release-prod and release-dev, and so on). */
export const CI_JOBS = ['checks', 'build', 'publish', 'release', 'verify', 'rollback', 'timeline'] as const;
export type CiJob = (typeof CI_JOBS)[number];

/** The jobs that declare a GitLab `environment:` and so receive environment-scoped variables. */
export const DEPLOYMENT_JOBS: readonly CiJob[] = ['release', 'verify', 'rollback'];

export type SetBy =
  /** Settings > CI/CD > Variables, by whoever operates the project. */
  | 'settings'
  /** `variables:` of .gitlab-ci.yml (top level or a hidden job). */
  | 'gitlab-ci.yml'
  /** A job's rules or the `.on-prod`/`.on-dev` templates, from the branch. */
  | 'rules'
  /** A dotenv report of an earlier job. */
  | 'earlier-job'
  /** GitLab itself (predefined, or `id_tokens`). */
  | 'gitlab'
  /** Someone, for one run (the Run pipeline form, a manual job's variables). */
  | 'one-run'
  /** Only the local rehearsal (scripts/rehearsal/main.ts). */
  | 'rehearsal';

export interface CiVariable {
  name: string;
  /** A job that needs it fails without it. */
  required: boolean;
  /** Masked and protected; never printed. */
  secret: boolean;
  /** Stored once per GitLab environment (prod, dev): only jobs that declare that environment see it. */
  environmentScoped: boolean;
  /** Only for this environment (its name carries the env, like AWS_ROLE_ARN_PROD). */
  env?: string;
  /** Required as soon as this other variable is set (the Argo CD token with the server). */
  requiredWith?: string;
  /**
   * One of a group of alternatives: a job needs at least one variable of the
   * group set (the write-back credential: a deploy key or a token), so each is
   * declared optional.
   */
  anyOf?: string;
  jobs: readonly CiJob[];
  setBy: SetBy;
  description: string;
}

const ALL: readonly CiJob[] = CI_JOBS;
/** The `anyOf` group of the write-back credential. */
export const WRITE_BACK_CREDENTIAL = 'the write-back credential';
const IMAGE_JOBS: readonly CiJob[] = ['build', 'publish'];
const AWS_JOBS: readonly CiJob[] = ['build', 'publish', 'verify', 'rollback'];

/** A required, plain Settings variable stored once per environment under its own name (`<NAME>_PROD`). */
function perEnvironment(
  name: string,
  jobs: readonly CiJob[],
  describe: (env: string) => string,
): CiVariable[] {
  return ['prod', 'dev'].map((env) => ({
    name: `${name}_${env.toUpperCase()}`,
    required: true,
    secret: false,
    environmentScoped: false,
    env,
    jobs,
    setBy: 'settings',
    description: describe(env),
  }));
}

/** A variable that is neither secret nor scoped to an environment (most of them). */
function plain(
  setBy: SetBy,
  name: string,
  required: boolean,
  jobs: readonly CiJob[],
  description: string,
): CiVariable {
  return { name, required, secret: false, environmentScoped: false, jobs, setBy, description };
}

export const CI_VARIABLES: readonly CiVariable[] = [
  // Settings > CI/CD > Variables
  {
    name: 'AWS_ACCOUNT_ID',
    required: true,
    secret: false,
    environmentScoped: false,
    jobs: ['build', 'publish', 'release', 'verify', 'rollback'],
    setBy: 'settings',
    description: 'the AWS account that holds ECR (part of ECR_REGISTRY)',
  },
  ...perEnvironment(
    'AWS_ROLE_ARN',
    AWS_JOBS,
    (env) => `the ${env} CI role; not a secret: its trust policy is the lock`,
  ),
  // The write-back credential: one of the two (deployctl/src/push-credential.ts decides).
  {
    name: 'GITOPS_PUSH_SSH_KEY',
    required: false,
    // A private key is several lines, which GitLab cannot mask: protected and scoped instead.
    secret: false,
    environmentScoped: true,
    anyOf: WRITE_BACK_CREDENTIAL,
    jobs: DEPLOYMENT_JOBS,
    setBy: 'settings',
    description:
      'a deploy key with write access (every GitLab tier), type File: its private key; pushes over SSH',
  },
  {
    name: 'GITOPS_SSH_KNOWN_HOSTS',
    required: false,
    secret: false,
    environmentScoped: false,
    jobs: DEPLOYMENT_JOBS,
    setBy: 'settings',
    description: "the GitLab SSH host's known_hosts entries; unset: gitlab.com's published keys",
  },
  {
    name: 'GITOPS_PUSH_TOKEN',
    required: false,
    secret: true,
    environmentScoped: true,
    anyOf: WRITE_BACK_CREDENTIAL,
    jobs: DEPLOYMENT_JOBS,
    setBy: 'settings',
    description:
      'a project access token (Premium/Ultimate on GitLab.com) that pushes over HTTPS; the job token cannot push',
  },
  {
    name: 'ARGOCD_SERVER',
    required: false,
    secret: false,
    environmentScoped: false,
    jobs: ['verify'],
    setBy: 'settings',
    description: 'Argo CD host; unset: verify does not ask Argo CD and relies on the webhook/polling',
  },
  {
    name: 'ARGOCD_AUTH_TOKEN',
    required: false,
    secret: true,
    environmentScoped: true,
    requiredWith: 'ARGOCD_SERVER',
    jobs: ['verify'],
    setBy: 'settings',
    description: 'a token of the AppProject role `pipeline` of the environment',
  },
  // Verification through the Kubernetes API (no public endpoint): the cluster, and the CI
  // role's read-only verifier identity (docs/contracts.md). Without it, the service's URL.
  {
    name: 'EKS_CLUSTER_NAME',
    required: false,
    secret: false,
    environmentScoped: false,
    jobs: ['verify'],
    setBy: 'settings',
    description:
      "the EKS cluster (output ClusterName): verify reaches the Service through its API server's service proxy as the CI role; unset: SERVICE_URL_<ENV>",
  },
  ...['prod', 'dev'].map(
    (env): CiVariable => ({
      name: `SERVICE_URL_${env.toUpperCase()}`,
      required: false,
      secret: false,
      environmentScoped: false,
      env,
      jobs: ['verify'],
      setBy: 'settings',
      description: `the ${env} service's URL as the runner reaches it; only without EKS_CLUSTER_NAME`,
    }),
  ),
  // .gitlab-ci.yml
  ...(
    [
      ['AWS_REGION', true, AWS_JOBS, 'the AWS region (eu-central-1)'],
      ['ECR_REPOSITORY', true, ['build', 'publish', 'release'], "prod's ECR repository name"],
      ['ECR_REGISTRY', true, ['build', 'publish', 'release', 'verify', 'rollback'], 'the ECR registry host'],
      ['IMAGE_ARCHIVE', true, IMAGE_JOBS, 'the built image (OCI archive), from build to publish'],
      ['DEPLOYCTL_EVENTS_FILE', true, ['release', 'verify', 'rollback', 'timeline'], "the timeline's events"],
      ['WAIT_TIMEOUT_SECONDS', false, ['verify'], 'how long verify waits for Argo CD and the replicas'],
      ['npm_config_cache', false, ['checks', 'release', 'verify', 'rollback', 'timeline'], "npm's cache"],
      [
        'XDG_CACHE_HOME',
        false,
        ['checks', 'build'],
        "the suites' tools cache and the image assembler's layers inside the project, kept by GitLab's cache",
      ],
      [
        'TOOLS_CACHE_ONLY',
        false,
        ['checks'],
        'true in every job but `tools`: a tool missing from the cache fails the job, never built from source',
      ],
      ['ONNXRUNTIME_NODE_INSTALL', false, ALL, "skip: onnxruntime-node's install script fetches CUDA files"],
      ['GIT_DEPTH', false, DEPLOYMENT_JOBS, '0: deployctl needs the full history'],
      ['GIT_STRATEGY', false, DEPLOYMENT_JOBS, 'clone: a fresh checkout with the full history'],
    ] as const
  ).map(([name, required, jobs, description]) => plain('gitlab-ci.yml', name, required, jobs, description)),
  // Rules and matrix
  ...(
    [
      ['DEPLOY_ENV', ['build', 'publish', 'release', 'verify', 'rollback'], 'prod or dev, from the branch'],
      ['ARGOCD_APP', ['verify'], "the environment's Argo CD Application"],
      ['IMAGE_REPOSITORY', ['build', 'publish', 'release'], "the environment's own ECR repository"],
      ['AWS_ROLE_ARN', AWS_JOBS, 'AWS_ROLE_ARN_PROD or AWS_ROLE_ARN_DEV'],
      ['SUITE', ['checks'], 'the `npm test` suite a test job runs'],
      ['IMAGE_UNDER_TEST', ['checks'], "the image-test job's archive to test: oci-archive:$IMAGE_ARCHIVE"],
    ] as const
  ).map(([name, jobs, description]) => plain('rules', name, true, jobs, description)),
  plain(
    'rules',
    'SERVICE_URL',
    false,
    ['verify'],
    'SERVICE_URL_PROD or SERVICE_URL_DEV (unused with EKS_CLUSTER_NAME)',
  ),
  // Earlier jobs (dotenv reports)
  ...(
    [
      ['IMAGE_TAG', ['release']],
      ['IMAGE_DIGEST', ['release']],
      ['IMAGE_PUSHED_AT', ['release']],
      ['DEPLOYCTL_RELEASE_STATUS', []],
      ['DEPLOYCTL_RELEASE_COMMIT', []],
      ['DEPLOYCTL_DEPLOYED_COMMIT', []],
    ] as const
  ).map(([name, jobs]) =>
    plain(
      'earlier-job',
      name,
      false,
      jobs,
      name.startsWith('IMAGE_') ? 'from publish-image (publish.env)' : 'from release-<env> (release.env)',
    ),
  ),
  // build-image's answer of `deployctl image-status` and the built image's id (build.env)
  ...(['IMAGE_STATUS', 'IMAGE_STATUS_DIGEST', 'IMAGE_ID'] as const).map((name) =>
    plain('earlier-job', name, false, ['checks', 'publish'], 'from build-image (build.env)'),
  ),
  // GitLab itself
  {
    name: 'GITLAB_OIDC_TOKEN',
    required: true,
    secret: true,
    environmentScoped: false,
    jobs: AWS_JOBS,
    setBy: 'gitlab',
    description: "the job's OIDC token (`id_tokens`), traded for the AWS role",
  },
  ...(
    [
      ['CI_COMMIT_SHA', true, ['build', 'publish', 'release', 'verify']],
      ['CI_COMMIT_BRANCH', true, ['verify']],
      ['CI_DEFAULT_BRANCH', true, DEPLOYMENT_JOBS],
      ['CI_SERVER_URL', true, DEPLOYMENT_JOBS],
      ['CI_PROJECT_PATH', true, DEPLOYMENT_JOBS],
      ['CI_PIPELINE_SOURCE', false, []],
      ['CI_COMMIT_MESSAGE', false, []],
      ['CI_COMMIT_TITLE', false, []],
      ['CI_OPEN_MERGE_REQUESTS', false, []],
      ['CI_PIPELINE_URL', false, ['release', 'verify', 'rollback']],
      ['CI_PIPELINE_CREATED_AT', false, ['timeline']],
      ['CI_COMMIT_TIMESTAMP', false, ['timeline']],
      ['CI_SERVER_HOST', false, DEPLOYMENT_JOBS],
      ['CI_SERVER_SHELL_SSH_HOST', false, DEPLOYMENT_JOBS],
      ['CI_SERVER_SHELL_SSH_PORT', false, DEPLOYMENT_JOBS],
      ['CI_PROJECT_DIR', false, []],
      // `parallel: N` (deployctl-tests): which share of the suite's test files a job runs.
      ['CI_NODE_INDEX', false, ['checks']],
      ['CI_NODE_TOTAL', false, ['checks']],
      ['GITLAB_CI', false, ALL],
    ] as const
  ).map(([name, required, jobs]) => plain('gitlab', name, required, jobs, 'predefined by GitLab')),
  // For one run
  ...(
    [
      ['ROLLBACK_TO', ['rollback'], 'the commit the manual rollback job moves to'],
      ['VERIFY_REPLICAS', ['verify'], 'instances verify requires (default: from the values)'],
      ['VERIFY_TIMEOUT_SECONDS', ['verify'], "verify's own limit"],
      ['BASE_IMAGE', ['build'], "overrides the Dockerfile's runtime base"],
      ['BUILD_BASE_IMAGE', ['build'], "overrides the Dockerfile's build base"],
      ['TOOLS_BUILD', ['checks'], '"true": run the `tools` job, which builds what the tools cache lacks'],
    ] as const
  ).map(([name, jobs, description]) => plain('one-run', name, false, jobs, description)),
  // The local rehearsal only (ignored where GITLAB_CI is "true")
  ...(
    [
      ['LOCAL_REHEARSAL', AWS_JOBS, 'skip the OIDC/ECR login'],
      ['SKIP_CHECKS', ['checks'], 'leave the check jobs out'],
      ['REGISTRY_TLS_VERIFY', IMAGE_JOBS, 'false: the local registry speaks plain HTTP'],
    ] as const
  ).map(([name, jobs, description]) => plain('rehearsal', name, false, jobs, description)),
];

/** The names of an `anyOf` group, in declaration order: `GITOPS_PUSH_SSH_KEY or GITOPS_PUSH_TOKEN`. */
export function getAlternatives(group: string): string[] {
  return CI_VARIABLES.filter((variable) => variable.anyOf === group).map((variable) => variable.name);
}

export function getCiVariable(name: string): CiVariable | undefined {
  return CI_VARIABLES.find((variable) => variable.name === name);
}

/**
 * What a deployment job of `env` must have, and may have: the declared
 * variables its jobs need, without the other environment's per-env names.
 * Variables of earlier jobs, one run or the rehearsal are never required.
 */
export function getJobVariables(
  env: string,
  jobs: readonly CiJob[] = DEPLOYMENT_JOBS,
): { required: CiVariable[]; optional: CiVariable[] } {
  const relevant = CI_VARIABLES.filter(
    (variable) =>
      (variable.env === undefined || variable.env === env) &&
      variable.jobs.some((job) => jobs.includes(job)) &&
      ['settings', 'gitlab-ci.yml', 'rules', 'gitlab'].includes(variable.setBy),
  );
  return {
    required: relevant.filter((variable) => variable.required),
    optional: relevant.filter((variable) => !variable.required),
  };
}
