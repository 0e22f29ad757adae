// The chart against a real Kubernetes control plane (kube-apiserver,
// kube-controller-manager, kube-scheduler and etcd built from Go modules, KWOK
// for the nodes): server-side dry-run of every rendered manifest, a real
// `helm install`, and the original design's rollout scenarios watched through
// the API server. One control plane serves the whole file; the tests run in
// order and build on each other's cluster state.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT as repoRoot } from '../support/paths.js';
import { type ControlPlane, startControlPlane } from './control-plane.js';
import { KubeApiError, type KubeObject } from './kube-api.js';
import { isServing, type Pod, recordPods } from './rollout-recorder.js';
import {
  ARGOCD_MODULE,
  goModuleDir,
  helm,
  PROMETHEUS_OPERATOR_MODULE,
  parseManifests,
  readCrds,
} from './tools.js';

const RELEASE = 'mlops-inference-service';
const NAMESPACE = 'default';
const SELECTOR = `app.kubernetes.io/instance=${RELEASE}`;
const NEW_TAG = '3f9c2b7d8e1a4c6b9d0e2f4a6c8b0d1e3f5a7c9b';
// Generous: the machine is small and shared; nothing here is a speed check.
const ROLLOUT_TIMEOUT_MS = 5 * 60_000;

interface Deployment extends KubeObject {
  metadata: KubeObject['metadata'] & { generation: number; resourceVersion: string };
  spec: {
    replicas?: number;
    strategy: {
      type: string;
      rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string };
    };
    template: { spec: { containers: { image: string }[] } };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
  };
}

let cp: ControlPlane;

before(
  async () => {
    cp = await startControlPlane();
  },
  { timeout: 95 * 60_000 },
);

after(async () => {
  await cp?.stop();
});

const deploymentPath = (ns: string) => `/apis/apps/v1/namespaces/${ns}/deployments/${RELEASE}`;

function podsOf(ns: string): Promise<{ items: Pod[] }> {
  return cp.api.get(`/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(SELECTOR)}`);
}

async function zoneOfNode(node: string): Promise<string> {
  const n = await cp.api.get<KubeObject & { metadata: { labels: Record<string, string> } }>(
    `/api/v1/nodes/${node}`,
  );
  return n.metadata.labels['topology.kubernetes.io/zone'] ?? '';
}

function ensureNamespace(name: string): Promise<unknown> {
  return cp.api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/** Every scenario the chart ships: defaults, each ci/*-values.yaml, each environment's values file. */
function chartScenarios(): { name: string; namespace: string; valuesFiles: string[] }[] {
  const ci = readdirSync(join(repoRoot, 'helm/ci'))
    .filter((f) => f.endsWith('-values.yaml'))
    .sort();
  return [
    { name: 'defaults', namespace: NAMESPACE, valuesFiles: [] },
    ...ci.map((f) => ({ name: `ci/${f}`, namespace: NAMESPACE, valuesFiles: [`helm/ci/${f}`] })),
    { name: 'values-prod.yaml', namespace: NAMESPACE, valuesFiles: ['helm/values-prod.yaml'] },
    { name: 'values-dev.yaml', namespace: 'mlops-dev', valuesFiles: ['helm/values-dev.yaml'] },
  ];
}

async function renderChart(namespace: string, valuesFiles: string[]): Promise<KubeObject[]> {
  const args = [
    'template',
    RELEASE,
    'helm',
    '--namespace',
    namespace,
    ...valuesFiles.flatMap((f) => ['-f', f]),
  ];
  return parseManifests(await helm(args, cp.env));
}

test('the control plane is a real Kubernetes v1.37 API server with Ready KWOK nodes in two zones', async () => {
  const version = await cp.api.get<{ gitVersion: string }>('/version');
  assert.match(version.gitVersion, /^v1\.37\./);
  const nodes = await cp.api.get<{
    items: (KubeObject & { metadata: { labels: Record<string, string> } })[];
  }>('/api/v1/nodes');
  const zones = new Set(nodes.items.map((n) => n.metadata.labels['topology.kubernetes.io/zone']));
  assert.deepEqual([...zones].sort(), ['zone-a', 'zone-b']);
});

test('installs the Argo CD and Prometheus Operator CRDs from their Go modules', {
  timeout: 15 * 60_000,
}, async () => {
  const argocd = readCrds(join(await goModuleDir(ARGOCD_MODULE), 'manifests/crds'));
  const prometheus = readCrds(
    join(await goModuleDir(PROMETHEUS_OPERATOR_MODULE), 'example/prometheus-operator-crd'),
  ).filter((crd) => /servicemonitors|prometheusrules/.test(crd.metadata.name));
  assert.ok(argocd.some((crd) => crd.metadata.name === 'applications.argoproj.io'));
  assert.ok(argocd.some((crd) => crd.metadata.name === 'appprojects.argoproj.io'));
  assert.equal(prometheus.length, 2);
  for (const crd of [...argocd, ...prometheus]) {
    await cp.api.apply(crd);
  }
  for (const crd of [...argocd, ...prometheus]) {
    await cp.api.waitFor(`CRD ${crd.metadata.name} Established`, 120_000, async () => {
      const live = await cp.api.get<{ status?: { conditions?: { type: string; status: string }[] } }>(
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
      );
      return (
        live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') || undefined
      );
    });
  }
});

test('server-side dry-run accepts every manifest of every chart scenario', {
  timeout: 15 * 60_000,
}, async (t) => {
  await ensureNamespace('mlops-dev');
  const rejected: string[] = [];
  for (const scenario of chartScenarios()) {
    const manifests = await renderChart(scenario.namespace, scenario.valuesFiles);
    assert.ok(
      manifests.some((m) => m.kind === 'Deployment'),
      `${scenario.name} renders no Deployment`,
    );
    for (const manifest of manifests) {
      try {
        await cp.api.apply(manifest, { dryRun: true, namespace: scenario.namespace });
      } catch (error) {
        rejected.push(
          `${scenario.name}: ${manifest.kind}/${manifest.metadata.name}: ${(error as Error).message}`,
        );
      }
    }
    t.diagnostic(`${scenario.name}: ${manifests.map((m) => m.kind).join(', ')}`);
  }
  assert.deepEqual(rejected, []);
});

test('server-side dry-run accepts the Argo CD Applications and AppProject in argocd/', async (t) => {
  await ensureNamespace('argocd');
  const files = readdirSync(join(repoRoot, 'argocd')).filter((f) => f.endsWith('.yaml'));
  const manifests = files.flatMap((f) => parseManifests(readFileSync(join(repoRoot, 'argocd', f), 'utf8')));
  const kinds = new Set(manifests.map((m) => m.kind));
  assert.ok(kinds.has('Application') && kinds.has('AppProject'), `argocd/ holds ${[...kinds].join(', ')}`);
  for (const manifest of manifests) {
    const accepted = await cp.api.apply<KubeObject>(manifest, { dryRun: true });
    assert.equal(accepted.metadata.name, manifest.metadata.name);
    t.diagnostic(`accepted ${manifest.kind}/${manifest.metadata.name}`);
  }
});

test('argocd/root.yaml’s admission policy admits argocd/ and refuses an escalating project or a second root', {
  timeout: 5 * 60_000,
}, async (t) => {
  // Issue 13: Argo CD projects cannot restrict paths, and mlops-root may create
  // AppProjects, so a commit could add a project that allows a ClusterRoleBinding.
  // The ValidatingAdmissionPolicy that root.yaml (applied by hand, never synced)
  // installs bounds every project; here the real kube-apiserver enforces it.
  const read = (file: string) => parseManifests(readFileSync(join(repoRoot, 'argocd', file), 'utf8'));
  const root = read('root.yaml');
  const policy = root.filter((m) => m.apiVersion.startsWith('admissionregistration.k8s.io/'));
  assert.deepEqual(
    policy.map((m) => m.kind),
    ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'],
    'root.yaml installs the policy and its binding',
  );
  for (const manifest of policy) await cp.api.apply(manifest);

  const argocdObjects = readdirSync(join(repoRoot, 'argocd'))
    .filter((f) => f.endsWith('.yaml'))
    .flatMap(read)
    .filter((m) => m.apiVersion.startsWith('argoproj.io/'));
  // biome-ignore lint/suspicious/noExplicitAny: manifests from YAML, edited loosely per case.
  type Editable = KubeObject & { spec: Record<string, any> };
  const byName = (kind: string, name: string): Editable => {
    const found = argocdObjects.find((m) => m.kind === kind && m.metadata.name === name);
    assert.ok(found, `${kind}/${name} in argocd/`);
    return structuredClone(found) as Editable;
  };
  const denied = async (object: KubeObject): Promise<string | undefined> => {
    try {
      await cp.api.apply(object, { dryRun: true });
      return undefined;
    } catch (error) {
      if (error instanceof KubeApiError && /mlops-argocd-guardrails/.test(error.body)) return error.body;
      throw error;
    }
  };

  // A project that may create ClusterRoleBindings anywhere: what the review found possible.
  const escalate = byName('AppProject', 'mlops-prod');
  escalate.metadata.name = 'escalate';
  escalate.spec.destinations = [{ server: '*', namespace: '*' }];
  escalate.spec.clusterResourceWhitelist = [{ group: '*', kind: '*' }];
  // The policy takes effect once the API server has compiled it (about a second).
  await cp.api.waitFor('the admission policy to be enforced', 120_000, denied.bind(null, escalate));

  // Everything in argocd/ passes, under the policy.
  for (const manifest of argocdObjects) {
    assert.equal(await denied(manifest), undefined, `${manifest.kind}/${manifest.metadata.name} is refused`);
  }

  const cases: Array<[string, KubeObject, RegExp]> = [];
  const add = (
    what: string,
    message: RegExp,
    edit: (o: Editable) => void,
    kind = 'AppProject',
    name = 'mlops-prod',
  ) => {
    const object = byName(kind, name);
    edit(object);
    cases.push([what, object, message]);
  };
  add('a ClusterRoleBinding in a project', /clusterResourceWhitelist may hold only/, (o) => {
    o.spec.clusterResourceWhitelist = [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' }];
  });
  add('every namespace', /destinations may only be/, (o) => {
    o.spec.destinations = [{ server: 'https://kubernetes.default.svc', namespace: '*' }];
  });
  add('kube-system', /destinations may only be/, (o) => {
    o.spec.destinations = [{ server: 'https://kubernetes.default.svc', namespace: 'kube-system' }];
  });
  add('an environment into argocd', /destinations may only be/, (o) => {
    o.spec.destinations = [{ server: 'https://kubernetes.default.svc', namespace: 'argocd' }];
  });
  add(
    'no namespaced whitelist (Argo CD then allows every kind)',
    /needs an explicit namespaceResourceWhitelist/,
    (o) => {
      delete o.spec.namespaceResourceWhitelist;
    },
  );
  add('a RoleBinding', /no RBAC kinds/, (o) => {
    o.spec.namespaceResourceWhitelist.push({ group: 'rbac.authorization.k8s.io', kind: 'RoleBinding' });
  });
  add('a wildcard kind', /name one kind each/, (o) => {
    o.spec.namespaceResourceWhitelist.push({ group: '*', kind: '*' });
  });
  add('an environment that creates Applications', /Argo CD kinds .* only in mlops-root/, (o) => {
    o.spec.namespaceResourceWhitelist.push({ group: 'argoproj.io', kind: 'Application' });
  });
  // project.yaml itself names Argo Rollouts' Rollout and AnalysisTemplate (the canary) and is admitted.
  add('an environment that creates ApplicationSets', /Argo CD kinds .* only in mlops-root/, (o) => {
    o.spec.namespaceResourceWhitelist.push({ group: 'argoproj.io', kind: 'ApplicationSet' });
  });
  add('any repository', /sourceRepos must be exact/, (o) => {
    o.spec.sourceRepos = ['*'];
  });
  add(
    'mlops-root deploying workloads',
    /allows nothing\s+else/,
    (o) => {
      o.spec.namespaceResourceWhitelist.push({ group: 'apps', kind: 'Deployment' });
    },
    'AppProject',
    'mlops-root',
  );
  add(
    'the default project reopened',
    /destinations may only be/,
    (o) => {
      o.spec.destinations = [{ server: '*', namespace: '*' }];
    },
    'AppProject',
    'default',
  );
  add(
    'a second Application in mlops-root, reading another path',
    /holds only the root Application/,
    (o) => {
      o.metadata.name = 'sneaky';
      o.spec.source.path = 'helm';
    },
    'Application',
    'mlops-root',
  );
  add(
    'the root Application reading another path',
    /holds only the root Application/,
    (o) => {
      o.spec.source.path = 'evil';
    },
    'Application',
    'mlops-root',
  );
  add(
    'an environment Application moved into mlops-root',
    /holds only the root Application/,
    (o) => {
      o.spec.project = 'mlops-root';
    },
    'Application',
    'mlops-inference-service',
  );

  for (const [what, object, message] of cases) {
    const body = await denied(object);
    assert.ok(body, `${what}: admitted`);
    assert.match(body, message, what);
    t.diagnostic(`refused: ${what}`);
  }
});

test('the API server rejects a rendered Deployment whose rolling update can never progress', async () => {
  // Proves the dry-run above validates for real: a change that schema checks
  // pass (both fields are valid int-or-strings) but Kubernetes refuses.
  const deployment = (await renderChart(NAMESPACE, [])).find((m) => m.kind === 'Deployment') as Deployment;
  deployment.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } };
  await assert.rejects(cp.api.apply(deployment, { dryRun: true }), (error: unknown) => {
    assert.ok(error instanceof KubeApiError);
    assert.equal(error.status, 422);
    assert.match(error.body, /maxUnavailable.*may not be 0 when `maxSurge` is 0/);
    return true;
  });
});

test('helm install: the chart installs and its pods become Ready, spread over both zones', async () => {
  await helm(['install', RELEASE, 'helm', '--namespace', NAMESPACE, '--wait', '--timeout', '10m'], cp.env);
  const deployment = await cp.api.get<Deployment>(deploymentPath(NAMESPACE));
  assert.equal(deployment.spec.replicas, 2);
  assert.equal(deployment.status?.readyReplicas, 2);
  assert.deepEqual(deployment.spec.strategy.rollingUpdate, { maxUnavailable: 0, maxSurge: 1 });
  const pods = (await podsOf(NAMESPACE)).items;
  const zones = await Promise.all(pods.map((p) => zoneOfNode(p.spec.nodeName ?? '')));
  assert.deepEqual(zones.sort(), ['zone-a', 'zone-b']);
  for (const kind of ['services', 'serviceaccounts', 'configmaps']) {
    await cp.api.get(`/api/v1/namespaces/${NAMESPACE}/${kind}/${RELEASE}`);
  }
});

test('scenario 2: replicaCount 3 scales the Deployment to three Ready pods', async (t) => {
  const before = await cp.api.get<Deployment>(deploymentPath(NAMESPACE));
  const statuses: string[] = [];
  const watching = cp.api.watch<Deployment>(
    `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`,
    { fieldSelector: `metadata.name=${RELEASE}`, resourceVersion: before.metadata.resourceVersion },
    ({ object: d }) => {
      const s = d.status ?? {};
      statuses.push(
        `spec=${d.spec.replicas} ready=${s.readyReplicas ?? 0} available=${s.availableReplicas ?? 0}`,
      );
      return (
        d.spec.replicas === 3 &&
        (s.observedGeneration ?? 0) >= d.metadata.generation &&
        s.readyReplicas === 3 &&
        s.availableReplicas === 3
      );
    },
    ROLLOUT_TIMEOUT_MS,
  );
  await helm(
    ['upgrade', RELEASE, 'helm', '--namespace', NAMESPACE, '--reuse-values', '--set', 'replicaCount=3'],
    cp.env,
  );
  await watching;
  for (const s of statuses) t.diagnostic(s);
  // The watch saw the scale-up happen (spec first, then the third pod Ready).
  assert.ok(
    statuses.some((s) => s.startsWith('spec=3 ready=2')),
    statuses.join('\n'),
  );
  const pods = (await podsOf(NAMESPACE)).items.filter(isServing);
  assert.equal(pods.length, 3);
  const zones = new Set(await Promise.all(pods.map((p) => zoneOfNode(p.spec.nodeName ?? ''))));
  assert.equal(zones.size, 2, 'three pods over two zones');
});

test('scenarios 1 and 3: a new image tag rolls out with maxUnavailable 0, never below 3 Ready pods', async (t) => {
  const before = await cp.api.get<Deployment>(deploymentPath(NAMESPACE));
  const oldImage = before.spec.template.spec.containers[0]?.image;
  const newImage = `mlops-inference-service:${NEW_TAG}`;
  assert.notEqual(oldImage, newImage);

  // Deployment statuses the controller publishes during the rollout.
  const statuses: Required<NonNullable<Deployment['status']>>[] = [];
  const deploymentWatch = cp.api.watch<Deployment>(
    `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`,
    { fieldSelector: `metadata.name=${RELEASE}`, resourceVersion: before.metadata.resourceVersion },
    ({ object: d }) => {
      const s = d.status ?? {};
      statuses.push({
        observedGeneration: s.observedGeneration ?? 0,
        replicas: s.replicas ?? 0,
        updatedReplicas: s.updatedReplicas ?? 0,
        readyReplicas: s.readyReplicas ?? 0,
        availableReplicas: s.availableReplicas ?? 0,
        unavailableReplicas: s.unavailableReplicas ?? 0,
      });
      return (
        d.metadata.generation > before.metadata.generation &&
        (s.observedGeneration ?? 0) >= d.metadata.generation &&
        s.updatedReplicas === 3 &&
        s.availableReplicas === 3 &&
        s.replicas === 3
      );
    },
    ROLLOUT_TIMEOUT_MS,
  );

  const samples = await recordPods(
    cp.api,
    NAMESPACE,
    SELECTOR,
    // Done when exactly the three new pods are left and serving.
    (pods) =>
      pods.length === 3 && pods.every((p) => p.spec.containers[0]?.image === newImage && isServing(p)),
    ROLLOUT_TIMEOUT_MS,
    () => {
      void helm(
        [
          'upgrade',
          RELEASE,
          'helm',
          '--namespace',
          NAMESPACE,
          '--reuse-values',
          '--set',
          `image.tag=${NEW_TAG}`,
        ],
        cp.env,
      ).catch((error: Error) => t.diagnostic(`helm upgrade failed: ${error.message}`));
    },
  );
  await deploymentWatch;

  for (const s of samples)
    t.diagnostic(`${s.event} ${s.pod} ${s.image}: serving=${s.serving} active=${s.active} total=${s.total}`);
  for (const s of statuses) t.diagnostic(`deployment status ${JSON.stringify(s)}`);

  // The heart of scenarios 1 and 3: capacity never dipped below the desired 3.
  const minServing = Math.min(...samples.map((s) => s.serving));
  assert.ok(minServing >= 3, `only ${minServing} pods were serving at some point during the rollout`);
  const dips = statuses.filter((s) => s.availableReplicas < 3);
  assert.deepEqual(dips, [], 'the Deployment reported fewer than 3 available replicas');
  // It really was a rolling replacement: one pod surged (maxSurge 1; pods
  // already terminating do not count against it) and three new pods replaced
  // the old ones.
  assert.equal(Math.max(...samples.map((s) => s.active)), 4);
  const newPods = new Set(
    samples.filter((s) => s.image === newImage && s.event === 'ADDED').map((s) => s.pod),
  );
  assert.equal(newPods.size, 3);
  const after = await cp.api.get<Deployment>(deploymentPath(NAMESPACE));
  assert.equal(after.spec.template.spec.containers[0]?.image, newImage);
});

test('the PodDisruptionBudget is accepted and the disruption controller allows one disruption of 3', async () => {
  const status = await cp.api.waitFor('PDB status for 3 healthy pods', 120_000, async () => {
    const pdb = await cp.api.get<
      KubeObject & {
        status?: { currentHealthy?: number; expectedPods?: number; disruptionsAllowed?: number };
      }
    >(`/apis/policy/v1/namespaces/${NAMESPACE}/poddisruptionbudgets/${RELEASE}`);
    return pdb.status?.currentHealthy === 3 ? pdb.status : undefined;
  });
  assert.deepEqual(status.expectedPods, 3);
  assert.equal(status.disruptionsAllowed, 1);
});

test('HPA scenario: the HPA is accepted, leaves replicas to itself and scales up to minReplicas', async () => {
  const ns = 'hpa-scenario';
  await helm(
    ['install', RELEASE, 'helm', '--namespace', ns, '--create-namespace', '-f', 'helm/ci/hpa-values.yaml'],
    cp.env,
  );
  const hpa = await cp.api.get<
    KubeObject & {
      spec: { minReplicas: number; maxReplicas: number; scaleTargetRef: { kind: string; name: string } };
    }
  >(`/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/${RELEASE}`);
  assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: RELEASE });
  // The chart leaves `replicas` out, so the API server defaults it to 1 and the
  // real HPA controller raises it to minReplicas (no metrics needed for that).
  const deployment = await cp.api.waitFor('the HPA to scale to minReplicas', ROLLOUT_TIMEOUT_MS, async () => {
    const d = await cp.api.get<Deployment>(deploymentPath(ns));
    return d.spec.replicas === hpa.spec.minReplicas && d.status?.readyReplicas === hpa.spec.minReplicas
      ? d
      : undefined;
  });
  assert.equal(deployment.spec.replicas, hpa.spec.minReplicas);
  await cp.api.get(`/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/${RELEASE}`);
});

test('control: with maxUnavailable 1 and maxSurge 0 the same watch does see capacity drop to 2', async (t) => {
  // Shows the rollout measurement above can fail: the strategy the chart
  // avoids is caught by exactly the same recorder.
  const ns = 'rollout-control';
  const strategy = [
    '--set',
    'strategy.rollingUpdate.maxUnavailable=1',
    '--set',
    'strategy.rollingUpdate.maxSurge=0',
  ];
  await helm(
    [
      'install',
      RELEASE,
      'helm',
      '--namespace',
      ns,
      '--create-namespace',
      '--set',
      'replicaCount=3',
      ...strategy,
    ],
    cp.env,
  );
  await cp.api.waitFor('3 Ready pods', ROLLOUT_TIMEOUT_MS, async () =>
    (await podsOf(ns)).items.filter(isServing).length === 3 ? true : undefined,
  );
  const newImage = `mlops-inference-service:${NEW_TAG}`;
  const samples = await recordPods(
    cp.api,
    ns,
    SELECTOR,
    (pods) =>
      pods.length === 3 && pods.every((p) => p.spec.containers[0]?.image === newImage && isServing(p)),
    ROLLOUT_TIMEOUT_MS,
    () => {
      void helm(
        ['upgrade', RELEASE, 'helm', '--namespace', ns, '--reuse-values', '--set', `image.tag=${NEW_TAG}`],
        cp.env,
      ).catch((error: Error) => t.diagnostic(`helm upgrade failed: ${error.message}`));
    },
  );
  const minServing = Math.min(...samples.map((s) => s.serving));
  t.diagnostic(`fewest serving pods during the rollout: ${minServing}`);
  assert.equal(minServing, 2);
  await helm(['uninstall', RELEASE, '--namespace', ns], cp.env);
});

test('helm uninstall removes the release from the cluster', async () => {
  await helm(['uninstall', RELEASE, '--namespace', NAMESPACE, '--wait'], cp.env);
  await assert.rejects(cp.api.get(deploymentPath(NAMESPACE)), (error: unknown) => {
    assert.ok(error instanceof KubeApiError);
    assert.equal(error.status, 404);
    return true;
  });
});
