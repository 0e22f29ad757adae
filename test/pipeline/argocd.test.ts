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
import { helmBin as findHelm } from '../support/helm.js';
import { REPO_ROOT } from '../support/paths.js';

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  // The admission policy in root.yaml keeps its rules under spec too; read loosely as well.
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
const admission = all.filter((m) => m.apiVersion.startsWith('admissionregistration.k8s.io/'));
const project = (name: string) => {
  const found = projects.find((p) => p.metadata.name === name);
  assert.ok(found, `AppProject ${name} exists in argocd/`);
  return found;
};
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
    assert.ok(applications.length >= 3 && projects.length >= 4, 'Applications and the AppProjects exist');
    for (const manifest of all) {
      if (manifest.kind === 'Application') new Application(manifest as never).validate();
      else if (manifest.kind === 'AppProject') new AppProject(manifest as never).validate();
      else if (admission.includes(manifest)) {
        // Cluster-scoped; the real kube-apiserver checks these (test/k8s/chart-on-kubernetes.test.ts).
        assert.equal(manifest.metadata.namespace, undefined, `${manifest.kind} is cluster-scoped`);
        continue;
      } else assert.fail(`unexpected kind ${manifest.kind} in argocd/`);
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

  test('teardown: both Applications cascade-delete their resources (the Ingress, so its ALB); root never prunes prod', () => {
    for (const application of workloadApps()) {
      assert.deepEqual(
        (application.metadata as { finalizers?: string[] }).finalizers,
        ['resources-finalizer.argocd.argoproj.io'],
        `${application.metadata.name} has the resources finalizer`,
      );
    }
    // Resource-level sync option (Argo CD user guide, "Sync Options": no prune).
    assert.equal(prod().metadata.annotations?.['argocd.argoproj.io/sync-options'], 'Prune=false');
    const root = app('mlops-root');
    assert.equal(root.spec.syncPolicy.automated.prune, true, 'root prunes, so the annotation matters');
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

  test('each environment has its own AppProject: this repository, its one namespace, nothing else', () => {
    const expected = [
      { application: prod(), project: 'mlops-prod', namespace: 'default', cluster: [] },
      // CreateNamespace makes mlops-dev; `default` always exists, so prod needs no cluster kind.
      {
        application: dev(),
        project: 'mlops-dev',
        namespace: 'mlops-dev',
        cluster: [{ group: '', kind: 'Namespace' }],
      },
    ];
    for (const { application, project: name, namespace, cluster } of expected) {
      assert.equal(application.spec.project, name, `${application.metadata.name}'s project`);
      const { spec } = project(name);
      assert.deepEqual(spec.sourceRepos, [application.spec.source.repoURL], `${name}: one repository`);
      assert.deepEqual(spec.destinations, [{ server: IN_CLUSTER, namespace }], `${name}: one namespace`);
      assert.deepEqual(spec.clusterResourceWhitelist, cluster, `${name}: cluster-scoped kinds`);
      const kinds = spec.namespaceResourceWhitelist.map((r: GroupKind) => `${r.group}/${r.kind}`);
      // Of argoproj.io, only Argo Rollouts' kinds (the canary strategy); never Argo CD's.
      const rollouts = ['argoproj.io/Rollout', 'argoproj.io/AnalysisTemplate'];
      assert.ok(
        !kinds.some(
          (k: string) =>
            k.includes('*') ||
            (k.startsWith('argoproj.io/') && !rollouts.includes(k)) ||
            k.startsWith('rbac.'),
        ),
        `${name} must not allow wildcards, Argo CD or RBAC kinds: ${kinds.join(', ')}`,
      );
      assert.equal(project(name).metadata.annotations?.['argocd.argoproj.io/sync-wave'], '-1');
    }
  });

  test('each pipeline role may only get and sync its own environment’s Application', () => {
    for (const application of workloadApps()) {
      const name = application.spec.project;
      const roles: Array<{ name: string; policies: string[] }> = project(name).spec.roles;
      assert.deepEqual(
        roles.map((r) => r.name),
        ['pipeline'],
      );
      const target = `${name}/${application.metadata.name}`;
      assert.deepEqual(roles[0]!.policies, [
        `p, proj:${name}:pipeline, applications, get, ${target}, allow`,
        `p, proj:${name}:pipeline, applications, sync, ${target}, allow`,
      ]);
    }
  });

  test('root.yaml: the locked default project, then mlops-root, then the root Application in it', () => {
    const kinds = (manifests.get('root.yaml') ?? []).map((m) => `${m.kind}/${m.metadata.name}`);
    assert.deepEqual(kinds, [
      'ValidatingAdmissionPolicy/mlops-argocd-guardrails',
      'ValidatingAdmissionPolicyBinding/mlops-argocd-guardrails',
      'AppProject/default',
      'AppProject/mlops-root',
      'Application/mlops-root',
    ]);
    // Applied in this order by hand (infra); the wave orders them should Argo CD ever sync the file.
    assert.equal(project('mlops-root').metadata.annotations?.['argocd.argoproj.io/sync-wave'], '-1');
    assert.equal(app('mlops-root').spec.project, 'mlops-root', 'the root app must not run in `default`');
  });

  test('the default project is locked down: no repository, no destination, no kind', () => {
    // Argo CD's "Projects" guide; every list spelled out so applying over the install's
    // wildcard `default` replaces them instead of keeping them.
    const { spec } = project('default');
    assert.deepEqual(spec.sourceRepos, []);
    assert.deepEqual(spec.sourceNamespaces, []);
    assert.deepEqual(spec.destinations, []);
    assert.deepEqual(spec.clusterResourceWhitelist, []);
    assert.deepEqual(spec.namespaceResourceWhitelist, []);
    assert.deepEqual(spec.namespaceResourceBlacklist, [{ group: '*', kind: '*' }]);
    const probe = { group: 'apps', kind: 'Deployment', namespace: 'default' };
    assert.match(syncPermissionError(project('default'), probe) ?? '', /not permitted/);
  });

  test('mlops-root may create only AppProjects and Applications in argocd, from this repository', () => {
    const root = project('mlops-root');
    assert.deepEqual(root.spec.sourceRepos, [app('mlops-root').spec.source.repoURL]);
    assert.deepEqual(root.spec.destinations, [{ server: IN_CLUSTER, namespace: 'argocd' }]);
    assert.deepEqual(root.spec.clusterResourceWhitelist, []);
    assert.deepEqual(root.spec.namespaceResourceWhitelist, [
      { group: 'argoproj.io', kind: 'AppProject' },
      { group: 'argoproj.io', kind: 'Application' },
    ]);
    // What the root app syncs today passes Argo CD's check...
    for (const file of ['project.yaml', 'application.yaml', 'application-dev.yaml']) {
      for (const m of manifests.get(file) ?? []) {
        const object = { group: 'argoproj.io', kind: m.kind, namespace: m.metadata.namespace };
        assert.equal(syncPermissionError(root, object), undefined, `${file}: ${m.kind}/${m.metadata.name}`);
      }
    }
    // ...and the escalation issue 13 describes does not: a ClusterRoleBinding added to
    // project.yaml, or a workload slipped into another namespace.
    assert.match(
      syncPermissionError(root, { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' }) ?? '',
      /resource rbac\.authorization\.k8s\.io:ClusterRoleBinding is not permitted in project mlops-root/,
    );
    assert.match(
      syncPermissionError(root, { group: 'apps', kind: 'Deployment', namespace: 'argocd' }) ?? '',
      /not permitted in project mlops-root/,
    );
    assert.match(
      syncPermissionError(root, { group: 'argoproj.io', kind: 'Application', namespace: 'default' }) ?? '',
      /namespace default is not permitted in project 'mlops-root'/,
    );
  });

  test('app of apps: root.yaml syncs every other manifest of argocd/ from the same repository, not itself', () => {
    const root = app('mlops-root');
    assert.equal(root.spec.source.path, 'argocd');
    assert.equal(root.spec.destination.namespace, 'argocd');
    assert.equal(root.spec.syncPolicy.automated.selfHeal, true);
    const include: string = root.spec.source.directory.include;
    const included = /^\{(.+)\}$/.exec(include)?.[1]?.split(',') ?? [include];
    const others = [...manifests.keys()].filter((f) => f !== 'root.yaml').sort();
    assert.deepEqual([...included].sort(), others, 'every other manifest file, and not root.yaml');
    // One repository everywhere.
    const urls = new Set([
      ...applications.map((a) => a.spec.source.repoURL),
      ...projects.flatMap((p) => p.spec.sourceRepos),
    ]);
    assert.equal(urls.size, 1, `one repoURL, got ${[...urls].join(', ')}`);
  });
});

/*
 * Argo CD's sync-time permission check, ported from argo-cd v3.5.7 (the CRDs test/k8s
 * installs): controller/sync.go validateSyncPermissions, and AppProject
 * IsGroupKindNamePermitted / isDestinationMatched / globMatch in
 * pkg/apis/application/v1alpha1/app_project_types.go. Limitation: this is a port, not
 * Argo CD. No Argo CD runs here yet (a later issue brings one), so "a develop chart that
 * names namespace default fails to sync" is checked against these rules rather than a
 * real sync; the port follows the source line by line (deny patterns, nil vs empty
 * whitelists, the in-cluster name) so it refuses and allows what Argo CD does.
 */
type GroupKind = { group: string; kind: string };
type Project = Manifest;
/** The in-cluster destination as Argo CD resolves it (server and name both set). */
const IN_CLUSTER_CLUSTER = { server: IN_CLUSTER, name: 'in-cluster' };

/** gobwas/glob as Argo CD compiles it without separators: * ? [..] {a,b}; or Go's filepath.Match when `slash`. */
function globToRegExp(pattern: string, slash = false): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += slash ? '[^/]*' : '.*';
    else if (c === '?') out += slash ? '[^/]' : '.';
    else if (c === '[') {
      const close = pattern.indexOf(']', i);
      out += `[${pattern.slice(i + 1, close).replace(/^!/, '^')}]`;
      i = close;
    } else if (c === '{' && !slash) {
      const close = pattern.indexOf('}', i);
      out += `(?:${pattern
        .slice(i + 1, close)
        .split(',')
        .map((alt) => alt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|')})`;
      i = close;
    } else out += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}
const isDenyPattern = (pattern: string) => pattern.startsWith('!');
function globMatch(pattern: string, value: string): boolean {
  if (isDenyPattern(pattern)) return !globToRegExp(pattern.slice(1)).test(value);
  return pattern === '*' || globToRegExp(pattern).test(value);
}
const inList = (res: GroupKind, list: GroupKind[]) =>
  list.some(
    (item) => globToRegExp(item.kind, true).test(res.kind) && globToRegExp(item.group, true).test(res.group),
  );

function isGroupKindPermitted(project: Project, res: GroupKind, namespaced: boolean): boolean {
  const { spec } = project;
  if (namespaced) {
    const white: GroupKind[] | undefined = spec.namespaceResourceWhitelist;
    const black: GroupKind[] = spec.namespaceResourceBlacklist ?? [];
    const whiteListed = white === undefined || (white.length !== 0 && inList(res, white));
    return whiteListed && !(black.length !== 0 && inList(res, black));
  }
  const white: GroupKind[] = spec.clusterResourceWhitelist ?? [];
  const black: GroupKind[] = spec.clusterResourceBlacklist ?? [];
  return white.length !== 0 && inList(res, white) && !(black.length !== 0 && inList(res, black));
}

function isDestinationMatched(
  project: Project,
  dst: { server: string; name: string; namespace: string },
): boolean {
  let any = false;
  for (const item of (project.spec.destinations ?? []) as Array<Record<string, string>>) {
    const [name, server, namespace] = [item.name ?? '', item.server ?? '', item.namespace ?? ''];
    const nameMatched = dst.name !== '' && globMatch(name, dst.name);
    const serverMatched = dst.server !== '' && globMatch(server, dst.server);
    const namespaceMatched = globMatch(namespace, dst.namespace);
    if ((serverMatched || nameMatched) && namespaceMatched) any = true;
    else if (
      (!nameMatched && isDenyPattern(name)) ||
      (!serverMatched && isDenyPattern(server) && namespaceMatched)
    )
      return false;
    else if (!namespaceMatched && isDenyPattern(namespace) && serverMatched) return false;
  }
  return any;
}

/** Argo CD's message for an object it refuses to sync in `project`, or undefined when it is permitted. */
function syncPermissionError(
  project: Project,
  object: GroupKind & { namespace?: string | undefined },
): string | undefined {
  const namespaced = object.namespace !== undefined && object.namespace !== '';
  if (!isGroupKindPermitted(project, object, namespaced))
    return `resource ${object.group}:${object.kind} is not permitted in project ${project.metadata.name}`;
  if (namespaced && !isDestinationMatched(project, { ...IN_CLUSTER_CLUSTER, namespace: object.namespace! }))
    return `namespace ${object.namespace} is not permitted in project '${project.metadata.name}'`;
  return undefined;
}

/** `helm template` of the chart as an Application renders it, as (group, kind, namespace) triples. */
function renderForSync(
  helmBin: string,
  args: string[],
): Array<GroupKind & { namespace?: string; name: string }> {
  const rendered = execFileSync(helmBin, ['template', 'mlops-inference-service', 'helm', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return parseAllDocuments(rendered).flatMap((doc) => {
    const m = doc.toJS() as {
      apiVersion: string;
      kind: string;
      metadata: { name: string; namespace?: string };
    } | null;
    if (!m) return [];
    const group = m.apiVersion.includes('/') ? m.apiVersion.split('/')[0]! : '';
    return [{ group, kind: m.kind, name: m.metadata.name, namespace: m.metadata.namespace }];
  });
}

describe('AppProject rules as Argo CD evaluates them at sync', () => {
  let helmBin: string;
  before(() => {
    helmBin = findHelm();
  });

  test('the port agrees with Argo CD on wildcards, deny patterns and nil vs empty whitelists', () => {
    const wide = {
      ...project('mlops-prod'),
      spec: {
        destinations: [
          { server: '*', namespace: 'mlops-*' },
          { server: '*', namespace: '!kube-system' },
        ],
      },
    } as Project;
    assert.equal(
      syncPermissionError(wide, { group: 'apps', kind: 'Deployment', namespace: 'mlops-x' }),
      undefined,
    );
    assert.match(
      syncPermissionError(wide, { group: 'apps', kind: 'Deployment', namespace: 'kube-system' }) ?? '',
      /namespace kube-system/,
    );
    assert.match(
      syncPermissionError(wide, { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' }) ?? '',
      /not permitted/,
      'no cluster whitelist: nothing cluster-scoped',
    );
  });

  test('a develop chart that names namespace default is refused by mlops-dev and allowed by mlops-prod', () => {
    // values-dev.yaml as the dev Application renders it, but with the namespace a
    // malicious or mistaken develop commit could hard-code: `default` (prod's).
    const objects = renderForSync(helmBin, ['-f', 'helm/values-dev.yaml', '--namespace', 'default']);
    assert.ok(
      objects.some((o) => o.kind === 'Deployment'),
      'the chart rendered',
    );
    for (const object of objects) {
      const where = `${object.kind}/${object.name} in ${object.namespace}`;
      assert.equal(object.namespace, 'default', where);
      assert.equal(
        syncPermissionError(project(dev().spec.project), object),
        `namespace default is not permitted in project 'mlops-dev'`,
        where,
      );
      assert.equal(syncPermissionError(project(prod().spec.project), object), undefined, where);
    }
    // The same chart in its own namespace syncs, so the refusal above is the namespace's doing.
    for (const object of renderForSync(helmBin, ['-f', 'helm/values-dev.yaml', '--namespace', 'mlops-dev']))
      assert.equal(
        syncPermissionError(project('mlops-dev'), object),
        undefined,
        `${object.kind}/${object.name}`,
      );
  });

  test('prod’s chart rendered into mlops-dev is refused by mlops-prod', () => {
    for (const object of renderForSync(helmBin, ['-f', 'helm/values-prod.yaml', '--namespace', 'mlops-dev']))
      assert.match(
        syncPermissionError(project('mlops-prod'), object) ?? '',
        /namespace mlops-dev is not permitted/,
      );
  });

  test('an environment project refuses Argo CD kinds and cluster-scoped RBAC', () => {
    for (const name of ['mlops-prod', 'mlops-dev']) {
      const [namespace] = project(name).spec.destinations.map((d: { namespace: string }) => d.namespace);
      for (const kind of ['Application', 'AppProject'])
        assert.match(
          syncPermissionError(project(name), { group: 'argoproj.io', kind, namespace }) ?? '',
          /not permitted/,
        );
      assert.match(
        syncPermissionError(project(name), {
          group: 'rbac.authorization.k8s.io',
          kind: 'ClusterRoleBinding',
        }) ?? '',
        /not permitted/,
      );
    }
  });
});

describe('argocd/ ↔ chart ↔ pipeline consistency', () => {
  let helmBin: string;
  before(() => {
    helmBin = findHelm();
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

  test('each environment’s values file names its own ECR repository, the one its release job pushes', () => {
    // Per-environment repositories (issue 13): a develop pipeline must not be able to
    // write the repository prod pulls from, so dev's is `…/mlops-inference-service-dev`.
    const ci = parse(readFileSync(join(REPO_ROOT, '.gitlab-ci.yml'), 'utf8'));
    // A job's variables as GitLab merges them: global, then each `extends` (in order), then its own and its rules'.
    const jobVariables = (name: string): Record<string, string> => {
      const job = ci[name] ?? {};
      const parents: string[] = [job.extends ?? []].flat();
      const fromRules = (job.rules ?? []).map((rule: { variables?: object }) => rule.variables ?? {});
      return Object.assign({}, ...parents.map(jobVariables), job.variables ?? {}, ...fromRules);
    };
    const pushed: Record<string, string> = {};
    for (const envName of ['prod', 'dev']) {
      const file = `values-${envName}.yaml`;
      const repository: string = parse(readFileSync(join(REPO_ROOT, 'helm', file), 'utf8')).image.repository;
      const account = /^(\d{12})\./.exec(repository)?.[1];
      assert.ok(account, `${file}: ${repository} is an ECR repository URI`);
      // Expand $VARS the way GitLab does, with the account taken from the file.
      const env: Record<string, string> = { AWS_ACCOUNT_ID: account };
      const expand = (value: string) => value.replace(/\$(\w+)/g, (_, name: string) => env[name] ?? '');
      const variables = { ...ci.variables, ...jobVariables(`release-${envName}`) };
      for (const [name, value] of Object.entries(variables)) env[name] = expand(String(value));
      pushed[envName] = env.IMAGE_REPOSITORY ?? '';
      assert.equal(
        repository,
        `${account}.dkr.ecr.eu-central-1.amazonaws.com/mlops-inference-service${envName === 'dev' ? '-dev' : ''}`,
        `${file}: the environment's own repository`,
      );
      assert.equal(repository, pushed[envName], `${file} names what release-${envName} pushes`);
    }
  });

  test('each environment’s AppProject allows every kind the chart renders, in every scenario', () => {
    const scenarios = [
      ['-f', 'helm/values-prod.yaml'],
      ['-f', 'helm/values-dev.yaml'],
      // Every values file under helm/ci, the canary's (helm/ci/rollouts/) included.
      ...readdirSync(join(REPO_ROOT, 'helm', 'ci'), { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => ['-f', `helm/ci/${f}`]),
    ];
    let rendered = 0;
    for (const application of workloadApps()) {
      const namespace = application.spec.destination.namespace;
      for (const args of scenarios) {
        for (const object of renderForSync(helmBin, [...args, '--namespace', namespace])) {
          rendered++;
          assert.equal(
            syncPermissionError(project(application.spec.project), object),
            undefined,
            `${args[1]}: ${object.kind}/${object.name}`,
          );
        }
      }
    }
    assert.ok(rendered > 0, 'the chart rendered');
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

  test('points every Application and AppProject at the given repository, and leaves default locked', () => {
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
        assert.deepEqual(m.spec.sourceRepos, m.metadata.name === 'default' ? [] : [url], m.metadata.name);
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
