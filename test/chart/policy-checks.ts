// The default checks of kube-linter and Polaris, written as assertions on the rendered
// objects. Neither tool can be installed here (their Go modules are not served by the
// module proxy this machine reaches), so each default check that applies to what this
// chart renders is re-implemented from its published definition:
//   kube-linter: docs/generated/checks.md ("Enabled by default: Yes") in stackrox/kube-linter
//   Polaris:     pkg/config/default.yaml and checks/*.yaml in FairwindsOps/polaris
// A finding is accepted only where `accepted` says so, with the reason.
import type { K8sObject } from './helm.js';

export interface PolicyCheck {
  tool: 'kube-linter' | 'Polaris';
  name: string;
  /** Problems in one rendering; empty when the check passes. */
  findings: (objects: K8sObject[]) => string[];
  /** Scenarios whose findings are accepted, and why. */
  accepted?: { scenarios: readonly string[]; reason: string };
}

const ALL_SCENARIOS = ['*'] as const;

// biome-ignore lint/suspicious/noExplicitAny: rendered YAML, navigated by the checks below.
type Loose = any;

interface Workload {
  object: K8sObject;
  pod: Loose;
  containers: Loose[];
}

function workloads(objects: K8sObject[]): Workload[] {
  return objects
    .filter((object) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Pod', 'Job'].includes(object.kind))
    .map((object) => {
      const pod = object.kind === 'Pod' ? object.spec : object.spec.template.spec;
      return { object, pod, containers: [...(pod.initContainers ?? []), ...pod.containers] };
    });
}

/** One finding per container for which `bad` returns a description. */
function perContainer(
  objects: K8sObject[],
  bad: (container: Loose, pod: Loose) => string | undefined,
): string[] {
  return workloads(objects).flatMap(({ object, pod, containers }) =>
    containers.flatMap((container) => {
      const problem = bad(container, pod);
      return problem
        ? [`${object.kind} ${object.metadata.name} container ${container.name}: ${problem}`]
        : [];
    }),
  );
}

function perPod(objects: K8sObject[], bad: (pod: Loose, object: K8sObject) => string | undefined): string[] {
  return workloads(objects).flatMap(({ object, pod }) => {
    const problem = bad(pod, object);
    return problem ? [`${object.kind} ${object.metadata.name}: ${problem}`] : [];
  });
}

const ofKind = (objects: K8sObject[], kind: string): K8sObject[] => objects.filter((o) => o.kind === kind);

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([key, value]) => labels?.[key] === value);

const podLabels = (workload: K8sObject): Record<string, string> =>
  workload.kind === 'Pod' ? (workload.metadata.labels ?? {}) : (workload.spec.template.metadata.labels ?? {});

/** A field set on the container, else on the pod security context (containers inherit the pod's). */
const effective = (container: Loose, pod: Loose, field: string): unknown =>
  container.securityContext?.[field] ?? pod.securityContext?.[field];

const hostPaths = (pod: Loose): string[] =>
  (pod.volumes ?? []).flatMap((volume: Loose) => (volume.hostPath ? [volume.hostPath.path as string] : []));

const probePortExposed = (container: Loose, probe: Loose): boolean => {
  const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? probe?.grpc?.port;
  if (port === undefined) return true;
  return (container.ports ?? []).some((p: Loose) => p.name === port || p.containerPort === port);
};

// IANA service name (RFC 6335 §5.1), what invalid-target-ports checks port names against.
const IANA_SVC_NAME = /^(?=.*[a-z])(?!.*--)[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;

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

const kubeLinter = (name: string, check: Omit<PolicyCheck, 'tool' | 'name'>): PolicyCheck => ({
  tool: 'kube-linter',
  name,
  ...check,
});
const polaris = (name: string, check: Omit<PolicyCheck, 'tool' | 'name'>): PolicyCheck => ({
  tool: 'Polaris',
  name,
  ...check,
});

/** kube-linter's checks that are enabled by default. */
export const KUBE_LINTER_CHECKS: PolicyCheck[] = [
  kubeLinter('dangling-service', {
    findings: (objects) =>
      ofKind(objects, 'Service')
        .filter(
          (service) => !workloads(objects).some((w) => matches(service.spec.selector, podLabels(w.object))),
        )
        .map((service) => `Service ${service.metadata.name} selects no pods`),
  }),
  kubeLinter('deprecated-service-account-field', {
    findings: (objects) =>
      perPod(objects, (pod) =>
        pod.serviceAccount !== undefined && pod.serviceAccount !== pod.serviceAccountName
          ? 'uses the deprecated serviceAccount field'
          : undefined,
      ),
  }),
  kubeLinter('docker-sock', {
    findings: (objects) =>
      perPod(objects, (pod) =>
        hostPaths(pod).some((p) => /docker\.sock$/.test(p)) ? 'mounts docker.sock' : undefined,
      ),
  }),
  kubeLinter('drop-net-raw-capability', {
    findings: (objects) =>
      perContainer(objects, (container) => {
        const drop: string[] = container.securityContext?.capabilities?.drop ?? [];
        const add: string[] = container.securityContext?.capabilities?.add ?? [];
        return (drop.includes('ALL') || drop.includes('NET_RAW')) && !add.includes('NET_RAW')
          ? undefined
          : 'does not drop NET_RAW';
      }),
  }),
  kubeLinter('duplicate-env-var', {
    findings: (objects) =>
      perContainer(objects, (container) => {
        const names: string[] = (container.env ?? []).map((variable: Loose) => variable.name);
        const duplicates = names.filter((name, index) => names.indexOf(name) !== index);
        return duplicates.length > 0 ? `duplicate env ${duplicates.join(', ')}` : undefined;
      }),
  }),
  kubeLinter('env-var-secret', {
    findings: (objects) =>
      perContainer(objects, (container) => {
        const leaked = (container.env ?? []).filter(
          (variable: Loose) =>
            /.*secret.*/i.test(variable.name) && typeof variable.value === 'string' && variable.value,
        );
        return leaked.length > 0 ? `secret-like env with a literal value: ${leaked[0].name}` : undefined;
      }),
  }),
  kubeLinter('host-ipc', {
    findings: (objects) => perPod(objects, (pod) => (pod.hostIPC ? 'hostIPC' : undefined)),
  }),
  kubeLinter('host-network', {
    findings: (objects) => perPod(objects, (pod) => (pod.hostNetwork ? 'hostNetwork' : undefined)),
  }),
  kubeLinter('host-pid', {
    findings: (objects) => perPod(objects, (pod) => (pod.hostPID ? 'hostPID' : undefined)),
  }),
  kubeLinter('invalid-target-ports', {
    findings: (objects) => [
      ...perContainer(objects, (container) => {
        const bad = (container.ports ?? []).filter(
          (port: Loose) => port.name && !IANA_SVC_NAME.test(port.name),
        );
        return bad.length > 0 ? `port name ${bad[0].name} is not an IANA service name` : undefined;
      }),
      ...ofKind(objects, 'Service').flatMap((service) =>
        service.spec.ports
          .filter(
            (port: Loose) => typeof port.targetPort === 'string' && !IANA_SVC_NAME.test(port.targetPort),
          )
          .map((port: Loose) => `Service ${service.metadata.name}: targetPort ${port.targetPort} is invalid`),
      ),
    ],
  }),
  kubeLinter('latest-tag', {
    findings: (objects) =>
      perContainer(objects, (container) =>
        [/.*:(latest)$/, /^[^:]*$/, /(.*\/[^:]+)$/].some((pattern) => pattern.test(container.image))
          ? `image ${container.image} has no pinned tag`
          : undefined,
      ),
  }),
  kubeLinter('liveness-port', {
    findings: (objects) =>
      perContainer(objects, (c) =>
        probePortExposed(c, c.livenessProbe) ? undefined : 'liveness probe port not exposed',
      ),
  }),
  kubeLinter('readiness-port', {
    findings: (objects) =>
      perContainer(objects, (c) =>
        probePortExposed(c, c.readinessProbe) ? undefined : 'readiness probe port not exposed',
      ),
  }),
  kubeLinter('startup-port', {
    findings: (objects) =>
      perContainer(objects, (c) =>
        probePortExposed(c, c.startupProbe) ? undefined : 'startup probe port not exposed',
      ),
  }),
  kubeLinter('mismatching-selector', {
    findings: (objects) =>
      ofKind(objects, 'Deployment')
        .filter((d) => !matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels))
        .map((d) => `Deployment ${d.metadata.name}: selector does not match the pod template labels`),
  }),
  kubeLinter('no-anti-affinity', {
    findings: (objects) =>
      perPod(objects, (pod, object) => {
        const replicas = object.spec.replicas;
        if (replicas === undefined || replicas < 2) return undefined;
        const terms = [
          ...(pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map(
            (term: Loose) => term.podAffinityTerm,
          ),
          ...(pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
        ];
        const spreads = terms.some(
          (term: Loose) =>
            term.topologyKey === 'kubernetes.io/hostname' &&
            matches(term.labelSelector?.matchLabels, podLabels(object)),
        );
        return spreads ? undefined : `${replicas} replicas without inter-pod anti-affinity`;
      }),
    accepted: {
      scenarios: ALL_SCENARIOS,
      reason:
        'the pods spread with topologySpreadConstraints on kubernetes.io/hostname (and zones) instead, which Kubernetes ' +
        'recommends over anti-affinity for spreading; the check predates them and only looks at podAntiAffinity. ' +
        'deployment.test.ts asserts the hostname constraint and its selector.',
    },
  }),
  kubeLinter('no-extensions-v1beta', {
    findings: (objects) =>
      objects
        .filter((object) => /^extensions\/v1beta/.test(object.apiVersion))
        .map((object) => `${object.kind} ${object.metadata.name} uses ${object.apiVersion}`),
  }),
  kubeLinter('no-read-only-root-fs', {
    findings: (objects) =>
      perContainer(objects, (c) =>
        c.securityContext?.readOnlyRootFilesystem === true ? undefined : 'writable root fs',
      ),
  }),
  kubeLinter('non-existent-service-account', {
    findings: (objects) =>
      perPod(objects, (pod) => {
        const name = pod.serviceAccountName ?? 'default';
        const known = ofKind(objects, 'ServiceAccount').some((account) => account.metadata.name === name);
        return known || name === 'default' ? undefined : `ServiceAccount ${name} is not rendered`;
      }),
  }),
  kubeLinter('pdb-max-unavailable', {
    findings: (objects) =>
      ofKind(objects, 'PodDisruptionBudget')
        .filter((pdb) => pdb.spec.maxUnavailable === 0 || pdb.spec.maxUnavailable === '0%')
        .map((pdb) => `PodDisruptionBudget ${pdb.metadata.name} allows no disruption`),
  }),
  kubeLinter('pdb-min-available', {
    findings: (objects) =>
      ofKind(objects, 'PodDisruptionBudget').flatMap((pdb) => {
        const min = pdb.spec.minAvailable;
        if (min === undefined) return [];
        const replicas = ofKind(objects, 'Deployment')[0]?.spec.replicas;
        const blocks =
          min === '100%' || (typeof min === 'number' && replicas !== undefined && min >= replicas);
        return blocks
          ? [`PodDisruptionBudget ${pdb.metadata.name}: minAvailable ${min} blocks every eviction`]
          : [];
      }),
  }),
  kubeLinter('pdb-unhealthy-pod-eviction-policy', {
    findings: (objects) =>
      ofKind(objects, 'PodDisruptionBudget')
        .filter((pdb) => pdb.spec.unhealthyPodEvictionPolicy === undefined)
        .map((pdb) => `PodDisruptionBudget ${pdb.metadata.name} leaves unhealthyPodEvictionPolicy unset`),
  }),
  kubeLinter('privilege-escalation-container', {
    findings: (objects) =>
      perContainer(objects, (c) => {
        const security = c.securityContext ?? {};
        if (security.allowPrivilegeEscalation !== false) return 'allowPrivilegeEscalation is not false';
        if (security.privileged) return 'privileged';
        return (security.capabilities?.add ?? []).includes('SYS_ADMIN') ? 'adds SYS_ADMIN' : undefined;
      }),
  }),
  kubeLinter('privileged-container', {
    findings: (objects) =>
      perContainer(objects, (c) => (c.securityContext?.privileged ? 'privileged' : undefined)),
  }),
  kubeLinter('run-as-non-root', {
    findings: (objects) =>
      perContainer(objects, (c, pod) => {
        const user = effective(c, pod, 'runAsUser');
        if (user === 0) return 'runs as UID 0';
        return effective(c, pod, 'runAsNonRoot') === true || (typeof user === 'number' && user > 0)
          ? undefined
          : 'not set to run as non-root';
      }),
  }),
  kubeLinter('sensitive-host-mounts', {
    findings: (objects) =>
      perPod(objects, (pod) => {
        const sensitive = hostPaths(pod).filter((p) => /^\/(boot|dev|etc|lib|proc|sys|usr)?$/.test(p));
        return sensitive.length > 0 ? `mounts ${sensitive.join(', ')} from the host` : undefined;
      }),
  }),
  kubeLinter('ssh-port', {
    findings: (objects) =>
      perContainer(objects, (c) =>
        (c.ports ?? []).some((port: Loose) => port.containerPort === 22) ? 'exposes port 22' : undefined,
      ),
  }),
  kubeLinter('unsafe-sysctls', {
    findings: (objects) =>
      perPod(objects, (pod) => {
        const unsafe = (pod.securityContext?.sysctls ?? []).filter((sysctl: Loose) =>
          ['kernel.msg', 'kernel.sem', 'kernel.shm', 'fs.mqueue.', 'net.'].some((prefix) =>
            sysctl.name.startsWith(prefix),
          ),
        );
        return unsafe.length > 0 ? `unsafe sysctl ${unsafe[0].name}` : undefined;
      }),
  }),
  kubeLinter('unset-cpu-requirements', {
    findings: (objects) =>
      perContainer(objects, (c) => (c.resources?.requests?.cpu ? undefined : 'no CPU request')),
  }),
  kubeLinter('unset-memory-requirements', {
    findings: (objects) =>
      perContainer(objects, (c) => (c.resources?.limits?.memory ? undefined : 'no memory limit')),
  }),
];

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
        'checks the HPA keeps at least 2. Dev runs one replica by choice: it is a test environment.',
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
    findings: (objects) =>
      perContainer(objects, (c) => (c.resources?.requests?.cpu ? undefined : 'no CPU request')),
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
    findings: (objects) =>
      perContainer(objects, (c) => (c.resources?.limits?.memory ? undefined : 'no memory limit')),
  }),
  polaris('automountServiceAccountToken', {
    findings: (objects) =>
      perPod(objects, (pod) =>
        pod.automountServiceAccountToken === false ? undefined : 'mounts the SA token',
      ),
  }),
  polaris('hostIPCSet', {
    findings: (objects) => perPod(objects, (pod) => (pod.hostIPC ? 'hostIPC' : undefined)),
  }),
  polaris('hostPIDSet', {
    findings: (objects) => perPod(objects, (pod) => (pod.hostPID ? 'hostPID' : undefined)),
  }),
  polaris('hostNetworkSet', {
    findings: (objects) => perPod(objects, (pod) => (pod.hostNetwork ? 'hostNetwork' : undefined)),
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
    findings: (objects) =>
      perContainer(objects, (c) =>
        c.securityContext?.readOnlyRootFilesystem === true ? undefined : 'writable root fs',
      ),
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
    findings: (objects) =>
      perContainer(objects, (c) => (c.securityContext?.privileged ? 'privileged' : undefined)),
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
