import * as cdk from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { InfraConfig } from './config';

/**
 * What the pipeline does on the image repository (scripts/ci/publish-image.sh): push the commit
 * tag, and read it back. BatchGetImage + GetDownloadUrlForLayer are the reads `skopeo inspect`
 * needs to see that a commit tag already exists (tags are immutable, so a retried pipeline must
 * keep it rather than push again) and `skopeo copy` needs to move `latest` onto it.
 * No delete, no tag listing, no repository or policy changes.
 */
export const CI_PUSH_ACTIONS = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchGetImage',
  'ecr:CompleteLayerUpload',
  'ecr:GetDownloadUrlForLayer',
  'ecr:InitiateLayerUpload',
  'ecr:PutImage',
  'ecr:UploadLayerPart',
] as const;

/** The layer cache adds listing: scripts/ci/build-image.sh probes it with `skopeo list-tags`. */
export const CI_CACHE_ACTIONS = [...CI_PUSH_ACTIONS, 'ecr:ListImages'].sort();

/** buildah's registry layer cache (`IMAGE_CACHE_REPOSITORY` in .gitlab-ci.yml), beside the image. */
export const CACHE_SUFFIX = '/build-cache';
export const CACHE_EXPIRY_DAYS = 14;

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
  readonly cacheRepository: ecr.Repository;
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

    // A repository of its own, so cache entries never count against the release images'
    // lifecycle rules. Mutable: buildah re-pushes a cache key when its layer is rebuilt.
    this.cacheRepository = new ecr.Repository(this, 'BuildCacheRepository', {
      repositoryName: `${config.ecrRepositoryName}${CACHE_SUFFIX}`,
      imageTagMutability: ecr.TagMutability.MUTABLE,
      encryption: ecr.RepositoryEncryption.AES_256,
      // Only a cache: deleting the stack may delete it.
      removalPolicy: cdk.RemovalPolicy.DESTROY,
      emptyOnDelete: true,
      lifecycleRules: [
        {
          rulePriority: 1,
          description: `expire cache entries ${CACHE_EXPIRY_DAYS} days after their push; the next build re-creates any still needed`,
          tagStatus: ecr.TagStatus.ANY,
          maxImageAge: cdk.Duration.days(CACHE_EXPIRY_DAYS),
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
        new iam.PolicyStatement({
          sid: 'UseTheLayerCache',
          actions: CI_CACHE_ACTIONS,
          resources: [this.cacheRepository.repositoryArn],
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
    new cdk.CfnOutput(this, 'BuildCacheRepositoryUri', {
      description: 'IMAGE_CACHE_REPOSITORY for GitLab CI (the default $IMAGE_REPOSITORY/build-cache is this)',
      value: this.cacheRepository.repositoryUri,
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
