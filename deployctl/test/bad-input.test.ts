import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { doctor } from '../src/commands/doctor.js';
import { EXIT_CODES } from '../src/exit-codes.js';
import { fetchBranch, pushCommit } from '../src/git.js';
import {
  addCommits,
  clonePipelineCheckout,
  createFixture,
  type Fixture,
  getRemoteRefs,
  git,
  runCli,
} from './helpers/git-fixture.js';

/** Every bad-input case: a clear message, a non-zero exit, and neither the remote nor the checkout changed. */
describe('bad input gives a clear message, a non-zero exit and writes nothing', () => {
  let fixture: Fixture;
  let commit: string;
  let checkout: string;
  before(() => {
    fixture = createFixture();
    commit = addCommits(fixture, 1)[0]!;
    // develop gets a broken values file, and a branch `nokey` a values file without image.tag.
    git(fixture.dev, 'checkout', '--quiet', '-B', 'develop', 'origin/develop');
    writeFileSync(
      join(fixture.dev, 'helm/values-dev.yaml'),
      'image:\n  tag: [unclosed\n  repository: x: y\n',
    );
    git(fixture.dev, 'commit', '--quiet', '-am', 'break values-dev');
    git(fixture.dev, 'push', '--quiet', 'origin', 'develop');
    git(fixture.dev, 'checkout', '--quiet', '-B', 'nokey', 'origin/main');
    writeFileSync(join(fixture.dev, 'helm/values-prod.yaml'), '# no tag here\nimage:\n  repository: r\n');
    git(fixture.dev, 'commit', '--quiet', '-am', 'values without tag');
    git(fixture.dev, 'push', '--quiet', 'origin', 'nokey');
    checkout = clonePipelineCheckout(fixture, 'ci');
  });
  after(() => fixture.cleanup());

  async function expectFailure(
    args: string[],
    exitCode: number,
    message: RegExp,
    env: NodeJS.ProcessEnv = {},
  ) {
    const refs = getRemoteRefs(fixture);
    const head = git(checkout, 'rev-parse', 'HEAD');
    const run = await runCli(args, { cwd: checkout, env });
    assert.equal(run.code, exitCode, `exit code; stderr: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.equal(getRemoteRefs(fixture), refs, 'remote unchanged');
    assert.equal(git(checkout, 'rev-parse', 'HEAD'), head, 'checkout HEAD unchanged');
    assert.equal(git(checkout, 'status', '--porcelain'), '', 'checkout clean');
  }

  test('an unknown env', async () => {
    await expectFailure(
      ['release', '--env', 'staging', '--commit', commit],
      EXIT_CODES.input,
      /unknown environment `staging`; known: dev, prod/,
    );
  });

  test('a malformed SHA', async () => {
    await expectFailure(
      ['release', '--env', 'prod', '--commit', 'abc123'],
      EXIT_CODES.input,
      /--commit `abc123` is not a full 40-character/,
    );
  });

  test('a malformed digest', async () => {
    await expectFailure(
      ['release', '--env', 'prod', '--commit', commit, '--digest', 'md5:1'],
      EXIT_CODES.input,
      /--digest `md5:1` is not an image digest/,
    );
  });

  test('a values file that is not YAML', async () => {
    await expectFailure(
      ['release', '--env', 'dev', '--commit', commit],
      EXIT_CODES.input,
      /helm\/values-dev\.yaml is not valid YAML/,
    );
  });

  test('a values file without the image.tag key', async () => {
    await expectFailure(
      ['release', '--env', 'prod', '--branch', 'nokey', '--commit', commit],
      EXIT_CODES.input,
      /helm\/values-prod\.yaml has no scalar `image\.tag` key/,
    );
  });

  test('a commit that does not exist', async () => {
    await expectFailure(
      ['release', '--env', 'prod', '--commit', 'f'.repeat(40)],
      EXIT_CODES.input,
      /is not in this repository or on remote `origin`/,
    );
  });

  test('a network error reaching the git remote', async () => {
    await expectFailure(
      ['release', '--env', 'prod', '--commit', commit, '--remote', 'http://127.0.0.1:9/nothing.git'],
      EXIT_CODES.network,
      /cannot fetch `main` from remote `http:\/\/127\.0\.0\.1:9\/nothing\.git`/,
    );
  });

  test('a network error reaching Argo CD', async () => {
    await expectFailure(
      ['wait', '--app', 'x', '--revision', commit, '--server', 'http://127.0.0.1:9', '--timeout', '5'],
      EXIT_CODES.network,
      /cannot reach http:\/\/127\.0\.0\.1:9\/api\/v1\/applications\/x\?refresh=normal \(ECONNREFUSED/,
      { ARGOCD_AUTH_TOKEN: 'test-token' },
    );
  });

  test('an unknown flag is a usage error', async () => {
    await expectFailure(
      ['release', '--env', 'prod', '--commit', commit, '--bogus'],
      EXIT_CODES.input,
      /unknown option '--bogus'/,
    );
  });

  test('--json errors are JSON on stdout too', async () => {
    const run = await runCli(['release', '--env', 'qa', '--commit', commit, '--json'], { cwd: checkout });
    assert.equal(run.code, EXIT_CODES.input);
    const body = JSON.parse(run.stdout) as { status: string; error: { kind: string; message: string } };
    assert.equal(body.status, 'error');
    assert.equal(body.error.kind, 'input');
    assert.match(body.error.message, /unknown environment `qa`/);
  });

  // Issue 13, point 9: a value git reads as an option runs a command (`--upload-pack=<cmd>`).
  describe('option-like values never reach git as options', () => {
    const pwned = () =>
      join(tmpdir(), `pwned-deployctl-${process.pid}-${Math.random().toString(36).slice(2)}`);

    for (const command of ['release', 'rollback'] as const) {
      test(`${command} --remote '--upload-pack=touch <file>' is refused with exit 2 and runs nothing`, async () => {
        const marker = pwned();
        const remote = `--upload-pack=touch ${marker}`;
        const args = [command, '--env', 'prod', '--remote', remote];
        if (command === 'release') args.push('--commit', commit);
        await expectFailure(args, EXIT_CODES.input, /--remote `--upload-pack=touch [^`]+` starts with `-`/);
        assert.equal(existsSync(marker), false, `${marker} was created: git ran the upload-pack command`);
      });
    }

    test("wait --commit --env --remote '--upload-pack=...' and doctor --remote '--receive-pack=...' are refused", async () => {
      const marker = pwned();
      await expectFailure(
        [
          'wait',
          '--app',
          'x',
          '--commit',
          commit,
          '--env',
          'prod',
          '--remote',
          `--upload-pack=touch ${marker}`,
        ],
        EXIT_CODES.input,
        /--remote `--upload-pack=touch [^`]+` starts with `-`/,
        { ARGOCD_SERVER: 'http://127.0.0.1:9', ARGOCD_AUTH_TOKEN: 't' },
      );
      await expectFailure(
        ['doctor', '--env', 'prod', '--remote', `--receive-pack=touch ${marker}`],
        EXIT_CODES.input,
        /--remote `--receive-pack=touch [^`]+` starts with `-`/,
      );
      assert.equal(existsSync(marker), false);
    });

    test('a remote-helper remote (`ext::<command>`) is refused and runs nothing', async () => {
      const marker = pwned();
      await expectFailure(
        ['release', '--env', 'prod', '--commit', commit, '--remote', `ext::sh -c touch% ${marker}`],
        EXIT_CODES.input,
        /--remote `ext::sh -c touch% [^`]+` uses the `<transport>::` remote-helper syntax/,
      );
      assert.equal(existsSync(marker), false);
    });

    test('a --branch that is option-like or a refspec is refused', async () => {
      await expectFailure(
        ['release', '--env', 'prod', '--commit', commit, '--branch', '--upload-pack=x'],
        EXIT_CODES.input,
        /--branch `--upload-pack=x` is not a branch name: it starts with `-`/,
      );
      await expectFailure(
        ['rollback', '--env', 'prod', '--branch', 'main:refs/heads/develop'],
        EXIT_CODES.input,
        /--branch `main:refs\/heads\/develop` is not a branch name: it contains a space, a control character or one of/,
      );
    });

    test('a bad branch from DEPLOYCTL_ENV_BRANCHES or CI_DEFAULT_BRANCH is refused', async () => {
      await expectFailure(
        ['release', '--env', 'prod', '--commit', commit],
        EXIT_CODES.input,
        /DEPLOYCTL_ENV_BRANCHES entry `prod=--upload-pack=x`: branch `--upload-pack=x` is not a branch name/,
        { DEPLOYCTL_ENV_BRANCHES: 'prod=--upload-pack=x' },
      );
      await expectFailure(
        ['release', '--env', 'prod', '--commit', commit],
        EXIT_CODES.input,
        /branch of env `prod` `-x` is not a branch name/,
        { CI_DEFAULT_BRANCH: '-x' },
      );
    });

    test('git.ts ends the options with `--`, so even an unchecked remote is not an option', async () => {
      const marker = pwned();
      await assert.rejects(fetchBranch(checkout, `--upload-pack=touch ${marker}`, 'main'));
      await assert.rejects(
        pushCommit(checkout, {
          remote: `--receive-pack=touch ${marker}`,
          sha: git(checkout, 'rev-parse', 'HEAD'),
          branch: 'main',
          dryRun: true,
        }),
      );
      assert.equal(existsSync(marker), false, 'git ran the command in the option-like remote');
    });
  });

  // Issue 13, point 9: environments are own keys only, never Object.prototype members.
  describe('prototype member names are unknown environments', () => {
    for (const env of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      test(`release/rollback/wait/doctor --env ${env}`, async () => {
        const message = new RegExp(`unknown environment \`${env}\`; known: dev, prod`);
        await expectFailure(['release', '--env', env, '--commit', commit], EXIT_CODES.input, message);
        await expectFailure(['rollback', '--env', env], EXIT_CODES.input, message);
        await expectFailure(
          ['wait', '--app', 'x', '--commit', commit, '--env', env, '--timeout', '1'],
          EXIT_CODES.input,
          message,
          { ARGOCD_SERVER: 'http://127.0.0.1:9', ARGOCD_AUTH_TOKEN: 't' },
        );
        await expectFailure(['doctor', '--env', env], EXIT_CODES.input, message);
      });
    }

    test('DEPLOYCTL_ENV_BRANCHES env names must be plain names', async () => {
      await expectFailure(
        ['release', '--env', 'prod', '--commit', commit],
        EXIT_CODES.input,
        /DEPLOYCTL_ENV_BRANCHES entry `__proto__=main`: env name `__proto__` must be lowercase letters/,
        { DEPLOYCTL_ENV_BRANCHES: 'prod=main,__proto__=main' },
      );
    });

    test('doctor does not count Object.prototype members as set CI variables', async () => {
      const result = await doctor({
        env: 'prod',
        cwd: checkout,
        requiredVars: ['toString', '__proto__', 'constructor'],
        oidcVar: 'constructor',
        vars: {},
      });
      const byName = Object.fromEntries(result.checks.map((check) => [check.name, check]));
      assert.equal(byName['ci-variables']?.status, 'fail');
      assert.equal(byName['ci-variables']?.detail, 'missing: toString, __proto__, constructor');
      assert.equal(byName['oidc-token']?.status, 'fail');
      assert.equal(byName['oidc-token']?.detail, 'constructor is not set');
    });
  });

  describe('other values that reach a URL, the values file or the AWS CLI', () => {
    test("wait --app '..' is refused (it would turn /api/v1/applications/.. into /api/v1/)", async () => {
      await expectFailure(
        ['wait', '--app', '..', '--revision', commit, '--timeout', '1'],
        EXIT_CODES.input,
        /--app `\.\.` is not an Argo CD Application name/,
        { ARGOCD_SERVER: 'http://127.0.0.1:9', ARGOCD_AUTH_TOKEN: 't' },
      );
    });

    test('release --image-repository that is not a repository is refused before anything is written', async () => {
      await expectFailure(
        ['release', '--env', 'prod', '--commit', commit, '--image-repository', 'Registry.example.com/app:v1'],
        EXIT_CODES.input,
        /--image-repository `Registry\.example\.com\/app:v1` is not an image repository/,
      );
      await expectFailure(
        ['release', '--env', 'prod', '--commit', commit],
        EXIT_CODES.input,
        /\$ECR_REGISTRY\/\$ECR_REPOSITORY `registry\.example\.com\/app name` is not an image repository/,
        { ECR_REGISTRY: 'registry.example.com', ECR_REPOSITORY: 'app name' },
      );
    });

    test('doctor --ecr-repository that is not an ECR repository name is bad input, not a failed check', async () => {
      await expectFailure(
        ['doctor', '--env', 'prod', '--ecr-repository', '--repository-names=x'],
        EXIT_CODES.input,
        /--ecr-repository `--repository-names=x` is not an ECR repository name/,
      );
    });
  });
});
