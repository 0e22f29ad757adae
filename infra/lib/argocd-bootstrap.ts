import * as cdk from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { InfraConfig } from './config';
import { ARGOCD_NAMESPACE, loadRootApp } from './root-app';

export const ARGOCD_CHART = {
  chart: 'argo-cd',
  repository: 'https://argoproj.github.io/argo-helm',
  release: 'argocd',
};
export const ESO_CHART = {
  chart: 'external-secrets',
  repository: 'https://charts.external-secrets.io',
  release: 'external-secrets',
  namespace: 'external-secrets',
  serviceAccount: 'external-secrets',
};
export const SECRET_STORE = 'aws-secrets-manager';
/** The Kubernetes Secret Argo CD reads the GitLab repository credentials from. */
export const REPO_SECRET = 'gitlab-repository';

/** The Ingress that exposes Argo CD when a certificate is configured. */
export const ARGOCD_INGRESS = 'argocd-server';

/**
 * Argo CD behind an internet-facing Application Load Balancer that terminates TLS with the
 * configured ACM certificate, so browsers, deployctl and GitLab's webhook (SSL verification on)
 * can all verify it. The load balancer's security group admits only the configured networks and
 * GitLab's webhook senders. Behind it, the ALB speaks HTTPS to argocd-server's own port
 * (its self-signed certificate never leaves the VPC; ALBs do not verify targets). gRPC does not
 * pass an HTTP/1-routed ALB: the `argocd` CLI uses `--grpc-web`; deployctl uses the REST API.
 */
export function argocdIngress(config: InfraConfig): Record<string, unknown> {
  if (!config.argocdDomain || !config.argocdCertificateArn)
    throw new Error('argocdIngress needs argocdDomain and argocdCertificateArn');
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: ARGOCD_INGRESS,
      namespace: ARGOCD_NAMESPACE,
      annotations: {
        'alb.ingress.kubernetes.io/scheme': 'internet-facing',
        'alb.ingress.kubernetes.io/target-type': 'ip',
        'alb.ingress.kubernetes.io/listen-ports': '[{"HTTPS":443}]',
        'alb.ingress.kubernetes.io/certificate-arn': config.argocdCertificateArn,
        'alb.ingress.kubernetes.io/ssl-policy': 'ELBSecurityPolicy-TLS13-1-2-2021-06',
        'alb.ingress.kubernetes.io/inbound-cidrs': [
          ...new Set([...config.argocdAllowedCidrs, ...config.gitlabWebhookCidrs]),
        ].join(','),
        'alb.ingress.kubernetes.io/backend-protocol': 'HTTPS',
        'alb.ingress.kubernetes.io/healthcheck-protocol': 'HTTPS',
        'alb.ingress.kubernetes.io/healthcheck-path': '/healthz',
      },
    },
    spec: {
      ingressClassName: 'alb',
      rules: [
        {
          host: config.argocdDomain,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: `${ARGOCD_CHART.release}-server`, port: { number: 443 } } },
              },
            ],
          },
        },
      ],
    },
  };
}

export interface ArgoCdBootstrapProps {
  readonly cluster: eks.Cluster;
  readonly config: InfraConfig;
  /** Argo CD's Service needs the load balancer controller's webhook running before it is created. */
  readonly albController: Construct;
  /** `helm --wait` needs schedulable nodes. */
  readonly nodegroup: Construct;
}

/**
 * Argo CD, its secrets and the root Application.
 *
 * Secrets: the GitLab deploy token and the webhook secret live in Secrets Manager and reach the
 * cluster through the External Secrets Operator (Pod Identity, read access to these two secrets
 * only). Nothing secret is ever in a CloudFormation template, Helm values or the kubectl Lambda's
 * logs, and rotating a value in Secrets Manager reaches Argo CD within the refresh interval.
 */
export class ArgoCdBootstrap extends Construct {
  readonly repoCredentials: secretsmanager.Secret;
  readonly webhookSecret: secretsmanager.Secret;
  /** Plain names (not ARN-derived tokens) so manifests and outputs read as what they are. */
  readonly repoCredentialsName: string;
  readonly webhookSecretName: string;
  readonly argocdChart: eks.HelmChart;
  /** The ALB's DNS name (the CNAME target for argocdDomain); only when Argo CD is exposed. */
  readonly loadBalancerHostname: string | undefined;
  /** `https://<argocdDomain>`; only when Argo CD is exposed. */
  readonly url: string | undefined;

  constructor(scope: Construct, id: string, props: ArgoCdBootstrapProps) {
    super(scope, id);
    const { cluster, config } = props;
    const stack = cdk.Stack.of(this);
    this.repoCredentialsName = `${config.clusterName}/argocd/gitlab-repository`;
    this.webhookSecretName = `${config.clusterName}/argocd/gitlab-webhook`;

    // The deploy token is created by a human in GitLab; CDK makes the slot with a placeholder
    // user name and a random password, which `aws secretsmanager put-secret-value` overwrites.
    this.repoCredentials = new secretsmanager.Secret(this, 'RepoCredentials', {
      secretName: this.repoCredentialsName,
      description: `GitLab deploy token (read_repository) Argo CD uses to read ${config.gitRepoUrl}: {"username","password"}`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: 'set-me-to-the-deploy-token-username' }),
        generateStringKey: 'password',
        excludePunctuation: true,
      },
    });
    // The webhook secret is ours to invent: GitLab is told this value (README, "Webhook").
    this.webhookSecret = new secretsmanager.Secret(this, 'WebhookSecret', {
      secretName: this.webhookSecretName,
      description: 'Secret token GitLab sends with push webhooks to Argo CD (X-Gitlab-Token)',
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
    });
    for (const secret of [this.repoCredentials, this.webhookSecret]) {
      cdk.Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'GitLab deploy tokens and webhook tokens are issued and rotated in GitLab, not by a rotation Lambda; put-secret-value updates them and External Secrets syncs the change',
      });
    }

    // External Secrets Operator reads Secrets Manager with an EKS Pod Identity role.
    const esoRole = new iam.Role(this, 'ExternalSecretsRole', {
      description: 'External Secrets Operator: read the Argo CD secrets in Secrets Manager',
      assumedBy: new iam.SessionTagsPrincipal(new iam.ServicePrincipal('pods.eks.amazonaws.com')),
    });
    this.repoCredentials.grantRead(esoRole);
    this.webhookSecret.grantRead(esoRole);
    const association = new eks.CfnPodIdentityAssociation(this, 'ExternalSecretsPodIdentity', {
      clusterName: cluster.clusterName,
      namespace: ESO_CHART.namespace,
      serviceAccount: ESO_CHART.serviceAccount,
      roleArn: esoRole.roleArn,
    });
    if (cluster.eksPodIdentityAgent) association.node.addDependency(cluster.eksPodIdentityAgent);

    const esoChart = cluster.addHelmChart('ExternalSecrets', {
      chart: ESO_CHART.chart,
      repository: ESO_CHART.repository,
      version: config.externalSecretsChartVersion,
      release: ESO_CHART.release,
      namespace: ESO_CHART.namespace,
      createNamespace: true,
      wait: true,
      timeout: cdk.Duration.minutes(10),
      values: { installCRDs: true, serviceAccount: { create: true, name: ESO_CHART.serviceAccount } },
    });
    // Pods must start after the association exists, or they come up without credentials.
    esoChart.node.addDependency(association, props.nodegroup);

    this.argocdChart = cluster.addHelmChart('ArgoCd', {
      chart: ARGOCD_CHART.chart,
      repository: ARGOCD_CHART.repository,
      version: config.argocdChartVersion,
      release: ARGOCD_CHART.release,
      namespace: ARGOCD_NAMESPACE,
      createNamespace: true,
      wait: true,
      timeout: cdk.Duration.minutes(15),
      values: {
        // Never a LoadBalancer Service: outside access is the Ingress below, and only with a
        // real certificate (issue 13, point 5); otherwise `kubectl port-forward`.
        server: { service: { type: 'ClusterIP' } },
        // With a domain, Argo CD builds its own links (SSO callbacks, notifications) from it.
        ...(config.argocdDomain ? { global: { domain: config.argocdDomain } } : {}),
      },
    });
    this.argocdChart.node.addDependency(props.albController, props.nodegroup);

    const store = cluster.addManifest('SecretStore', {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: SECRET_STORE },
      // No auth block: the operator uses its own Pod Identity credentials.
      spec: { provider: { aws: { service: 'SecretsManager', region: stack.region } } },
    });
    store.node.addDependency(esoChart);

    const argocdSecrets = cluster.addManifest(
      'ArgoCdSecrets',
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: REPO_SECRET, namespace: ARGOCD_NAMESPACE },
        spec: {
          refreshInterval: '5m',
          secretStoreRef: { kind: 'ClusterSecretStore', name: SECRET_STORE },
          target: {
            name: REPO_SECRET,
            creationPolicy: 'Owner',
            template: {
              // The label makes Argo CD treat the Secret as a repository definition.
              metadata: { labels: { 'argocd.argoproj.io/secret-type': 'repository' } },
              data: {
                type: 'git',
                url: config.gitRepoUrl,
                username: '{{ .username }}',
                password: '{{ .password }}',
              },
            },
          },
          dataFrom: [{ extract: { key: this.repoCredentialsName } }],
        },
      },
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: 'argocd-gitlab-webhook', namespace: ARGOCD_NAMESPACE },
        spec: {
          refreshInterval: '5m',
          secretStoreRef: { kind: 'ClusterSecretStore', name: SECRET_STORE },
          // Merge into the chart's argocd-secret, where Argo CD looks for `webhook.gitlab.secret`.
          target: { name: 'argocd-secret', creationPolicy: 'Merge' },
          data: [{ secretKey: 'webhook.gitlab.secret', remoteRef: { key: this.webhookSecretName } }],
        },
      },
    );
    argocdSecrets.node.addDependency(store, this.argocdChart);

    // Every document of argocd/root.yaml, in order; from then on Argo CD owns them (they are in
    // Git). `kubectl apply`, not `create`: Argo CD makes the `default` AppProject at start-up,
    // and the file may lock that project down. The id is what `cluster.addManifest` would use,
    // so the resource is updated in place rather than replaced (a replacement deletes the root).
    const rootApp = new eks.KubernetesManifest(cluster, 'manifest-RootApplication', {
      cluster,
      manifest: loadRootApp({ repoUrl: config.gitRepoUrl, targetRevision: config.gitTargetRevision }),
      overwrite: true,
    });
    rootApp.node.addDependency(argocdSecrets);

    if (config.argocdExposed) {
      const ingress = cluster.addManifest('ArgoCdIngress', argocdIngress(config));
      // The controller's admission webhook must be up, and the Service must exist.
      ingress.node.addDependency(props.albController, this.argocdChart);
      const hostname = new eks.KubernetesObjectValue(this, 'ArgoCdLoadBalancerHostname', {
        cluster,
        objectType: 'ingress',
        objectName: ARGOCD_INGRESS,
        objectNamespace: ARGOCD_NAMESPACE,
        jsonPath: '.status.loadBalancer.ingress[0].hostname',
        timeout: cdk.Duration.minutes(10),
      });
      hostname.node.addDependency(ingress);
      this.loadBalancerHostname = hostname.value;
      this.url = `https://${config.argocdDomain}`;
    }
  }
}
