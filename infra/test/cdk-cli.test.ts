import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const INFRA_DIR = path.join(__dirname, '..');

/**
 * The real `cdk` CLI (the aws-cdk devDependency) with no AWS credentials of any kind: no keys,
 * no profile files, no instance metadata. Anything that needs AWS would fail here.
 */
function cdkSynth(args: string[]): { status: number | null; output: string; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'infra-cli-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') && !key.startsWith('CDK_')) env[key] = value;
  }
  Object.assign(env, {
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: path.join(outdir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(outdir, 'no-credentials'),
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  });
  const result = spawnSync(
    'npx',
    ['cdk', 'synth', '--no-notices', '--no-version-reporting', '--quiet', '-o', outdir, ...args],
    { cwd: INFRA_DIR, env, encoding: 'utf8', timeout: 600_000 },
  );
  return { status: result.status, output: `${result.stdout}\n${result.stderr}`, outdir };
}

describe('npx cdk synth (the real CLI)', () => {
  it('synthesises both stacks offline, with no credentials and no context lookups', {
    timeout: 600_000,
  }, () => {
    const run = cdkSynth([
      '-c',
      'account=123456789012',
      '-c',
      'gitlabProjectPath=acme/mlops',
      '-c',
      'apiAllowedCidrs=203.0.113.0/24',
    ]);
    try {
      assert.equal(run.status, 0, run.output);
      for (const stack of ['MlopsRegistry', 'MlopsCluster']) {
        const template = JSON.parse(fs.readFileSync(path.join(run.outdir, `${stack}.template.json`), 'utf8'));
        assert.ok(Object.keys(template.Resources).length > 0, `${stack} has resources`);
      }
      const manifest = JSON.parse(fs.readFileSync(path.join(run.outdir, 'manifest.json'), 'utf8'));
      assert.equal(
        manifest.missing,
        undefined,
        `context lookups requested: ${JSON.stringify(manifest.missing)}`,
      );
      assert.equal(
        fs.existsSync(path.join(INFRA_DIR, 'cdk.context.json')),
        false,
        'no cached lookups were written',
      );
      // The kubectl/helm layer is staged as an asset, ready for `cdk deploy` to upload.
      const assets = fs
        .readdirSync(run.outdir)
        .filter((name) => name.startsWith('asset.') && name.endsWith('.zip'));
      assert.ok(assets.length >= 1, `staged assets: ${assets.join(', ')}`);
      assert.match(run.output, /Successfully synthesized/);
    } finally {
      fs.rmSync(run.outdir, { recursive: true, force: true });
    }
  });

  it('refuses to open the Kubernetes API to the internet by default, naming the -c to pass', {
    timeout: 300_000,
  }, () => {
    const run = cdkSynth(['-c', 'account=123456789012', '-c', 'gitlabProjectPath=acme/mlops']);
    try {
      assert.notEqual(run.status, 0);
      assert.match(run.output, /invalid setting `apiAllowedCidrs`: it is missing;/);
      assert.match(run.output, /`-c apiAllowedCidrs=203\.0\.113\.0\/24`/);
      assert.match(run.output, /`-c apiAllowedCidrs=private`/);
    } finally {
      fs.rmSync(run.outdir, { recursive: true, force: true });
    }
  });

  it('fails with the setting named when the project path is missing', { timeout: 300_000 }, () => {
    const run = cdkSynth(['-c', 'account=123456789012']);
    try {
      assert.notEqual(run.status, 0);
      assert.match(
        run.output,
        /invalid setting `gitlabProjectPath`: it is missing; pass the GitLab project path/,
      );
      assert.doesNotMatch(
        run.output,
        /at buildApp|\.ts:\d+:\d+\)/,
        'a config error prints its message, not a stack trace',
      );
    } finally {
      fs.rmSync(run.outdir, { recursive: true, force: true });
    }
  });
});
