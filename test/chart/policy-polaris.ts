// Polaris' default checks (FairwindsOps/polaris pkg/config/default.yaml and checks/*.yaml)
// as assertions on the rendered objects; see policy-helpers.ts for why.
import {
  ALL_SCENARIOS,
  effective,
  hostPaths,
  type Loose,
  matches,
  ofKind,
  type PolicyCheck,
  perContainer,
  perPod,
  podLabels,
  SAME_IN_BOTH,
  workloads,
} from './policy-helpers.js';

const SENSITIVE_ENV_NAME = [
  /^AWS_SECRET_ACCESS_KEY$/i,
  /^GOOGLE_APPLICATION_CREDENTIALS$/i,
  /^AZURE_.+KEY$/i,
  /^OCI_CLI_KEY_CONTENT$/i,
  /password/i,
  /token/i,
  /bearer/i,
  /secret/i,
];
const PRIVATE_KEY = /\s*-BEGIN\s+.*PRIVATE KEY-\s*/i;

const RBAC_KINDS = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'];

const polaris = (name: string, check: Omit<PolicyCheck, 'tool' | 'name'>): PolicyCheck => ({
  tool: 'Polaris',
  name,
  ...check,
});

/** Polaris' checks at warning or danger in its default configuration. */
export const POLARIS_CHECKS: PolicyCheck[] = [
  polaris('deploymentMissingReplicas', {
    findings: (objects) =>
      ofKind(objects, 'Deployment')
        .filter((d) => !(typeof d.spec.replicas === 'number' && d.spec.replicas >= 2))
        .map((d) => `Deployment ${d.metadata.name}: replicas ${d.spec.replicas ?? '(left to the HPA)'}`),
    accepted: {
      scenarios: ['ci/hpa-values.yaml', 'values-prod.yaml', 'values-dev.yaml'],
      reason:
        'under the HPA `replicas` is left out on purpose (Argo CD would fight the HPA over it); hpaMinAvailability ' +
        'checks the HPA keeps at least 2. Dev runs one replica by choice: it is a test environment. And both ' +
        'environment files ship waiting for their first release (image.waitForRelease, empty tag): replicas 0, ' +
        'so no missing image is pulled (issue 17; bootstrap.test.ts renders the released state too).',
    },
  }),
  polaris('priorityClassNotSet', {
    findings: (objects) =>
      perPod(objects, (pod) => (pod.priorityClassName ? undefined : 'no priorityClassName')),
    accepted: {
      scenarios: ALL_SCENARIOS,
      reason:
        'PriorityClasses are cluster objects this chart cannot assume exist; `priorityClassName` sets one where the ' +
        'cluster has them.',
    },
  }),
  polaris('tagNotSpecified', {
    findings: (objects) =>
      perContainer(objects, (c) =>
        /^.+:.+$/.test(c.image) && !/^.+:latest$/.test(c.image) ? undefined : `image ${c.image} has no tag`,
      ),
  }),
  polaris('pullPolicyNotAlways', {
    findings: (objects) =>
      perContainer(objects, (c) =>
        c.imagePullPolicy === 'Always' ? undefined : `imagePullPolicy ${c.imagePullPolicy}`,
      ),
    accepted: {
      scenarios: ALL_SCENARIOS,
      reason:
        'images are immutable (full commit SHA tags, optionally digests), so IfNotPresent can never run stale code; ' +
        'Always would only add a registry round-trip to every pod start and make ECR a dependency of rescheduling.',
    },
  }),
  polaris('readinessProbeMissing', {
    findings: (objects) =>
      perContainer(objects, (c) => (c.readinessProbe ? undefined : 'no readiness probe')),
  }),
  polaris('livenessProbeMissing', {
    findings: (objects) => perContainer(objects, (c) => (c.livenessProbe ? undefined : 'no liveness probe')),
  }),
  polaris('metadataAndInstanceMismatched', {
    findings: (objects) =>
      ofKind(objects, 'Deployment')
        .filter((d) => d.metadata.labels?.['app.kubernetes.io/instance'] !== d.metadata.name)
        .map((d) => `Deployment ${d.metadata.name}: app.kubernetes.io/instance differs from the name`),
  }),
  polaris('pdbDisruptionsIsZero', {
    findings: (objects) =>
      ofKind(objects, 'PodDisruptionBudget')
        .filter(
          (pdb) =>
            pdb.spec.maxUnavailable === 0 ||
            pdb.spec.maxUnavailable === '0%' ||
            pdb.spec.minAvailable === '100%',
        )
        .map((pdb) => `PodDisruptionBudget ${pdb.metadata.name} allows no disruption`),
  }),
  polaris('missingPodDisruptionBudget', {
    findings: (objects) =>
      ofKind(objects, 'Deployment')
        .filter(
          (d) =>
            !ofKind(objects, 'PodDisruptionBudget').some(
              (pdb) =>
                pdb.metadata.name === `${d.metadata.name}-pdb` &&
                pdb.spec.selector?.matchLabels?.['app.kubernetes.io/name'] === d.metadata.name,
            ),
        )
        .map((d) => `Deployment ${d.metadata.name}: no PodDisruptionBudget named ${d.metadata.name}-pdb`),
    accepted: {
      scenarios: ALL_SCENARIOS,
      reason:
        'Polaris looks for a PDB named `<deployment>-pdb`; this chart names every object `mlops-inference-service` ' +
        '(docs/contracts.md), and renders the PDB whenever more than one pod can run (a PDB over one pod protects ' +
        'nothing). deployment.test.ts asserts when it exists and that it selects the pods.',
    },
  }),
  polaris('topologySpreadConstraint', {
    findings: (objects) =>
      perPod(objects, (pod) =>
        (pod.topologySpreadConstraints ?? []).length > 0 ? undefined : 'no spread constraint',
      ),
  }),
  polaris('hpaMaxAvailability', {
    findings: (objects) =>
      ofKind(objects, 'HorizontalPodAutoscaler')
        .filter((hpa) => hpa.spec.maxReplicas <= (hpa.spec.minReplicas ?? 1))
        .map((hpa) => `HorizontalPodAutoscaler ${hpa.metadata.name}: maxReplicas ≤ minReplicas`),
  }),
  polaris('hpaMinAvailability', {
    findings: (objects) =>
      ofKind(objects, 'HorizontalPodAutoscaler')
        .filter((hpa) => (hpa.spec.minReplicas ?? 1) <= 1)
        .map((hpa) => `HorizontalPodAutoscaler ${hpa.metadata.name}: minReplicas ≤ 1`),
  }),
  polaris('pdbMinAvailableGreaterThanOrEqualToHPAMinReplicas', {
    findings: (objects) =>
      ofKind(objects, 'PodDisruptionBudget').flatMap((pdb) => {
        const hpa = ofKind(objects, 'HorizontalPodAutoscaler')[0];
        const min = pdb.spec.minAvailable;
        return hpa && typeof min === 'number' && min >= (hpa.spec.minReplicas ?? 1)
          ? [`PodDisruptionBudget ${pdb.metadata.name}: minAvailable ≥ HPA minReplicas`]
          : [];
      }),
  }),
  polaris('cpuRequestsMissing', {
    findings: SAME_IN_BOTH.noCpuRequest,
  }),
  polaris('cpuLimitsMissing', {
    findings: (objects) =>
      perContainer(objects, (c) => (c.resources?.limits?.cpu ? undefined : 'no CPU limit')),
    accepted: {
      scenarios: ALL_SCENARIOS,
      reason:
        'no CPU limit on purpose: CFS throttling adds tail latency to inference, while the CPU request reserves ' +
        'capacity and drives the HPA. Memory, which is not compressible, is limited.',
    },
  }),
  polaris('memoryRequestsMissing', {
    findings: (objects) =>
      perContainer(objects, (c) => (c.resources?.requests?.memory ? undefined : 'no memory request')),
  }),
  polaris('memoryLimitsMissing', {
    findings: SAME_IN_BOTH.noMemoryLimit,
  }),
  polaris('automountServiceAccountToken', {
    findings: (objects) =>
      perPod(objects, (pod) =>
        pod.automountServiceAccountToken === false ? undefined : 'mounts the SA token',
      ),
  }),
  polaris('hostIPCSet', {
    findings: SAME_IN_BOTH.hostIpc,
  }),
  polaris('hostPIDSet', {
    findings: SAME_IN_BOTH.hostPid,
  }),
  polaris('hostNetworkSet', {
    findings: SAME_IN_BOTH.hostNetwork,
  }),
  polaris('hostPathSet', {
    findings: (objects) =>
      perPod(objects, (pod) => (hostPaths(pod).length > 0 ? 'hostPath volume' : undefined)),
  }),
  polaris('hostPortSet', {
    findings: (objects) =>
      perContainer(objects, (c) =>
        (c.ports ?? []).some((port: Loose) => port.hostPort) ? 'hostPort' : undefined,
      ),
  }),
  polaris('hostProcess', {
    findings: (objects) =>
      perContainer(objects, (c, pod) =>
        effective(c, pod, 'windowsOptions') && (effective(c, pod, 'windowsOptions') as Loose).hostProcess
          ? 'hostProcess'
          : undefined,
      ),
  }),
  polaris('procMount', {
    findings: (objects) =>
      perContainer(objects, (c) =>
        c.securityContext?.procMount === 'Unmasked' ? 'procMount Unmasked' : undefined,
      ),
  }),
  polaris('linuxHardening', {
    findings: (objects) =>
      perContainer(objects, (c, pod) => {
        const seccomp = (effective(c, pod, 'seccompProfile') as Loose)?.type;
        const hardened =
          ['RuntimeDefault', 'Localhost'].includes(seccomp) ||
          effective(c, pod, 'appArmorProfile') !== undefined ||
          effective(c, pod, 'seLinuxOptions') !== undefined ||
          (c.securityContext?.capabilities?.drop ?? []).includes('ALL');
        return hardened ? undefined : 'no seccomp, AppArmor, SELinux or dropped capabilities';
      }),
  }),
  polaris('missingNetworkPolicy', {
    findings: (objects) =>
      workloads(objects)
        .filter(
          ({ object }) =>
            !ofKind(objects, 'NetworkPolicy').some((policy) =>
              matches(policy.spec.podSelector?.matchLabels, podLabels(object)),
            ),
        )
        .map(({ object }) => `${object.kind} ${object.metadata.name}: no NetworkPolicy selects its pods`),
    accepted: {
      scenarios: [
        'defaults',
        'ci/replicas-3-values.yaml',
        'ci/hpa-values.yaml',
        'ci/ingress-tls-values.yaml',
        'ci/digest-values.yaml',
      ],
      reason:
        'the NetworkPolicy is off in the chart defaults (optional features are off by default): which sources must ' +
        'reach the pods (ALB subnets in ip mode, the Prometheus namespace) is cluster-specific. Both environments ' +
        '(values-prod.yaml, values-dev.yaml) and ci/monitoring-values.yaml turn it on and pass this check (issue 13).',
    },
  }),
  polaris('notReadOnlyRootFilesystem', {
    findings: SAME_IN_BOTH.writableRootFilesystem,
  }),
  polaris('privilegeEscalationAllowed', {
    findings: (objects) =>
      perContainer(objects, (c) =>
        c.securityContext?.allowPrivilegeEscalation === false
          ? undefined
          : 'allowPrivilegeEscalation is not false',
      ),
  }),
  polaris('runAsRootAllowed', {
    findings: (objects) =>
      perContainer(objects, (c, pod) =>
        effective(c, pod, 'runAsNonRoot') === true && effective(c, pod, 'runAsUser') !== 0
          ? undefined
          : 'may run as root',
      ),
  }),
  polaris('runAsPrivileged', {
    findings: SAME_IN_BOTH.privileged,
  }),
  polaris('dangerousCapabilities', {
    findings: (objects) =>
      perContainer(objects, (c) => {
        const add: string[] = c.securityContext?.capabilities?.add ?? [];
        const dangerous = add.filter((cap) => ['ALL', 'SYS_ADMIN', 'NET_ADMIN'].includes(cap));
        return dangerous.length > 0 ? `adds ${dangerous.join(', ')}` : undefined;
      }),
  }),
  polaris('insecureCapabilities', {
    findings: (objects) =>
      perContainer(objects, (c) =>
        (c.securityContext?.capabilities?.drop ?? []).includes('ALL')
          ? undefined
          : 'does not drop ALL capabilities',
      ),
  }),
  polaris('tlsSettingsMissing', {
    findings: (objects) =>
      ofKind(objects, 'Ingress')
        .filter((ingress) => !(ingress.spec.tls ?? []).some((tls: Loose) => (tls.hosts ?? []).length > 0))
        .map((ingress) => `Ingress ${ingress.metadata.name} has no TLS`),
  }),
  polaris('sensitiveContainerEnvVar', {
    findings: (objects) =>
      perContainer(objects, (c) => {
        const bad = (c.env ?? []).find(
          (variable: Loose) =>
            SENSITIVE_ENV_NAME.some((pattern) => pattern.test(variable.name)) ||
            PRIVATE_KEY.test(String(variable.value ?? '')),
        );
        return bad ? `sensitive env ${bad.name}` : undefined;
      }),
  }),
  polaris('sensitiveConfigmapContent', {
    findings: (objects) =>
      ofKind(objects, 'ConfigMap').flatMap((configMap) =>
        Object.entries(configMap.data ?? {})
          .filter(
            ([key, value]) =>
              SENSITIVE_ENV_NAME.some((pattern) => pattern.test(key)) || PRIVATE_KEY.test(String(value)),
          )
          .map(([key]) => `ConfigMap ${configMap.metadata.name}: sensitive key ${key}`),
      ),
  }),
  // The eight RBAC checks (clusterrolePodExecAttach, rolePodExecAttach, clusterrolebindingPodExecAttach,
  // rolebindingClusterRolePodExecAttach, rolebindingRolePodExecAttach, clusterrolebindingClusterAdmin,
  // rolebindingClusterAdminClusterRole, rolebindingClusterAdminRole) inspect Roles and bindings: there are none.
  polaris('rbac: *PodExecAttach and *ClusterAdmin* (8 checks)', {
    findings: (objects) =>
      objects
        .filter((object) => RBAC_KINDS.includes(object.kind))
        .map((object) => `${object.kind} ${object.metadata.name}: the chart grants no RBAC`),
  }),
];
