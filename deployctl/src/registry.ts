/**
 * Container registries, read-only: does an image exist? `rollback` asks before
 * it writes an image back into the values file, so a rollback cannot point the
 * cluster at an image the registry never had or has since expired (the pods
 * would sit in ImagePullBackOff in the middle of an incident).
 *
 * One check per kind of registry, chosen by the repository's host:
 * - ECR (`<account>.dkr.ecr.<region>.amazonaws.com`): the AWS CLI with the job's
 *   role (ecr.ts), because ECR's distribution API needs a SigV4-derived password.
 * - any other registry: the OCI distribution API, `HEAD /v2/<name>/manifests/<ref>`,
 *   with optional credentials from the environment (DEPLOYCTL_REGISTRY_TOKEN, or
 *   DEPLOYCTL_REGISTRY_USERNAME + DEPLOYCTL_REGISTRY_PASSWORD) and the standard
 *   bearer-token challenge (GitLab's registry, GHCR, Docker Hub).
 */
import { getEcrRegistry, hasEcrImage } from './ecr.js';
import { DeployctlError } from './exit-codes.js';
import { HTTP_TIMEOUTS, type JsonResponse, requestJson } from './http.js';
import { isImageRepository } from './validate.js';

export interface ImageReference {
  repository: string;
  tag: string;
  digest: string | undefined;
}

export interface ImageLocation {
  /** host[:port] */
  registry: string;
  /** the repository path inside the registry */
  name: string;
}

/** A way to ask one registry whether it holds a manifest (tag or digest). */
export interface ImageStore {
  description: string;
  hasManifest: (name: string, reference: string) => Promise<boolean>;
}

// Manifest kinds a registry may hold for our image; without them some registries answer 404.
const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export function formatImageReference(ref: ImageReference): string {
  return `${ref.repository}:${ref.tag}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** Splits `host[:port]/path` the way container tools do: the first part is a host if it has `.` or `:` or is localhost. */
export function getImageLocation(repository: string): ImageLocation {
  const [first = '', ...rest] = repository.split('/');
  const isHost = first.includes('.') || first.includes(':') || first === 'localhost';
  if (!isImageRepository(repository) || !isHost || rest.length === 0) {
    throw new DeployctlError(
      'input',
      `image repository \`${repository}\` names no registry host, so deployctl cannot check that the image exists; set image.repository to host/path (e.g. 123456789012.dkr.ecr.eu-central-1.amazonaws.com/mlops-inference-service), or pass --skip-image-check`,
    );
  }
  return { registry: first, name: rest.join('/') };
}

/** Like container tools, a registry on the loopback interface speaks plain HTTP; any other, HTTPS. */
export function getRegistryBaseUrl(registry: string): string {
  const host = registry.replace(/:[0-9]+$/, '');
  const loopback = host === 'localhost' || /^127\.[0-9.]+$/.test(host) || host === '[::1]';
  return `${loopback ? 'http' : 'https'}://${registry}`;
}

function getConfiguredAuthorization(env: NodeJS.ProcessEnv): string | undefined {
  if (env.DEPLOYCTL_REGISTRY_TOKEN) return `Bearer ${env.DEPLOYCTL_REGISTRY_TOKEN}`;
  if (env.DEPLOYCTL_REGISTRY_USERNAME && env.DEPLOYCTL_REGISTRY_PASSWORD) {
    const pair = `${env.DEPLOYCTL_REGISTRY_USERNAME}:${env.DEPLOYCTL_REGISTRY_PASSWORD}`;
    return `Basic ${Buffer.from(pair).toString('base64')}`;
  }
  return undefined;
}

/** `Bearer realm="https://...",service="...",scope="..."` → its parameters. */
export function parseBearerChallenge(header: string | undefined): Map<string, string> | undefined {
  if (!header || !/^bearer\s/i.test(header)) return undefined;
  const params = new Map<string, string>();
  for (const match of header.slice(6).matchAll(/([a-zA-Z]+)="([^"]*)"/g)) {
    if (match[1] && match[2] !== undefined) params.set(match[1].toLowerCase(), match[2]);
  }
  return params.has('realm') ? params : undefined;
}

/** The distribution spec's token flow: trade the (optional) basic credentials for a pull token. */
async function getBearerToken(
  challenge: Map<string, string>,
  name: string,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const url = new URL(challenge.get('realm')!);
  const service = challenge.get('service');
  if (service) url.searchParams.set('service', service);
  url.searchParams.set('scope', challenge.get('scope') ?? `repository:${name}:pull`);
  const basic = env.DEPLOYCTL_REGISTRY_TOKEN ? undefined : getConfiguredAuthorization(env);
  const response = await requestJson(url.toString(), {
    headers: basic ? { authorization: basic } : {},
    timeoutMs: HTTP_TIMEOUTS.registryRequestMs,
  });
  const body = response.body as { token?: unknown; access_token?: unknown } | undefined;
  const token = body?.token ?? body?.access_token;
  return response.status === 200 && typeof token === 'string' ? token : undefined;
}

export function getOciStore(registry: string, env: NodeJS.ProcessEnv = process.env): ImageStore {
  const base = getRegistryBaseUrl(registry);
  return {
    description: `the OCI registry ${base}`,
    hasManifest: async (name, reference) => {
      const url = `${base}/v2/${name}/manifests/${reference}`;
      const head = (authorization: string | undefined): Promise<JsonResponse> =>
        requestJson(url, {
          method: 'HEAD',
          headers: { accept: MANIFEST_TYPES, ...(authorization ? { authorization } : {}) },
          timeoutMs: HTTP_TIMEOUTS.registryRequestMs,
        });
      let response = await head(getConfiguredAuthorization(env));
      const challenge =
        response.status === 401 ? parseBearerChallenge(response.headers['www-authenticate']) : undefined;
      if (challenge) {
        const token = await getBearerToken(challenge, name, env);
        if (token) response = await head(`Bearer ${token}`);
      }
      if (response.status === 200) return true;
      if (response.status === 404) return false;
      if (response.status === 401 || response.status === 403) {
        throw new DeployctlError(
          'input',
          `${base} refused to show ${name}:${reference} (HTTP ${response.status}); set DEPLOYCTL_REGISTRY_TOKEN, or DEPLOYCTL_REGISTRY_USERNAME and DEPLOYCTL_REGISTRY_PASSWORD, to a pull credential`,
        );
      }
      throw new DeployctlError(
        'network',
        `HEAD ${url} answered HTTP ${response.status}; retry, or check that ${base} is a container registry`,
      );
    },
  };
}

export function getEcrStore(accountId: string, region: string): ImageStore {
  return {
    description: `ECR (account ${accountId}, ${region}) through the AWS CLI`,
    hasManifest: (name, reference) => hasEcrImage({ accountId, region, repository: name, reference }),
  };
}

export function getImageStore(registry: string, env: NodeJS.ProcessEnv = process.env): ImageStore {
  const ecr = getEcrRegistry(registry);
  return ecr ? getEcrStore(ecr.accountId, ecr.region) : getOciStore(registry, env);
}

/**
 * Throws unless the registry holds the image the chart would pull: by digest
 * when one is recorded (the chart then pulls `repo:tag@digest`, and the digest
 * decides), else by tag.
 */
export async function verifyImageExists(
  ref: ImageReference,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const location = getImageLocation(ref.repository);
  const store = getImageStore(location.registry, env);
  if (!(await store.hasManifest(location.name, ref.digest || ref.tag))) {
    throw new DeployctlError(
      'refused',
      `refused: image ${formatImageReference(ref)} is not in ${store.description}, so the pods could not pull it; pick a commit whose image exists, or rebuild and push it (rerun that commit's pipeline), or pass --skip-image-check if the nodes still have it cached`,
    );
  }
}
