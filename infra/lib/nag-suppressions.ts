import * as cdk from 'aws-cdk-lib';
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import type { IConstruct } from 'constructs';

const managed = (name: string) => `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`;

function acknowledge(scope: IConstruct | undefined, ids: readonly string[], reason: string): void {
  if (!scope) throw new Error(`cannot acknowledge ${ids.join(', ')}: the construct does not exist`);
  cdk.Validations.of(scope).acknowledge(...ids.map((id) => ({ id, reason })));
}

/**
 * The AwsSolutions findings on constructs that aws-eks-v2 creates for us, each acknowledged
 * with why it stands. Our own resources are fixed rather than suppressed (logging, flow logs,
 * scoped policies); only the two Secrets Manager rotation findings are acknowledged where they
 * are created (argocd-bootstrap.ts) and the registry login's `*` in registry-stack.ts.
 */
export function suppressClusterFindings(cluster: eks.Cluster, nodegroup: eks.Nodegroup): void {
  acknowledge(
    cluster.role,
    [managed('AmazonEKSClusterPolicy')],
    'EKS documents AmazonEKSClusterPolicy as the required cluster service role policy; AWS keeps it in step with what the control plane needs',
  );
  acknowledge(
    nodegroup.role,
    [
      managed('AmazonEKSWorkerNodePolicy'),
      managed('AmazonEKS_CNI_Policy'),
      managed('AmazonEC2ContainerRegistryReadOnly'),
    ],
    'the three policies EKS documents for managed node groups; ECR read-only is what lets kubelet pull images without pull secrets',
  );

  const kubectlProvider = cluster.node.tryFindChild('KubectlProvider');
  acknowledge(
    kubectlProvider,
    [
      managed('service-role/AWSLambdaBasicExecutionRole'),
      managed('service-role/AWSLambdaVPCAccessExecutionRole'),
      managed('AmazonEC2ContainerRegistryReadOnly'),
      'AwsSolutions-IAM4[Policy::{"Fn::If":["ClusterKubectlProviderHandlerHasEcrPublic69E09706",{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly"]]},{"Ref":"AWS::NoValue"}]}]',
    ],
    'the kubectl/helm deploy-time Lambda of aws-eks-v2: logging, VPC ENIs and pulling OCI charts are granted by the construct with AWS managed policies',
  );
  acknowledge(
    kubectlProvider,
    ['AwsSolutions-IAM5[Resource::<ClusterKubectlProviderHandler2E05C68A.Arn>:*]'],
    'the custom resource framework may invoke any version of its own handler function; the wildcard is the version suffix of one function ARN',
  );
  acknowledge(
    kubectlProvider,
    ['AwsSolutions-L1'],
    'the runtime of the kubectl handler is chosen by aws-eks-v2 to match its bundled kubectl/helm layer; it runs only during deploys',
  );

  const albResources = [
    '*',
    'arn:<AWS::Partition>:ec2:*:*:security-group/*',
    'arn:<AWS::Partition>:elasticloadbalancing:*:*:targetgroup/*/*',
    'arn:<AWS::Partition>:elasticloadbalancing:*:*:loadbalancer/net/*/*',
    'arn:<AWS::Partition>:elasticloadbalancing:*:*:loadbalancer/app/*/*',
    'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener/net/*/*/*',
    'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener/app/*/*/*',
    'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener-rule/net/*/*/*',
    'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener-rule/app/*/*/*',
  ];
  acknowledge(
    cluster.albController,
    albResources.map((resource) => `AwsSolutions-IAM5[Resource::${resource}]`),
    'the AWS Load Balancer Controller creates load balancers, target groups and security groups with generated names, so its upstream IAM policy (used verbatim by aws-eks-v2) scopes them by tag conditions rather than ARNs',
  );
}
