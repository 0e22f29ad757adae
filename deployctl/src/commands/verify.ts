/**
 * `verify`: the release is live only when every replica behind the Service
 * reports the new commit and the model answers its golden examples right.
 *
 * It polls in rounds: each round asks /version several times (new connection
 * each time) and passes only if it saw at least N distinct instances and all
 * of them, without exception, on the commit. Judging a round rather than a
 * running tally keeps a pod that has since been replaced from counting, and
 * keeps an old pod that still serves traffic from being overlooked.
 */
import { join } from 'node:path';
import { Command } from 'commander';
import { appendEvent, getEventsFile } from '../events.js';
import { DeployctlError, EXIT_CODES } from '../exit-codes.js';
import { formatVerify, formatVerifyRelease } from '../format.js';
import { getRepoRoot } from '../git.js';
import {
  DEFAULT_SERVICE,
  DEFAULT_SERVICE_PORT,
  getKubeServiceEndpoint,
  getUrlEndpoint,
  type ServiceEndpoint,
} from '../kube-service.js';
import { type GoldenExample, readModelCard } from '../model-card.js';
import { sleep } from '../retry.js';
import { getVersion, postPredict } from '../service-api.js';
import { verifyPositiveNumber, verifySha } from '../validate.js';
import { collect, type Emit, toNumber } from './output.js';
import { DEFAULT_WAIT_TIMEOUT_S, getVerifyReleaseExitCode, verifyRelease } from './verify-release.js';

/** Where the service is: a URL, or the in-cluster Service through the Kubernetes API server. */
export interface ServiceTargetOptions {
  url?: string | undefined;
  kubeApiServer?: string | undefined;
  eksCluster?: string | undefined;
  region?: string | undefined;
  /** Default: `default` (like kubectl); with --env, the env's namespace. */
  namespace?: string | undefined;
  service?: string | undefined;
  port?: string | undefined;
  kubeTokenFile?: string | undefined;
  kubeCaFile?: string | undefined;
  /** KUBE_TOKEN (default: process.env). */
  vars?: NodeJS.ProcessEnv;
}

export interface VerifyOptions extends ServiceTargetOptions {
  /** Already resolved (verify --env resolves it before anything runs). */
  endpoint?: ServiceEndpoint;
  commit: string;
  replicas?: number;
  timeoutS?: number;
  intervalS?: number;
  /** Default: model/model.json at the repository root. */
  modelCard?: string;
  /** /version calls per round; default max(8, 4 × replicas). */
  requestsPerRound?: number;
  cwd?: string;
  eventsFile?: string;
}

export interface InstanceReport {
  instanceId: string;
  commit: string;
  modelVersion: string | undefined;
  responses: number;
}

export interface GoldenResult {
  input: string;
  expected: string;
  got: string | undefined;
  score: number | undefined;
  error: string | undefined;
}

export interface RoundEvidence {
  instances: InstanceReport[];
  errors: string[];
}

export interface VerifyResult {
  status: 'verified';
  url: string;
  commit: string;
  replicas: number;
  rounds: number;
  liveAt: string;
  instances: InstanceReport[];
  golden: GoldenResult[];
}

async function getDefaultModelCard(cwd: string): Promise<string> {
  try {
    return join(await getRepoRoot(cwd), 'model', 'model.json');
  } catch {
    return join(cwd, 'model', 'model.json');
  }
}

/**
 * `--url`, or `--kube-api-server`/`--eks-cluster` (never both: which one is verified must
 * not depend on flag order). Every flag is checked before the first request.
 */
export async function getServiceEndpoint(
  options: ServiceTargetOptions,
  defaultNamespace = 'default',
): Promise<ServiceEndpoint> {
  const viaKube = options.kubeApiServer !== undefined || options.eksCluster !== undefined;
  if (options.url !== undefined && viaKube) {
    throw new DeployctlError(
      'input',
      '--url and --kube-api-server/--eks-cluster name two targets; pass the service URL or the cluster, not both',
    );
  }
  if (options.url !== undefined) {
    const kubeOnly = (['namespace', 'service', 'port', 'kubeTokenFile', 'kubeCaFile'] as const).filter(
      (key) => options[key] !== undefined,
    );
    if (kubeOnly.length > 0) {
      throw new DeployctlError(
        'input',
        `${kubeOnly.map((key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} need --kube-api-server or --eks-cluster (the Service through the Kubernetes API), not --url`,
      );
    }
    return getUrlEndpoint(options.url);
  }
  if (!viaKube) {
    throw new DeployctlError(
      'input',
      'no target: pass --url <service URL>, or --kube-api-server <url> / --eks-cluster <name> to reach the Service through the Kubernetes API (no public endpoint needed)',
    );
  }
  return getKubeServiceEndpoint({
    server: options.kubeApiServer,
    eksCluster: options.eksCluster,
    region: options.region,
    namespace: options.namespace ?? defaultNamespace,
    service: options.service,
    port: options.port,
    tokenFile: options.kubeTokenFile,
    caFile: options.kubeCaFile,
    vars: options.vars,
  });
}

async function runRound(endpoint: ServiceEndpoint, requests: number): Promise<RoundEvidence> {
  const byInstance = new Map<string, InstanceReport>();
  const errors: string[] = [];
  for (let i = 0; i < requests; i++) {
    const probe = await getVersion(endpoint);
    if (!probe.ok) {
      errors.push(probe.error);
      continue;
    }
    const { instanceId, commit, model } = probe.value;
    const seen = byInstance.get(instanceId);
    // An instance that answers with two commits in one round is reported by its latest answer.
    byInstance.set(instanceId, {
      instanceId,
      commit,
      modelVersion: model?.version,
      responses: (seen?.responses ?? 0) + 1,
    });
  }
  return { instances: [...byInstance.values()], errors };
}

function isRoundLive(
  round: RoundEvidence,
  commit: string,
  replicas: number,
  modelVersion: string | undefined,
) {
  return (
    round.errors.length === 0 &&
    round.instances.length >= replicas &&
    round.instances.every(
      (instance) =>
        instance.commit === commit && (modelVersion === undefined || instance.modelVersion === modelVersion),
    )
  );
}

export function formatRoundEvidence(round: RoundEvidence | undefined): string {
  if (!round) return 'no answer';
  const instances = round.instances.map(
    (i) => `${i.instanceId} runs ${i.commit} (model ${i.modelVersion ?? '?'}, ${i.responses} answers)`,
  );
  const errors =
    round.errors.length > 0 ? [`${round.errors.length} failed calls, e.g. ${round.errors[0]}`] : [];
  return [...instances, ...errors].join('; ') || 'no answer';
}

async function checkGolden(endpoint: ServiceEndpoint, golden: GoldenExample[]): Promise<GoldenResult[]> {
  const results: GoldenResult[] = [];
  for (const example of golden) {
    const probe = await postPredict(endpoint, example.input);
    results.push({
      input: example.input,
      expected: example.label,
      got: probe.ok ? probe.value.label : undefined,
      score: probe.ok ? probe.value.score : undefined,
      error: probe.ok ? undefined : probe.error,
    });
  }
  return results;
}

export async function verify(options: VerifyOptions): Promise<VerifyResult> {
  const commit = verifySha(options.commit, '--commit');
  const replicas = verifyPositiveNumber(options.replicas ?? 1, '--replicas');
  const timeoutS = verifyPositiveNumber(options.timeoutS ?? 300, '--timeout');
  const intervalMs = verifyPositiveNumber(options.intervalS ?? 2, '--interval') * 1000;
  const requests = options.requestsPerRound ?? Math.max(8, replicas * 4);
  const cwd = options.cwd ?? process.cwd();
  const endpoint = options.endpoint ?? (await getServiceEndpoint(options));
  const url = endpoint.url;
  const card = await readModelCard(options.modelCard ?? (await getDefaultModelCard(cwd)));
  const deadline = Date.now() + timeoutS * 1000;

  let round: RoundEvidence | undefined;
  let rounds = 0;
  for (;;) {
    rounds++;
    round = await runRound(endpoint, requests);
    if (isRoundLive(round, commit, replicas, card.version)) break;
    if (Date.now() + intervalMs > deadline) {
      throw new DeployctlError(
        'timeout',
        `not all replicas behind ${url} report ${commit} (model ${card.version ?? '?'}) after ${timeoutS}s (${rounds} rounds of ${requests} calls, want ${replicas} instances); last round: ${formatRoundEvidence(round)}; check the rollout (\`kubectl rollout status\`) or roll back`,
        { evidence: round },
      );
    }
    await sleep(intervalMs);
  }
  const liveAt = new Date().toISOString();
  const golden = await checkGolden(endpoint, card.golden);
  const wrong = golden.filter((g) => g.got !== g.expected);
  if (wrong.length > 0) {
    const shown = wrong
      .slice(0, 5)
      .map((g) => `"${g.input.slice(0, 60)}" expected ${g.expected}, got ${g.got ?? g.error}`)
      .join('; ');
    throw new DeployctlError(
      'unhealthy',
      `${wrong.length} of ${golden.length} golden examples failed on ${url}: ${shown}; the deployed model is not the one in the model card: roll back`,
      { evidence: { instances: round.instances, golden } },
    );
  }
  const file = getEventsFile(options.eventsFile);
  if (file)
    await appendEvent(file, { event: 'verified', at: liveAt, data: { commit, replicas: String(replicas) } });
  return {
    status: 'verified',
    url,
    commit,
    replicas,
    rounds,
    liveAt,
    instances: round.instances,
    golden,
  };
}

export function verifyCommand(emit: Emit): Command {
  return new Command('verify')
    .description(
      'poll /version until N distinct instances report the commit, then check the golden examples; with --env, the whole verify job: superseded?, wait for Argo CD, verify, roll back on failure',
    )
    .option('--url <url>', 'service URL the runner reaches (a port-forward, an internal load balancer, ...)')
    .option(
      '--kube-api-server <url>',
      "instead of --url: reach the Service through this Kubernetes API server's service proxy (https)",
    )
    .option(
      '--eks-cluster <name>',
      "instead of --url: the Service through this EKS cluster's API; endpoint, CA and token from the AWS CLI (`aws eks describe-cluster`, `aws eks get-token`)",
    )
    .option('--region <region>', "with --eks-cluster: the AWS region (default: the AWS CLI's)")
    .option(
      '--namespace <ns>',
      "with the Kubernetes API: the Service's namespace (default: default; with --env, the env's)",
    )
    .option('--service <name>', `with the Kubernetes API: the Service (default: ${DEFAULT_SERVICE})`)
    .option(
      '--port <port>',
      `with the Kubernetes API: the Service port name (default: ${DEFAULT_SERVICE_PORT})`,
    )
    .option(
      '--kube-token-file <path>',
      'with the Kubernetes API: bearer token file, read on every request (default: $KUBE_TOKEN; with --eks-cluster, `aws eks get-token`)',
    )
    .option('--kube-ca-file <path>', "with the Kubernetes API: the cluster's CA bundle (PEM)")
    .requiredOption('--commit <sha>', 'full commit SHA every replica must report')
    .option(
      '--replicas <n>',
      "distinct instances that must answer (default: 1; with --env, the HPA minimum or replicaCount of the env's values)",
      toNumber,
    )
    .option('--timeout <s>', 'give up after this many seconds', toNumber, 300)
    .option('--interval <s>', 'seconds between rounds', toNumber, 2)
    .option('--model-card <path>', 'model card with golden examples (default: <repo root>/model/model.json)')
    .option(
      '--events-file <path>',
      'append a `verified` timeline event here (default: $DEPLOYCTL_EVENTS_FILE)',
    )
    .option('--cwd <dir>', 'directory inside the repository')
    .option('--json', 'print the result as JSON')
    .option('--env <env>', "verify this env's release: skip when it already runs a newer commit, and so on")
    .option('--branch <branch>', "with --env: override the env's branch")
    .option('--remote <remote>', 'with --env: git remote of the env branch', 'origin')
    .option('--app <name>', 'with --env: Argo CD Application to wait for first (when ARGOCD_SERVER is set)')
    .option(
      '--server <url>',
      'with --app: Argo CD server (default: $ARGOCD_SERVER); token from $ARGOCD_AUTH_TOKEN',
    )
    .option('--wait-timeout <s>', 'with --app: seconds to wait for Argo CD', toNumber, DEFAULT_WAIT_TIMEOUT_S)
    .option(
      '--rollback-on-failure',
      'with --env: when verification fails and the env still runs this commit, roll it back in Git',
    )
    .option(
      '--skip-image-check',
      "with --rollback-on-failure: do not ask the registry for the target's image",
    )
    .option(
      '--pipeline <url>',
      'with --rollback-on-failure: Release-Pipeline trailer (default: $CI_PIPELINE_URL)',
    )
    .option('--push-option <option>', 'with --rollback-on-failure: git push option (repeatable)', collect)
    .option('--dry-run', 'with --rollback-on-failure: show the rollback, write nothing')
    .option('--allow-skip', 'with --env: exit 0 instead of 10 when the env already runs a newer commit')
    .action(async (opts) => {
      if (opts.env === undefined) {
        verifyOnlyWithEnv(opts);
        const result = await verify({ ...opts, timeoutS: opts.timeout, intervalS: opts.interval });
        emit({ text: formatVerify(result), data: result, exitCode: EXIT_CODES.ok });
        return;
      }
      const result = await verifyRelease({
        ...opts,
        timeoutS: opts.timeout,
        intervalS: opts.interval,
        waitTimeoutS: opts.waitTimeout,
        pushOptions: opts.pushOption,
      });
      emit({
        text: formatVerifyRelease(result),
        data: result,
        exitCode: getVerifyReleaseExitCode(result, opts.allowSkip),
      });
    });
}

/** The release flags mean nothing without --env; silently ignoring them would skip a rollback. */
function verifyOnlyWithEnv(opts: Record<string, unknown>) {
  const flags = {
    app: '--app',
    server: '--server',
    rollbackOnFailure: '--rollback-on-failure',
    skipImageCheck: '--skip-image-check',
    pipeline: '--pipeline',
    pushOption: '--push-option',
    dryRun: '--dry-run',
    allowSkip: '--allow-skip',
    branch: '--branch',
  };
  const given = Object.entries(flags).filter(([key]) => opts[key] !== undefined);
  if (given.length > 0) {
    throw new DeployctlError(
      'input',
      `${given.map(([, flag]) => flag).join(', ')} need --env <env> (the environment whose release is verified)`,
    );
  }
}
