import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { parseAllDocuments } from 'yaml';
import { DEFAULTS } from '../lib/config';
import { loadVerifierRbac } from '../lib/verifier-rbac';
import { cleanup, flatten, manifestsOf, type Synthesized, synth, withoutPruneLabels } from './helpers';

describe('cluster stack', () => {
  let s: Synthesized;
  before(() => {
    s = synth();
  });
  after(() => cleanup(s));

  it('runs EKS on the configured current Kubernetes version with logging on', () => {
    s.clusterTemplate.resourceCountIs('AWS::EKS::Cluster', 1);
    s.clusterTemplate.hasResourceProperties('AWS::EKS::Cluster', {
      Name: 'mlops',
      Version: '1.35',
      AccessConfig: { AuthenticationMode: 'API' },
      // The public endpoint admits only the configured networks (here the test's 203.0.113.0/24).
      ResourcesVpcConfig: Match.objectLike({
        EndpointPrivateAccess: true,
        EndpointPublicAccess: true,
        PublicAccessCidrs: ['203.0.113.0/24'],
      }),
      Logging: {
        ClusterLogging: {
          EnabledTypes: [
            { Type: 'api' },
            { Type: 'audit' },
            { Type: 'authenticator' },
            { Type: 'controllerManager' },
            { Type: 'scheduler' },
          ],
        },
      },
    });
  });

  it('spreads the VPC over two AZs with public and private subnets', () => {
    const subnets = Object.values(s.clusterTemplate.findResources('AWS::EC2::Subnet'));
    assert.equal(subnets.length, 4);
    const azs = new Set(subnets.map((subnet) => subnet.Properties.AvailabilityZone));
    assert.deepEqual([...azs].sort(), ['eu-central-1a', 'eu-central-1b'], 'named AZs, never looked up');
    s.clusterTemplate.resourceCountIs('AWS::EC2::NatGateway', 1);
    // Control plane ENIs and nodes only in private subnets.
    const cluster = Object.values(s.clusterTemplate.findResources('AWS::EKS::Cluster'))[0];
    for (const ref of cluster?.Properties.ResourcesVpcConfig.SubnetIds ?? [])
      assert.match(ref.Ref, /private/);
  });

  it('has one on-demand managed node group of the configured size and type', () => {
    s.clusterTemplate.resourceCountIs('AWS::EKS::Nodegroup', 1);
    s.clusterTemplate.hasResourceProperties('AWS::EKS::Nodegroup', {
      NodegroupName: 'mlops-workers',
      InstanceTypes: [DEFAULTS.nodeInstanceType],
      AmiType: 'AL2023_x86_64_STANDARD',
      CapacityType: 'ON_DEMAND',
      ScalingConfig: { MinSize: 2, DesiredSize: 2, MaxSize: 4 },
    });
  });

  it('lets nodes pull from ECR through the node role, with no pull secrets', () => {
    const nodegroup = Object.values(s.clusterTemplate.findResources('AWS::EKS::Nodegroup'))[0];
    const roleId = nodegroup?.Properties.NodeRole['Fn::GetAtt'][0];
    const role = s.clusterTemplate.findResources('AWS::IAM::Role')[roleId];
    const policies = (role?.Properties.ManagedPolicyArns ?? []).map(flatten);
    assert.ok(
      policies.some((arn: string) => arn.endsWith(':iam::aws:policy/AmazonEC2ContainerRegistryReadOnly')),
      `node role policies: ${policies.join(', ')}`,
    );
    assert.ok(
      !JSON.stringify(s.clusterTemplate.toJSON()).includes('imagePullSecrets'),
      'no pull secrets anywhere',
    );
  });

  it('installs the AWS Load Balancer Controller with an IRSA role', () => {
    s.clusterTemplate.hasResourceProperties('Custom::AWSCDK-EKS-HelmChart', {
      Chart: 'aws-load-balancer-controller',
      Namespace: 'kube-system',
      Version: Match.stringLikeRegexp('^\\d+\\.\\d+\\.\\d+$'),
    });
    // The cluster's OIDC provider backs IRSA for the controller's service account.
    s.clusterTemplate.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    const sa = manifestsOf(s.clusterTemplate, 'MlopsCluster297EC38AAlbControlleralbsa');
    assert.match(JSON.stringify(sa[0]?.metadata.annotations), /eks\.amazonaws\.com\/role-arn/);
  });

  it('installs Argo CD from its Helm chart at the pinned version', () => {
    s.clusterTemplate.hasResourceProperties('Custom::AWSCDK-EKS-HelmChart', {
      Chart: 'argo-cd',
      Repository: 'https://argoproj.github.io/argo-helm',
      Version: '10.9.0',
      Release: 'argocd',
      Namespace: 'argocd',
      CreateNamespace: true,
      Values: Match.serializedJson(Match.objectLike({ server: { service: { type: 'ClusterIP' } } })),
    });
  });

  it('does not expose Argo CD at all without a certificate: no load balancer, no Ingress', () => {
    // Every chart's values and every applied manifest, parsed: nothing asks for a load balancer.
    const charts = Object.values(s.clusterTemplate.findResources('Custom::AWSCDK-EKS-HelmChart'))
      .map((chart) => chart.Properties.Values)
      .filter((values) => values !== undefined)
      .map((values) => flatten(values));
    const applied = Object.keys(s.clusterTemplate.findResources('Custom::AWSCDK-EKS-KubernetesResource')).map(
      (id) => JSON.stringify(manifestsOf(s.clusterTemplate, id)),
    );
    for (const text of [...charts, ...applied]) {
      assert.doesNotMatch(text, /"type":\s*"LoadBalancer"/, 'no Service of type LoadBalancer');
      assert.doesNotMatch(text, /aws-load-balancer-scheme|alb\.ingress\.kubernetes\.io\/scheme/);
    }
    assert.ok(
      charts.some((text) => text.includes('"ClusterIP"')),
      'the Argo CD chart values were read',
    );
    const manifests = Object.keys(s.clusterTemplate.findResources('Custom::AWSCDK-EKS-KubernetesResource'));
    assert.ok(!manifests.some((id) => id.startsWith('ClustermanifestArgoCdIngress')), manifests.join(', '));
    const outputs = s.clusterTemplate.findOutputs('*');
    for (const key of ['ArgoCdUrl', 'ArgoCdServer', 'ArgoCdWebhookUrl', 'ArgoCdLoadBalancer'])
      assert.equal(outputs[key], undefined, `no ${key} when Argo CD is not exposed`);
    assert.equal(
      outputs.ArgoCdPortForwardCommand?.Value,
      'kubectl port-forward svc/argocd-server -n argocd 8080:443',
    );
  });

  it('installs metrics-server as an EKS add-on after the nodes, so the HPA has the Metrics API', () => {
    const addons = s.clusterTemplate.findResources('AWS::EKS::Addon', {
      Properties: { AddonName: 'metrics-server' },
    });
    const [id, addon] = Object.entries(addons)[0] ?? [];
    assert.ok(id && addon, 'an AWS::EKS::Addon named metrics-server');
    assert.equal(Object.keys(addons).length, 1);
    assert.deepEqual(addon.Properties.ClusterName, {
      Ref: Object.keys(s.clusterTemplate.findResources('AWS::EKS::Cluster'))[0],
    });
    const nodegroup = Object.keys(s.clusterTemplate.findResources('AWS::EKS::Nodegroup'))[0];
    assert.ok([addon.DependsOn ?? []].flat().includes(nodegroup), `depends on the node group ${nodegroup}`);
  });

  it('installs External Secrets at a pinned version, reading Secrets Manager through Pod Identity', () => {
    s.clusterTemplate.hasResourceProperties('Custom::AWSCDK-EKS-HelmChart', {
      Chart: 'external-secrets',
      Version: '2.10.0',
      Namespace: 'external-secrets',
    });
    s.clusterTemplate.hasResourceProperties('AWS::EKS::Addon', { AddonName: 'eks-pod-identity-agent' });
    s.clusterTemplate.hasResourceProperties('AWS::EKS::PodIdentityAssociation', {
      Namespace: 'external-secrets',
      ServiceAccount: 'external-secrets',
    });
    s.clusterTemplate.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: ['sts:AssumeRole', 'sts:TagSession'],
            Principal: { Service: 'pods.eks.amazonaws.com' },
          }),
        ],
      },
    });
  });

  it('lets External Secrets read exactly the two Argo CD secrets, nothing else', () => {
    const secretIds = Object.keys(s.clusterTemplate.findResources('AWS::SecretsManager::Secret')).sort();
    assert.equal(secretIds.length, 2);
    const association = Object.values(s.clusterTemplate.findResources('AWS::EKS::PodIdentityAssociation'))[0];
    const roleId = association?.Properties.RoleArn['Fn::GetAtt'][0];
    const policies = Object.values(s.clusterTemplate.findResources('AWS::IAM::Policy')).filter((p) =>
      p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId),
    );
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
    const resources = new Set(statements.flatMap((st) => [st.Resource].flat()).map((r) => r.Ref));
    assert.deepEqual([...resources].sort(), secretIds);
    assert.deepEqual([...new Set(statements.flatMap((st) => [st.Action].flat()))].sort(), [
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
  });

  it('syncs the GitLab repository credentials and webhook secret into Argo CD', () => {
    const [repo, webhook] = manifestsOf(s.clusterTemplate, 'ClustermanifestArgoCdSecrets');
    assert.equal(repo?.kind, 'ExternalSecret');
    assert.equal(repo?.spec.target.template.metadata.labels['argocd.argoproj.io/secret-type'], 'repository');
    assert.equal(repo?.spec.target.template.data.url, 'https://gitlab.com/acme/ml/mlops-inference-chain.git');
    assert.equal(repo?.spec.secretStoreRef.name, 'aws-secrets-manager');
    assert.equal(webhook?.spec.target.name, 'argocd-secret');
    assert.equal(webhook?.spec.target.creationPolicy, 'Merge');
    assert.equal(webhook?.spec.data[0].secretKey, 'webhook.gitlab.secret');
    // No secret value is in the template: the manifests reference Secrets Manager names only.
    const text = JSON.stringify(s.clusterTemplate.toJSON());
    assert.ok(
      !/"SecretString"|resolve:secretsmanager/.test(text),
      'a secret value or dynamic reference is in the template',
    );
  });

  it('applies every document of argocd/root.yaml in order, Git sources pointed at the configured repository', () => {
    const repo = 'https://gitlab.com/acme/ml/mlops-inference-chain.git';
    // The file, read here independently of lib/root-app.ts, with the rewrite spelled out.
    const documents = parseAllDocuments(
      fs.readFileSync(path.join(__dirname, '..', '..', 'argocd', 'root.yaml'), 'utf8'),
    )
      .map((doc) => doc.toJS())
      .filter((doc) => doc !== null);
    const placeholders = new Set<string>();
    for (const doc of documents.filter((d) => d.kind === 'Application')) {
      for (const source of [doc.spec.source, ...(doc.spec.sources ?? [])].filter((s) => s?.path)) {
        placeholders.add(source.repoURL);
        source.repoURL = repo;
      }
    }
    const rootProjects = new Set(
      documents.filter((d) => d.kind === 'Application').map((d) => d.spec.project),
    );
    for (const doc of documents.filter((d) => d.kind === 'AppProject' && rootProjects.has(d.metadata.name))) {
      doc.spec.sourceRepos = doc.spec.sourceRepos.map((r: string) => (placeholders.has(r) ? repo : r));
    }

    const applied = manifestsOf(s.clusterTemplate, 'ClustermanifestRootApplication').map(withoutPruneLabels);
    assert.deepEqual(applied, documents);
    const root = applied.find((m) => m.kind === 'Application' && m.metadata.name === 'mlops-root');
    assert.deepEqual(root?.spec.syncPolicy.retry, {
      limit: 5,
      backoff: { duration: '10s', factor: 2, maxDuration: '3m' },
    });
  });

  it('applies the root manifests with kubectl apply, since Argo CD already has a `default` project', () => {
    const resources = s.clusterTemplate.findResources('Custom::AWSCDK-EKS-KubernetesResource');
    const [id, root] = Object.entries(resources).find(([key]) =>
      key.startsWith('ClustermanifestRootApplication'),
    ) ?? [undefined, undefined];
    assert.ok(id, 'the root manifests keep their logical id (ClustermanifestRootApplication…)');
    assert.equal(root?.Properties.Overwrite, true);
  });

  it('orders the bootstrap: charts after nodes, secrets after charts, root app last', () => {
    const resources = s.clusterTemplate.toJSON().Resources as Record<string, { DependsOn?: string[] }>;
    const id = (prefix: string) => Object.keys(resources).find((key) => key.startsWith(prefix)) as string;
    const dependsOn = (from: string, to: string) =>
      assert.ok(resources[id(from)]?.DependsOn?.includes(id(to)), `${from} should depend on ${to}`);
    dependsOn('ClusterchartArgoCd', 'ClusterNodegroupWorkers');
    dependsOn('ClusterchartArgoCd', 'MlopsCluster297EC38AAlbController');
    dependsOn('ClustermanifestArgoCdSecrets', 'ClusterchartArgoCd');
    dependsOn('ClustermanifestSecretStore', 'ClusterchartExternalSecrets');
    dependsOn('ClusterchartExternalSecrets', 'ArgoCdExternalSecretsPodIdentity');
    dependsOn('ClustermanifestRootApplication', 'ClustermanifestArgoCdSecrets');
  });

  it('outputs the cluster name and the Argo CD secret names', () => {
    const outputs = s.clusterTemplate.findOutputs('*');
    for (const key of [
      'ClusterName',
      'ClusterEndpoint',
      'KubeconfigCommand',
      'ArgoCdPortForwardCommand',
      'ArgoCdWebhookSecretName',
      'ArgoCdRepoCredentialsSecretName',
    ]) {
      assert.ok(outputs[key]?.Description, `output ${key}, described`);
    }
  });
});

describe('cluster stack: the verify job’s read-only identity (no public endpoint)', () => {
  let s: Synthesized;
  before(() => {
    s = synth();
  });
  after(() => cleanup(s));

  it('gives each environment CI role an access entry with its verifier group and no access policy', () => {
    const entries = Object.values(s.clusterTemplate.findResources('AWS::EKS::AccessEntry')).filter(
      (entry) => entry.Properties.KubernetesGroups,
    );
    assert.equal(entries.length, 2);
    const byGroup = new Map(
      entries.map((entry) => [entry.Properties.KubernetesGroups.join(), entry.Properties]),
    );
    assert.deepEqual([...byGroup.keys()].sort(), ['mlops:verifiers:dev', 'mlops:verifiers:prod']);
    for (const [group, props] of byGroup) {
      // No access policy: the group's RBAC is all the role may do in the cluster.
      assert.equal(props.AccessPolicies, undefined, group);
      assert.equal(props.Type, 'STANDARD', group);
      // The registry stack's role of that environment (GitlabCiRole is prod's, DevGitlabCiRole dev's).
      const role = JSON.stringify(props.PrincipalArn);
      assert.match(
        role,
        group.endsWith(':dev') ? /DevGitlabCiRole/ : /"MlopsRegistry:ExportsOutputFnGetAttGitlabCiRole/,
        group,
      );
    }
  });

  it('applies infra/manifests/verifier-rbac.yaml as it is: get and create on services/proxy of the http port only', () => {
    const file = parseAllDocuments(
      fs.readFileSync(path.join(__dirname, '..', 'manifests', 'verifier-rbac.yaml'), 'utf8'),
    ).map((doc) => doc.toJS());
    const applied = manifestsOf(s.clusterTemplate, 'ClustermanifestVerifierRbac').map(withoutPruneLabels);
    assert.deepEqual(applied, file);
    const roles = applied.filter((m) => m.kind === 'Role');
    assert.deepEqual(roles.map((r) => r.metadata.namespace).sort(), ['default', 'mlops-dev']);
    for (const role of roles) {
      assert.deepEqual(role.rules, [
        {
          apiGroups: [''],
          resources: ['services/proxy'],
          resourceNames: ['mlops-inference-service:http'],
          verbs: ['get', 'create'],
        },
      ]);
    }
    const bindings = applied.filter((m) => m.kind === 'RoleBinding');
    assert.deepEqual(
      bindings
        .map(
          (b) =>
            `${b.metadata.namespace} ${b.roleRef.kind}/${b.roleRef.name} ${b.subjects.map((x: { kind: string; name: string }) => `${x.kind}/${x.name}`).join()}`,
        )
        .sort(),
      [
        'default Role/mlops-verifier Group/mlops:verifiers:prod',
        'mlops-dev Role/mlops-verifier Group/mlops:verifiers:dev',
      ],
    );
    // The access entries wait for the RBAC they rely on.
    const resources = s.clusterTemplate.toJSON().Resources as Record<string, { DependsOn?: string[] }>;
    const rbac = Object.keys(resources).find((id) => id.startsWith('ClustermanifestVerifierRbac'));
    for (const id of ['ProdCiVerifierAccess', 'DevCiVerifierAccess']) {
      const key = Object.keys(resources).find((k) => k.startsWith(id)) as string;
      assert.ok(resources[key]?.DependsOn?.includes(rbac as string), id);
    }
  });

  it('lets the CI roles describe this cluster (endpoint and CA for the job) and nothing more', () => {
    s.clusterTemplate.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'eks:DescribeCluster',
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
          },
        ],
      },
      Roles: Match.arrayWith([{ 'Fn::ImportValue': Match.stringLikeRegexp('GitlabCiRole') }]),
    });
  });

  it('refuses a verifier Role that grants more than the proxy', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verifier-rbac-'));
    try {
      const wide = path.join(dir, 'wide.yaml');
      fs.writeFileSync(
        wide,
        fs
          .readFileSync(path.join(__dirname, '..', 'manifests', 'verifier-rbac.yaml'), 'utf8')
          .replace('resources: ["services/proxy"]', 'resources: ["services/proxy", "secrets"]'),
      );
      assert.throws(() => loadVerifierRbac(['prod', 'dev'], wide), /may only get and create services\/proxy/);
      assert.throws(
        () => loadVerifierRbac(['prod', 'staging']),
        /binds no Role to group mlops:verifiers:staging/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cluster stack: configuration', () => {
  it('follows the configuration: Graviton AMI, size, version, admins', () => {
    const s = synth({
      nodeInstanceType: 't4g.large',
      nodeCount: '3',
      nodeMaxCount: '5',
      kubernetesVersion: '1.36',
      clusterAdminArns: 'arn:aws:iam::123456789012:role/Admin',
    });
    try {
      s.clusterTemplate.hasResourceProperties('AWS::EKS::Nodegroup', {
        InstanceTypes: ['t4g.large'],
        AmiType: 'AL2023_ARM_64_STANDARD',
        ScalingConfig: { MinSize: 3, DesiredSize: 3, MaxSize: 5 },
      });
      s.clusterTemplate.hasResourceProperties('AWS::EKS::Cluster', { Version: '1.36' });
      s.clusterTemplate.hasResourceProperties('AWS::EKS::AccessEntry', {
        PrincipalArn: 'arn:aws:iam::123456789012:role/Admin',
        AccessPolicies: [Match.objectLike({ AccessScope: { Type: 'cluster' } })],
      });
    } finally {
      cleanup(s);
    }
  });

  it('has no public Kubernetes API endpoint with apiAllowedCidrs=private', () => {
    const s = synth({ apiAllowedCidrs: 'private' });
    try {
      const cluster = Object.values(s.clusterTemplate.findResources('AWS::EKS::Cluster'))[0];
      const vpcConfig = cluster?.Properties.ResourcesVpcConfig;
      assert.equal(vpcConfig.EndpointPublicAccess, false);
      assert.equal(vpcConfig.EndpointPrivateAccess, true);
      assert.equal(vpcConfig.PublicAccessCidrs, undefined);
    } finally {
      cleanup(s);
    }
  });

  it('with a certificate, exposes Argo CD through an HTTPS ALB limited to the named networks', () => {
    const certificate =
      'arn:aws:acm:eu-central-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666';
    const s = synth({
      argocdDomain: 'argocd.example.com',
      argocdCertificateArn: certificate,
      argocdAllowedCidrs: '198.51.100.0/24,203.0.113.0/24',
      gitlabWebhookCidrs: '192.0.2.0/28',
      apiAllowedCidrs: '203.0.113.0/24,198.51.100.0/24',
    });
    try {
      s.clusterTemplate.hasResourceProperties('AWS::EKS::Cluster', {
        ResourcesVpcConfig: Match.objectLike({ PublicAccessCidrs: ['203.0.113.0/24', '198.51.100.0/24'] }),
      });
      s.clusterTemplate.hasResourceProperties('Custom::AWSCDK-EKS-HelmChart', {
        Chart: 'argo-cd',
        Values: Match.serializedJson({
          server: { service: { type: 'ClusterIP' } },
          global: { domain: 'argocd.example.com' },
        }),
      });
      const [ingress] = manifestsOf(s.clusterTemplate, 'ClustermanifestArgoCdIngress').map(
        withoutPruneLabels,
      );
      assert.deepEqual(ingress, {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: {
          name: 'argocd-server',
          namespace: 'argocd',
          annotations: {
            'alb.ingress.kubernetes.io/scheme': 'internet-facing',
            'alb.ingress.kubernetes.io/target-type': 'ip',
            'alb.ingress.kubernetes.io/listen-ports': '[{"HTTPS":443}]',
            'alb.ingress.kubernetes.io/certificate-arn': certificate,
            'alb.ingress.kubernetes.io/ssl-policy': 'ELBSecurityPolicy-TLS13-1-2-2021-06',
            'alb.ingress.kubernetes.io/inbound-cidrs': '198.51.100.0/24,203.0.113.0/24,192.0.2.0/28',
            'alb.ingress.kubernetes.io/backend-protocol': 'HTTPS',
            'alb.ingress.kubernetes.io/healthcheck-protocol': 'HTTPS',
            'alb.ingress.kubernetes.io/healthcheck-path': '/healthz',
          },
        },
        spec: {
          ingressClassName: 'alb',
          rules: [
            {
              host: 'argocd.example.com',
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    backend: { service: { name: 'argocd-server', port: { number: 443 } } },
                  },
                ],
              },
            },
          ],
        },
      });
      s.clusterTemplate.hasResourceProperties('Custom::AWSCDK-EKS-KubernetesObjectValue', {
        ObjectType: 'ingress',
        ObjectName: 'argocd-server',
        ObjectNamespace: 'argocd',
        JsonPath: '.status.loadBalancer.ingress[0].hostname',
      });
      const resources = s.clusterTemplate.toJSON().Resources as Record<string, { DependsOn?: string[] }>;
      const id = (prefix: string) => Object.keys(resources).find((key) => key.startsWith(prefix)) as string;
      for (const before of ['ClusterchartArgoCd', 'MlopsCluster297EC38AAlbController'])
        assert.ok(resources[id('ClustermanifestArgoCdIngress')]?.DependsOn?.includes(id(before)), before);

      const outputs = s.clusterTemplate.findOutputs('*');
      assert.equal(outputs.ArgoCdServer?.Value, 'argocd.example.com');
      assert.equal(outputs.ArgoCdUrl?.Value, 'https://argocd.example.com');
      assert.equal(outputs.ArgoCdWebhookUrl?.Value, 'https://argocd.example.com/api/webhook');
      assert.match(outputs.ArgoCdWebhookUrl?.Description ?? '', /SSL verification on/);
      assert.match(flatten(outputs.ArgoCdLoadBalancer?.Value), /ArgoCdArgoCdLoadBalancerHostname/);
      assert.equal(outputs.ArgoCdPortForwardCommand, undefined);
    } finally {
      cleanup(s);
    }
  });
});
