// `deployctl verify` with no public endpoint (issue 17), on the real control plane:
// the chart installed with the real helm, the verifier RBAC of
// infra/manifests/verifier-rbac.yaml applied as the cluster stack applies it, and
// verify reaching the Service through the real kube-apiserver's service proxy with the
// token of an identity that has exactly the verifier Role.
//
// KWOK pods run no containers and get fake pod IPs. So that the API server proxies to
// a real process, each pod's IP is added to the loopback interface and the real
// service is started on <pod IP>:8000 (the container port) as that pod (INSTANCE_ID =
// the pod's name). Loopback addresses themselves would not do: the API server refuses
// to proxy to them.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { BUNDLED_MODEL_DIR, REPO_ROOT } from '../support/paths.js';
import { type ServiceProcess, startService } from '../support/service-process.js';
import { type ControlPlane, startControlPlane } from './control-plane.js';
import type { KubeObject } from './kube-api.js';
import { helm, parseManifests } from './tools.js';

const run = promisify(execFile);

const RELEASE = 'mlops-inference-service';
const NAMESPACE = 'default';
const ROLE = 'mlops-verifier';
const SERVICE_ACCOUNT = 'verify-ci';
const NEW = 'c0ffee0000000000000000000000000000000001';
const OLD = 'c0ffee0000000000000000000000000000000000';
const MODEL_CARD = join(BUNDLED_MODEL_DIR, 'model.json');
const RBAC_FILE = join(REPO_ROOT, 'infra/manifests/verifier-rbac.yaml');
const DEPLOYCTL = join(REPO_ROOT, 'deployctl/bin/deployctl.js');
const PROXY = `/api/v1/namespaces/${NAMESPACE}/services`;

interface Pod extends KubeObject {
  metadata: KubeObject['metadata'] & { name: string };
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

let cp: ControlPlane;
let server: string;
let caFile: string;
let ca: Buffer;
let token: string;
let pods: Pod[] = [];
const services = new Map<string, ServiceProcess>();
const addedIps: string[] = [];

async function ip(args: string[]): Promise<void> {
  const command = `ip ${args.join(' ')}`;
  try {
    await run('ip', args);
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    const why =
      e.code === 'ENOENT' ? '`ip` is missing (Debian package iproute2)' : (e.stderr ?? e.message).trim();
    throw new Error(
      `\`${command}\` failed: ${why}; this test binds the KWOK pods' IPs to lo and needs iproute2 and root (CAP_NET_ADMIN)`,
      { cause: error },
    );
  }
}

/** The real service as one pod: on the pod's IP and container port, reporting the pod's name. */
async function startPod(pod: Pod, commit: string): Promise<ServiceProcess> {
  const service = await startService({
    port: 8000,
    env: {
      HOST: pod.status?.podIP ?? '',
      METRICS_PORT: '9464',
      INSTANCE_ID: pod.metadata.name,
      GIT_COMMIT: commit,
      LOG_LEVEL: 'warn',
      SHUTDOWN_DRAIN_DELAY_SECONDS: '0',
    },
    waitFor: '/readyz',
    // Generous: model loads on a shared 2-core machine.
    timeoutMs: 180_000,
    pollMs: 250,
  });
  services.set(pod.metadata.name, service);
  return service;
}

/** One request to the API server as `bearer` (default: the verifier's token). */
function asToken(method: string, path: string, bearer = token): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, server),
      { method, ca, agent: false, headers: { authorization: `Bearer ${bearer}` }, timeout: 30_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

function deployctlVerify(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        DEPLOYCTL,
        'verify',
        '--kube-api-server',
        server,
        '--kube-ca-file',
        caFile,
        '--namespace',
        NAMESPACE,
        '--model-card',
        MODEL_CARD,
        '--interval',
        '0.5',
        '--json',
        ...args,
      ],
      { cwd: REPO_ROOT, env: { ...process.env, KUBE_TOKEN: token } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

before(
  async () => {
    cp = await startControlPlane();
    const kubeconfig = parse(readFileSync(cp.kubeconfig, 'utf8'));
    server = kubeconfig.clusters[0].cluster.server;
    caFile = kubeconfig.clusters[0].cluster['certificate-authority'];
    ca = readFileSync(caFile);

    await helm(['install', RELEASE, 'helm', '--namespace', NAMESPACE, '--wait', '--timeout', '10m'], cp.env);
    // The verifier RBAC exactly as the cluster stack applies it (its first document creates mlops-dev).
    for (const manifest of parseManifests(readFileSync(RBAC_FILE, 'utf8'))) await cp.api.apply(manifest);

    pods = await cp.api.waitFor('two Running, Ready pods with IPs', 5 * 60_000, async () => {
      const list = await cp.api.get<{ items: Pod[] }>(
        `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=${encodeURIComponent(`app.kubernetes.io/instance=${RELEASE}`)}`,
      );
      const running = list.items.filter(
        (p) =>
          p.status?.phase === 'Running' &&
          p.status.podIP &&
          p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return running.length === 2 ? running : undefined;
    });
    const podIps = pods.map((p) => p.status?.podIP as string);
    assert.equal(new Set(podIps).size, 2, `KWOK gave the pods distinct IPs: ${podIps.join(', ')}`);
    for (const podIp of podIps) {
      assert.doesNotMatch(podIp, /^127\./, 'a loopback pod IP: the API server would refuse to proxy to it');
      await ip(['addr', 'add', `${podIp}/32`, 'dev', 'lo']);
      addedIps.push(podIp);
    }
    // One after the other: two model loads at once are slow on a shared 2-core machine.
    for (const pod of pods) await startPod(pod, NEW);

    // Both pods are endpoints of the Service's http port before anything is proxied.
    await cp.api.waitFor('two ready endpoints', 120_000, async () => {
      const slices = await cp.api.get<{
        items: { endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }[];
      }>(
        `/apis/discovery.k8s.io/v1/namespaces/${NAMESPACE}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${RELEASE}`)}`,
      );
      const ready = slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready);
      return ready.length === 2 ? true : undefined;
    });

    await cp.api.apply({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: SERVICE_ACCOUNT, namespace: NAMESPACE },
    });
    const review = await cp.api.request<{ status: { token: string } }>(
      'POST',
      `/api/v1/namespaces/${NAMESPACE}/serviceaccounts/${SERVICE_ACCOUNT}/token`,
      JSON.stringify({
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      }),
    );
    token = review.status.token;
  },
  { timeout: 100 * 60_000 },
);

after(async () => {
  // Everything this file started or added, even when a test failed: the processes by
  // their own handles, the addresses it added to lo, then the control plane.
  for (const service of services.values()) await service.stop('SIGTERM');
  for (const podIp of addedIps) {
    await ip(['addr', 'del', `${podIp}/32`, 'dev', 'lo']).catch((error: Error) =>
      process.stderr.write(`${error.message}\n`),
    );
  }
  await cp?.stop();
});

test('an identity without the verifier Role is refused by the API server, and verify stops at once (exit 2)', async () => {
  const started = Date.now();
  const result = await deployctlVerify(['--commit', NEW, '--replicas', '2', '--timeout', '300']);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /refused GET \/version through the service proxy \(HTTP 403/);
  assert.match(result.stderr, /`get` and `create` on `services\/proxy` named `mlops-inference-service:http`/);
  // Well under --timeout (the CLI's own start takes seconds on a loaded machine).
  assert.ok(Date.now() - started < 120_000, 'did not wait out --timeout');
});

test('with the verifier Role, verify passes through the API server: both pods seen on the commit, golden examples right', {
  timeout: 5 * 60_000,
}, async () => {
  // The Role the cluster stack applied, unchanged, is what the token gets: a RoleBinding of
  // that Role to the test's ServiceAccount (a token cannot carry the EKS group itself; the
  // group's own binding is checked with SubjectAccessReviews below).
  const role = await cp.api.get<KubeObject & { rules: unknown }>(
    `/apis/rbac.authorization.k8s.io/v1/namespaces/${NAMESPACE}/roles/${ROLE}`,
  );
  const fileRole = parseManifests(readFileSync(RBAC_FILE, 'utf8')).find(
    (m) => m.kind === 'Role' && m.metadata.namespace === NAMESPACE,
  ) as KubeObject & { rules: unknown };
  assert.deepEqual(role.rules, fileRole.rules);
  await cp.api.apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: `${SERVICE_ACCOUNT}-test`, namespace: NAMESPACE },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: ROLE },
    subjects: [{ kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace: NAMESPACE }],
  });
  await cp.api.waitFor('the binding to take effect', 60_000, async () =>
    (await asToken('GET', `${PROXY}/${RELEASE}:http/proxy/livez`)).status === 200 ? true : undefined,
  );

  const result = await deployctlVerify(['--commit', NEW, '--replicas', '2', '--timeout', '120']);
  assert.equal(result.code, 0, result.stderr);
  const body = JSON.parse(result.stdout) as {
    url: string;
    instances: { instanceId: string; commit: string }[];
    golden: { got: string; expected: string }[];
  };
  assert.equal(body.url, `${server.replace(/\/$/, '')}${PROXY}/${RELEASE}:http/proxy`);
  assert.deepEqual(
    body.instances.map((i) => i.instanceId).sort(),
    pods.map((p) => p.metadata.name).sort(),
    'the API server spread the calls over both pods',
  );
  assert.ok(body.instances.every((i) => i.commit === NEW));
  assert.ok(body.golden.length > 0);
  for (const golden of body.golden) assert.equal(golden.got, golden.expected);
});

test('a pod whose process serves another commit: verify fails and names that pod (exit 6)', {
  timeout: 5 * 60_000,
}, async () => {
  const stale = pods[1] as Pod;
  await services.get(stale.metadata.name)?.stop('SIGTERM');
  await startPod(stale, OLD);
  const result = await deployctlVerify(['--commit', NEW, '--replicas', '2', '--timeout', '5']);
  assert.equal(result.code, 6, result.stderr);
  assert.match(result.stderr, new RegExp(`${stale.metadata.name} runs ${OLD}`));
  const body = JSON.parse(result.stdout) as {
    error: { evidence: { instances: { instanceId: string; commit: string }[] } };
  };
  const seen = body.error.evidence.instances.find((i) => i.instanceId === stale.metadata.name);
  assert.equal(seen?.commit, OLD);
});

test('the same token may do nothing else: secrets, pods, the Service object, another Service, the metrics port, other spellings, other verbs, the other environment', async () => {
  // Another Service over the same pods, so that only RBAC stands between the token and it.
  await cp.api.apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'other', namespace: NAMESPACE },
    spec: {
      selector: { 'app.kubernetes.io/instance': RELEASE },
      ports: [{ name: 'http', port: 8000, targetPort: 8000 }],
    },
  });
  const pod = (pods[0] as Pod).metadata.name;
  const refused: [string, string][] = [
    ['GET', `/api/v1/namespaces/${NAMESPACE}/secrets`],
    ['GET', `/api/v1/namespaces/${NAMESPACE}/pods`],
    ['GET', `/api/v1/namespaces/${NAMESPACE}/pods/${pod}/proxy/version`],
    ['GET', `/api/v1/namespaces/${NAMESPACE}/services/${RELEASE}`],
    ['GET', `${PROXY}/other:http/proxy/version`],
    ['GET', `${PROXY}/${RELEASE}:metrics/proxy/metrics`],
    // resourceNames match the proxied name as spelled: the port by number, no port, a scheme.
    ['GET', `${PROXY}/${RELEASE}:8000/proxy/version`],
    ['GET', `${PROXY}/${RELEASE}/proxy/version`],
    ['GET', `${PROXY}/http:${RELEASE}:http/proxy/version`],
    ['DELETE', `${PROXY}/${RELEASE}:http/proxy/version`],
    ['PUT', `${PROXY}/${RELEASE}:http/proxy/version`],
    ['GET', `/api/v1/namespaces/mlops-dev/services/${RELEASE}:http/proxy/version`],
  ];
  const answers = await Promise.all(
    refused.map(async ([method, path]) => `${method} ${path}: ${(await asToken(method, path)).status}`),
  );
  assert.deepEqual(
    answers,
    refused.map(([method, path]) => `${method} ${path}: 403`),
  );
  // The refusals are RBAC, not missing targets: the cluster admin gets through.
  const admin = async (path: string) => cp.api.request<unknown>('GET', path).catch((e: Error) => e.message);
  const metrics = await new Promise<string>((resolve, reject) => {
    const kube = parse(readFileSync(cp.kubeconfig, 'utf8'));
    const user = kube.users[0].user;
    const req = request(
      new URL(`${PROXY}/${RELEASE}:metrics/proxy/metrics`, server),
      {
        ca,
        cert: readFileSync(user['client-certificate']),
        key: readFileSync(user['client-key']),
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve(`${res.statusCode} ${text}`));
      },
    );
    req.on('error', reject);
    req.end();
  });
  assert.match(metrics, /^200 [\s\S]*http_requests_total/);
  // (The endpoint slice of the new Service may take a moment.)
  await cp.api.waitFor('the admin through `other`', 60_000, async () =>
    /"instanceId"/.test(JSON.stringify(await admin(`${PROXY}/other:http/proxy/version`))) ? true : undefined,
  );
  // And the token itself still works where it should.
  assert.equal((await asToken('GET', `${PROXY}/${RELEASE}:http/proxy/version`)).status, 200);
});

test('the EKS groups: mlops:verifiers:prod may proxy to prod’s Service only, mlops:verifiers:dev to dev’s only', async () => {
  // What an EKS access entry does: the CI role's requests arrive as a user in its group.
  // SubjectAccessReview asks the real authorizer about exactly that user.
  const allowed = async (
    group: string,
    namespace: string,
    verb: string,
    name: string,
    resource = 'services',
  ) => {
    const review = await cp.api.request<{ status: { allowed: boolean } }>(
      'POST',
      '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      JSON.stringify({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: 'arn:aws:sts::123456789012:assumed-role/MlopsRegistry-GitlabCiRole/gitlab-1-2-3',
          groups: [group, 'system:authenticated'],
          resourceAttributes: { namespace, verb, resource, subresource: 'proxy', name },
        },
      }),
    );
    return `${group} ${verb} ${resource}/proxy ${namespace}/${name}: ${review.status.allowed}`;
  };
  const cases: [string, string, string, string, boolean, string?][] = [
    ['mlops:verifiers:prod', 'default', 'get', `${RELEASE}:http`, true],
    ['mlops:verifiers:prod', 'default', 'create', `${RELEASE}:http`, true],
    ['mlops:verifiers:prod', 'default', 'get', `${RELEASE}:metrics`, false],
    ['mlops:verifiers:prod', 'default', 'delete', `${RELEASE}:http`, false],
    ['mlops:verifiers:prod', 'default', 'get', pods[0]?.metadata.name ?? '', false, 'pods'],
    ['mlops:verifiers:prod', 'mlops-dev', 'get', `${RELEASE}:http`, false],
    ['mlops:verifiers:dev', 'mlops-dev', 'get', `${RELEASE}:http`, true],
    ['mlops:verifiers:dev', 'mlops-dev', 'create', `${RELEASE}:http`, true],
    ['mlops:verifiers:dev', 'default', 'get', `${RELEASE}:http`, false],
    ['mlops:verifiers:dev', 'default', 'create', `${RELEASE}:http`, false],
  ];
  const got = await Promise.all(
    cases.map(([g, ns, verb, name, , resource]) => allowed(g, ns, verb, name, resource)),
  );
  assert.deepEqual(
    got,
    cases.map(
      ([g, ns, verb, name, want, resource]) =>
        `${g} ${verb} ${resource ?? 'services'}/proxy ${ns}/${name}: ${want}`,
    ),
  );
});
