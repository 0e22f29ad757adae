import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { RegionInfo } from 'aws-cdk-lib/region-info';

/**
 * One deploying environment of the pipeline: its branch, its own image repository (and layer
 * cache beside it) and its own CI role. Nothing is shared between environments, so a pipeline
 * of one branch cannot write what the other environment pulls or builds from (issue 13, point 3).
 */
export interface CiEnvironmentConfig {
  readonly name: 'prod' | 'dev';
  /** The one branch whose pipelines may assume this environment's role (exact `sub` match). */
  readonly branch: string;
  readonly repositoryName: string;
  /** Lifecycle: how many of the newest tagged images (rollback targets) the repository keeps. */
  readonly keepImages: number;
}

/** Everything the stacks need, validated. Built by `loadConfig` from CDK context (`-c key=value`). */
export interface InfraConfig {
  readonly account: string;
  readonly region: string;
  readonly gitlabHost: string;
  readonly gitlabProjectPath: string;
  /** The `aud` the pipeline's `id_tokens` asks for; must match `.gitlab-ci.yml`. */
  readonly gitlabAudience: string;
  /** prod first, then dev. */
  readonly environments: readonly [CiEnvironmentConfig, CiEnvironmentConfig];
  /** ARN of an IAM OIDC provider for the GitLab host that already exists in the account (one per URL). */
  readonly existingGitlabOidcProviderArn: string | undefined;
  readonly untaggedExpiryDays: number;
  readonly clusterName: string;
  readonly kubernetesVersion: string;
  readonly nodeInstanceType: string;
  /** Graviton (arm64) or x86_64, derived from the instance type; picks the AMI type. */
  readonly nodeArchitecture: 'arm64' | 'x86_64';
  readonly nodeCount: number;
  readonly nodeMaxCount: number;
  readonly natGateways: number;
  /** Named explicitly so synthesis never looks AZs up (no credentials, no cdk.context.json). */
  readonly availabilityZones: readonly string[];
  readonly clusterAdminArns: readonly string[];
  /**
   * Who may reach the Kubernetes API's public endpoint, or `private` for no public endpoint.
   * Required: nothing is open to the internet unless the user names the networks (issue 13, point 5).
   */
  readonly apiAllowedCidrs: readonly string[] | 'private';
  /** Who may reach Argo CD's load balancer; empty when Argo CD is not exposed (no certificate). */
  readonly argocdAllowedCidrs: readonly string[];
  /** GitLab's webhook senders, also let through to Argo CD (only `/api/webhook` needs them). */
  readonly gitlabWebhookCidrs: readonly string[];
  /** Argo CD gets an HTTPS load balancer only with a real certificate; otherwise port-forward only. */
  readonly argocdExposed: boolean;
  readonly argocdChartVersion: string;
  readonly externalSecretsChartVersion: string;
  /** With `argocdCertificateArn`: the load balancer terminates TLS with a real certificate for this name. */
  readonly argocdDomain: string | undefined;
  readonly argocdCertificateArn: string | undefined;
  /** The Git repository Argo CD reads (`argocd/`, `helm/`): the GitLab project by default. */
  readonly gitRepoUrl: string;
  /** Overrides the root Application's `targetRevision` when set. */
  readonly gitTargetRevision: string | undefined;
}

/** buildah's registry layer cache of an environment lives in `<its repository>/build-cache`. */
export const CACHE_SUFFIX = '/build-cache';

export const DEFAULTS = {
  region: 'eu-central-1',
  gitlabHost: 'gitlab.com',
  prodBranch: 'main',
  devBranch: 'develop',
  prodEcrRepositoryName: 'mlops-inference-service',
  devEcrRepositoryName: 'mlops-inference-service-dev',
  untaggedExpiryDays: 7,
  // prod keeps a month or more of releases to roll back to; dev images are only tried once.
  prodKeepImages: 30,
  devKeepImages: 10,
  clusterName: 'mlops',
  kubernetesVersion: '1.35',
  // x86_64 by default because the pipeline's buildah builds for the runner's architecture
  // (GitLab's default SaaS runners are amd64); set a Graviton type (t4g/m7g) with arm64 runners.
  nodeInstanceType: 't3.large',
  nodeCount: 2,
  natGateways: 1,
  // Pinned: argo-helm's argo-cd chart (Argo CD v3.5) and external-secrets' chart (API external-secrets.io/v1).
  argocdChartVersion: '10.9.0',
  externalSecretsChartVersion: '2.10.0',
} as const;

/**
 * Kubernetes versions this app can drive: the kubectl Lambda layer is v1.35 and kubectl
 * supports one minor version of skew either way.
 */
export const SUPPORTED_KUBERNETES_VERSIONS = ['1.34', '1.35', '1.36'] as const;

/** The CDK context keys `loadConfig` reads. */
export const CONTEXT_KEYS = [
  'account',
  'region',
  'gitlabHost',
  'gitlabProjectPath',
  'gitlabAudience',
  'prodBranch',
  'devBranch',
  'existingGitlabOidcProviderArn',
  'prodEcrRepositoryName',
  'devEcrRepositoryName',
  'untaggedExpiryDays',
  'prodKeepImages',
  'devKeepImages',
  'clusterName',
  'kubernetesVersion',
  'nodeInstanceType',
  'nodeCount',
  'nodeMaxCount',
  'natGateways',
  'availabilityZones',
  'clusterAdminArns',
  'apiAllowedCidrs',
  'argocdAllowedCidrs',
  'gitlabWebhookCidrs',
  'argocdChartVersion',
  'externalSecretsChartVersion',
  'argocdDomain',
  'argocdCertificateArn',
  'gitRepoUrl',
  'gitTargetRevision',
] as const;

export type RawConfig = Partial<Record<(typeof CONTEXT_KEYS)[number], unknown>>;

/**
 * Settings of earlier versions that no longer exist, with what replaced them: an old command
 * line must fail with the new keys named, not be ignored or read half-way.
 */
export const REPLACED_SETTINGS: Readonly<Record<string, string>> = {
  protectedBranches:
    'each environment has its own role now: set `-c prodBranch=main` and `-c devBranch=develop` (the defaults) instead',
  ecrRepositoryName:
    'each environment has its own repository now: set `-c prodEcrRepositoryName=...` and `-c devEcrRepositoryName=...` instead',
  keepImages:
    'each environment has its own lifecycle now: set `-c prodKeepImages=30` and `-c devKeepImages=10` (the defaults) instead',
};

/** Thrown for any bad setting; the message names the setting, shows the value and says what to change. */
export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`invalid setting \`${setting}\`: ${message}`);
    this.name = 'ConfigError';
  }
}

const show = (value: unknown): string => (value === undefined ? 'nothing' : `\`${String(value)}\``);

function optionalString(raw: RawConfig, key: keyof RawConfig): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    throw new ConfigError(key, `expected a string, got ${show(value)}; pass it as \`-c ${key}=...\``);
  }
  return value.trim();
}

function requiredString(raw: RawConfig, key: keyof RawConfig, hint: string): string {
  const value = optionalString(raw, key);
  if (value === undefined) throw new ConfigError(key, `it is missing; ${hint}`);
  return value;
}

function integer(raw: RawConfig, key: keyof RawConfig, fallback: number, min: number, max: number): number {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return fallback;
  // CDK context from the command line arrives as a string, from cdk.json as a number.
  const parsed = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(
      key,
      `${show(value)} is not a whole number from ${min} to ${max}; change \`${key}\``,
    );
  }
  return parsed;
}

/** A list from cdk.json (array) or the command line (comma-separated string). */
function list(raw: RawConfig, key: keyof RawConfig, fallback: readonly string[]): string[] {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return [...fallback];
  const items = Array.isArray(value) ? value : String(value).split(',');
  if (!items.every((item) => typeof item === 'string')) {
    throw new ConfigError(key, `expected strings, got ${show(JSON.stringify(value))}`);
  }
  return items.map((item: string) => item.trim()).filter((item) => item !== '');
}

function check(condition: boolean, setting: string, message: string): asserts condition {
  if (!condition) throw new ConfigError(setting, message);
}

/**
 * A list of IPv4 networks that may reach `what`. `0.0.0.0/0` is refused: opening a control
 * endpoint to the whole internet is what issue 13 (point 5) removed, so it is not one flag away.
 */
function cidrList(raw: RawConfig, key: keyof RawConfig, what: string): string[] {
  const cidrs = list(raw, key, []);
  for (const cidr of cidrs) {
    const match = CIDR.exec(cidr);
    const octets = match ? match.slice(1, 5).map(Number) : [];
    const prefix = match ? Number(match[5]) : -1;
    check(
      match !== null && octets.every((o) => o <= 255) && prefix <= 32,
      key,
      `${show(cidr)} is not an IPv4 CIDR such as \`203.0.113.0/24\``,
    );
    check(
      prefix > 0,
      key,
      `${show(cidr)} would open ${what} to the whole internet; name the networks that need it, e.g. \`-c ${key}=203.0.113.0/24\``,
    );
    const address = octets.reduce((sum, o) => sum * 256 + o, 0);
    const size = 2 ** (32 - prefix);
    const network = address - (address % size);
    const shown = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join('.');
    check(address === network, key, `${show(cidr)} has host bits set; the network is \`${shown}/${prefix}\``);
  }
  return cidrs;
}

const HOSTNAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+(:\d{1,5})?$/;
// GitLab namespaces can nest (group/subgroup/project); each part is a path slug.
const PROJECT_PATH = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)+$/;
// Git refs that can appear verbatim in the OIDC `sub` claim; wildcards would widen the trust policy.
const BRANCH = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
const SEMVER = /^\d+\.\d+\.\d+$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
/** Where GitLab.com lists the addresses its webhooks come from (they change; never guessed here). */
export const GITLAB_COM_IP_RANGES_DOC = 'https://docs.gitlab.com/user/gitlab_com/#ip-range';
const IAM_PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;
const OIDC_PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/.+$/;
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
// ECR repository names: lowercase path segments.
const ECR_NAME = /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

function instanceArchitecture(instanceType: string): 'arm64' | 'x86_64' {
  check(
    /^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(instanceType),
    'nodeInstanceType',
    `${show(instanceType)} is not an EC2 instance type; use e.g. \`t3.large\` or, for Graviton, \`t4g.large\``,
  );
  return new ec2.InstanceType(instanceType).architecture === ec2.InstanceArchitecture.ARM_64
    ? 'arm64'
    : 'x86_64';
}

/**
 * Validates CDK context early, before any construct exists, so a bad setting fails synthesis
 * with one clear message instead of a CloudFormation error half-way through a deploy.
 */
export function loadConfig(raw: RawConfig, env: NodeJS.ProcessEnv = process.env): InfraConfig {
  const account = optionalString(raw, 'account') ?? env.CDK_DEFAULT_ACCOUNT;
  check(
    account !== undefined && /^\d{12}$/.test(account),
    'account',
    `${show(account)} is not a 12-digit AWS account id; pass \`-c account=123456789012\` or run with AWS credentials`,
  );

  const region = optionalString(raw, 'region') ?? DEFAULTS.region;
  const knownRegions = RegionInfo.regions.map((r) => r.name);
  check(
    knownRegions.includes(region),
    'region',
    `${show(region)} is not an AWS region; use e.g. \`-c region=eu-central-1\``,
  );

  const gitlabHost = (optionalString(raw, 'gitlabHost') ?? DEFAULTS.gitlabHost).toLowerCase();
  check(
    HOSTNAME.test(gitlabHost),
    'gitlabHost',
    `${show(gitlabHost)} is not a host name; give the host only, without https:// or a path, e.g. \`gitlab.com\``,
  );

  const gitlabProjectPath = requiredString(
    raw,
    'gitlabProjectPath',
    'pass the GitLab project path, e.g. `-c gitlabProjectPath=my-group/mlops`',
  ).replace(/^\/+|\/+$/g, '');
  check(
    PROJECT_PATH.test(gitlabProjectPath),
    'gitlabProjectPath',
    `${show(gitlabProjectPath)} is not a GitLab project path; use \`group/project\` (subgroups allowed), as in the project URL`,
  );

  const gitlabAudience = optionalString(raw, 'gitlabAudience') ?? `https://${gitlabHost}`;

  const branches: Record<'prod' | 'dev', string> = { prod: DEFAULTS.prodBranch, dev: DEFAULTS.devBranch };
  for (const env of ['prod', 'dev'] as const) {
    const key = `${env}Branch` as const;
    const branch = optionalString(raw, key) ?? DEFAULTS[key];
    check(
      BRANCH.test(branch) && !branch.includes('..'),
      key,
      `${show(branch)} is not a plain branch name; wildcards are not allowed because they widen who can push images`,
    );
    branches[env] = branch;
  }
  check(
    branches.prod !== branches.dev,
    'devBranch',
    `${show(branches.dev)} is also \`prodBranch\`; prod and dev need different branches, or dev pipelines could push prod images`,
  );

  const existingGitlabOidcProviderArn = optionalString(raw, 'existingGitlabOidcProviderArn');
  check(
    existingGitlabOidcProviderArn === undefined || OIDC_PROVIDER_ARN.test(existingGitlabOidcProviderArn),
    'existingGitlabOidcProviderArn',
    `${show(existingGitlabOidcProviderArn)} is not an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<host>)`,
  );

  const repositories: Record<'prod' | 'dev', string> = {
    prod: DEFAULTS.prodEcrRepositoryName,
    dev: DEFAULTS.devEcrRepositoryName,
  };
  for (const env of ['prod', 'dev'] as const) {
    const key = `${env}EcrRepositoryName` as const;
    const name = optionalString(raw, key) ?? DEFAULTS[key];
    check(
      ECR_NAME.test(name) && `${name}${CACHE_SUFFIX}`.length <= 256,
      key,
      `${show(name)} is not a valid ECR repository name; use lowercase letters, digits, . _ - and / (up to ${256 - CACHE_SUFFIX.length} characters, so that \`${CACHE_SUFFIX}\` fits behind it)`,
    );
    repositories[env] = name;
  }
  const repositoryNames = [repositories.prod, `${repositories.prod}${CACHE_SUFFIX}`];
  check(
    !repositoryNames.includes(repositories.dev) &&
      !repositoryNames.includes(`${repositories.dev}${CACHE_SUFFIX}`),
    'devEcrRepositoryName',
    `${show(repositories.dev)} collides with prod's repository or its layer cache (${repositoryNames.join(', ')}); dev needs repositories of its own, e.g. \`${repositories.prod}-dev\``,
  );

  const clusterName = optionalString(raw, 'clusterName') ?? DEFAULTS.clusterName;
  check(
    CLUSTER_NAME.test(clusterName),
    'clusterName',
    `${show(clusterName)} is not a valid EKS cluster name; use letters, digits, - and _ (up to 100)`,
  );

  const kubernetesVersion = optionalString(raw, 'kubernetesVersion') ?? DEFAULTS.kubernetesVersion;
  check(
    (SUPPORTED_KUBERNETES_VERSIONS as readonly string[]).includes(kubernetesVersion),
    'kubernetesVersion',
    `${show(kubernetesVersion)} is not supported; use one of ${SUPPORTED_KUBERNETES_VERSIONS.join(', ')} (the kubectl layer is v1.35)`,
  );

  const nodeInstanceType = optionalString(raw, 'nodeInstanceType') ?? DEFAULTS.nodeInstanceType;
  const nodeArchitecture = instanceArchitecture(nodeInstanceType);
  const nodeCount = integer(raw, 'nodeCount', DEFAULTS.nodeCount, 1, 100);
  const nodeMaxCount = integer(raw, 'nodeMaxCount', nodeCount * 2, 1, 100);
  check(
    nodeMaxCount >= nodeCount,
    'nodeMaxCount',
    `${show(nodeMaxCount)} is below nodeCount ${nodeCount}; raise \`nodeMaxCount\` or lower \`nodeCount\``,
  );
  const natGateways = integer(raw, 'natGateways', DEFAULTS.natGateways, 1, 3);
  const availabilityZones = list(raw, 'availabilityZones', [`${region}a`, `${region}b`]);
  check(
    availabilityZones.length >= 2 && new Set(availabilityZones).size === availabilityZones.length,
    'availabilityZones',
    `${show(availabilityZones.join(','))} names fewer than two distinct zones; EKS needs subnets in at least two, e.g. \`${region}a,${region}b\``,
  );
  for (const zone of availabilityZones) {
    check(
      new RegExp(`^${region}[a-z]$`).test(zone),
      'availabilityZones',
      `${show(zone)} is not a zone of region ${region}; use e.g. \`${region}a\``,
    );
  }

  const clusterAdminArns = list(raw, 'clusterAdminArns', []);
  for (const arn of clusterAdminArns) {
    check(
      IAM_PRINCIPAL_ARN.test(arn),
      'clusterAdminArns',
      `${show(arn)} is not an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)`,
    );
  }
  const apiSetting = optionalString(raw, 'apiAllowedCidrs');
  check(
    apiSetting !== undefined,
    'apiAllowedCidrs',
    'it is missing; the Kubernetes API is not open to the internet by default: pass the networks that may reach its public endpoint, e.g. `-c apiAllowedCidrs=203.0.113.0/24` (your office or VPN egress; comma-separate several), or `-c apiAllowedCidrs=private` for a private endpoint reachable only from inside the VPC',
  );
  const apiAllowedCidrs =
    apiSetting?.toLowerCase() === 'private'
      ? 'private'
      : cidrList(raw, 'apiAllowedCidrs', 'the Kubernetes API');
  const argocdChartVersion = optionalString(raw, 'argocdChartVersion') ?? DEFAULTS.argocdChartVersion;
  check(
    SEMVER.test(argocdChartVersion),
    'argocdChartVersion',
    `${show(argocdChartVersion)} is not an exact chart version (x.y.z); ranges are refused so that every deploy installs the same Argo CD`,
  );
  const externalSecretsChartVersion =
    optionalString(raw, 'externalSecretsChartVersion') ?? DEFAULTS.externalSecretsChartVersion;
  check(
    SEMVER.test(externalSecretsChartVersion),
    'externalSecretsChartVersion',
    `${show(externalSecretsChartVersion)} is not an exact chart version (x.y.z)`,
  );

  const argocdDomain = optionalString(raw, 'argocdDomain')?.toLowerCase();
  const argocdCertificateArn = optionalString(raw, 'argocdCertificateArn');
  check(
    (argocdDomain === undefined) === (argocdCertificateArn === undefined),
    argocdDomain === undefined ? 'argocdDomain' : 'argocdCertificateArn',
    'set both `argocdDomain` and `argocdCertificateArn` (an ACM certificate for that name), or neither',
  );
  check(
    argocdDomain === undefined || HOSTNAME.test(argocdDomain),
    'argocdDomain',
    `${show(argocdDomain)} is not a host name such as \`argocd.example.com\``,
  );
  check(
    argocdCertificateArn === undefined ||
      new RegExp(`^arn:aws[a-z-]*:acm:${region}:\\d{12}:certificate/[\\w-]+$`).test(argocdCertificateArn),
    'argocdCertificateArn',
    `${show(argocdCertificateArn)} is not an ACM certificate ARN in ${region} (the load balancer's region)`,
  );

  // Argo CD is reachable from outside the cluster only behind a certificate clients can verify;
  // without one it stays a ClusterIP Service (`kubectl port-forward`), never self-signed and public.
  const argocdExposed = argocdCertificateArn !== undefined;
  const argocdAllowedCidrs = cidrList(raw, 'argocdAllowedCidrs', 'Argo CD');
  const gitlabWebhookCidrs = cidrList(raw, 'gitlabWebhookCidrs', "Argo CD's webhook endpoint");
  if (argocdExposed) {
    check(
      argocdAllowedCidrs.length > 0,
      'argocdAllowedCidrs',
      `it is missing; Argo CD gets an HTTPS load balancer for \`${argocdDomain}\`, open only to the networks you name: pass e.g. \`-c argocdAllowedCidrs=203.0.113.0/24\` (comma-separate several), and GitLab's webhook senders as \`-c gitlabWebhookCidrs=...\` (GitLab.com lists them at ${GITLAB_COM_IP_RANGES_DOC})`,
    );
  } else {
    for (const key of ['argocdAllowedCidrs', 'gitlabWebhookCidrs'] as const) {
      check(
        (key === 'argocdAllowedCidrs' ? argocdAllowedCidrs : gitlabWebhookCidrs).length === 0,
        key,
        'has no effect: without `argocdDomain` and `argocdCertificateArn` Argo CD is not exposed at all (reach it with `kubectl port-forward`); set both to expose it over HTTPS, or drop this setting',
      );
    }
  }

  const gitRepoUrl = optionalString(raw, 'gitRepoUrl') ?? `https://${gitlabHost}/${gitlabProjectPath}.git`;
  check(
    /^https:\/\/[^\s/]+\/\S+$/.test(gitRepoUrl),
    'gitRepoUrl',
    `${show(gitRepoUrl)} is not an https Git URL; Argo CD reads the repository over https with a deploy token`,
  );
  const gitTargetRevision = optionalString(raw, 'gitTargetRevision');

  return {
    account: account as string,
    region,
    gitlabHost,
    gitlabProjectPath,
    gitlabAudience,
    environments: [
      {
        name: 'prod',
        branch: branches.prod,
        repositoryName: repositories.prod,
        keepImages: integer(raw, 'prodKeepImages', DEFAULTS.prodKeepImages, 1, 1000),
      },
      {
        name: 'dev',
        branch: branches.dev,
        repositoryName: repositories.dev,
        keepImages: integer(raw, 'devKeepImages', DEFAULTS.devKeepImages, 1, 1000),
      },
    ],
    existingGitlabOidcProviderArn,
    untaggedExpiryDays: integer(raw, 'untaggedExpiryDays', DEFAULTS.untaggedExpiryDays, 1, 365),
    clusterName,
    kubernetesVersion,
    nodeInstanceType,
    nodeArchitecture,
    nodeCount,
    nodeMaxCount,
    natGateways,
    availabilityZones,
    clusterAdminArns,
    apiAllowedCidrs,
    argocdAllowedCidrs,
    gitlabWebhookCidrs,
    argocdExposed,
    argocdChartVersion,
    externalSecretsChartVersion,
    argocdDomain,
    argocdCertificateArn,
    gitRepoUrl,
    gitTargetRevision,
  };
}

/**
 * A plain-word context key that is not a setting is almost always a typo (`-c nodecount=0`),
 * which CDK would otherwise ignore silently. CDK's own keys all carry `:`, `@` or `-`.
 */
export function rejectUnknownSettings(context: Record<string, unknown>): void {
  const known: readonly string[] = CONTEXT_KEYS;
  for (const key of Object.keys(context)) {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(key) || known.includes(key)) continue;
    if (Object.hasOwn(REPLACED_SETTINGS, key))
      throw new ConfigError(key, `this setting was removed; ${REPLACED_SETTINGS[key]}`);
    const similar = known.find((k) => k.toLowerCase() === key.toLowerCase());
    throw new ConfigError(
      key,
      similar
        ? `this app has no such setting; did you mean \`${similar}\`?`
        : `this app has no such setting; the settings are ${known.join(', ')} (infra/README.md)`,
    );
  }
}

/** Reads every known key from a construct node's context (cdk.json, `-c`, or test overrides). */
export function readContext(tryGetContext: (key: string) => unknown): RawConfig {
  return Object.fromEntries(CONTEXT_KEYS.map((key) => [key, tryGetContext(key)]));
}
