import * as cdk from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { CACHE_SUFFIX, type CiEnvironmentConfig, type InfraConfig } from './config';

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

/** The layer cache adds listing: scripts/ci/build-image-job.sh probes it with `skopeo list-tags`. */
export const CI_CACHE_ACTIONS = [...CI_PUSH_ACTIONS, 'ecr:ListImages'].sort();

export const CACHE_EXPIRY_DAYS = 14;

/** The tag the pipeline may move; every other tag (the commit SHAs) is immutable. */
export const MUTABLE_TAG = 'latest';

export interface RegistryStackProps extends cdk.StackProps {
  readonly config: InfraConfig;
}

/** What one environment gets: its image repository, its layer cache and the role that may push to both. */
export interface CiEnvironment {
  readonly config: CiEnvironmentConfig;
  readonly repository: ecr.Repository;
  readonly cacheRepository: ecr.Repository;
  readonly ciRole: iam.Role;
}

/** Output names: `ProdRepositoryUri`, `DevGitLabCiRoleArn`, … */
const outputPrefix = (env: CiEnvironmentConfig) => (env.name === 'prod' ? 'Prod' : 'Dev');

/**
 * The image registries and the identities the pipeline uses to push to them, one set per
 * environment. Separate from the cluster stack: it is cheap, deploys in a minute, and CI can
 * push images before a cluster exists.
 *
 * Why per environment (issue 13, point 3): with one role trusted by both branches and one
 * repository, a `develop` pipeline could push `:<sha>` of a commit before it reached the
 * default branch (tags are immutable, so prod would then deploy the develop pipeline's bytes)
 * or poison the layer cache prod builds from. Now the dev role can write only the dev
 * repository and the dev cache; prod pulls and builds only from the prod ones.
 */
export class RegistryStack extends cdk.Stack {
  readonly prod: CiEnvironment;
  readonly dev: CiEnvironment;

  constructor(scope: Construct, id: string, props: RegistryStackProps) {
    super(scope, id, props);
    const { config } = props;

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

    const [prod, dev] = config.environments;
    // prod keeps the construct ids of the single-environment version (`ImageRepository`, …):
    // a new logical id would make CloudFormation create a second repository of the same name,
    // which fails, and the retained old one would linger.
    this.prod = this.addEnvironment(config, prod, '', provider);
    this.dev = this.addEnvironment(config, dev, 'Dev', provider);

    new cdk.CfnOutput(this, 'GitlabOidcAudience', {
      description: 'The aud the pipeline id_tokens must request',
      value: config.gitlabAudience,
    });
  }

  private addEnvironment(
    config: InfraConfig,
    env: CiEnvironmentConfig,
    idPrefix: string,
    provider: iam.IOidcProvider,
  ): CiEnvironment {
    // Commit tags are immutable so a deployed SHA always means the same bytes; `latest` is
    // excluded so the pipeline can keep moving it for humans (Argo CD never deploys it).
    const repository = new ecr.Repository(this, `${idPrefix}ImageRepository`, {
      repositoryName: env.repositoryName,
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
          // Every pushed commit tag of this environment is one of its releases, so keeping the
          // newest N tagged images keeps its last N rollback targets; the other environment's
          // pushes are in another repository and never count against them.
          description: `keep the ${env.keepImages} most recent tagged ${env.name} images (rollback targets), expire older ones`,
          tagStatus: ecr.TagStatus.TAGGED,
          tagPatternList: ['*'],
          maxImageCount: env.keepImages,
        },
      ],
    });

    // A repository of its own, so cache entries never count against the release images'
    // lifecycle rules. Mutable: buildah re-pushes a cache key when its layer is rebuilt.
    const cacheRepository = new ecr.Repository(this, `${idPrefix}BuildCacheRepository`, {
      repositoryName: `${env.repositoryName}${CACHE_SUFFIX}`,
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

    // Trusted only for pipelines of this project on this environment's one branch: `sub` is
    // matched exactly (StringEquals, no wildcards) and the audience must be ours. These are the
    // only GitLab claims IAM evaluates for a generic OIDC provider; `ref_protected` and
    // `environment` are not condition keys (README, "What IAM can check"), so branch
    // protection in GitLab is what makes the branch name mean "maintainers only".
    const ciRole = new iam.Role(this, `${idPrefix}GitlabCiRole`, {
      description: `GitLab CI of ${config.gitlabProjectPath}, branch ${env.branch} only: pushes ${env.name} images to ${env.repositoryName}`,
      maxSessionDuration: cdk.Duration.hours(1),
      assumedBy: new iam.WebIdentityPrincipal(provider.oidcProviderArn, {
        StringEquals: {
          [`${config.gitlabHost}:aud`]: config.gitlabAudience,
          [`${config.gitlabHost}:sub`]: `project_path:${config.gitlabProjectPath}:ref_type:branch:ref:${env.branch}`,
        },
      }),
    });

    const pushPolicy = new iam.Policy(this, `${idPrefix}GitlabCiPushPolicy`, {
      statements: [
        new iam.PolicyStatement({
          sid: 'PushToThisRepository',
          actions: [...CI_PUSH_ACTIONS],
          resources: [repository.repositoryArn],
        }),
        new iam.PolicyStatement({
          sid: 'UseTheLayerCache',
          actions: CI_CACHE_ACTIONS,
          resources: [cacheRepository.repositoryArn],
        }),
        // The registry login token is account-wide by design; it grants nothing on its own.
        new iam.PolicyStatement({
          sid: 'RegistryLogin',
          actions: ['ecr:GetAuthorizationToken'],
          resources: ['*'],
        }),
      ],
    });
    pushPolicy.attachToRole(ciRole);
    cdk.Validations.of(pushPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken has no resource-level permissions; AWS requires Resource "*" for it',
    });

    const prefix = outputPrefix(env);
    new cdk.CfnOutput(this, `${prefix}RepositoryUri`, {
      description: `IMAGE_REPOSITORY for ${env.name} pipelines (branch ${env.branch}): the ${env.name} image repository URI`,
      value: repository.repositoryUri,
    });
    new cdk.CfnOutput(this, `${prefix}RepositoryName`, {
      description: `ECR_REPOSITORY for ${env.name} pipelines (branch ${env.branch})`,
      value: repository.repositoryName,
    });
    new cdk.CfnOutput(this, `${prefix}BuildCacheRepositoryUri`, {
      description: `IMAGE_CACHE_REPOSITORY for ${env.name} pipelines (the default $IMAGE_REPOSITORY/build-cache is this)`,
      value: cacheRepository.repositoryUri,
    });
    new cdk.CfnOutput(this, `${prefix}GitLabCiRoleArn`, {
      description: `AWS_ROLE_ARN for ${env.name} pipelines: only jobs on branch ${env.branch} can assume it`,
      value: ciRole.roleArn,
    });
    return { config: env, repository, cacheRepository, ciRole };
  }
}
