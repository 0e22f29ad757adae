import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Registry, startRegistry } from '../../test/support/registry.js';
import { release } from '../src/commands/release.js';
import { rollback } from '../src/commands/rollback.js';
import { EXIT_CODES } from '../src/exit-codes.js';
import { parseReleaseMessage } from '../src/release-message.js';
import { type AwsDouble, createAwsDouble } from './helpers/aws-double.js';
import {
  addCommits,
  clonePipelineCheckout,
  createFixture,
  type Fixture,
  getRemoteFile,
  getRemoteRefs,
  git,
  runCli,
  VALUES_FIXTURE,
} from './helpers/git-fixture.js';

const FIXTURE_REPOSITORY = '123456789012.dkr.ecr.eu-central-1.amazonaws.com/mlops-inference-service';
const NAME = 'mlops-inference-service';

describe('rollback against real git and a real OCI registry (docker-registry)', () => {
  let fixture: Fixture;
  let commits: string[];
  let registry: Registry;
  let repository: string;
  let digest: string;
  let checkout: string;

  function expectedValues(tag: string, withDigest = ''): string {
    return VALUES_FIXTURE.replace(FIXTURE_REPOSITORY, repository)
      .replace('tag: ""', `tag: "${tag}"`)
      .replace('digest: ""', `digest: "${withDigest}"`);
  }

  before(async () => {
    fixture = createFixture();
    commits = addCommits(fixture, 4);
    registry = await startRegistry();
    repository = `${registry.host}/${NAME}`;
    // Images for the first three commits; commits[3] was never pushed.
    digest = await registry.pushImage(NAME, commits[0]!);
    await registry.pushImage(NAME, commits[1]!);
    await registry.pushImage(NAME, commits[2]!);
    checkout = clonePipelineCheckout(fixture, 'ci');
  });
  after(async () => {
    fixture.cleanup();
    await registry.stop();
  });

  test('rolls back to the previous release with a recorded commit, refuses the rolled-back commit, and a later release moves forward', async () => {
    const imageRepository = repository;
    await release({ cwd: checkout, env: 'prod', commit: commits[0]!, digest, imageRepository });
    await release({ cwd: checkout, env: 'prod', commit: commits[1]!, imageRepository });

    const back = await rollback({ cwd: checkout, env: 'prod' });
    assert.equal(back.status, 'released');
    assert.equal(back.commit, commits[0]);
    assert.deepEqual(back.warnings, []);
    // The digest the earlier release recorded comes back with it (and the registry has it).
    assert.equal(getRemoteFile(fixture, 'helm/values-prod.yaml'), expectedValues(commits[0]!, digest));
    const parsed = parseReleaseMessage(git(fixture.remote, 'log', '-1', '--format=%B', 'main'));
    assert.equal(parsed?.rollback, true);
    assert.equal(parsed?.rollbackFrom, commits[1]);

    // Rolling back again never returns to the rolled-back commit; here nothing is older.
    await assert.rejects(
      rollback({ cwd: checkout, env: 'prod', dryRun: true }),
      /no earlier release of prod before/,
    );

    // A retried pipeline of the rolled-back commit does not quietly bring it back.
    await assert.rejects(
      release({ cwd: checkout, env: 'prod', commit: commits[1]!, imageRepository }),
      /refused: [0-9a-f]{40} was rolled back from prod by [0-9a-f]{40}/,
    );

    const forward = await release({ cwd: checkout, env: 'prod', commit: commits[2]!, imageRepository });
    assert.equal(forward.status, 'released');
    assert.equal(getRemoteFile(fixture, 'helm/values-prod.yaml'), expectedValues(commits[2]!));

    const explicit = await rollback({ cwd: checkout, env: 'prod', to: commits[1]! });
    assert.equal(explicit.status, 'released');
    assert.match(getRemoteFile(fixture, 'helm/values-prod.yaml'), new RegExp(`tag: "${commits[1]}"`));
  });

  test('--to a commit that is not on the env branch is refused with exit 4, nothing written', async () => {
    // A commit on another branch, present in this checkout, with its image in the registry.
    git(fixture.dev, 'checkout', '--quiet', '-B', 'feature', commits[0]!);
    git(fixture.dev, 'commit', '--quiet', '--allow-empty', '-m', 'work on a feature branch');
    const other = git(fixture.dev, 'rev-parse', 'HEAD');
    git(fixture.dev, 'push', '--quiet', 'origin', 'feature');
    await registry.pushImage(NAME, other);
    const featureCheckout = clonePipelineCheckout(fixture, 'ci-feature', 'feature');
    const refs = getRemoteRefs(fixture);
    const run = await runCli(['rollback', '--env', 'prod', '--to', other], { cwd: featureCheckout });
    assert.equal(run.code, EXIT_CODES.refused, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(
        `refused: rollback target ${other} is not on \`main\` of remote \`origin\` \\(not an ancestor`,
      ),
    );
    assert.equal(getRemoteRefs(fixture), refs);
  });

  test('--to a commit whose image is not in the registry is refused with exit 4, also in a dry run', async () => {
    const refs = getRemoteRefs(fixture);
    for (const extra of [[], ['--dry-run']]) {
      const run = await runCli(['rollback', '--env', 'prod', '--to', commits[3]!, ...extra], {
        cwd: checkout,
      });
      assert.equal(run.code, EXIT_CODES.refused, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(
          `refused: image ${repository}:${commits[3]} is not in the OCI registry http://${registry.host}, so the pods could not pull it; .*--skip-image-check`,
        ),
      );
    }
    assert.equal(getRemoteRefs(fixture), refs);
  });

  test('--skip-image-check rolls back anyway and prints a warning (stderr and JSON)', async () => {
    const run = await runCli(
      ['rollback', '--env', 'prod', '--to', commits[3]!, '--skip-image-check', '--json'],
      {
        cwd: checkout,
      },
    );
    assert.equal(run.code, EXIT_CODES.ok, run.stderr);
    const result = JSON.parse(run.stdout) as { status: string; warnings: string[] };
    assert.equal(result.status, 'released');
    assert.match(
      result.warnings[0] ?? '',
      /^--skip-image-check: did not check that .* exists in the registry/,
    );
    assert.match(run.stderr, /deployctl: warning: --skip-image-check: did not check/);
    assert.match(getRemoteFile(fixture, 'helm/values-prod.yaml'), new RegExp(`tag: "${commits[3]}"`));
  });
});

describe('rollback checks ECR images through the AWS CLI (test double)', () => {
  let fixture: Fixture;
  let commits: string[];
  let aws: AwsDouble;
  let checkout: string;
  before(async () => {
    fixture = createFixture();
    commits = addCommits(fixture, 2);
    aws = createAwsDouble();
    checkout = clonePipelineCheckout(fixture, 'ci');
    // The fixture's values name an ECR repository; release does not ask the registry.
    await release({ cwd: checkout, env: 'prod', commit: commits[0]! });
    await release({ cwd: checkout, env: 'prod', commit: commits[1]! });
  });
  after(() => {
    fixture.cleanup();
    aws.cleanup();
  });

  test('the previous release whose image ECR lacks is refused; once it is there, the rollback goes ahead', async () => {
    const env = { PATH: aws.path };
    const refs = getRemoteRefs(fixture);
    aws.addImage(NAME);
    const missing = await runCli(['rollback', '--env', 'prod'], { cwd: checkout, env });
    assert.equal(missing.code, EXIT_CODES.refused, missing.stderr);
    assert.match(
      missing.stderr,
      new RegExp(`refused: image ${FIXTURE_REPOSITORY}:${commits[0]} is not in ECR \\(account 123456789012`),
    );
    assert.equal(getRemoteRefs(fixture), refs);
    assert.deepEqual(aws.calls(), [
      `ecr batch-get-image --registry-id 123456789012 --region eu-central-1 --repository-name ${NAME} --image-ids imageTag=${commits[0]} --output json`,
    ]);

    aws.addImage(NAME, `imageTag=${commits[0]}`);
    const present = await runCli(['rollback', '--env', 'prod'], { cwd: checkout, env });
    assert.equal(present.code, EXIT_CODES.ok, present.stderr);
    assert.match(getRemoteFile(fixture, 'helm/values-prod.yaml'), new RegExp(`tag: "${commits[0]}"`));
  });
});
