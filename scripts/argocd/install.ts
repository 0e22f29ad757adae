/**
 * Installs Argo CD's cluster side into the test control plane before
 * scripts/argocd-up.sh starts its processes: the `argocd` namespace, the CRDs,
 * the ServiceAccounts with the release's own RBAC (manifests/cluster-rbac and
 * the base Roles), and the base config maps and secret with this run's
 * settings. It then mints a token for each component's ServiceAccount and
 * writes one kubeconfig per component, so the processes act with exactly the
 * permissions Argo CD's manifests give them, not as cluster admin.
 *
 * Usage: tsx scripts/argocd/install.ts KUBECONFIG ARGOCD_CACHE_DIR OUT_DIR
 * Env: ARGOCD_WEBHOOK_GITLAB_SECRET (webhook.gitlab.secret), ARGOCD_RECONCILIATION
 * (timeout.reconciliation, e.g. 180s; Argo CD's polling interval), ARGOCD_URL.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KubeApi, type KubeObject } from '../../test/k8s/kube-api.js';
import { parseManifests } from '../../test/k8s/tools.js';

const ARGOCD_NAMESPACE = 'argocd';
/** Components that talk to the Kubernetes API, by ServiceAccount. */
const COMPONENTS = ['argocd-server', 'argocd-application-controller'] as const;
/** The base manifests that hold RBAC and configuration; Deployments etc. are replaced by processes. */
const RBAC_KINDS = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);
const TOKEN_SECONDS = 24 * 3600;

/**
 * STAND-IN for metrics-server, which this test cluster does not run: without a
 * metrics API every HPA reports ScalingActive=False (FailedGetResourceMetric)
 * and Argo CD's built-in HPA health calls that Degraded, so prod (HPA enabled)
 * could never be Healthy here. This override is the built-in check minus that
 * one reason: any other failed condition is still Degraded, and below
 * minReplicas it is Progressing. Nothing of it reaches a real install.
 */
const HPA_HEALTH_WITHOUT_METRICS = `
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.status == "False" and (c.type == "AbleToScale" or (c.type == "ScalingActive" and c.reason ~= "FailedGetResourceMetric")) then
      return {status = "Degraded", message = c.message}
    end
  end
end
if obj.status == nil or obj.status.currentReplicas == nil or obj.status.currentReplicas < (obj.spec.minReplicas or 1) then
  return {status = "Progressing", message = "Waiting to scale to minReplicas"}
end
return {status = "Healthy", message = "at minReplicas; no metrics API on this test cluster (no metrics-server)"}
`;

function manifestsIn(dir: string): KubeObject[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) => parseManifests(readFileSync(join(dir, f), 'utf8')));
}

/** What to apply, in order: CRDs, RBAC, config. */
function getInstallManifests(manifests: string): KubeObject[] {
  const crds = manifestsIn(join(manifests, 'crds'));
  const rbacDirs = [
    'cluster-rbac/application-controller',
    'cluster-rbac/server',
    'base/application-controller-roles',
    'base/server',
    'base/repo-server',
  ];
  const rbac = rbacDirs.flatMap((d) => manifestsIn(join(manifests, d))).filter((o) => RBAC_KINDS.has(o.kind));
  const config = manifestsIn(join(manifests, 'base/config'));
  return [...crds, ...rbac, ...config];
}

/** This run's settings layered over the release's argocd-cm and argocd-secret. */
function withSettings(object: KubeObject, env: NodeJS.ProcessEnv): KubeObject {
  if (object.kind === 'ConfigMap' && object.metadata.name === 'argocd-cm') {
    const data = { ...((object.data as Record<string, string>) ?? {}) };
    if (env.ARGOCD_RECONCILIATION) data['timeout.reconciliation'] = env.ARGOCD_RECONCILIATION;
    if (env.ARGOCD_URL) data.url = env.ARGOCD_URL;
    data['resource.customizations.health.autoscaling_HorizontalPodAutoscaler'] = HPA_HEALTH_WITHOUT_METRICS;
    return { ...object, data };
  }
  if (object.kind === 'Secret' && object.metadata.name === 'argocd-secret') {
    const stringData: Record<string, string> = {};
    if (env.ARGOCD_WEBHOOK_GITLAB_SECRET)
      stringData['webhook.gitlab.secret'] = env.ARGOCD_WEBHOOK_GITLAB_SECRET;
    return { ...object, stringData };
  }
  return object;
}

function kubeconfigWithToken(adminKubeconfig: string, token: string): string {
  const config = parse(readFileSync(adminKubeconfig, 'utf8'));
  const cluster = config.clusters[0].cluster;
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster }],
    users: [{ name: 'sa', user: { token } }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'sa', namespace: ARGOCD_NAMESPACE } }],
    'current-context': 'test',
  });
}

async function install(kubeconfig: string, cache: string, out: string): Promise<void> {
  const api = new KubeApi(kubeconfig);
  await api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ARGOCD_NAMESPACE } });
  const objects = getInstallManifests(join(cache, 'manifests'));
  for (const object of objects) {
    await api.apply(withSettings(object, process.env), { namespace: ARGOCD_NAMESPACE });
    if (object.kind === 'CustomResourceDefinition') {
      const path = await api.pathFor(object.apiVersion, object.kind, undefined, object.metadata.name);
      await api.waitFor(`CRD ${object.metadata.name} Established`, 60_000, async () => {
        const crd = await api.get<{ status?: { conditions?: { type: string; status: string }[] } }>(path);
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
          ? true
          : undefined;
      });
    }
  }
  for (const account of COMPONENTS) {
    const { status } = await api.request<{ status: { token: string } }>(
      'POST',
      `/api/v1/namespaces/${ARGOCD_NAMESPACE}/serviceaccounts/${account}/token`,
      JSON.stringify({
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: TOKEN_SECONDS },
      }),
    );
    writeFileSync(join(out, `${account}.kubeconfig`), kubeconfigWithToken(kubeconfig, status.token), {
      mode: 0o600,
    });
  }
}

const [kubeconfig, cache, out] = process.argv.slice(2);
if (!kubeconfig || !cache || !out) {
  console.error('usage: tsx scripts/argocd/install.ts KUBECONFIG ARGOCD_CACHE_DIR OUT_DIR');
  process.exit(2);
}
await install(kubeconfig, cache, out);
