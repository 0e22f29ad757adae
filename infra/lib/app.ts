import * as cdk from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ClusterStack } from './cluster-stack';
import { type InfraConfig, loadConfig, readContext, rejectUnknownSettings } from './config';
import { RegistryStack } from './registry-stack';

export const STACK_IDS = { registry: 'MlopsRegistry', cluster: 'MlopsCluster' } as const;

export interface InfraApp {
  readonly app: cdk.App;
  readonly config: InfraConfig;
  readonly registry: RegistryStack;
  readonly cluster: ClusterStack;
}

/**
 * Builds the whole app; `bin/mlops-infra.ts` and the tests share it so the tests check exactly
 * what `cdk deploy` deploys. Config is validated before any construct is created.
 */
export function buildApp(app: cdk.App = new cdk.App()): InfraApp {
  rejectUnknownSettings(app.node.getAllContext());
  const config = loadConfig(readContext((key) => app.node.tryGetContext(key)));
  const env = { account: config.account, region: config.region };
  const registry = new RegistryStack(app, STACK_IDS.registry, {
    env,
    config,
    description: 'MLOps chain: ECR repository and the GitLab CI OIDC role',
  });
  const cluster = new ClusterStack(app, STACK_IDS.cluster, {
    env,
    config,
    description: 'MLOps chain: VPC, EKS, load balancer controller, Argo CD',
    // The CI roles' verifier access entries (verify through the Kubernetes API).
    ciRoles: [registry.prod, registry.dev].map((ci) => ({ env: ci.config.name, role: ci.ciRole })),
  });
  cdk.Tags.of(app).add('project', 'mlops-inference-service');
  // Every synth (tests, `cdk synth`, `cdk deploy`) runs the AwsSolutions pack as a policy
  // validation plugin: an unacknowledged finding interrupts synthesis.
  cdk.Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, config, registry, cluster };
}
