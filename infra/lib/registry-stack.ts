import * as cdk from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { InfraConfig } from './config';

/**
 * What a push needs on the repository itself. BatchGetImage lets the pipeline see whether a
 * commit tag already exists (tags are immutable, so a re-run must not push it again) and is
 * what `buildah push` uses to check an existing manifest. No delete, no policy changes.
 */
export const CI_PUSH_ACTIONS = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchGetImage',
  'ecr:CompleteLayerUpload',
  'ecr:InitiateLayerUpload',
  'ecr:PutImage',
  'ecr:UploadLayerPart',
] as const;

/** The tag the pipeline may move; every other tag (the commit SHAs) is immutable. */
export const MUTABLE_TAG = 'latest';

export interface RegistryStackProps extends cdk.StackProps {
  readonly config: InfraConfig;
}

/**
 * The image registry and the identity the pipeline uses to push to it. Separate from the
 * cluster stack: it is cheap, deploys in a minute, and CI can push images before a cluster exists.
 */
export class RegistryStack extends cdk.Stack {
  readonly repository: ecr.Repository;
  readonly ciRole: iam.Role;

  constructor(scope: Construct, id: string, props: RegistryStackProps) {
    super(scope, id, props);
    const { config } = props;

    // Commit tags are immutable so a deployed SHA always means the same bytes; `latest` is
    // excluded so the pipeline can keep moving it for humans (Argo CD never deploys it).
    this.repository = new ecr.Repository(this, 'ImageRepository', {
      repositoryName: config.ecrRepositoryName,
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE_WITH_EXCLUSION,
      imageTagMutabilityExclusionFilters: [ecr.ImageTagMutabilityExclusionFilter.wildcard(MUTABLE_TAG)],
      encryption: ecr.RepositoryEncryption.AES_256,
      // Images outlive the stack: deleting the stack must not delete every rollback target.
      removalPolicy: cdk.RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          rulePriority: 1,
          description: `expire untagged images (superseded layers of re-pushed tags) after ${config.untaggedExpiryDays} days`,
          tagStatus: ecr.TagStatus.UNTAGGED,
          maxImageAge: cdk.Duration.days(config.untaggedExpiryDays),
        },
        {
          rulePriority: 2,
          // Every pushed commit tag is a release (each push to a protected branch deploys), so
          // keeping the newest N tagged images keeps the last N rollback targets.
          description: `keep the ${config.keepImages} most recent tagged images (rollback targets), expire older ones`,
          tagStatus: ecr.TagStatus.TAGGED,
          tagPatternList: ['*'],
          maxImageCount: config.keepImages,
        },
      ],
    });

    const provider = config.existingGitlabOidcProviderArn
      ? iam.OidcProviderNative.fromOidcProviderArn(
          this,
          'GitlabOidcProvider',
          config.existingGitlabOidcProviderArn,
        )
      : new iam.OidcProviderNative(this, 'GitlabOidcProvider', {
          url: `https://${config.gitlabHost}`,
          clientIds: [config.gitlabAudience],
        });

    // Trusted only for pipelines of this project running on its protected branches: the `sub`
    // claim is matched exactly (StringEquals, no wildcards) and the audience must be ours.
    this.ciRole = new iam.Role(this, 'GitlabCiRole', {
      description: `GitLab CI of ${config.gitlabProjectPath} (protected branches) pushes images to ${config.ecrRepositoryName}`,
      maxSessionDuration: cdk.Duration.hours(1),
      assumedBy: new iam.WebIdentityPrincipal(provider.oidcProviderArn, {
        StringEquals: {
          [`${config.gitlabHost}:aud`]: config.gitlabAudience,
          [`${config.gitlabHost}:sub`]: config.protectedBranches.map(
            (branch) => `project_path:${config.gitlabProjectPath}:ref_type:branch:ref:${branch}`,
          ),
        },
      }),
    });

    const pushPolicy = new iam.Policy(this, 'GitlabCiPushPolicy', {
      statements: [
        new iam.PolicyStatement({
          sid: 'PushToThisRepository',
          actions: [...CI_PUSH_ACTIONS],
          resources: [this.repository.repositoryArn],
        }),
        // The registry login token is account-wide by design; it grants nothing on its own.
        new iam.PolicyStatement({
          sid: 'RegistryLogin',
          actions: ['ecr:GetAuthorizationToken'],
          resources: ['*'],
        }),
      ],
    });
    pushPolicy.attachToRole(this.ciRole);
    cdk.Validations.of(pushPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken has no resource-level permissions; AWS requires Resource "*" for it',
    });

    new cdk.CfnOutput(this, 'RegistryUri', {
      description: 'ECR_REGISTRY/ECR_REPOSITORY for GitLab CI: the image repository URI',
      value: this.repository.repositoryUri,
    });
    new cdk.CfnOutput(this, 'RepositoryName', {
      description: 'ECR_REPOSITORY for GitLab CI',
      value: this.repository.repositoryName,
    });
    new cdk.CfnOutput(this, 'GitLabCiRoleArn', {
      description: 'AWS_ROLE_ARN for GitLab CI: assumed with id_tokens (AssumeRoleWithWebIdentity)',
      value: this.ciRole.roleArn,
    });
    new cdk.CfnOutput(this, 'GitlabOidcAudience', {
      description: 'The aud the pipeline id_tokens must request',
      value: config.gitlabAudience,
    });
  }
}
