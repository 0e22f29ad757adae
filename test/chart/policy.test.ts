// kube-linter's and Polaris' default checks against every scenario (see policy-helpers.ts
// for why they are assertions rather than the tools, and for each accepted exception).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { type K8sObject, render, scenarios } from './helm.js';
import type { PolicyCheck } from './policy-helpers.js';
import { KUBE_LINTER_CHECKS } from './policy-kube-linter.js';
import { POLARIS_CHECKS } from './policy-polaris.js';

const CHECKS = [...KUBE_LINTER_CHECKS, ...POLARIS_CHECKS];

const isAccepted = (check: PolicyCheck, scenario: string): boolean =>
  check.accepted !== undefined &&
  (check.accepted.scenarios.includes('*') || check.accepted.scenarios.includes(scenario));

describe('kube-linter and Polaris default checks', () => {
  const rendered = new Map<string, K8sObject[]>();
  before(async () => {
    for (const scenario of scenarios())
      rendered.set(scenario.name, await render({ valuesFiles: scenario.valuesFiles }));
  });

  test('cover every default check of both tools', () => {
    // kube-linter: "Enabled by default: Yes" in docs/generated/checks.md.
    assert.deepEqual(KUBE_LINTER_CHECKS.map((check) => check.name).sort(), [
      'dangling-service',
      'deprecated-service-account-field',
      'docker-sock',
      'drop-net-raw-capability',
      'duplicate-env-var',
      'env-var-secret',
      'host-ipc',
      'host-network',
      'host-pid',
      'invalid-target-ports',
      'latest-tag',
      'liveness-port',
      'mismatching-selector',
      'no-anti-affinity',
      'no-extensions-v1beta',
      'no-read-only-root-fs',
      'non-existent-service-account',
      'pdb-max-unavailable',
      'pdb-min-available',
      'pdb-unhealthy-pod-eviction-policy',
      'privilege-escalation-container',
      'privileged-container',
      'readiness-port',
      'run-as-non-root',
      'sensitive-host-mounts',
      'ssh-port',
      'startup-port',
      'unsafe-sysctls',
      'unset-cpu-requirements',
      'unset-memory-requirements',
    ]);
    // Polaris: the checks its default config (pkg/config/default.yaml) sets to warning or danger.
    assert.deepEqual(POLARIS_CHECKS.map((check) => check.name).sort(), [
      'automountServiceAccountToken',
      'cpuLimitsMissing',
      'cpuRequestsMissing',
      'dangerousCapabilities',
      'deploymentMissingReplicas',
      'hostIPCSet',
      'hostNetworkSet',
      'hostPIDSet',
      'hostPathSet',
      'hostPortSet',
      'hostProcess',
      'hpaMaxAvailability',
      'hpaMinAvailability',
      'insecureCapabilities',
      'linuxHardening',
      'livenessProbeMissing',
      'memoryLimitsMissing',
      'memoryRequestsMissing',
      'metadataAndInstanceMismatched',
      'missingNetworkPolicy',
      'missingPodDisruptionBudget',
      'notReadOnlyRootFilesystem',
      'pdbDisruptionsIsZero',
      'pdbMinAvailableGreaterThanOrEqualToHPAMinReplicas',
      'priorityClassNotSet',
      'privilegeEscalationAllowed',
      'procMount',
      'pullPolicyNotAlways',
      'rbac: *PodExecAttach and *ClusterAdmin* (8 checks)',
      'readinessProbeMissing',
      'runAsPrivileged',
      'runAsRootAllowed',
      'sensitiveConfigmapContent',
      'sensitiveContainerEnvVar',
      'tagNotSpecified',
      'tlsSettingsMissing',
      'topologySpreadConstraint',
    ]);
  });

  for (const scenario of scenarios()) {
    test(`pass for ${scenario.name}, apart from the accepted exceptions`, () => {
      const objects = rendered.get(scenario.name)!;
      const failures = CHECKS.filter((check) => !isAccepted(check, scenario.name)).flatMap((check) =>
        check.findings(objects).map((finding) => `${check.tool} ${check.name}: ${finding}`),
      );
      assert.deepEqual(failures, []);
    });
  }

  test('every accepted exception has a reason and is still needed', () => {
    for (const check of CHECKS.filter((c) => c.accepted)) {
      assert.ok((check.accepted?.reason.length ?? 0) > 40, `${check.name}: the reason must say why`);
      const hit = [...rendered].some(
        ([scenario, objects]) => isAccepted(check, scenario) && check.findings(objects).length > 0,
      );
      assert.ok(hit, `${check.tool} ${check.name} no longer fails anywhere: drop its exception`);
    }
  });

  test('catch an insecure rendering (the checks can fail)', async () => {
    const objects = await render({
      set: [
        'image.tag=latest',
        'podSecurityContext=null',
        'securityContext.runAsNonRoot=false',
        'securityContext.runAsUser=0',
        'securityContext.readOnlyRootFilesystem=false',
        'securityContext.allowPrivilegeEscalation=true',
        'securityContext.privileged=true',
        'securityContext.seccompProfile=null',
        'securityContext.capabilities.drop=null',
        'securityContext.capabilities.add[0]=SYS_ADMIN',
        'resources=null',
        'serviceAccount.automount=true',
        'topologySpread.enabled=false',
        'readinessProbe=null',
        'extraEnv[0].name=DB_PASSWORD',
        'extraEnv[0].value=hunter2',
        'ingress.enabled=true',
      ],
    });
    const failing = CHECKS.filter((check) => check.findings(objects).length > 0).map((check) => check.name);
    for (const expected of [
      'latest-tag',
      'tagNotSpecified',
      'run-as-non-root',
      'runAsRootAllowed',
      'no-read-only-root-fs',
      'notReadOnlyRootFilesystem',
      'privilege-escalation-container',
      'privilegeEscalationAllowed',
      'privileged-container',
      'runAsPrivileged',
      'drop-net-raw-capability',
      'insecureCapabilities',
      'dangerousCapabilities',
      'linuxHardening',
      'unset-cpu-requirements',
      'unset-memory-requirements',
      'memoryLimitsMissing',
      'automountServiceAccountToken',
      'topologySpreadConstraint',
      'readinessProbeMissing',
      'sensitiveContainerEnvVar',
      'tlsSettingsMissing',
    ]) {
      assert.ok(failing.includes(expected), `${expected} did not catch it`);
    }
  });
});
