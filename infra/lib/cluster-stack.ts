import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import * as cdk from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eksL1 from 'aws-cdk-lib/aws-eks';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ArgoCdBootstrap } from './argocd-bootstrap';
import type { InfraConfig } from './config';
import { suppressClusterFindings } from './nag-suppressions';
import { loadVerifierRbac, verifierGroup } from './verifier-rbac';

/** A GitLab CI role of one environment (the registry stack makes them). */
export interface CiRole {
  readonly env: string;
  readonly role: iam.IRole;
}

export interface ClusterStackProps extends cdk.StackProps {
  readonly config: InfraConfig;
  /** Each gets the read-only verifier identity in the cluster (its env's group, no access policy). */
  readonly ciRoles?: readonly CiRole[];
}

/**
 * The runtime: a VPC over two AZs, an EKS cluster with one managed node group, the AWS Load
 * Balancer Controller (for the chart's Ingress and, with a certificate, Argo CD's), metrics-server
 * (for the HPA) and Argo CD
 * bootstrapped to sync the root manifests from Git.
 */
export class ClusterStack extends cdk.Stack {
  readonly cluster: eks.Cluster;
  readonly nodegroup: eks.Nodegroup;
  /** Serves the Metrics API the HPA scales on. */
  readonly metricsServer: eks.Addon;
  readonly argocd: ArgoCdBootstrap;
  private readonly zones: readonly string[];

  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.zones = config.availabilityZones;

    // Two AZs (named, not looked up) meet EKS's subnets-in-≥2-AZs rule and spread nodes; one NAT
    // gateway by default because each costs ~$35/month (raise `natGateways` for AZ-independent egress).
    const vpc = new ec2.Vpc(this, 'Vpc', {
      availabilityZones: [...this.zones],
      natGateways: config.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 19 },
      ],
    });
    cdk.Validations.of(vpc).acknowledge({
      id: 'CloudFormation-Validate::W3010',
      reason:
        'the zones are configuration (`availabilityZones`), so synthesis needs no AWS lookup or credentials',
    });
    vpc.addFlowLog('FlowLog', {
      trafficType: ec2.FlowLogTrafficType.REJECT,
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogGroup', {
          retention: logs.RetentionDays.ONE_MONTH,
          removalPolicy: cdk.RemovalPolicy.DESTROY,
        }),
      ),
    });

    // Never open to the internet by default (issue 13, point 5): the public endpoint admits
    // only the configured networks, or there is none (`apiAllowedCidrs=private`).
    const endpointAccess =
      config.apiAllowedCidrs === 'private'
        ? eks.EndpointAccess.PRIVATE
        : eks.EndpointAccess.PUBLIC_AND_PRIVATE.onlyFrom(...config.apiAllowedCidrs);

    this.cluster = new eks.Cluster(this, 'Cluster', {
      clusterName: config.clusterName,
      version: eks.KubernetesVersion.of(config.kubernetesVersion),
      vpc,
      vpcSubnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
      endpointAccess,
      // Our own managed node group below instead of Auto Mode or the construct's default group.
      defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
      defaultCapacity: 0,
      // The kubectl/helm Lambda runs inside the VPC and talks to the private endpoint, so
      // restricting `apiAllowedCidrs` never locks CloudFormation out of the cluster.
      kubectlProviderOptions: {
        kubectlLayer: new KubectlV35Layer(this, 'KubectlLayer'),
        privateSubnets: vpc.privateSubnets,
      },
      albController: { version: eks.AlbControllerVersion.V2_17_1 },
      clusterLogging: [
        eks.ClusterLoggingTypes.API,
        eks.ClusterLoggingTypes.AUDIT,
        eks.ClusterLoggingTypes.AUTHENTICATOR,
        eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
        eks.ClusterLoggingTypes.SCHEDULER,
      ],
    });

    // The stack's CloudFormation role created the cluster and is its only admin; humans get
    // access entries here (e.g. the role they use in the console).
    config.clusterAdminArns.forEach((arn, index) => {
      this.cluster.grantAccess(`ClusterAdmin${index}`, arn, [
        eks.AccessPolicy.fromAccessPolicyName('AmazonEKSClusterAdminPolicy', {
          accessScopeType: eks.AccessScopeType.CLUSTER,
        }),
      ]);
    });

    // The pipeline's verify job reaches the Service through the API server's service proxy
    // (docs/contracts.md, "Verification through the Kubernetes API"), so no ingress has to make
    // the model public. Each CI role's access entry has no access policy and one group, which
    // infra/manifests/verifier-rbac.yaml binds to get/create on services/proxy of its
    // environment's Service and nothing else. The L1 resource: the aws-eks-v2 AccessEntry
    // construct cannot set kubernetesGroups.
    const ciRoles = props.ciRoles ?? [];
    const verifierRbac = this.cluster.addManifest(
      'VerifierRbac',
      ...loadVerifierRbac(ciRoles.map((ci) => ci.env)),
    );
    for (const ci of ciRoles) {
      const id = `${ci.env.charAt(0).toUpperCase()}${ci.env.slice(1)}CiVerifierAccess`;
      const entry = new eksL1.CfnAccessEntry(this, id, {
        clusterName: this.cluster.clusterName,
        principalArn: ci.role.roleArn,
        type: 'STANDARD',
        kubernetesGroups: [verifierGroup(ci.env)],
      });
      entry.node.addDependency(verifierRbac);
    }
    if (ciRoles.length > 0) {
      // `aws eks describe-cluster` gives the job the endpoint and CA (deployctl verify --eks-cluster);
      // `aws eks get-token` needs no permission.
      new iam.Policy(this, 'CiDescribeCluster', {
        roles: ciRoles.map((ci) => ci.role),
        statements: [
          new iam.PolicyStatement({
            actions: ['eks:DescribeCluster'],
            resources: [this.cluster.clusterArn],
          }),
        ],
      });
    }

    // The node role gets AmazonEC2ContainerRegistryReadOnly from the construct, which is what
    // lets kubelet pull from ECR with no imagePullSecrets.
    this.nodegroup = this.cluster.addNodegroupCapacity('Workers', {
      nodegroupName: `${config.clusterName}-workers`,
      instanceTypes: [new ec2.InstanceType(config.nodeInstanceType)],
      amiType:
        config.nodeArchitecture === 'arm64'
          ? eks.NodegroupAmiType.AL2023_ARM_64_STANDARD
          : eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
      capacityType: eks.CapacityType.ON_DEMAND,
      minSize: config.nodeCount,
      desiredSize: config.nodeCount,
      maxSize: config.nodeMaxCount,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      diskSize: 30,
    });

    // The chart's HorizontalPodAutoscaler reads pod CPU from the Metrics API, which
    // nothing serves on a bare EKS cluster: without metrics-server the HPA reports
    // `<unknown>` and never scales (issue 17). The EKS community add-on, so AWS
    // manages it with the cluster. No addonVersion: EKS installs the default version
    // for the cluster's Kubernetes version; the versions cannot be listed from here
    // (`aws eks describe-addon-versions --addon-name metrics-server`), so pinning
    // one would be a guess. Its pods need nodes.
    this.metricsServer = new eks.Addon(this, 'MetricsServer', {
      cluster: this.cluster,
      addonName: 'metrics-server',
      preserveOnDelete: false,
    });
    this.metricsServer.node.addDependency(this.nodegroup);

    if (!this.cluster.albController) throw new Error('the load balancer controller was not created');
    this.argocd = new ArgoCdBootstrap(this, 'ArgoCd', {
      cluster: this.cluster,
      config,
      albController: this.cluster.albController,
      nodegroup: this.nodegroup,
    });
    // The controller's chart also waits for its pods, so it needs nodes too.
    this.cluster.albController.node.addDependency(this.nodegroup);

    new cdk.CfnOutput(this, 'ClusterName', {
      description: 'EKS cluster name',
      value: this.cluster.clusterName,
    });
    new cdk.CfnOutput(this, 'ClusterEndpoint', {
      description:
        'The Kubernetes API server (deployctl verify --kube-api-server; the pipeline uses EKS_CLUSTER_NAME and describes the cluster)',
      value: this.cluster.clusterEndpoint,
    });
    new cdk.CfnOutput(this, 'KubeconfigCommand', {
      description: 'Point kubectl at the cluster (needs an access entry: clusterAdminArns)',
      value: `aws eks update-kubeconfig --region ${this.region} --name ${config.clusterName}`,
    });
    if (this.argocd.url && this.argocd.loadBalancerHostname) {
      new cdk.CfnOutput(this, 'ArgoCdUrl', {
        description: 'Argo CD UI and API (HTTPS with the argocdCertificateArn certificate)',
        value: this.argocd.url,
      });
      new cdk.CfnOutput(this, 'ArgoCdLoadBalancer', {
        description: 'DNS name of the Argo CD load balancer: point argocdDomain at it (CNAME or alias)',
        value: this.argocd.loadBalancerHostname,
      });
      new cdk.CfnOutput(this, 'ArgoCdServer', {
        description: 'ARGOCD_SERVER for GitLab CI: the Argo CD host name',
        value: config.argocdDomain as string,
      });
      new cdk.CfnOutput(this, 'ArgoCdWebhookUrl', {
        description:
          'GitLab project > Settings > Webhooks: push events, SSL verification on, secret token from ArgoCdWebhookSecretName; GitLab must send from gitlabWebhookCidrs',
        value: `${this.argocd.url}/api/webhook`,
      });
    } else {
      new cdk.CfnOutput(this, 'ArgoCdPortForwardCommand', {
        description:
          'Argo CD is not exposed (no argocdDomain + argocdCertificateArn): reach it at https://localhost:8080 through this tunnel',
        value: `kubectl port-forward svc/argocd-server -n argocd 8080:443`,
      });
    }
    new cdk.CfnOutput(this, 'ArgoCdWebhookSecretName', {
      description: 'Secrets Manager secret holding the GitLab webhook token',
      value: this.argocd.webhookSecretName,
    });
    new cdk.CfnOutput(this, 'ArgoCdRepoCredentialsSecretName', {
      description: 'Secrets Manager secret to fill with the GitLab deploy token: {"username","password"}',
      value: this.argocd.repoCredentialsName,
    });

    suppressClusterFindings(this.cluster, this.nodegroup);
  }

  /**
   * The configured zones. The default getter asks the account (a context lookup), which
   * breaks synthesis without credentials; see docs.aws.amazon.com/cdk/v2/guide/context.html.
   */
  override get availabilityZones(): string[] {
    return [...this.zones];
  }
}
