// The properties the issue asks of the rendered Deployment and its companions.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { CHART_DIR, type K8sObject, mainContainer, only, render, scenarios, templateRaw } from './helm.js';

const ci = (file: string): string[] => [path.join(CHART_DIR, 'ci', file)];
const SHA = '0123456789abcdef0123456789abcdef01234567';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

function isSubset(subset: Record<string, string>, of: Record<string, string>): boolean {
  return Object.entries(subset).every(([key, value]) => of[key] === value);
}

describe('Deployment', () => {
  test('runs 2 replicas by default and replicaCount when the HPA is off', async () => {
    assert.equal(only(await render(), 'Deployment').spec.replicas, 2);
    assert.equal(
      only(await render({ valuesFiles: ci('replicas-3-values.yaml') }), 'Deployment').spec.replicas,
      3,
    );
  });

  test('leaves replicas out when the HPA is on, and the HPA targets the Deployment', async () => {
    const objects = await render({ valuesFiles: ci('hpa-values.yaml') });
    const deployment = only(objects, 'Deployment');
    assert.equal('replicas' in deployment.spec, false);
    const hpa = only(objects, 'HorizontalPodAutoscaler');
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    assert.deepEqual(hpa.spec.scaleTargetRef, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    assert.deepEqual(
      hpa.spec.metrics.map((metric: { resource: { name: string } }) => metric.resource.name),
      ['cpu', 'memory'],
    );
    assert.equal(hpa.spec.minReplicas, 2);
    assert.equal(hpa.spec.maxReplicas, 10);
  });

  test('scales on CPU only unless a memory target is set', async () => {
    const hpa = only(await render({ set: ['autoscaling.enabled=true'] }), 'HorizontalPodAutoscaler');
    assert.deepEqual(hpa.spec.metrics, [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      },
    ]);
  });

  test('rolls out one extra pod at a time and never drops below the desired count', async () => {
    const spec = only(await render(), 'Deployment').spec;
    assert.deepEqual(spec.strategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    assert.ok(spec.minReadySeconds > 0);
  });

  test('probes: readiness on /readyz, liveness on /livez, and a startup probe, all on the http port', async () => {
    const container = mainContainer(await render());
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.equal(container.livenessProbe.httpGet.path, '/livez');
    assert.ok(container.startupProbe?.httpGet, 'startup probe');
    for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
      assert.equal(probe.httpGet.port, 'http');
    }
    // The startup probe must allow a slow model load: at least 30 s before liveness applies.
    assert.ok(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold >= 30);
  });

  test('passes the shutdown settings as env and leaves the kubelet time to drain', async () => {
    const pod = only(await render(), 'Deployment').spec.template.spec;
    const env = Object.fromEntries(
      pod.containers[0].env.map((variable: { name: string; value: string }) => [
        variable.name,
        variable.value,
      ]),
    );
    assert.equal(env.SHUTDOWN_DRAIN_DELAY_SECONDS, '5');
    assert.equal(env.SHUTDOWN_TIMEOUT_SECONDS, '10');
    assert.equal(env.PORT, '8000');
    assert.ok(pod.terminationGracePeriodSeconds > 5 + 10);
  });

  test('serves /metrics on its own port: METRICS_PORT and a container port named metrics (9464)', async () => {
    const container = mainContainer(await render());
    const env = Object.fromEntries(
      container.env.map((variable: { name: string; value: string }) => [variable.name, variable.value]),
    );
    assert.equal(env.METRICS_PORT, '9464');
    assert.deepEqual(
      container.ports.map((port: { name: string; containerPort: number }) => [port.name, port.containerPort]),
      [
        ['http', 8000],
        ['metrics', 9464],
      ],
    );
    const moved = mainContainer(await render({ set: ['metrics.port=9100'] }));
    assert.equal(
      moved.env.find((variable: { name: string }) => variable.name === 'METRICS_PORT').value,
      '9100',
    );
    assert.equal(moved.ports[1].containerPort, 9100);
  });

  test('pod and container security context: non-root, read-only root, no escalation, no capabilities, seccomp', async () => {
    const pod = only(await render(), 'Deployment').spec.template.spec;
    const container = pod.containers[0];
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.runAsUser, 10001);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    const security = container.securityContext;
    assert.equal(security.runAsNonRoot, true);
    assert.equal(security.readOnlyRootFilesystem, true);
    assert.equal(security.allowPrivilegeEscalation, false);
    assert.equal(security.privileged, false);
    assert.deepEqual(security.capabilities.drop, ['ALL']);
    assert.equal(security.capabilities.add, undefined);
    assert.equal(security.seccompProfile.type, 'RuntimeDefault');
    // /tmp is the only writable path: an emptyDir with a size limit.
    const tmpMount = container.volumeMounts.find(
      (mount: { mountPath: string }) => mount.mountPath === '/tmp',
    );
    const tmpVolume = pod.volumes.find((volume: { name: string }) => volume.name === tmpMount.name);
    assert.deepEqual(tmpVolume.emptyDir, { sizeLimit: '64Mi' });
  });

  test('does not mount a service-account token, and the ServiceAccount takes IRSA annotations', async () => {
    const roleArn = 'arn:aws:iam::123456789012:role/inference';
    const objects = await render({
      set: [`serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=${roleArn}`],
    });
    const pod = only(objects, 'Deployment').spec.template.spec;
    assert.equal(pod.automountServiceAccountToken, false);
    const account = only(objects, 'ServiceAccount');
    assert.equal(pod.serviceAccountName, account.metadata.name);
    assert.equal(account.automountServiceAccountToken, false);
    assert.equal(account.metadata.annotations?.['eks.amazonaws.com/role-arn'], roleArn);
  });

  test('requests CPU and memory and limits memory', async () => {
    const { resources } = mainContainer(await render());
    assert.ok(resources.requests.cpu);
    assert.ok(resources.requests.memory);
    assert.ok(resources.limits.memory);
  });

  test('spreads pods across zones and nodes by the selector labels', async () => {
    const deployment = only(await render(), 'Deployment');
    const constraints = deployment.spec.template.spec.topologySpreadConstraints;
    assert.deepEqual(
      constraints.map((constraint: { topologyKey: string }) => constraint.topologyKey),
      ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'],
    );
    for (const constraint of constraints) {
      assert.deepEqual(constraint.labelSelector.matchLabels, deployment.spec.selector.matchLabels);
      assert.equal(constraint.maxSkew, 1);
    }
  });

  test('takes extra env, nodeSelector, tolerations, affinity, pod annotations and labels', async () => {
    const pod = only(
      await render({
        set: [
          'extraEnv[0].name=FEATURE_X',
          'extraEnv[0].value=on',
          'nodeSelector.kubernetes\\.io/arch=arm64',
          'tolerations[0].key=dedicated',
          'tolerations[0].operator=Exists',
          'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key=tier',
          'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator=Exists',
          'podAnnotations.team=ml',
          'podLabels.cost-center=ml',
        ],
      }),
      'Deployment',
    ).spec.template;
    assert.deepEqual(pod.spec.containers[0].env.at(-1), { name: 'FEATURE_X', value: 'on' });
    assert.deepEqual(pod.spec.nodeSelector, { 'kubernetes.io/arch': 'arm64' });
    assert.deepEqual(pod.spec.tolerations, [{ key: 'dedicated', operator: 'Exists' }]);
    assert.ok(pod.spec.affinity.nodeAffinity);
    assert.equal(pod.metadata.annotations.team, 'ml');
    assert.equal(pod.metadata.labels['cost-center'], 'ml');
  });
});

describe('image reference', () => {
  const image = async (set: string[]): Promise<string> => mainContainer(await render({ set })).image;

  test('repository:tag, with the tag defaulting to appVersion', async () => {
    assert.equal(await image([]), 'mlops-inference-service:0.1.0');
    assert.equal(await image([`image.tag=${SHA}`]), `mlops-inference-service:${SHA}`);
  });

  test('repository@digest when only the digest is set (ci/digest-values.yaml)', async () => {
    const container = mainContainer(await render({ valuesFiles: ci('digest-values.yaml') }));
    assert.match(
      container.image,
      /^123456789012\.dkr\.ecr\.eu-central-1\.amazonaws\.com\/mlops-inference-service@sha256:[a-f0-9]{64}$/,
    );
  });

  test('repository:tag@digest when both are set (the runtime pulls by digest)', async () => {
    assert.equal(
      await image([`image.tag=${SHA}`, `image.digest=${DIGEST}`]),
      `mlops-inference-service:${SHA}@${DIGEST}`,
    );
  });
});

describe('labels and selectors', () => {
  for (const scenario of scenarios()) {
    test(`selectors are a subset of the pod labels and carry no version (${scenario.name})`, async () => {
      const objects = await render({ valuesFiles: scenario.valuesFiles });
      const deployment = only(objects, 'Deployment');
      const podLabels: Record<string, string> = deployment.spec.template.metadata.labels;
      const selectors: [string, Record<string, string>][] = [
        ['Deployment', deployment.spec.selector.matchLabels],
        ['Service', only(objects, 'Service').spec.selector],
        ...objects
          .filter((object) => ['PodDisruptionBudget', 'ServiceMonitor'].includes(object.kind))
          .map((object): [string, Record<string, string>] => [object.kind, object.spec.selector.matchLabels]),
        ...objects
          .filter((object) => object.kind === 'NetworkPolicy')
          .map((object): [string, Record<string, string>] => [
            object.kind,
            object.spec.podSelector.matchLabels,
          ]),
      ];
      for (const [kind, selector] of selectors) {
        assert.ok(Object.keys(selector).length > 0, `${kind} selector is empty`);
        assert.ok(isSubset(selector, podLabels), `${kind} selector ${JSON.stringify(selector)} ⊄ pod labels`);
        assert.ok(!('app.kubernetes.io/version' in selector), `${kind} selector carries a version`);
        assert.ok(!('helm.sh/chart' in selector), `${kind} selector carries the chart version`);
      }
      // The ServiceMonitor selects the Service, so the Service must carry its selector labels.
      for (const monitor of objects.filter((object) => object.kind === 'ServiceMonitor')) {
        assert.ok(
          isSubset(monitor.spec.selector.matchLabels, only(objects, 'Service').metadata.labels ?? {}),
        );
      }
    });
  }
});

describe('Service', () => {
  test('is ClusterIP on 8000 and targets the container port by its name', async () => {
    const objects = await render();
    const service = only(objects, 'Service');
    assert.equal(service.spec.type, 'ClusterIP');
    const [port] = service.spec.ports;
    assert.equal(port.port, 8000);
    const containerPort = mainContainer(objects).ports.find(
      (candidate: { name: string; containerPort: number }) =>
        candidate.name === port.targetPort || candidate.containerPort === port.targetPort,
    );
    assert.ok(containerPort, `targetPort ${port.targetPort} matches no container port`);
    assert.equal(containerPort.containerPort, 8000);
  });

  test('exposes the metrics port by name beside the API port', async () => {
    const service = only(await render({ set: ['metrics.port=9100'] }), 'Service');
    assert.deepEqual(service.spec.ports[1], {
      name: 'metrics',
      port: 9100,
      targetPort: 'metrics',
      protocol: 'TCP',
    });
  });

  test('follows a changed container port', async () => {
    const objects = await render({ set: ['containerPort=9000', 'service.port=80'] });
    const container = mainContainer(objects);
    assert.equal(container.ports[0].containerPort, 9000);
    assert.equal(only(objects, 'Service').spec.ports[0].targetPort, container.ports[0].name);
    assert.equal(container.env.find((variable: { name: string }) => variable.name === 'PORT').value, '9000');
  });
});

describe('PodDisruptionBudget', () => {
  const pdbs = (objects: K8sObject[]): K8sObject[] =>
    objects.filter((object) => object.kind === 'PodDisruptionBudget');

  test('exists whenever more than one replica can run', async () => {
    assert.equal(pdbs(await render()).length, 1, 'defaults: 2 replicas');
    assert.equal(pdbs(await render({ valuesFiles: ci('replicas-3-values.yaml') })).length, 1);
    assert.equal(pdbs(await render({ set: ['replicaCount=1'] })).length, 0, 'one replica');
    assert.equal(
      pdbs(await render({ set: ['replicaCount=1', 'autoscaling.enabled=true'] })).length,
      1,
      'HPA 2-6',
    );
    assert.equal(
      pdbs(
        await render({
          set: ['autoscaling.enabled=true', 'autoscaling.minReplicas=1', 'autoscaling.maxReplicas=1'],
        }),
      ).length,
      0,
      'HPA capped at 1',
    );
    assert.equal(pdbs(await render({ set: ['podDisruptionBudget.enabled=false'] })).length, 0, 'opted out');
  });

  test('never blocks a node drain', async () => {
    const pdb = only(await render(), 'PodDisruptionBudget');
    assert.equal(pdb.spec.maxUnavailable, 1);
    assert.equal(pdb.spec.minAvailable, undefined);
    assert.equal(pdb.spec.unhealthyPodEvictionPolicy, 'AlwaysAllow');
    const percent = only(
      await render({ set: ['podDisruptionBudget.maxUnavailable=50%'] }),
      'PodDisruptionBudget',
    );
    assert.equal(percent.spec.maxUnavailable, '50%');
  });
});

describe('config checksum', () => {
  const checksum = async (set: string[]): Promise<string> =>
    only(await render({ set }), 'Deployment').spec.template.metadata.annotations['checksum/config'];

  test('changes when the ConfigMap changes, and only then', async () => {
    const base = await checksum([]);
    assert.match(base, /^[a-f0-9]{64}$/);
    assert.notEqual(await checksum(['config.logLevel=debug']), base);
    assert.notEqual(await checksum(['config.maxQueue=100']), base);
    assert.equal(await checksum(['replicaCount=5']), base);
  });

  test('the ConfigMap carries the settings the Deployment reads with envFrom', async () => {
    const objects = await render({ set: ['config.maxQueue=100'], setJson: ['config.batchMaxWaitMs=0.5'] });
    const configMap = only(objects, 'ConfigMap');
    assert.deepEqual(configMap.data, {
      HOST: '0.0.0.0',
      BODY_LIMIT_BYTES: '1048576',
      LOG_LEVEL: 'info',
      MAX_BATCH_ITEMS: '64',
      MAX_INPUT_CHARS: '20000',
      MAX_QUEUE: '100',
      BATCH_MAX_WAIT_MS: '0.5',
    });
    assert.equal(mainContainer(objects).envFrom[0].configMapRef.name, configMap.metadata.name);
  });
});

describe('Ingress (ci/ingress-tls-values.yaml)', () => {
  test('uses the ALB class with target-type ip, a /readyz health check, and TLS', async () => {
    const objects = await render({ valuesFiles: ci('ingress-tls-values.yaml') });
    const ingress = only(objects, 'Ingress');
    const annotations = ingress.metadata.annotations ?? {};
    assert.equal(ingress.spec.ingressClassName, 'alb');
    assert.equal(annotations['alb.ingress.kubernetes.io/target-type'], 'ip');
    assert.equal(annotations['alb.ingress.kubernetes.io/healthcheck-path'], '/readyz');
    assert.equal(annotations['alb.ingress.kubernetes.io/scheme'], 'internet-facing');
    assert.equal(annotations['alb.ingress.kubernetes.io/inbound-cidrs'], '203.0.113.0/24,198.51.100.0/24');
    assert.equal(annotations['alb.ingress.kubernetes.io/ssl-redirect'], '443');
    assert.deepEqual(ingress.spec.tls, [{ hosts: ['inference.example.com'] }]);
    assert.equal(ingress.spec.rules[0].host, 'inference.example.com');
    const backend = ingress.spec.rules[0].http.paths[0].backend.service;
    assert.equal(backend.name, only(objects, 'Service').metadata.name);
    assert.equal(backend.port.name, only(objects, 'Service').spec.ports[0].name);
  });

  test('user annotations override the ALB defaults', async () => {
    const ingress = only(
      await render({
        valuesFiles: ci('ingress-tls-values.yaml'),
        set: ['ingress.annotations.alb\\.ingress\\.kubernetes\\.io/target-type=instance'],
      }),
      'Ingress',
    );
    assert.equal(ingress.metadata.annotations?.['alb.ingress.kubernetes.io/target-type'], 'instance');
  });

  test('when enabled without a choice, the ALB is internal and admits no extra sources', async () => {
    const annotations =
      only(await render({ set: ['ingress.enabled=true'] }), 'Ingress').metadata.annotations ?? {};
    assert.equal(annotations['alb.ingress.kubernetes.io/scheme'], 'internal');
    assert.equal(annotations['alb.ingress.kubernetes.io/inbound-cidrs'], undefined);
  });

  test('internet-facing needs allowedCidrs or public: true (the service has no authentication)', async () => {
    const refused = await templateRaw({ set: ['ingress.enabled=true', 'ingress.scheme=internet-facing'] });
    assert.notEqual(refused.code, 0, 'an unchosen internet-facing ALB rendered');
    const open = only(
      await render({
        set: ['ingress.enabled=true', 'ingress.scheme=internet-facing', 'ingress.public=true'],
      }),
      'Ingress',
    );
    assert.equal(open.metadata.annotations?.['alb.ingress.kubernetes.io/scheme'], 'internet-facing');
    const other = await templateRaw({
      set: ['ingress.enabled=true', 'ingress.className=nginx', 'ingress.public=true'],
    });
    assert.equal(other.code, 0, `another class with public: true renders: ${other.stderr}`);
  });

  test('is off by default, as are the HPA, NetworkPolicy, ServiceMonitor and PrometheusRule', async () => {
    const kinds = (await render()).map((object) => object.kind);
    for (const kind of [
      'Ingress',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'ServiceMonitor',
      'PrometheusRule',
    ]) {
      assert.ok(!kinds.includes(kind), `${kind} rendered by default`);
    }
  });
});

describe('NetworkPolicy, ServiceMonitor, PrometheusRule (ci/monitoring-values.yaml)', () => {
  test('NetworkPolicy admits the http port from the configured peers and the metrics port from monitoring only', async () => {
    const policy = only(await render({ valuesFiles: ci('monitoring-values.yaml') }), 'NetworkPolicy');
    assert.deepEqual(policy.spec.policyTypes, ['Ingress']);
    assert.deepEqual(policy.spec.ingress, [
      { ports: [{ port: 'http', protocol: 'TCP' }], from: [{ ipBlock: { cidr: '10.0.0.0/16' } }] },
      {
        ports: [{ port: 'metrics', protocol: 'TCP' }],
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
      },
    ]);
  });

  test('NetworkPolicy: the monitoring namespace is configurable, and no peers means any source on http only', async () => {
    const policy = only(
      await render({
        set: ['networkPolicy.enabled=true', 'networkPolicy.monitoringNamespace=observability'],
      }),
      'NetworkPolicy',
    );
    assert.deepEqual(policy.spec.ingress[0], { ports: [{ port: 'http', protocol: 'TCP' }] });
    assert.deepEqual(policy.spec.ingress[1].from, [
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } },
    ]);
  });

  test('ServiceMonitor scrapes /metrics on the metrics port', async () => {
    const monitor = only(await render({ valuesFiles: ci('monitoring-values.yaml') }), 'ServiceMonitor');
    assert.equal(monitor.metadata.labels?.release, 'kube-prometheus-stack');
    assert.deepEqual(
      { port: monitor.spec.endpoints[0].port, path: monitor.spec.endpoints[0].path },
      { port: 'metrics', path: '/metrics' },
    );
  });

  test('PrometheusRule alerts on error rate, latency and readiness', async () => {
    const rule = only(await render({ valuesFiles: ci('monitoring-values.yaml') }), 'PrometheusRule');
    const alerts = rule.spec.groups.flatMap(
      (group: { rules: { alert: string; expr: string }[] }) => group.rules,
    );
    const byName = Object.fromEntries(alerts.map((alert: { alert: string }) => [alert.alert, alert]));
    assert.match(byName.MlopsInferenceServiceHighErrorRate.expr, /http_requests_total\{.*status=~"5\.\."/);
    assert.match(byName.MlopsInferenceServiceHighErrorRate.expr, /> 0\.05$/);
    assert.match(byName.MlopsInferenceServiceHighLatency.expr, /histogram_quantile\(0\.99, .*_bucket\{/s);
    assert.match(
      byName.MlopsInferenceServiceReplicasNotReady.expr,
      /kube_deployment_status_replicas_unavailable/,
    );
    // Prometheus templating survives Helm's: the $value placeholder reaches the rendered rule.
    assert.match(byName.MlopsInferenceServiceHighErrorRate.annotations.description, /\{\{ \$value/);
    for (const alert of alerts) assert.match(alert.expr, /namespace="default"/);
  });
});
