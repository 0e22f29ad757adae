/**
 * The in-cluster Service as `verify` reaches it without any public endpoint: through the
 * Kubernetes API server's service proxy,
 * `<server>/api/v1/namespaces/<namespace>/services/<service>:<port>/proxy/<path>`.
 * All the caller needs is the API server, the cluster's CA and a bearer token whose RBAC
 * allows `get` (GET /version) and `create` (POST /predict) on `services/proxy` named exactly
 * `<service>:<port>`: the verifier Role of infra/manifests/verifier-rbac.yaml
 * (docs/contracts.md, "Verification through the Kubernetes API").
 *
 * The API server picks a random ready endpoint for every proxied request (kube-apiserver
 * pkg/registry/core/service/storage: ResourceLocation → proxy.RandomEndpoint), so verify's
 * rounds of /version calls still see every replica, as through a ClusterIP.
 *
 * On EKS (`--eks-cluster`) the AWS CLI gives all three with the job's role: `aws eks
 * describe-cluster` the endpoint and CA, `aws eks get-token` a token that lasts 15 minutes,
 * which is fetched again before it runs out (wait + verify may take 20).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DeployctlError } from './exit-codes.js';

/** The chart's Service and port name for release `mlops-inference-service` (docs/contracts.md). */
export const DEFAULT_SERVICE = 'mlops-inference-service';
export const DEFAULT_SERVICE_PORT = 'http';

const AWS_CLI_TIMEOUT_MS = 30_000;
/** Fetch a new EKS token this long before the old one expires. */
const TOKEN_REFRESH_MARGIN_MS = 60_000;

/** Where the service's HTTP API is, and what each request to it carries. */
export interface ServiceEndpoint {
  /** The base URL: SERVICE_URL, or the service proxy path on the API server. */
  url: string;
  /** PEM CA bundle for the API server. */
  ca?: string;
  /** Headers for one request (a fresh token when it was about to expire). */
  getHeaders(): Promise<Record<string, string>>;
  /** Set when the Service is reached through the Kubernetes API. */
  kube?: { server: string; namespace: string; service: string; port: string };
}

export interface KubeServiceOptions {
  /** API server URL (https); default with `eksCluster`: the cluster's endpoint. */
  server?: string | undefined;
  namespace: string;
  service?: string | undefined;
  /** Service port name (or number): `<service>:<port>` is the name RBAC checks. */
  port?: string | undefined;
  /** Read on every request, so a refreshed (projected) token is picked up. */
  tokenFile?: string | undefined;
  caFile?: string | undefined;
  /** EKS cluster name: endpoint, CA and token from the AWS CLI with the current credentials. */
  eksCluster?: string | undefined;
  region?: string | undefined;
  /** Where KUBE_TOKEN comes from (default: process.env). */
  vars?: NodeJS.ProcessEnv;
}

export function getUrlEndpoint(url: string): ServiceEndpoint {
  return { url, getHeaders: async () => ({}) };
}

/** DNS-1123 label: namespaces; Service names are DNS-1035 labels (a letter first). */
function verifyKubeName(value: string, flag: string, service: boolean): string {
  const pattern = service ? /^[a-z]([-a-z0-9]*[a-z0-9])?$/ : /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  if (value.length > 63 || !pattern.test(value)) {
    throw new DeployctlError(
      'input',
      `${flag} \`${value}\` is not a Kubernetes ${service ? 'Service' : 'namespace'} name (lowercase letters, digits and -, at most 63); see \`kubectl get ${service ? 'services' : 'namespaces'}\``,
    );
  }
  return value;
}

/** A Service port name (IANA_SVC_NAME) or number; it becomes part of the proxied resource name. */
function verifyPort(value: string): string {
  const isName = value.length <= 15 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) && /[a-z]/.test(value);
  const isNumber = /^[1-9][0-9]{0,4}$/.test(value) && Number(value) <= 65535;
  if (!isName && !isNumber) {
    throw new DeployctlError(
      'input',
      `--port \`${value}\` is not a Service port name or number; the chart's API port is named \`${DEFAULT_SERVICE_PORT}\``,
    );
  }
  return value;
}

function verifyServer(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new DeployctlError(
      'input',
      `--kube-api-server \`${value}\` is not a URL; pass the API server like https://ABC.gr7.eu-central-1.eks.amazonaws.com`,
      { cause },
    );
  }
  // The token is a credential: never over plain HTTP.
  if (url.protocol !== 'https:' || url.search || url.hash || url.username) {
    throw new DeployctlError(
      'input',
      `--kube-api-server \`${value}\` must be a plain https:// URL (the bearer token must not travel in clear)`,
    );
  }
  return url.toString().replace(/\/+$/, '');
}

function readText(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new DeployctlError('input', `cannot read ${flag} ${file}: ${(cause as Error).message}`, { cause });
  }
}

function runAws(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('aws', args, { timeout: AWS_CLI_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error) {
        reject(
          new DeployctlError(
            'network',
            `\`aws ${args.join(' ')}\` failed: ${stderr.trim() || error.message}; install the AWS CLI and assume the pipeline role (its IAM policy allows eks:DescribeCluster on the cluster), or pass --kube-api-server, --kube-ca-file and KUBE_TOKEN`,
            { cause: error },
          ),
        );
        return;
      }
      resolve(stdout);
    });
  });
}

async function describeEksCluster(name: string, region: string | undefined) {
  const text = await runAws([
    'eks',
    'describe-cluster',
    '--name',
    name,
    '--output',
    'json',
    ...(region ? ['--region', region] : []),
  ]);
  const cluster = (
    JSON.parse(text) as { cluster?: { endpoint?: string; certificateAuthority?: { data?: string } } }
  ).cluster;
  if (!cluster?.endpoint || !cluster.certificateAuthority?.data) {
    throw new DeployctlError(
      'network',
      `\`aws eks describe-cluster --name ${name}\` gave no endpoint or CA; is the cluster ACTIVE?`,
    );
  }
  return {
    endpoint: cluster.endpoint,
    ca: Buffer.from(cluster.certificateAuthority.data, 'base64').toString('utf8'),
  };
}

/** `aws eks get-token` prints an ExecCredential (client.authentication.k8s.io) with its expiry. */
function getEksTokenSource(name: string, region: string | undefined): () => Promise<string> {
  let cached: { token: string; expiresAt: number } | undefined;
  return async () => {
    if (cached && Date.now() < cached.expiresAt - TOKEN_REFRESH_MARGIN_MS) return cached.token;
    const text = await runAws([
      'eks',
      'get-token',
      '--cluster-name',
      name,
      '--output',
      'json',
      ...(region ? ['--region', region] : []),
    ]);
    const status = (JSON.parse(text) as { status?: { token?: string; expirationTimestamp?: string } }).status;
    if (!status?.token) {
      throw new DeployctlError('network', `\`aws eks get-token --cluster-name ${name}\` printed no token`);
    }
    const expiresAt = Date.parse(status.expirationTimestamp ?? '') || Date.now() + 10 * 60_000;
    cached = { token: status.token, expiresAt };
    return status.token;
  };
}

/** Checks every flag first, then (with an EKS cluster) asks AWS for the endpoint and CA. */
export async function getKubeServiceEndpoint(options: KubeServiceOptions): Promise<ServiceEndpoint> {
  const vars = options.vars ?? process.env;
  const namespace = verifyKubeName(options.namespace, '--namespace', false);
  const service = verifyKubeName(options.service ?? DEFAULT_SERVICE, '--service', true);
  const port = verifyPort(options.port ?? DEFAULT_SERVICE_PORT);
  if (!options.server && !options.eksCluster) {
    throw new DeployctlError(
      'input',
      'no Kubernetes API server: pass --kube-api-server <url> or --eks-cluster <name>',
    );
  }
  let server = options.server === undefined ? undefined : verifyServer(options.server);
  let ca = options.caFile === undefined ? undefined : readText(options.caFile, '--kube-ca-file');

  let getToken: () => Promise<string>;
  if (options.tokenFile !== undefined) {
    const file = options.tokenFile;
    readText(file, '--kube-token-file');
    getToken = async () => readText(file, '--kube-token-file').trim();
  } else if (vars.KUBE_TOKEN) {
    const token = vars.KUBE_TOKEN.trim();
    getToken = async () => token;
  } else if (options.eksCluster) {
    getToken = getEksTokenSource(options.eksCluster, options.region);
  } else {
    throw new DeployctlError(
      'input',
      'no Kubernetes API token: set KUBE_TOKEN, pass --kube-token-file <file>, or --eks-cluster <name> (the AWS CLI then gets one for the current role)',
    );
  }
  if (options.eksCluster && (server === undefined || ca === undefined)) {
    const described = await describeEksCluster(options.eksCluster, options.region);
    server ??= verifyServer(described.endpoint);
    ca ??= described.ca;
  }
  if (server === undefined) throw new Error('unreachable: server checked above');
  return {
    url: `${server}/api/v1/namespaces/${namespace}/services/${service}:${port}/proxy`,
    ...(ca === undefined ? {} : { ca }),
    getHeaders: async () => ({ authorization: `Bearer ${await getToken()}` }),
    kube: { server, namespace, service, port },
  };
}

/**
 * The API server's own refusal of the token (a v1 Status with 401 or 403), as opposed to an
 * answer of the service: waiting does not fix it, so verify stops at once and says what to fix.
 */
export function getKubeRefusal(
  endpoint: ServiceEndpoint,
  request: string,
  status: number,
  body: unknown,
): DeployctlError | undefined {
  if (!endpoint.kube || (status !== 401 && status !== 403)) return undefined;
  const reply = body as { kind?: string; message?: string } | undefined;
  if (reply?.kind !== 'Status') return undefined;
  const { namespace, service, port, server } = endpoint.kube;
  const fix =
    status === 401
      ? 'the token is missing, malformed or expired (an `aws eks get-token` token lasts 15 minutes); check KUBE_TOKEN, --kube-token-file or --eks-cluster'
      : `the token's identity needs \`get\` and \`create\` on \`services/proxy\` named \`${service}:${port}\` in namespace ${namespace}: on EKS the CI role's access entry puts it in the environment's verifier group, which the verifier Role binds (infra/manifests/verifier-rbac.yaml, docs/contracts.md)`;
  return new DeployctlError(
    'input',
    `the Kubernetes API server ${server} refused ${request} through the service proxy (HTTP ${status}: ${reply.message ?? ''}); ${fix}`,
    { evidence: body },
  );
}
