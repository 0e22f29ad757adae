/**
 * Container registries, read-only: does an image exist? `rollback` asks before
 * it writes an image back into the values file, so a rollback cannot point the
 * cluster at an image the registry never had or has since expired (the pods
 * would sit in ImagePullBackOff in the middle of an incident). And which commit
 * was an image built from? `image-status` reads its revision label, so the
 * pipeline builds and pushes each commit once (issue 11, item 5).
 *
 * One check per kind of registry, chosen by the repository's host:
 * - ECR (`<account>.dkr.ecr.<region>.amazonaws.com`): the AWS CLI with the job's
 *   role (ecr.ts), because ECR's distribution API needs a SigV4-derived password.
 * - any other registry: the OCI distribution API, `HEAD /v2/<name>/manifests/<ref>`,
 *   with optional credentials from the environment (DEPLOYCTL_REGISTRY_TOKEN, or
 *   DEPLOYCTL_REGISTRY_USERNAME + DEPLOYCTL_REGISTRY_PASSWORD) and the standard
 *   bearer-token challenge (GitLab's registry, GHCR, Docker Hub).
 */
import { getEcrPassword, getEcrRegistry, hasEcrImage } from './ecr.js';
import { DeployctlError } from './exit-codes.js';
import { HTTP_TIMEOUTS, type JsonResponse, type RequestOptions, requestJson } from './http.js';
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

/** The OCI label that names the commit an image was built from (Dockerfile, scripts/build-image.sh). */
export const REVISION_LABEL = 'org.opencontainers.image.revision';

/** What a registry holds under a tag, measured against the commit that wants it. */
export type ImageStatus = 'absent' | 'present-same-revision' | 'present-other-revision';

export interface ImageStatusResult {
  status: ImageStatus;
  /** repository:tag, as asked. */
  image: string;
  /** The commit the caller builds. */
  revision: string;
  /** The revision label of what the tag holds (undefined when absent or unlabelled). */
  foundRevision: string | undefined;
  /** The manifest digest the tag points at (undefined when absent). */
  digest: string | undefined;
  registry: string;
}

/** A tag's manifest digest and the revision label of its image config(s). */
export interface TaggedImage {
  digest: string | undefined;
  /** One entry per platform image (an index has several; they should agree). */
  revisions: (string | undefined)[];
}

/** Reads manifests and config blobs of one registry (the OCI distribution API). */
export interface ImageReader {
  description: string;
  /** undefined when the registry has no such tag (or no such repository). */
  getTaggedImage: (name: string, tag: string) => Promise<TaggedImage | undefined>;
}

interface Manifest {
  mediaType?: string;
  config?: { digest?: string };
  manifests?: { digest?: string; platform?: { os?: string; architecture?: string } }[];
}

const MAX_REDIRECTS = 3;

/**
 * GET with the registry's authorization, following redirects the way registries
 * use them (ECR and S3-backed registries send blob downloads to a pre-signed
 * URL): the credential goes only to the registry's own host.
 */
async function getFollowingRedirects(
  url: string,
  options: RequestOptions,
  registryHost: string,
): Promise<JsonResponse> {
  let target = url;
  for (let hop = 0; ; hop++) {
    const sameHost = new URL(target).host === registryHost;
    const headers = { ...options.headers };
    if (!sameHost) delete headers.authorization;
    const response = await requestJson(target, { ...options, headers });
    const location = response.headers.location;
    if (response.status < 300 || response.status >= 400 || !location || hop >= MAX_REDIRECTS) return response;
    target = new URL(location, target).toString();
  }
}

/** The OCI distribution API of `registry`, with the credentials `getAuthorization` gives (lazily). */
export function getOciReader(
  registry: string,
  getAuthorization: () => Promise<string | undefined>,
  description = `the OCI registry ${getRegistryBaseUrl(registry)}`,
): ImageReader {
  const base = getRegistryBaseUrl(registry);
  const host = new URL(base).host;
  let authorization: string | undefined;
  let authorized = false;

  const get = async (name: string, path: string, accept: string): Promise<JsonResponse> => {
    if (!authorized) {
      authorization = await getAuthorization();
      authorized = true;
    }
    const url = `${base}/v2/${name}/${path}`;
    const send = (auth: string | undefined) =>
      getFollowingRedirects(
        url,
        {
          headers: { accept, ...(auth ? { authorization: auth } : {}) },
          timeoutMs: HTTP_TIMEOUTS.registryRequestMs,
        },
        host,
      );
    let response = await send(authorization);
    const challenge =
      response.status === 401 ? parseBearerChallenge(response.headers['www-authenticate']) : undefined;
    if (challenge) {
      const token = await getBearerTokenWith(challenge, name, authorization);
      if (token) {
        authorization = `Bearer ${token}`;
        response = await send(authorization);
      }
    }
    if (response.status === 401 || response.status === 403) {
      throw new DeployctlError(
        'input',
        `${base} refused to show ${name} (HTTP ${response.status} for ${path}); give this job a pull credential for it: DEPLOYCTL_REGISTRY_TOKEN, or DEPLOYCTL_REGISTRY_USERNAME and DEPLOYCTL_REGISTRY_PASSWORD (for ECR: the job's AWS role needs ecr:GetAuthorizationToken and ecr:BatchGetImage)`,
      );
    }
    return response;
  };

  const unexpected = (path: string, response: JsonResponse) =>
    new DeployctlError(
      'network',
      `GET ${base}/v2/.../${path} answered HTTP ${response.status}; retry, or check that ${base} is a container registry`,
    );

  const getRevision = async (name: string, configDigest: string | undefined) => {
    if (!configDigest) return undefined;
    const response = await get(name, `blobs/${configDigest}`, 'application/json, */*');
    if (response.status !== 200) throw unexpected(`blobs/${configDigest}`, response);
    const config = response.body as { config?: { Labels?: Record<string, string> | null } } | undefined;
    return config?.config?.Labels?.[REVISION_LABEL];
  };

  return {
    description,
    getTaggedImage: async (name, tag) => {
      const response = await get(name, `manifests/${tag}`, MANIFEST_TYPES);
      if (response.status === 404) return undefined;
      if (response.status !== 200) throw unexpected(`manifests/${tag}`, response);
      const manifest = response.body as Manifest | undefined;
      const digestHeader = response.headers['docker-content-digest'];
      const digest = typeof digestHeader === 'string' ? digestHeader : undefined;
      if (!manifest?.manifests)
        return { digest, revisions: [await getRevision(name, manifest?.config?.digest)] };
      // An index: every platform's image (attestations, platform unknown/unknown, carry no label).
      const revisions: (string | undefined)[] = [];
      for (const entry of manifest.manifests) {
        if (!entry.digest || entry.platform?.os === 'unknown') continue;
        const child = await get(name, `manifests/${entry.digest}`, MANIFEST_TYPES);
        if (child.status !== 200) throw unexpected(`manifests/${entry.digest}`, child);
        revisions.push(await getRevision(name, (child.body as Manifest | undefined)?.config?.digest));
      }
      return { digest, revisions };
    },
  };
}

/** The spec's token flow with an explicit credential (basic) instead of the environment's. */
async function getBearerTokenWith(
  challenge: Map<string, string>,
  name: string,
  basic: string | undefined,
): Promise<string | undefined> {
  const url = new URL(challenge.get('realm')!);
  const service = challenge.get('service');
  if (service) url.searchParams.set('service', service);
  url.searchParams.set('scope', challenge.get('scope') ?? `repository:${name}:pull`);
  const response = await requestJson(url.toString(), {
    headers: basic?.startsWith('Basic ') ? { authorization: basic } : {},
    timeoutMs: HTTP_TIMEOUTS.registryRequestMs,
  });
  const body = response.body as { token?: unknown; access_token?: unknown } | undefined;
  const token = body?.token ?? body?.access_token;
  return response.status === 200 && typeof token === 'string' ? token : undefined;
}

/**
 * The reader for `registry`: ECR through its distribution API with the password
 * `aws ecr get-login-password` gives the job's role (what `buildah login` uses
 * too), any other registry with the DEPLOYCTL_REGISTRY_* credentials, if any.
 */
export function getImageReader(registry: string, env: NodeJS.ProcessEnv = process.env): ImageReader {
  const ecr = getEcrRegistry(registry);
  if (ecr) {
    return getOciReader(
      registry,
      async () => `Basic ${Buffer.from(`AWS:${await getEcrPassword(ecr.region)}`).toString('base64')}`,
      `ECR ${registry}`,
    );
  }
  return getOciReader(registry, async () => getConfiguredAuthorization(env));
}

/** `host[:port]/path:tag` → repository and tag (a digest reference is not a tag). */
export function parseTaggedImage(image: string): { repository: string; tag: string } {
  const match = /^(.+):([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(image);
  if (!match?.[1] || !match[2] || match[1].includes('@') || !isImageRepository(match[1])) {
    throw new DeployctlError(
      'input',
      `--image \`${image}\` is not <registry host>/<repository>:<tag>; pass e.g. 123456789012.dkr.ecr.eu-central-1.amazonaws.com/mlops-inference-service:<commit sha>`,
    );
  }
  return { repository: match[1], tag: match[2] };
}

/**
 * Whether the registry already holds `image` and, if so, whether it was built
 * from `revision` (its revision label). A registry that cannot answer is an
 * error (`network`, or `input` for a refused credential), never "absent":
 * building and pushing blind could overwrite or hide another commit's image.
 */
export async function getImageStatus(
  image: string,
  revision: string,
  reader?: ImageReader,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ImageStatusResult> {
  const { repository, tag } = parseTaggedImage(image);
  const location = getImageLocation(repository);
  const source = reader ?? getImageReader(location.registry, env);
  let found: TaggedImage | undefined;
  try {
    found = await source.getTaggedImage(location.name, tag);
  } catch (error) {
    if (error instanceof DeployctlError && error.kind === 'network') {
      throw new DeployctlError(
        'network',
        `cannot tell whether ${image} exists: ${error.message}. Nothing was built or pushed; check that the registry ${location.registry} is up and reachable from this runner (and that IMAGE_REPOSITORY names it), then retry the job`,
        { cause: error },
      );
    }
    throw error;
  }
  const base = { image, revision, registry: source.description };
  if (!found) return { ...base, status: 'absent', foundRevision: undefined, digest: undefined };
  const distinct = [...new Set(found.revisions)];
  const foundRevision = distinct.length === 1 ? distinct[0] : distinct.map((r) => r ?? 'none').join(',');
  const same = found.revisions.length > 0 && found.revisions.every((r) => r === revision);
  return {
    ...base,
    status: same ? 'present-same-revision' : 'present-other-revision',
    foundRevision,
    digest: found.digest,
  };
}
