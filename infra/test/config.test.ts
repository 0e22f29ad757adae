import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as cdk from 'aws-cdk-lib';
import { buildApp } from '../lib/app';
import { ConfigError, DEFAULTS, loadConfig, type RawConfig, rejectUnknownSettings } from '../lib/config';

const valid: RawConfig = {
  account: '123456789012',
  gitlabProjectPath: 'acme/mlops',
  apiAllowedCidrs: '203.0.113.0/24',
};
const noEnv = {};

function rejects(raw: RawConfig, setting: string, shows: string | RegExp): void {
  assert.throws(
    () => loadConfig(raw, noEnv),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
      assert.equal(error.setting, setting);
      assert.match(error.message, new RegExp(`^invalid setting \`${setting}\``));
      if (typeof shows === 'string')
        assert.ok(error.message.includes(shows), `${error.message} should show ${shows}`);
      else assert.match(error.message, shows);
      // Lowercase, and says what to do.
      assert.equal(error.message[0], error.message[0]?.toLowerCase());
      return true;
    },
  );
}

describe('config', () => {
  it('fills the documented defaults', () => {
    const config = loadConfig(valid, noEnv);
    assert.deepEqual(config.apiAllowedCidrs, ['203.0.113.0/24']);
    assert.equal(config.argocdExposed, false, 'no certificate, no exposure');
    assert.deepEqual(config.argocdAllowedCidrs, []);
    assert.deepEqual(config.gitlabWebhookCidrs, []);
    assert.equal(config.region, 'eu-central-1');
    assert.equal(config.gitlabHost, 'gitlab.com');
    assert.equal(config.gitlabAudience, 'https://gitlab.com');
    assert.deepEqual(config.environments, [
      { name: 'prod', branch: 'main', repositoryName: 'mlops-inference-service', keepImages: 30 },
      { name: 'dev', branch: 'develop', repositoryName: 'mlops-inference-service-dev', keepImages: 10 },
    ]);
    assert.equal(config.untaggedExpiryDays, 7);
    assert.equal(config.kubernetesVersion, DEFAULTS.kubernetesVersion);
    assert.equal(config.nodeCount, 2);
    assert.equal(config.nodeMaxCount, 4);
    assert.equal(config.nodeArchitecture, 'x86_64');
    assert.equal(config.gitRepoUrl, 'https://gitlab.com/acme/mlops.git');
    assert.equal(config.argocdChartVersion, DEFAULTS.argocdChartVersion);
  });

  it('reads command-line strings: numbers, comma lists, a self-managed GitLab host', () => {
    const config = loadConfig(
      {
        ...valid,
        region: 'us-east-2',
        gitlabHost: 'gitlab.example.org',
        prodBranch: ' release/2026 ',
        devKeepImages: '3',
        nodeCount: '3',
        nodeInstanceType: 'm7g.large',
        clusterAdminArns: 'arn:aws:iam::123456789012:role/Admin',
      },
      noEnv,
    );
    assert.equal(config.region, 'us-east-2');
    assert.equal(config.gitlabAudience, 'https://gitlab.example.org');
    assert.equal(config.environments[0].branch, 'release/2026');
    assert.equal(config.environments[1].keepImages, 3);
    assert.equal(config.nodeCount, 3);
    assert.equal(config.nodeArchitecture, 'arm64', 'm7g is Graviton');
    assert.deepEqual(config.clusterAdminArns, ['arn:aws:iam::123456789012:role/Admin']);
  });

  it('takes the account from CDK_DEFAULT_ACCOUNT when the context has none', () => {
    const config = loadConfig(
      { gitlabProjectPath: 'acme/mlops', apiAllowedCidrs: 'private' },
      { CDK_DEFAULT_ACCOUNT: '210987654321' },
    );
    assert.equal(config.account, '210987654321');
  });

  it('rejects a missing project path, naming the setting and the fix', () => {
    rejects({ account: '123456789012' }, 'gitlabProjectPath', '-c gitlabProjectPath=');
  });

  it('rejects a project path without a group', () => {
    rejects({ ...valid, gitlabProjectPath: 'mlops' }, 'gitlabProjectPath', '`mlops`');
  });

  it('rejects an invalid region, showing the value', () => {
    rejects({ ...valid, region: 'eu-central' }, 'region', '`eu-central`');
    rejects({ ...valid, region: 'EU-CENTRAL-1' }, 'region', '`EU-CENTRAL-1`');
    rejects({ ...valid, region: 'mars-north-1' }, 'region', '`mars-north-1`');
  });

  it('rejects a node count of 0', () => {
    rejects({ ...valid, nodeCount: 0 }, 'nodeCount', '`0`');
    rejects({ ...valid, nodeCount: '0' }, 'nodeCount', /from 1 to 100/);
    rejects({ ...valid, nodeCount: 'two' }, 'nodeCount', '`two`');
  });

  it('rejects a missing or malformed account', () => {
    rejects({ gitlabProjectPath: 'acme/mlops' }, 'account', /12-digit/);
    rejects({ ...valid, account: '1234' }, 'account', '`1234`');
  });

  it('rejects a wildcard branch, which would widen the trust policy', () => {
    rejects({ ...valid, prodBranch: 'main*' }, 'prodBranch', '`main*`');
    rejects({ ...valid, devBranch: '*' }, 'devBranch', '`*`');
  });

  it('refuses one branch for both environments, or repositories that overlap', () => {
    rejects({ ...valid, devBranch: 'main' }, 'devBranch', /prod and dev need different branches/);
    rejects(
      { ...valid, devEcrRepositoryName: 'mlops-inference-service' },
      'devEcrRepositoryName',
      /collides with prod's repository or its layer cache/,
    );
    rejects(
      { ...valid, prodEcrRepositoryName: 'app', devEcrRepositoryName: 'app/build-cache' },
      'devEcrRepositoryName',
      '`app/build-cache`',
    );
    rejects({ ...valid, prodEcrRepositoryName: 'Upper' }, 'prodEcrRepositoryName', '`Upper`');
  });

  it('rejects a GitLab host given as a URL', () => {
    rejects({ ...valid, gitlabHost: 'https://gitlab.com' }, 'gitlabHost', /without https:\/\//);
  });

  it('refuses chart version ranges so every deploy installs the same Argo CD', () => {
    rejects({ ...valid, argocdChartVersion: '^10.9.0' }, 'argocdChartVersion', '`^10.9.0`');
  });

  it('rejects an unsupported Kubernetes version, listing the supported ones', () => {
    rejects({ ...valid, kubernetesVersion: '1.29' }, 'kubernetesVersion', /1\.34, 1\.35, 1\.36/);
  });

  it('rejects an unknown instance type and a max below the count', () => {
    rejects({ ...valid, nodeInstanceType: 'large' }, 'nodeInstanceType', '`large`');
    rejects({ ...valid, nodeCount: 3, nodeMaxCount: 2 }, 'nodeMaxCount', '`2`');
  });

  it('names two AZs of the region by default and rejects a single or foreign zone', () => {
    assert.deepEqual(loadConfig(valid, noEnv).availabilityZones, ['eu-central-1a', 'eu-central-1b']);
    rejects({ ...valid, availabilityZones: 'eu-central-1a' }, 'availabilityZones', /at least two/);
    rejects({ ...valid, availabilityZones: 'eu-central-1a,us-east-1b' }, 'availabilityZones', '`us-east-1b`');
  });

  it('wants a domain and its certificate together, the certificate in the same region', () => {
    rejects({ ...valid, argocdDomain: 'argocd.example.com' }, 'argocdCertificateArn', /set both/);
    rejects(
      {
        ...valid,
        argocdDomain: 'argocd.example.com',
        argocdCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123',
      },
      'argocdCertificateArn',
      /in eu-central-1/,
    );
  });

  it('names what replaced a setting of the single-environment version', () => {
    assert.throws(
      () => rejectUnknownSettings({ protectedBranches: 'main,develop' }),
      /^ConfigError: invalid setting `protectedBranches`: this setting was removed; .*`-c prodBranch=main` and `-c devBranch=develop`/,
    );
    assert.throws(
      () => rejectUnknownSettings({ ecrRepositoryName: 'x' }),
      /`ecrRepositoryName`: this setting was removed; .*`-c prodEcrRepositoryName=\.\.\.` and `-c devEcrRepositoryName=\.\.\.`/,
    );
    assert.throws(
      () => rejectUnknownSettings({ keepImages: '30' }),
      /`keepImages`: this setting was removed; .*`-c prodKeepImages=30` and `-c devKeepImages=10`/,
    );
    // Inherited object members are not settings of any version.
    assert.throws(() => rejectUnknownSettings({ toString: 'x' }), /`toString`: this app has no such setting/);
  });

  it('names the setting a misspelt key was meant to be', () => {
    assert.throws(() => rejectUnknownSettings({ nodecount: '0' }), /`nodecount`: .*did you mean `nodeCount`/);
    assert.throws(
      () => rejectUnknownSettings({ projectPath: 'a/b' }),
      /`projectPath`: .*the settings are account, region/,
    );
    // CDK's own context keys pass.
    rejectUnknownSettings({
      '@aws-cdk/aws-eks:useNativeOidcProvider': true,
      'aws:cdk:version-reporting': false,
    });
  });

  it('rejects a CIDR that is not one, or has host bits set', () => {
    rejects({ ...valid, apiAllowedCidrs: '10.0.0.0' }, 'apiAllowedCidrs', '`10.0.0.0`');
    rejects({ ...valid, apiAllowedCidrs: '10.0.0.300/24' }, 'apiAllowedCidrs', '`10.0.0.300/24`');
    rejects({ ...valid, apiAllowedCidrs: '10.0.0.0/33' }, 'apiAllowedCidrs', '`10.0.0.0/33`');
    rejects(
      { ...valid, apiAllowedCidrs: '203.0.113.7/24' },
      'apiAllowedCidrs',
      /the network is `203\.0\.113\.0\/24`/,
    );
  });
});

const CERT = 'arn:aws:acm:eu-central-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666';

describe('config: nothing open to the internet by default', () => {
  it('wants the Kubernetes API networks named, saying exactly what to pass', () => {
    const { apiAllowedCidrs: _omitted, ...withoutApi } = valid;
    rejects(
      withoutApi,
      'apiAllowedCidrs',
      'it is missing; the Kubernetes API is not open to the internet by default: pass the networks that may reach its public endpoint, e.g. `-c apiAllowedCidrs=203.0.113.0/24` (your office or VPN egress; comma-separate several), or `-c apiAllowedCidrs=private` for a private endpoint reachable only from inside the VPC',
    );
  });

  it('takes `private` for an endpoint reachable only from the VPC', () => {
    assert.equal(loadConfig({ ...valid, apiAllowedCidrs: 'private' }, noEnv).apiAllowedCidrs, 'private');
  });

  it('refuses 0.0.0.0/0 for the API, Argo CD and the webhook senders', () => {
    rejects(
      { ...valid, apiAllowedCidrs: '0.0.0.0/0' },
      'apiAllowedCidrs',
      /would open the Kubernetes API to the whole internet/,
    );
    const exposed = { ...valid, argocdDomain: 'argocd.example.com', argocdCertificateArn: CERT };
    rejects(
      { ...exposed, argocdAllowedCidrs: '198.51.100.0/24,0.0.0.0/0' },
      'argocdAllowedCidrs',
      /whole internet/,
    );
    rejects(
      { ...exposed, argocdAllowedCidrs: '198.51.100.0/24', gitlabWebhookCidrs: '0.0.0.0/0' },
      'gitlabWebhookCidrs',
      /whole internet/,
    );
  });

  it('exposes Argo CD only with a certificate, and then wants its networks named', () => {
    rejects(
      { ...valid, argocdDomain: 'argocd.example.com', argocdCertificateArn: CERT },
      'argocdAllowedCidrs',
      /it is missing; Argo CD gets an HTTPS load balancer for `argocd\.example\.com`, open only to the networks you name: pass e\.g\. `-c argocdAllowedCidrs=203\.0\.113\.0\/24` .*`-c gitlabWebhookCidrs=\.\.\.` \(GitLab\.com lists them at https:\/\/docs\.gitlab\.com\/user\/gitlab_com\/#ip-range\)/,
    );
    const config = loadConfig(
      {
        ...valid,
        argocdDomain: 'argocd.example.com',
        argocdCertificateArn: CERT,
        argocdAllowedCidrs: '198.51.100.0/24',
        gitlabWebhookCidrs: '192.0.2.0/28',
      },
      noEnv,
    );
    assert.equal(config.argocdExposed, true);
    assert.deepEqual(config.argocdAllowedCidrs, ['198.51.100.0/24']);
    assert.deepEqual(config.gitlabWebhookCidrs, ['192.0.2.0/28']);
  });

  it('refuses Argo CD networks without a certificate, since Argo CD is then not exposed', () => {
    rejects(
      { ...valid, argocdAllowedCidrs: '198.51.100.0/24' },
      'argocdAllowedCidrs',
      /has no effect: without `argocdDomain` and `argocdCertificateArn` Argo CD is not exposed at all/,
    );
    rejects({ ...valid, gitlabWebhookCidrs: '192.0.2.0/28' }, 'gitlabWebhookCidrs', /has no effect/);
  });
});

describe('bad configuration fails synthesis', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['a missing project path', { account: '123456789012' }, 'gitlabProjectPath'],
    [
      'no Kubernetes API networks',
      { account: '123456789012', gitlabProjectPath: 'acme/mlops' },
      'apiAllowedCidrs',
    ],
    ['an invalid region', { ...valid, region: 'eu-west-9x' }, 'region'],
    ['a node count of 0', { ...valid, nodeCount: 0 }, 'nodeCount'],
    ['a misspelt setting that CDK would ignore', { ...valid, nodecount: 0 }, 'nodecount'],
  ];
  for (const [name, context, setting] of cases) {
    it(`stops on ${name} before creating any stack`, () => {
      const app = new cdk.App({ context });
      assert.throws(() => buildApp(app), new RegExp(`invalid setting \`${setting}\``));
      assert.equal(app.node.children.length, 0, 'no construct is created from a bad config');
    });
  }
});
