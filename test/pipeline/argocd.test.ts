/**
 * argocd/: the manifests against Argo CD's CRD schemas, and their consistency
 * with the chart (path, value files, release name, rendered kinds) and with
 * the pipeline (the values key it writes, the image repository it pushes).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { Application, AppProject } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import { parse, parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './gitlab-ci-local.js';

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: read loosely after the CRD-schema test has checked the shapes
  spec: Record<string, any>;
};

const ARGOCD_DIR = join(REPO_ROOT, 'argocd');
const IN_CLUSTER = 'https://kubernetes.default.svc';

/** Sync options Argo CD documents (user-guide/sync-options); a typo would be ignored silently. */
const KNOWN_SYNC_OPTIONS = new Set([
  'CreateNamespace=true',
  'ServerSideApply=true',
  'PruneLast=true',
  'ApplyOutOfSyncOnly=true',
  'PrunePropagationPolicy=foreground',
  'PrunePropagationPolicy=background',
  'PrunePropagationPolicy=orphan',
  'Validate=false',
  'RespectIgnoreDifferences=true',
  'Replace=true',
  'FailOnSharedResource=true',
  'SkipDryRunOnMissingResource=true',
]);

function loadManifests(): Map<string, Manifest[]> {
  const files = new Map<string, Manifest[]>();
  for (const file of readdirSync(ARGOCD_DIR).filter((f) => f.endsWith('.yaml'))) {
    const docs = parseAllDocuments(readFileSync(join(ARGOCD_DIR, file), 'utf8'));
    for (const doc of docs) assert.deepEqual(doc.errors, [], `${file} is valid YAML`);
    files.set(
      file,
      docs.map((doc) => doc.toJS() as Manifest).filter((m) => m !== null),
    );
  }
  return files;
}

const manifests = loadManifests();
const all = [...manifests.values()].flat();
const applications = all.filter((m) => m.kind === 'Application');
const projects = all.filter((m) => m.kind === 'AppProject');
const app = (name: string) => {
  const found = applications.find((a) => a.metadata.name === name);
  assert.ok(found, `Application ${name} exists in argocd/`);
  return found;
};
const prod = () => app('mlops-inference-service');
const dev = () => app('mlops-inference-service-dev');
const workloadApps = () => [prod(), dev()];

describe('argocd/ manifests', () => {
  test('every manifest is valid against the Argo CD CRD schemas', () => {
    assert.ok(applications.length >= 3 && projects.length >= 1, 'Applications and an AppProject exist');
    for (const manifest of all) {
      if (manifest.kind === 'Application') new Application(manifest as never).validate();
      else if (manifest.kind === 'AppProject') new AppProject(manifest as never).validate();
      else assert.fail(`unexpected kind ${manifest.kind} in argocd/`);
      assert.equal(
        manifest.metadata.namespace,
        'argocd',
        `${manifest.metadata.name} lives in the argocd namespace`,
      );
    }
  });

  test('schema validation is real: a wrong type is rejected', () => {
    const broken = structuredClone(prod());
    broken.spec.syncPolicy.automated.prune = 'yes';
    assert.throws(() => new Application(broken as never).validate());
  });

  test('prod is the original design’s Application: main, helm/, automated prune/selfHeal, no empty syncs', () => {
    const { spec } = prod();
    assert.equal(spec.source.targetRevision, 'main');
    assert.equal(spec.source.path, 'helm');
    assert.deepEqual(spec.source.helm.valueFiles, ['values-prod.yaml']);
    assert.deepEqual(spec.syncPolicy.automated, { prune: true, selfHeal: true, allowEmpty: false });
    assert.deepEqual(spec.destination, { server: IN_CLUSTER, namespace: 'default' });
  });

  test('dev tracks develop with values-dev.yaml in mlops-dev', () => {
    const { spec } = dev();
    assert.equal(spec.source.targetRevision, 'develop');
    assert.equal(spec.source.path, 'helm');
    assert.deepEqual(spec.source.helm.valueFiles, ['values-dev.yaml']);
    assert.deepEqual(spec.syncPolicy.automated, { prune: true, selfHeal: true, allowEmpty: false });
    assert.deepEqual(spec.destination, { server: IN_CLUSTER, namespace: 'mlops-dev' });
  });

  test('no Application overrides image.tag (it would pin the tag over the values file)', () => {
    for (const application of applications) {
      const helm = application.spec.source?.helm ?? {};
      const parameters: Array<{ name: string }> = helm.parameters ?? [];
      assert.deepEqual(
        parameters.filter((p) => p.name.startsWith('image')),
        [],
        `${application.metadata.name} has image parameters`,
      );
      const inline = parse(helm.values ?? '{}') ?? {};
      const object = helm.valuesObject ?? {};
      assert.equal(inline.image, undefined, `${application.metadata.name} sets image in helm.values`);
      assert.equal(object.image, undefined, `${application.metadata.name} sets image in helm.valuesObject`);
    }
  });

  test('sync options are ones Argo CD knows, with CreateNamespace and server-side apply; retries back off', () => {
    for (const application of workloadApps()) {
      const options: string[] = application.spec.syncPolicy.syncOptions;
      for (const option of options)
        assert.ok(KNOWN_SYNC_OPTIONS.has(option), `unknown sync option ${option}`);
      assert.ok(options.includes('CreateNamespace=true'));
      assert.ok(options.includes('ServerSideApply=true'));
      const { retry } = application.spec.syncPolicy;
      assert.ok(retry.limit > 0);
      assert.ok(Number(retry.backoff.factor) >= 2);
      assert.match(retry.backoff.duration, /^\d+[sm]$/);
      assert.match(retry.backoff.maxDuration, /^\d+[sm]$/);
    }
  });

  test('the AppProject limits sources and destinations to this repository and the two namespaces', () => {
    const project = projects[0]!;
    for (const application of workloadApps()) {
      assert.equal(application.spec.project, project.metadata.name);
      assert.ok(project.spec.sourceRepos.includes(application.spec.source.repoURL));
      assert.ok(
        project.spec.destinations.some(
          (d: { server: string; namespace: string }) =>
            d.server === application.spec.destination.server &&
            d.namespace === application.spec.destination.namespace,
        ),
        `${application.metadata.name}'s destination is allowed`,
      );
    }
    assert.ok(!project.spec.sourceRepos.includes('*'), 'no wildcard source');
    assert.equal(project.spec.destinations.length, 2);
    assert.deepEqual(project.spec.clusterResourceWhitelist, [{ group: '', kind: 'Namespace' }]);
  });

  test('app of apps: root.yaml syncs every other manifest of argocd/ from the same repository, not itself', () => {
    const [root, ...rest] = manifests.get('root.yaml') ?? [];
    assert.ok(root && rest.length === 0, 'root.yaml holds exactly the root Application');
    assert.equal(root.kind, 'Application');
    assert.equal(root.spec.source.path, 'argocd');
    assert.equal(root.spec.destination.namespace, 'argocd');
    assert.equal(root.spec.syncPolicy.automated.selfHeal, true);
    const include: string = root.spec.source.directory.include;
    const included = /^\{(.+)\}$/.exec(include)?.[1]?.split(',') ?? [include];
    const others = [...manifests.keys()].filter((f) => f !== 'root.yaml').sort();
    assert.deepEqual([...included].sort(), others, 'every other manifest file, and not root.yaml');
    // One repository everywhere; the project's sync wave puts it before the Applications.
    const urls = new Set(applications.map((a) => a.spec.source.repoURL));
    assert.equal(urls.size, 1, `one repoURL, got ${[...urls].join(', ')}`);
    assert.equal(projects[0]!.metadata.annotations?.['argocd.argoproj.io/sync-wave'], '-1');
  });
});

describe('argocd/ ↔ chart ↔ pipeline consistency', () => {
  let helmBin: string;
  before(() => {
    helmBin = execFileSync('bash', [join(REPO_ROOT, 'scripts', 'ensure-helm.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
  });

  test('path, value files and release name exist in the chart', () => {
    const chart = parse(readFileSync(join(REPO_ROOT, 'helm', 'Chart.yaml'), 'utf8'));
    for (const application of workloadApps()) {
      const { source } = application.spec;
      assert.ok(existsSync(join(REPO_ROOT, source.path, 'Chart.yaml')), `${source.path}/Chart.yaml exists`);
      for (const file of source.helm.valueFiles) {
        assert.ok(existsSync(join(REPO_ROOT, source.path, file)), `${source.path}/${file} exists`);
      }
      assert.equal(
        source.helm.releaseName,
        chart.name,
        'Helm release named like the chart (docs/contracts.md)',
      );
    }
  });

  test('the values files hold the keys the pipeline writes (image.repository, image.tag)', () => {
    for (const application of workloadApps()) {
      for (const file of application.spec.source.helm.valueFiles) {
        const values = parse(readFileSync(join(REPO_ROOT, 'helm', file), 'utf8'));
        assert.ok('tag' in values.image, `${file} has image.tag`);
        assert.equal(typeof values.image.repository, 'string', `${file} has image.repository`);
      }
    }
  });

  test("the image repository in each values file is what that environment's pipeline pushes", () => {
    const ci = parse(readFileSync(join(REPO_ROOT, '.gitlab-ci.yml'), 'utf8'));
    // Global variables, then the environment's own (.on-prod / .on-dev), as GitLab layers them.
    for (const [file, hidden] of [
      ['values-prod.yaml', '.on-prod'],
      ['values-dev.yaml', '.on-dev'],
    ] as const) {
      const repository: string = parse(readFileSync(join(REPO_ROOT, 'helm', file), 'utf8')).image.repository;
      const account = /^(\d{12})\./.exec(repository)?.[1];
      assert.ok(account, `${file}: ${repository} is an ECR repository URI`);
      // Expand $VARS the way GitLab does, with the account taken from the file.
      const env: Record<string, string> = { AWS_ACCOUNT_ID: account };
      const expand = (value: string) => value.replace(/\$(\w+)/g, (_, name: string) => env[name] ?? '');
      for (const vars of [ci.variables, ci[hidden].variables] as Record<string, string>[]) {
        for (const [name, value] of Object.entries(vars)) env[name] = expand(String(value));
      }
      assert.equal(repository, env.IMAGE_REPOSITORY, `${file} names what publish-image pushes for ${hidden}`);
    }
  });

  test('the AppProject allows every kind the chart renders, in every scenario', () => {
    const project = projects[0]!;
    const allowed = new Set(
      project.spec.namespaceResourceWhitelist.map(
        (r: { group: string; kind: string }) => `${r.group}/${r.kind}`,
      ),
    );
    const scenarios = [
      ['-f', 'helm/values-prod.yaml'],
      ['-f', 'helm/values-dev.yaml'],
      ...readdirSync(join(REPO_ROOT, 'helm', 'ci')).map((f) => ['-f', `helm/ci/${f}`]),
    ];
    const seen = new Set<string>();
    for (const args of scenarios) {
      const rendered = execFileSync(helmBin, ['template', 'mlops-inference-service', 'helm', ...args], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      });
      for (const doc of parseAllDocuments(rendered)) {
        const m = doc.toJS() as { apiVersion: string; kind: string } | null;
        if (!m) continue;
        const group = m.apiVersion.includes('/') ? m.apiVersion.split('/')[0] : '';
        seen.add(`${group}/${m.kind}`);
      }
    }
    for (const kind of seen) assert.ok(allowed.has(kind), `the AppProject does not allow ${kind}`);
    assert.ok(seen.has('apps/Deployment'), 'the chart rendered');
  });
});

describe('scripts/set-argocd-repo.sh', () => {
  const script = join(REPO_ROOT, 'scripts', 'set-argocd-repo.sh');
  const copy = () => {
    const dir = mkdtempSync(join(tmpdir(), 'argocd-'));
    cpSync(ARGOCD_DIR, dir, { recursive: true });
    return dir;
  };
  const read = (dir: string) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as Manifest));

  test('points every Application and the AppProject at the given repository', () => {
    const dir = copy();
    try {
      const url = 'https://gitlab.example.com/my-group/sub/mlops.git';
      const result = spawnSync('bash', [script, url], {
        env: { ...process.env, ARGOCD_DIR: dir },
        encoding: 'utf8',
      });
      assert.equal(result.status, 0, result.stderr);
      const changed = read(dir);
      for (const m of changed.filter((x) => x.kind === 'Application')) {
        assert.equal(m.spec.source.repoURL, url, m.metadata.name);
        new Application(m as never).validate();
      }
      for (const m of changed.filter((x) => x.kind === 'AppProject'))
        assert.deepEqual(m.spec.sourceRepos, [url]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('rejects a URL that is not https …/….git, and changes nothing', () => {
    const dir = copy();
    try {
      const before = read(dir);
      const result = spawnSync('bash', [script, 'git@gitlab.com:group/project.git'], {
        env: { ...process.env, ARGOCD_DIR: dir },
        encoding: 'utf8',
      });
      assert.equal(result.status, 2);
      assert.match(result.stderr, /usage: scripts\/set-argocd-repo\.sh https:/);
      assert.deepEqual(read(dir), before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
