/**
 * `verify --env` (the verify job in one call) and `status`, against real git
 * (a bare remote and pipeline checkouts) and real service processes standing
 * in for the environment's pods.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BUNDLED_MODEL_DIR } from '../../test/support/paths.js';
import { release } from '../src/commands/release.js';
import { rollback } from '../src/commands/rollback.js';
import { verifyRelease } from '../src/commands/verify-release.js';
import { EXIT_CODES } from '../src/exit-codes.js';
import { parseReleaseMessage } from '../src/release-message.js';
import {
  addCommits,
  clonePipelineCheckout,
  createFixture,
  type Fixture,
  getRemoteRefs,
  getRemoteTip,
  git,
  runCli,
} from './helpers/git-fixture.js';
import { type Instance, startInstance } from './helpers/service-instances.js';

const MODEL_CARD = join(BUNDLED_MODEL_DIR, 'model.json');
const REPOSITORY = '123456789012.dkr.ecr.eu-central-1.amazonaws.com/mlops-inference-service';

describe('verify --env: superseded, verified, rolled back, or left alone', () => {
  let fixture: Fixture;
  let commits: string[];
  let checkout: string;
  const instances: Instance[] = [];
  const url = (instance: Instance) => `http://127.0.0.1:${instance.port}`;

  before(async () => {
    fixture = createFixture();
    commits = addCommits(fixture, 3);
    checkout = clonePipelineCheckout(fixture, 'ci');
    instances.push(await startInstance('pod-0', commits[0]!));
    instances.push(await startInstance('pod-1', commits[1]!));
  });
  after(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    fixture.cleanup();
  });

  const common = (commit: string, instance: Instance) => [
    'verify',
    '--env',
    'prod',
    '--commit',
    commit,
    '--url',
    url(instance),
    '--model-card',
    MODEL_CARD,
    '--timeout',
    '2',
    '--interval',
    '0.5',
    '--cwd',
    checkout,
    '--json',
  ];

  test('the env runs the commit: verified (exit 0); replicas from the env values (replicaCount 2) unless --replicas', async () => {
    await release({ cwd: checkout, env: 'prod', commit: commits[0]!, imageRepository: REPOSITORY });
    const result = await verifyRelease({
      env: 'prod',
      commit: commits[0]!,
      url: url(instances[0]!),
      replicas: 1,
      modelCard: MODEL_CARD,
      timeoutS: 10,
      cwd: checkout,
      rollbackOnFailure: true,
    });
    assert.equal(result.status, 'verified');
    assert.equal(result.verify?.instances[0]?.instanceId, 'pod-0');
    assert.match(result.waitSkipped ?? '', /no --app/);
    assert.equal(result.rollback, undefined);

    // One instance answers, the values file asks for 2: not verified, and not rolled back without the flag.
    const run = await runCli(common(commits[0]!, instances[0]!));
    assert.equal(run.code, EXIT_CODES.timeout, run.stderr);
    const body = JSON.parse(run.stdout) as { status: string; replicas: number; failure: { kind: string } };
    assert.equal(body.status, 'failed');
    assert.equal(body.replicas, 2);
    assert.equal(body.failure.kind, 'timeout');
  });

  test('verification fails while the env runs the commit: rolled back in Git, the job still fails', async () => {
    await release({ cwd: checkout, env: 'prod', commit: commits[1]!, imageRepository: REPOSITORY });
    const before = getRemoteTip(fixture);
    // The "pods" still serve the previous commit: verify of commits[1] times out.
    const run = await runCli([
      ...common(commits[1]!, instances[0]!),
      '--replicas',
      '1',
      '--rollback-on-failure',
      '--skip-image-check',
      '--allow-skip',
    ]);
    assert.equal(run.code, EXIT_CODES.timeout, run.stderr);
    const body = JSON.parse(run.stdout) as {
      status: string;
      rollback: { status: string; commit: string; releaseCommit: string };
    };
    assert.equal(body.status, 'rolled-back');
    assert.equal(body.rollback.commit, commits[0]);
    const tip = getRemoteTip(fixture);
    assert.notEqual(tip, before);
    assert.equal(body.rollback.releaseCommit, tip);
    const parsed = parseReleaseMessage(git(fixture.remote, 'log', '-1', '--format=%B', 'main'));
    assert.equal(parsed?.rollback, true);
    assert.equal(parsed?.rollbackFrom, commits[1]);
  });

  test('the env moved elsewhere meanwhile (not a newer commit): verification fails, nothing is rolled back', async () => {
    // After the rollback above, prod runs commits[0]; a late verify of commits[1] must not touch it.
    const refs = getRemoteRefs(fixture);
    const run = await runCli([
      ...common(commits[1]!, instances[0]!),
      '--replicas',
      '1',
      '--rollback-on-failure',
      '--skip-image-check',
    ]);
    assert.equal(run.code, EXIT_CODES.timeout, run.stderr);
    const body = JSON.parse(run.stdout) as { status: string; reason: string; rollback: { status: string } };
    assert.equal(body.status, 'failed');
    assert.equal(body.rollback.status, 'skipped');
    assert.match(body.reason, /has moved on since/);
    assert.equal(getRemoteRefs(fixture), refs);
  });

  test('the env already runs a newer commit: superseded, nothing verified (exit 10, or 0 with --allow-skip)', async () => {
    await release({ cwd: checkout, env: 'prod', commit: commits[2]!, imageRepository: REPOSITORY });
    const refs = getRemoteRefs(fixture);
    const run = await runCli([...common(commits[1]!, instances[1]!), '--rollback-on-failure']);
    assert.equal(run.code, EXIT_CODES.skipped, run.stderr);
    const body = JSON.parse(run.stdout) as { status: string; deployedCommit: string; verify: unknown };
    assert.equal(body.status, 'superseded');
    assert.equal(body.deployedCommit, commits[2]);
    assert.equal(body.verify, undefined);
    const allowed = await runCli([...common(commits[1]!, instances[1]!), '--allow-skip']);
    assert.equal(allowed.code, EXIT_CODES.ok, allowed.stderr);
    assert.match(allowed.stdout, /"status": "superseded"/);
    assert.equal(getRemoteRefs(fixture), refs);
  });

  test('rollback with onlyFrom: a newer release that landed meanwhile is never rolled back', async () => {
    const refs = getRemoteRefs(fixture);
    const result = await rollback({
      cwd: checkout,
      env: 'prod',
      onlyFrom: commits[1]!,
      skipImageCheck: true,
    });
    assert.equal(result.status, 'skipped');
    assert.equal(result.commit, commits[2]);
    assert.equal(getRemoteRefs(fixture), refs);
  });

  test('bad input: release flags without --env, or Argo CD without a token, fail before anything runs (exit 2)', async () => {
    const refs = getRemoteRefs(fixture);
    const noEnv = await runCli([
      'verify',
      '--commit',
      commits[2]!,
      '--url',
      url(instances[1]!),
      '--rollback-on-failure',
    ]);
    assert.equal(noEnv.code, EXIT_CODES.input);
    assert.match(noEnv.stderr, /--rollback-on-failure need --env/);
    const noToken = await runCli(
      [...common(commits[2]!, instances[1]!), '--app', 'mlops-inference-service', '--rollback-on-failure'],
      { env: { ARGOCD_SERVER: 'argocd.example.com', ARGOCD_AUTH_TOKEN: '' } },
    );
    assert.equal(noToken.code, EXIT_CODES.input, noToken.stderr);
    assert.match(noToken.stderr, /no Argo CD token: set ARGOCD_AUTH_TOKEN/);
    const badEnv = await runCli([
      ...common(commits[2]!, instances[1]!).map((a) => (a === 'prod' ? 'constructor' : a)),
    ]);
    assert.equal(badEnv.code, EXIT_CODES.input);
    assert.equal(getRemoteRefs(fixture), refs);
  });
});

describe('status: what each env runs according to Git', () => {
  let fixture: Fixture;
  let commits: string[];
  let checkout: string;
  before(async () => {
    fixture = createFixture({
      'helm/values.yaml': 'replicaCount: 2\nautoscaling:\n  enabled: false\n  minReplicas: 2\n',
      'helm/values-prod.yaml': `image:\n  repository: ${REPOSITORY}\n  tag: ""\nautoscaling:\n  enabled: true\n  minReplicas: 3\n`,
    });
    commits = addCommits(fixture, 2);
    checkout = clonePipelineCheckout(fixture, 'ci');
    await release({ cwd: checkout, env: 'prod', commit: commits[0]!, pipeline: 'https://ci/p/1' });
    await release({ cwd: checkout, env: 'prod', commit: commits[1]!, pipeline: 'https://ci/p/2' });
  });
  after(() => fixture.cleanup());

  test('status --env prod --json: the image, the replicas the chart makes answer, the releases with their trailers', async () => {
    const run = await runCli(['status', '--env', 'prod', '--json', '--cwd', checkout]);
    assert.equal(run.code, EXIT_CODES.ok, run.stderr);
    const body = JSON.parse(run.stdout) as {
      environments: {
        env: string;
        tip: string;
        image: { tag: string; repository: string };
        expectedReplicas: number;
        releases: { commit: string; pipeline: string; releaseCommit: string; rollback: boolean }[];
        argocd: unknown;
      }[];
    };
    const [prod] = body.environments;
    assert.equal(prod?.image.tag, commits[1]);
    assert.equal(prod?.image.repository, REPOSITORY);
    // values.yaml overlaid with values-prod.yaml: the HPA is on there, with minimum 3.
    assert.equal(prod?.expectedReplicas, 3);
    assert.deepEqual(
      prod?.releases.map((r) => [r.commit, r.pipeline, r.rollback]),
      [
        [commits[1], 'https://ci/p/2', false],
        [commits[0], 'https://ci/p/1', false],
      ],
    );
    assert.equal(prod?.releases[0]?.releaseCommit, getRemoteTip(fixture));
    assert.equal(prod?.argocd, undefined);
  });

  test('status --get prints one value; every env without --env', async () => {
    const tag = await runCli(['status', '--env', 'prod', '--get', 'image.tag', '--cwd', checkout]);
    assert.equal(tag.stdout, `${commits[1]}\n`);
    const replicas = await runCli(['status', '--env', 'dev', '--get', 'expectedReplicas', '--cwd', checkout]);
    assert.equal(replicas.stdout, '2\n', replicas.stderr);
    const all = await runCli(['status', '--cwd', checkout]);
    assert.equal(all.code, EXIT_CODES.ok, all.stderr);
    assert.match(all.stdout, new RegExp(`^prod: runs ${commits[1]}`, 'm'));
    assert.match(all.stdout, /^dev: runs \(no release yet\)/m);
  });

  test('bad input: an unknown path, --get without --env, --app without --env (exit 2)', async () => {
    const unknown = await runCli(['status', '--env', 'prod', '--get', 'image.nope', '--cwd', checkout]);
    assert.equal(unknown.code, EXIT_CODES.input);
    assert.match(unknown.stderr, /has no `image.nope`/);
    const noEnv = await runCli(['status', '--get', 'image.tag', '--cwd', checkout]);
    assert.equal(noEnv.code, EXIT_CODES.input);
    const app = await runCli(['status', '--app', 'mlops-inference-service', '--cwd', checkout]);
    assert.equal(app.code, EXIT_CODES.input);
  });
});
