// kube-linter's default checks (stackrox/kube-linter docs/generated/checks.md, "Enabled by
// default: Yes") as assertions on the rendered objects; see policy-helpers.ts for why.
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

const probePortExposed = (container: Loose, probe: Loose): boolean => {
  const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? probe?.grpc?.port;
  if (port === undefined) return true;
  return (container.ports ?? []).some((p: Loose) => p.name === port || p.containerPort === port);
};

// IANA service name (RFC 6335 §5.1), what invalid-target-ports checks port names against.
const IANA_SVC_NAME = /^(?=.*[a-z])(?!.*--)[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;

const kubeLinter = (name: string, check: Omit<PolicyCheck, 'tool' | 'name'>): PolicyCheck => ({
  tool: 'kube-linter',
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
    findings: SAME_IN_BOTH.hostIpc,
  }),
  kubeLinter('host-network', {
    findings: SAME_IN_BOTH.hostNetwork,
  }),
  kubeLinter('host-pid', {
    findings: SAME_IN_BOTH.hostPid,
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
    findings: SAME_IN_BOTH.writableRootFilesystem,
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
    findings: SAME_IN_BOTH.privileged,
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
    findings: SAME_IN_BOTH.noCpuRequest,
  }),
  kubeLinter('unset-memory-requirements', {
    findings: SAME_IN_BOTH.noMemoryLimit,
  }),
];
