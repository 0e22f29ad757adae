/**
 * The CDK context settings of this app as one declarative table (`SETTINGS`): per key a TypeBox
 * schema (type, pattern, range, default) and the message for a value it refuses, then the few
 * rules that involve two settings (`RULES`). `loadConfig` reads, checks and derives from them.
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import Type, { type Static, type TSchema } from 'typebox';
import Value from 'typebox/value';

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

const HOSTNAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+(:\d{1,5})?$/;
// GitLab namespaces can nest (group/subgroup/project); each part is a path slug.
const PROJECT_PATH = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)+$/;
// Git refs that can appear verbatim in the OIDC `sub` claim; wildcards (and `..`) would widen the trust policy.
const BRANCH = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._/-]*$/;
const SEMVER = /^\d+\.\d+\.\d+$/;
// Octets 0-255 and a prefix 0-32, leading zeros allowed.
const CIDR = /^((25[0-5]|2[0-4]\d|[01]?\d?\d)\.){3}(25[0-5]|2[0-4]\d|[01]?\d?\d)\/(3[0-2]|[0-2]?\d)$/;
/** Where GitLab.com lists the addresses its webhooks come from (they change; never guessed here). */
export const GITLAB_COM_IP_RANGES_DOC = 'https://docs.gitlab.com/user/gitlab_com/#ip-range';
const IAM_PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;
const OIDC_PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/.+$/;
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
// ECR repository names: lowercase path segments.
const ECR_NAME = /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

/**
 * One setting. Strings arrive trimmed (`-c key=value` or cdk.json), whole numbers parsed, lists
 * (schema `Type.Array`) from an array or a comma-separated string; unset or empty means the
 * schema's `default`, else nothing (a derived default or `missing`).
 */
interface Setting<S extends TSchema = TSchema, A extends boolean = boolean> {
  schema: S;
  /** May stay unset: no default in the schema (loadConfig derives one, or it is optional). */
  absent?: A;
  /** Why a value the schema refuses is wrong and what to do; `{value}` is the value shown. */
  message: string;
  /** The message when the setting is required and absent. */
  missing?: string;
  /** Applied to a given string before the schema sees it. */
  normalise?: (value: string) => string;
  /** A check the schema cannot state (of one value, or one item of a list): a message, or undefined. */
  refine?: (value: string) => string | undefined;
  /** A word accepted instead of a list (case-insensitive), e.g. `private`. */
  instead?: string;
}

const setting = <S extends TSchema, const A extends boolean = false>(s: Setting<S, A>): Setting<S, A> => s;
const pattern = (re: RegExp, options: { default?: string } = {}) =>
  Type.String({ pattern: re.source, ...options });
const wholeNumber = (key: string, minimum: number, maximum: number, fallback: number) =>
  setting({
    schema: Type.Integer({ minimum, maximum, default: fallback }),
    message: `{value} is not a whole number from ${minimum} to ${maximum}; change \`${key}\``,
  });
const branch = (fallback: string) =>
  setting({
    schema: pattern(BRANCH, { default: fallback }),
    message:
      '{value} is not a plain branch name; wildcards are not allowed because they widen who can push images',
  });
const ecrName = (fallback: string) =>
  setting({
    schema: Type.String({
      pattern: ECR_NAME.source,
      maxLength: 256 - CACHE_SUFFIX.length,
      default: fallback,
    }),
    message: `{value} is not a valid ECR repository name; use lowercase letters, digits, . _ - and / (up to ${256 - CACHE_SUFFIX.length} characters, so that \`${CACHE_SUFFIX}\` fits behind it)`,
  });
const chartVersion = (fallback: string, why = '') =>
  setting({
    schema: pattern(SEMVER, { default: fallback }),
    message: `{value} is not an exact chart version (x.y.z)${why}`,
  });
/**
 * A list of IPv4 networks that may reach `what`. `0.0.0.0/0` is refused: opening a control
 * endpoint to the whole internet is what issue 13 (point 5) removed, so it is not one flag away.
 */
const cidrs = (key: string, what: string, extra: Pick<Setting, 'missing' | 'instead'> = {}) =>
  setting({
    schema: Type.Array(pattern(CIDR), { default: [] }),
    message: '{value} is not an IPv4 CIDR such as `203.0.113.0/24`',
    refine: (cidr) => {
      const [address, prefix] = cidr.split('/').map((part, i) => (i === 0 ? part : Number(part))) as [
        string,
        number,
      ];
      if (prefix === 0)
        return `${show(cidr)} would open ${what} to the whole internet; name the networks that need it, e.g. \`-c ${key}=203.0.113.0/24\``;
      const octets = address.split('.').map(Number);
      const ip = octets.reduce((sum, o) => sum * 256 + o, 0);
      const size = 2 ** (32 - prefix);
      const network = ip - (ip % size);
      const shown = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join('.');
      return ip === network
        ? undefined
        : `${show(cidr)} has host bits set; the network is \`${shown}/${prefix}\``;
    },
    ...extra,
  });
const lower = (value: string) => value.toLowerCase();

const fill = (message: string, value: unknown) => message.replace('{value}', show(value));
const ACCOUNT_MESSAGE =
  '{value} is not a 12-digit AWS account id; pass `-c account=123456789012` or run with AWS credentials';

/** Every setting, in the order they are checked (the first bad one is reported). */
const SETTINGS = {
  /** Default: CDK_DEFAULT_ACCOUNT (the AWS credentials' account). */
  account: setting({
    schema: pattern(/^\d{12}$/),
    message: ACCOUNT_MESSAGE,
    missing: fill(ACCOUNT_MESSAGE, undefined),
  }),
  region: setting({
    schema: Type.Enum(
      RegionInfo.regions.map((r) => r.name),
      { default: DEFAULTS.region },
    ),
    message: '{value} is not an AWS region; use e.g. `-c region=eu-central-1`',
  }),
  gitlabHost: setting({
    schema: pattern(HOSTNAME, { default: DEFAULTS.gitlabHost }),
    normalise: lower,
    message: '{value} is not a host name; give the host only, without https:// or a path, e.g. `gitlab.com`',
  }),
  gitlabProjectPath: setting({
    schema: pattern(PROJECT_PATH),
    normalise: (path) => path.replace(/^\/+|\/+$/g, ''),
    missing: 'it is missing; pass the GitLab project path, e.g. `-c gitlabProjectPath=my-group/mlops`',
    message:
      '{value} is not a GitLab project path; use `group/project` (subgroups allowed), as in the project URL',
  }),
  /** Default: `https://<gitlabHost>`. */
  gitlabAudience: setting({ schema: Type.String(), absent: true, message: '{value} is not a string' }),
  prodBranch: branch(DEFAULTS.prodBranch),
  devBranch: branch(DEFAULTS.devBranch),
  existingGitlabOidcProviderArn: setting({
    schema: pattern(OIDC_PROVIDER_ARN),
    absent: true,
    message: '{value} is not an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<host>)',
  }),
  prodEcrRepositoryName: ecrName(DEFAULTS.prodEcrRepositoryName),
  devEcrRepositoryName: ecrName(DEFAULTS.devEcrRepositoryName),
  untaggedExpiryDays: wholeNumber('untaggedExpiryDays', 1, 365, DEFAULTS.untaggedExpiryDays),
  prodKeepImages: wholeNumber('prodKeepImages', 1, 1000, DEFAULTS.prodKeepImages),
  devKeepImages: wholeNumber('devKeepImages', 1, 1000, DEFAULTS.devKeepImages),
  clusterName: setting({
    schema: pattern(CLUSTER_NAME, { default: DEFAULTS.clusterName }),
    message: '{value} is not a valid EKS cluster name; use letters, digits, - and _ (up to 100)',
  }),
  kubernetesVersion: setting({
    schema: Type.Enum([...SUPPORTED_KUBERNETES_VERSIONS], { default: DEFAULTS.kubernetesVersion }),
    message: `{value} is not supported; use one of ${SUPPORTED_KUBERNETES_VERSIONS.join(', ')} (the kubectl layer is v1.35)`,
  }),
  nodeInstanceType: setting({
    schema: pattern(INSTANCE_TYPE, { default: DEFAULTS.nodeInstanceType }),
    message: '{value} is not an EC2 instance type; use e.g. `t3.large` or, for Graviton, `t4g.large`',
  }),
  nodeCount: wholeNumber('nodeCount', 1, 100, DEFAULTS.nodeCount),
  /** Default: twice `nodeCount`. */
  nodeMaxCount: setting({
    schema: Type.Integer({ minimum: 1, maximum: 100 }),
    absent: true,
    message: '{value} is not a whole number from 1 to 100; change `nodeMaxCount`',
  }),
  natGateways: wholeNumber('natGateways', 1, 3, DEFAULTS.natGateways),
  /** Default: zones a and b of the region. */
  availabilityZones: setting({
    schema: Type.Array(Type.String()),
    absent: true,
    message: '{value} is not a zone name',
  }),
  clusterAdminArns: setting({
    schema: Type.Array(pattern(IAM_PRINCIPAL_ARN), { default: [] }),
    message: '{value} is not an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)',
  }),
  apiAllowedCidrs: cidrs('apiAllowedCidrs', 'the Kubernetes API', {
    instead: 'private',
    missing:
      'it is missing; the Kubernetes API is not open to the internet by default: pass the networks that may reach its public endpoint, e.g. `-c apiAllowedCidrs=203.0.113.0/24` (your office or VPN egress; comma-separate several), or `-c apiAllowedCidrs=private` for a private endpoint reachable only from inside the VPC',
  }),
  argocdAllowedCidrs: cidrs('argocdAllowedCidrs', 'Argo CD'),
  gitlabWebhookCidrs: cidrs('gitlabWebhookCidrs', "Argo CD's webhook endpoint"),
  argocdChartVersion: chartVersion(
    DEFAULTS.argocdChartVersion,
    '; ranges are refused so that every deploy installs the same Argo CD',
  ),
  externalSecretsChartVersion: chartVersion(DEFAULTS.externalSecretsChartVersion),
  argocdDomain: setting({
    schema: pattern(HOSTNAME),
    absent: true,
    normalise: lower,
    message: '{value} is not a host name such as `argocd.example.com`',
  }),
  /** Checked against the region in RULES. */
  argocdCertificateArn: setting({ schema: Type.String(), absent: true, message: '{value} is not a string' }),
  /** Default: the GitLab project over https. */
  gitRepoUrl: setting({
    schema: pattern(/^https:\/\/[^\s/]+\/\S+$/),
    absent: true,
    message: '{value} is not an https Git URL; Argo CD reads the repository over https with a deploy token',
  }),
  gitTargetRevision: setting({ schema: Type.String(), absent: true, message: '{value} is not a string' }),
};

type Key = keyof typeof SETTINGS;
/** The settings as read and checked; those without a default may be absent. */
type Settings = {
  [K in Key]: (typeof SETTINGS)[K] extends Setting<infer S, true>
    ? Static<S> | undefined
    : Static<(typeof SETTINGS)[K]['schema']>;
};

/** The CDK context keys `loadConfig` reads. */
export const CONTEXT_KEYS = Object.keys(SETTINGS) as Key[];

export type RawConfig = Partial<Record<Key, unknown>>;

const emptyToUndefined = (value: unknown) => (value === null || value === '' ? undefined : value);

/** One setting from the raw context: read as its schema's type, defaulted, checked. */
function readSetting(key: Key, raw: unknown): unknown {
  const { schema, message, missing, normalise, refine, instead } = SETTINGS[key] as Setting;
  if (emptyToUndefined(raw) === undefined) {
    if (missing) throw new ConfigError(key, missing);
    return Value.Default(schema, undefined);
  }
  const type = (schema as { type?: string }).type;
  if (type === 'integer') {
    // CDK context from the command line arrives as a string, from cdk.json as a number.
    const parsed = typeof raw === 'number' ? raw : Number(String(raw).trim());
    if (!Value.Check(schema, parsed)) throw new ConfigError(key, fill(message, raw));
    return parsed;
  }
  if (type === 'array') {
    if (instead !== undefined && typeof raw === 'string' && raw.trim().toLowerCase() === instead)
      return instead;
    const items: unknown[] = Array.isArray(raw) ? raw : String(raw).split(',');
    if (!items.every((item) => typeof item === 'string')) {
      throw new ConfigError(key, `expected strings, got ${show(JSON.stringify(raw))}`);
    }
    const list = items.map((item) => item.trim()).filter((item) => item !== '');
    const itemSchema = (schema as unknown as { items: TSchema }).items;
    for (const item of list) {
      if (!Value.Check(itemSchema, item)) throw new ConfigError(key, fill(message, item));
      const problem = refine?.(item);
      if (problem) throw new ConfigError(key, problem);
    }
    return list;
  }
  if (typeof raw !== 'string') {
    throw new ConfigError(key, `expected a string, got ${show(raw)}; pass it as \`-c ${key}=...\``);
  }
  const value = normalise ? normalise(raw.trim()) : raw.trim();
  if (!Value.Check(schema, value)) throw new ConfigError(key, fill(message, value));
  return value;
}

/** A rule between settings: the setting to blame and a message, or undefined when it holds. */
type Rule = (s: Settings) => [Key, string] | undefined;

/** Checked in order after every setting on its own. */
const RULES: Rule[] = [
  ({ prodBranch, devBranch }) =>
    prodBranch === devBranch
      ? [
          'devBranch',
          `${show(devBranch)} is also \`prodBranch\`; prod and dev need different branches, or dev pipelines could push prod images`,
        ]
      : undefined,
  ({ prodEcrRepositoryName: prod, devEcrRepositoryName: dev }) => {
    const taken = [prod, `${prod}${CACHE_SUFFIX}`];
    return taken.includes(dev) || taken.includes(`${dev}${CACHE_SUFFIX}`)
      ? [
          'devEcrRepositoryName',
          `${show(dev)} collides with prod's repository or its layer cache (${taken.join(', ')}); dev needs repositories of its own, e.g. \`${prod}-dev\``,
        ]
      : undefined;
  },
  ({ nodeCount, nodeMaxCount }) =>
    nodeMaxCount !== undefined && nodeMaxCount < nodeCount
      ? [
          'nodeMaxCount',
          `${show(nodeMaxCount)} is below nodeCount ${nodeCount}; raise \`nodeMaxCount\` or lower \`nodeCount\``,
        ]
      : undefined,
  ({ availabilityZones: zones, region }) =>
    zones !== undefined && (zones.length < 2 || new Set(zones).size !== zones.length)
      ? [
          'availabilityZones',
          `${show(zones.join(','))} names fewer than two distinct zones; EKS needs subnets in at least two, e.g. \`${region}a,${region}b\``,
        ]
      : undefined,
  ({ availabilityZones: zones, region }) => {
    const foreign = zones?.find((zone) => !new RegExp(`^${region}[a-z]$`).test(zone));
    return foreign === undefined
      ? undefined
      : ['availabilityZones', `${show(foreign)} is not a zone of region ${region}; use e.g. \`${region}a\``];
  },
  ({ argocdDomain, argocdCertificateArn }) =>
    (argocdDomain === undefined) === (argocdCertificateArn === undefined)
      ? undefined
      : [
          argocdDomain === undefined ? 'argocdDomain' : 'argocdCertificateArn',
          'set both `argocdDomain` and `argocdCertificateArn` (an ACM certificate for that name), or neither',
        ],
  ({ argocdCertificateArn: arn, region }) =>
    arn === undefined || new RegExp(`^arn:aws[a-z-]*:acm:${region}:\\d{12}:certificate/[\\w-]+$`).test(arn)
      ? undefined
      : [
          'argocdCertificateArn',
          `${show(arn)} is not an ACM certificate ARN in ${region} (the load balancer's region)`,
        ],
  // Argo CD is reachable from outside the cluster only behind a certificate clients can verify;
  // without one it stays a ClusterIP Service (`kubectl port-forward`), never self-signed and public.
  ({ argocdCertificateArn, argocdDomain, argocdAllowedCidrs }) =>
    argocdCertificateArn !== undefined && argocdAllowedCidrs.length === 0
      ? [
          'argocdAllowedCidrs',
          `it is missing; Argo CD gets an HTTPS load balancer for \`${argocdDomain}\`, open only to the networks you name: pass e.g. \`-c argocdAllowedCidrs=203.0.113.0/24\` (comma-separate several), and GitLab's webhook senders as \`-c gitlabWebhookCidrs=...\` (GitLab.com lists them at ${GITLAB_COM_IP_RANGES_DOC})`,
        ]
      : undefined,
  (s) => {
    if (s.argocdCertificateArn !== undefined) return undefined;
    const key = (['argocdAllowedCidrs', 'gitlabWebhookCidrs'] as const).find((k) => s[k].length > 0);
    return key === undefined
      ? undefined
      : [
          key,
          'has no effect: without `argocdDomain` and `argocdCertificateArn` Argo CD is not exposed at all (reach it with `kubectl port-forward`); set both to expose it over HTTPS, or drop this setting',
        ];
  },
];

/**
 * Validates CDK context early, before any construct exists, so a bad setting fails synthesis
 * with one clear message instead of a CloudFormation error half-way through a deploy.
 */
export function loadConfig(raw: RawConfig, env: NodeJS.ProcessEnv = process.env): InfraConfig {
  const withAccount: RawConfig = {
    ...raw,
    account: emptyToUndefined(raw.account) ?? env.CDK_DEFAULT_ACCOUNT,
  };
  const s = Object.fromEntries(
    CONTEXT_KEYS.map((key) => [key, readSetting(key, withAccount[key])]),
  ) as Settings;
  for (const rule of RULES) {
    const broken = rule(s);
    if (broken) throw new ConfigError(...broken);
  }
  const nodeArchitecture =
    new ec2.InstanceType(s.nodeInstanceType).architecture === ec2.InstanceArchitecture.ARM_64
      ? 'arm64'
      : 'x86_64';
  return {
    account: s.account as string,
    region: s.region,
    gitlabHost: s.gitlabHost,
    gitlabProjectPath: s.gitlabProjectPath as string,
    gitlabAudience: s.gitlabAudience ?? `https://${s.gitlabHost}`,
    environments: [
      {
        name: 'prod',
        branch: s.prodBranch,
        repositoryName: s.prodEcrRepositoryName,
        keepImages: s.prodKeepImages,
      },
      {
        name: 'dev',
        branch: s.devBranch,
        repositoryName: s.devEcrRepositoryName,
        keepImages: s.devKeepImages,
      },
    ],
    existingGitlabOidcProviderArn: s.existingGitlabOidcProviderArn,
    untaggedExpiryDays: s.untaggedExpiryDays,
    clusterName: s.clusterName,
    kubernetesVersion: s.kubernetesVersion,
    nodeInstanceType: s.nodeInstanceType,
    nodeArchitecture,
    nodeCount: s.nodeCount,
    nodeMaxCount: s.nodeMaxCount ?? s.nodeCount * 2,
    natGateways: s.natGateways,
    availabilityZones: s.availabilityZones ?? [`${s.region}a`, `${s.region}b`],
    clusterAdminArns: s.clusterAdminArns,
    apiAllowedCidrs: s.apiAllowedCidrs as string[] | 'private',
    argocdAllowedCidrs: s.argocdAllowedCidrs,
    gitlabWebhookCidrs: s.gitlabWebhookCidrs,
    argocdExposed: s.argocdCertificateArn !== undefined,
    argocdChartVersion: s.argocdChartVersion,
    externalSecretsChartVersion: s.externalSecretsChartVersion,
    argocdDomain: s.argocdDomain,
    argocdCertificateArn: s.argocdCertificateArn,
    gitRepoUrl: s.gitRepoUrl ?? `https://${s.gitlabHost}/${s.gitlabProjectPath}.git`,
    gitTargetRevision: s.gitTargetRevision,
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
