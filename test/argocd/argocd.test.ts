/**
 * The hub of the chain for real: Argo CD v3.6.1 (scripts/argocd-up.sh) on the
 * real control plane (scripts/k8s-up.sh), reading the GitLab project from a
 * real smart-HTTP git server that sends GitLab push webhooks. Installed the way
 * infra installs it: the repository credentials, then every document of
 * argocd/root.yaml; the root Application syncs the projects and both
 * Applications from Git.
 *
 * The tests run in order and share one install (each builds on the state the
 * one before left, as a real environment's history does).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseDocument } from 'yaml';
import { getApplicationEvents, getSyncMilestones } from '../../deployctl/src/argocd-events.js';
import { release } from '../../deployctl/src/commands/release.js';
import { rollback } from '../../deployctl/src/commands/rollback.js';
import { wait } from '../../deployctl/src/commands/wait.js';
import type { DeployctlError } from '../../deployctl/src/exit-codes.js';
import { type ControlPlane, startControlPlane } from '../k8s/control-plane.js';
import { KubeApiError, type KubeObject } from '../k8s/kube-api.js';
import { isServing, type Pod, recordPods } from '../k8s/rollout-recorder.js';
import { ArgoApi, type ArgoCd, describeApp, installRoot, isSyncedAndHealthy, startArgoCd } from './argocd.js';
import { createGitLabProject, type GitLabProject } from './gitlab-project.js';

const PROD = 'mlops-inference-service';
const DEV = 'mlops-inference-service-dev';
const SELECTOR = 'app.kubernetes.io/instance=mlops-inference-service';
const WEBHOOK_SECRET = `webhook-${Math.random().toString(36).slice(2)}`;
/** First install: the root syncs projects and apps, the apps render and roll out. */
const INSTALL_TIMEOUT_MS = 5 * 60_000;
/** One sync after a webhook: target ≤ 10 s; the bound leaves room for a loaded machine. */
const SYNC_TIMEOUT_MS = 120_000;
/**
 * Polling only: a refresh every timeout.reconciliation (180 s) plus up to 60 s
 * of jitter, and the repo server may answer one refresh from its revision
 * cache (also 180 s), so the worst case is about two intervals.
 */
const POLL_TIMEOUT_MS = 8 * 60_000;

let cp: ControlPlane;
let argo: ArgoCd;
let admin: ArgoApi;
let project: GitLabProject;
let work: string;
let removeHook: () => void = () => {};
const goodHook = () => ({ url: `${argo.server}/api/webhook`, token: WEBHOOK_SECRET });
/** Measured latencies, printed as diagnostics and collected for docs/pipeline.md. */
const latencies: Record<string, Awaited<ReturnType<typeof measure>>> = {};

function setYaml(dir: string, file: string, path: (string | number)[], value: unknown) {
  const full = join(dir, file);
  const doc = parseDocument(readFileSync(full, 'utf8'));
  doc.setIn(path, value);
  writeFileSync(full, doc.toString());
}

interface LiveDeployment extends KubeObject {
  metadata: KubeObject['metadata'] & { generation?: number; annotations?: Record<string, string> };
  spec: { replicas?: number; template: { spec: { containers: { name: string; image: string }[] } } };
  status: { readyReplicas?: number };
}

function deployment(namespace: string): Promise<LiveDeployment> {
  return cp.api.get(`/apis/apps/v1/namespaces/${namespace}/deployments/${PROD}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await cp.api.get(path);
    return true;
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return false;
    throw error;
  }
}

/** A source commit (a code-only change) on `branch`, as a developer pushes it. */
function codeChange(branch: string, note: string) {
  return project.commit(branch, `fix: ${note}`, (dir) => {
    writeFileSync(join(dir, 'CHANGES.txt'), `${note} ${Date.now()}\n`, { flag: 'a' });
  });
}

/** `deployctl release` in the working clone, as the pipeline's release job runs it. */
async function releaseCommit(env: 'prod' | 'dev', commit: string, digest?: string) {
  const result = await release({ env, commit, cwd: project.clone, pipeline: 'argocd-test', digest });
  assert.equal(result.status, 'released', JSON.stringify(result));
  assert.ok(result.releaseCommit);
  return { releaseCommit: result.releaseCommit, pushedAt: Date.now() };
}

/** A token of the AppProject role `pipeline`, as the pipeline's ARGOCD_AUTH_TOKEN. */
function pipelineToken(projectName: string): Promise<string> {
  return admin.createProjectToken(projectName);
}

/**
 * Push → Argo CD noticed (its "-> OutOfSync" event), → Synced (its "Sync
 * operation to REV succeeded" event) and → Healthy (its "-> Healthy" event,
 * or the sync's end when health never left Healthy): the same reading of Argo
 * CD's events of the app that `deployctl wait` records for the timeline
 * (deployctl/src/argocd-events.ts). Argo CD stamps them in whole seconds, so
 * each number is ±1 s.
 */
async function measure(app: string, revision: string, pushedAt: number) {
  const events = await getApplicationEvents({ server: argo.server, token: admin.token }, app);
  const milestones = getSyncMilestones(events, revision);
  assert.ok(
    milestones.synced,
    `Argo CD's events show no sync to ${revision}: ${JSON.stringify(events.slice(-8))}`,
  );
  const from = Math.floor(pushedAt / 1000) * 1000;
  const since = (at: string | undefined) => (at === undefined ? undefined : Date.parse(at) - from);
  return {
    noticedMs: since(milestones.refresh),
    syncedMs: since(milestones.synced) ?? Number.NaN,
    healthyMs: since(milestones.healthy) ?? Number.NaN,
  };
}

describe('Argo CD v3.6.1 on the real control plane', { timeout: 60 * 60_000 }, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'argocd-test-'));
    cp = await startControlPlane();
    project = await createGitLabProject(work);
    // 180 s: the poll interval of the argo-cd chart's argocd-cm, which infra keeps.
    argo = await startArgoCd(cp, {
      ARGOCD_WEBHOOK_GITLAB_SECRET: WEBHOOK_SECRET,
      ARGOCD_RECONCILIATION: '180s',
    });
    admin = await ArgoApi.login(argo.server, 'admin', argo.adminPassword);
    removeHook = project.server.addWebhook(goodHook());

    await installRoot(cp, project);
  });

  after(async () => {
    await project?.close();
    await cp?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
    if (Object.keys(latencies).length > 0) console.log(`argocd latencies (ms): ${JSON.stringify(latencies)}`);
  });

  test('argocd reports v3.6.1 and serves its API on 127.0.0.1', async () => {
    const answer = await admin.request<{ Version?: string }>('GET', '/api/version');
    assert.equal(answer.status, 200);
    assert.match(answer.body.Version ?? '', /^v3\.6\.1\b/);
    assert.match(argo.server, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('root → projects → both Applications Synced and Healthy, each on its branch and values file, waiting at 0 pods until their first release', async () => {
    const main = await project.git('rev-parse', 'origin/main');
    const develop = await project.git('rev-parse', 'origin/develop');
    const rootApp = await admin.waitForApp('mlops-root', 'Synced+Healthy', INSTALL_TIMEOUT_MS, (app) =>
      isSyncedAndHealthy(app, main) ? app : undefined,
    );
    assert.equal(rootApp.spec?.project, 'mlops-root');
    for (const [name, projectName, branch, sha, values, namespace] of [
      [PROD, 'mlops-prod', 'main', main, 'values-prod.yaml', 'default'],
      [DEV, 'mlops-dev', 'develop', develop, 'values-dev.yaml', 'mlops-dev'],
    ] as const) {
      const app = await admin.waitForApp(name, 'Synced+Healthy', INSTALL_TIMEOUT_MS, (a) =>
        isSyncedAndHealthy(a, sha) ? a : undefined,
      );
      assert.equal(app.spec?.project, projectName);
      assert.equal(app.spec?.source?.targetRevision, branch);
      assert.deepEqual(app.spec?.source?.helm?.valueFiles, [values]);
      assert.equal(app.spec?.destination?.namespace, namespace);
      // Before the first release (issue 17): no image to pull, so no pods, no HPA, and Healthy.
      const live = await deployment(namespace);
      assert.equal(live.spec.replicas, 0, `${namespace}: no pods before the first release`);
      assert.match(
        live.metadata.annotations?.['mlops-inference-chain/waiting-for-first-release'] ?? '',
        /no release yet/,
      );
      assert.equal(
        await exists(`/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers/${PROD}`),
        false,
      );
    }
    // The first release of each env brings the pods: prod's HPA takes over (3), dev runs one.
    for (const [env, name, sha] of [
      ['prod', PROD, main],
      ['dev', DEV, develop],
    ] as const) {
      const { releaseCommit: revision } = await releaseCommit(env, sha);
      await admin.waitForApp(name, 'Synced+Healthy at the first release', SYNC_TIMEOUT_MS, (app) =>
        isSyncedAndHealthy(app, revision) ? true : undefined,
      );
    }
    await cp.api.waitFor('prod: 3 ready pods (the HPA minimum)', SYNC_TIMEOUT_MS, async () =>
      (await deployment('default')).status.readyReplicas === 3 ? true : undefined,
    );
    assert.equal((await deployment('mlops-dev')).spec.replicas, 1);
  });

  test('scenario 1 with the webhook: a code-only release is synced at its commit, image tag = SHA, never below 3 ready', async () => {
    const source = await codeChange('main', 'a code-only change');
    let released: ReturnType<typeof releaseCommit> | undefined;
    const samples = await recordPods(
      cp.api,
      'default',
      SELECTOR,
      (pods) =>
        pods.length === 3 &&
        pods.every((p: Pod) => p.spec.containers[0]?.image.endsWith(`:${source}`) && isServing(p)),
      SYNC_TIMEOUT_MS,
      () => {
        released = releaseCommit('prod', source);
      },
    );
    const { releaseCommit: revision } = await released!;
    // deployctl wait, on the real API, with the prod pipeline role's token.
    const token = await pipelineToken('mlops-prod');
    // --commit/--env: it finds the release commit of the source commit in Git.
    const eventsFile = join(work, 'scenario-1-events.jsonl');
    const waited = await wait({
      app: PROD,
      commit: source,
      env: 'prod',
      server: argo.server,
      token,
      timeoutS: SYNC_TIMEOUT_MS / 1000,
      intervalS: 1,
      cwd: project.clone,
      eventsFile,
    });
    assert.equal(waited.revision, revision);
    assert.equal(waited.syncedRevision, revision);
    // The timeline gets Argo CD's own moments of this sync, read with the pipeline token.
    const recorded = readFileSync(eventsFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; at: string });
    assert.deepEqual(
      recorded.map((e) => e.event),
      ['argocd-refresh', 'argocd-synced', 'argocd-healthy', 'synced'],
    );
    const times = recorded.map((e) => Date.parse(e.at));
    assert.deepEqual(
      [...times].sort((a, b) => a - b),
      times,
      `in order: ${JSON.stringify(recorded)}`,
    );
    const live = await deployment('default');
    assert.match(live.spec.template.spec.containers[0]!.image, new RegExp(`:${source}$`));
    const lowest = Math.min(...samples.map((s) => s.serving));
    assert.ok(lowest >= 3, `ready pods dropped to ${lowest} during the rollout`);
    assert.ok(
      samples.some((s) => s.active > 3),
      'the rollout surged a new pod',
    );
    const delivery = project.server.deliveries.find((d) => d.after === revision);
    assert.equal(
      delivery?.status,
      200,
      `the webhook for ${revision} was delivered: ${JSON.stringify(delivery)}`,
    );
    latencies.webhook = await measure(PROD, revision, delivery.pushedAt);
    // The target is 10 s (docs/pipeline.md has the measured numbers); far below
    // the 180 s poll, the bound proves the webhook (not a poll) started the sync.
    assert.ok(latencies.webhook.syncedMs <= 30_000, `commit-to-Synced ${latencies.webhook.syncedMs} ms`);
  });

  test('scenario 3: a Dockerfile change gives a new image, deployed by tag and digest', async () => {
    const source = await project.commit('main', 'build: a new base image', (dir) => {
      writeFileSync(join(dir, 'Dockerfile'), `FROM node:24-bookworm-slim\n# ${Date.now()}\n`);
    });
    const digest = `sha256:${'ab'.repeat(32)}`;
    const { releaseCommit: revision } = await releaseCommit('prod', source, digest);
    await admin.waitForApp(PROD, 'Synced+Healthy at the release', SYNC_TIMEOUT_MS, (app) =>
      isSyncedAndHealthy(app, revision) ? true : undefined,
    );
    const image = (await deployment('default')).spec.template.spec.containers[0]!.image;
    assert.match(image, new RegExp(`:${source}@${digest}$`));
    assert.equal((await deployment('default')).status.readyReplicas, 3);
  });

  test('scenario 2: replicaCount 3 in values-dev.yaml gives three Ready pods in both zones', async () => {
    const revision = await project.commit('develop', 'chore(dev): three replicas', (dir) =>
      setYaml(dir, 'helm/values-dev.yaml', ['replicaCount'], 3),
    );
    await admin.waitForApp(DEV, 'Synced+Healthy with 3 replicas', SYNC_TIMEOUT_MS, (app) =>
      isSyncedAndHealthy(app, revision) ? true : undefined,
    );
    const live = await deployment('mlops-dev');
    assert.equal(live.spec.replicas, 3);
    assert.equal(live.status.readyReplicas, 3);
    const pods = await cp.api.get<{ items: Pod[] }>(
      `/api/v1/namespaces/mlops-dev/pods?labelSelector=${encodeURIComponent(SELECTOR)}`,
    );
    const nodes = new Set(pods.items.filter(isServing).map((p) => p.spec.nodeName?.replace(/\d$/, '')));
    assert.equal(nodes.size, 2, 'pods on nodes of both zones (kwok-node-a*, kwok-node-b*)');
  });

  test('selfHeal: a hand scale of dev and a hand edit of the prod image are reverted', async () => {
    const path = '/apis/apps/v1/namespaces/mlops-dev/deployments/mlops-inference-service';
    await cp.api.request(
      'PATCH',
      `${path}/scale`,
      JSON.stringify({ spec: { replicas: 5 } }),
      'application/merge-patch+json',
    );
    await cp.api.waitFor('dev scaled back to 3 by Argo CD', SYNC_TIMEOUT_MS, async () => {
      const live = await deployment('mlops-dev');
      return live.spec.replicas === 3 && live.metadata.generation !== undefined ? true : undefined;
    });
    const prodPath = '/apis/apps/v1/namespaces/default/deployments/mlops-inference-service';
    const before = (await deployment('default')).spec.template.spec.containers[0]!.image;
    const container = (await deployment('default')).spec.template.spec.containers[0]!.name;
    await cp.api.request(
      'PATCH',
      `${prodPath}?fieldManager=kubectl-edit`,
      JSON.stringify({
        spec: { template: { spec: { containers: [{ name: container, image: 'example.com/hand-edit:1' }] } } },
      }),
      'application/strategic-merge-patch+json',
    );
    await cp.api.waitFor('the prod image reverted by Argo CD', SYNC_TIMEOUT_MS, async () =>
      (await deployment('default')).spec.template.spec.containers[0]!.image === before ? true : undefined,
    );
  });

  test('a webhook with the wrong secret changes nothing', async () => {
    const synced = await admin.getApp(PROD);
    const revisionBefore = synced.status?.sync?.revision;
    const imageBefore = (await deployment('default')).spec.template.spec.containers[0]!.image;
    // The next poll is ≥ 150 s away only if Argo CD compared the app just now; else this proves nothing.
    const age = Date.now() - Date.parse(synced.status?.reconciledAt ?? '');
    assert.ok(age < 30_000, `the app was reconciled ${age} ms ago: a poll could interfere`);
    removeHook();
    const removeBad = project.server.addWebhook({ url: goodHook().url, token: 'not-the-secret' });
    try {
      const source = await codeChange('main', 'pushed while the hook has a wrong secret');
      const { releaseCommit: revision } = await releaseCommit('prod', source);
      await cp.api.waitFor('the webhook delivery', 15_000, async () =>
        project.server.deliveries.find((d) => d.after === revision) ? true : undefined,
      );
      const delivery = project.server.deliveries.find((d) => d.after === revision);
      assert.equal(delivery?.status, 400, 'Argo CD rejects the payload');
      await new Promise((r) => setTimeout(r, 15_000));
      const app = await admin.getApp(PROD);
      assert.equal(app.status?.sync?.revision, revisionBefore, 'Argo CD did not move to the new commit');
      assert.equal((await deployment('default')).spec.template.spec.containers[0]!.image, imageBefore);
      const log = readFileSync(join(argo.logs, 'server.log'), 'utf8');
      assert.match(log, /Webhook processing failed/);
    } finally {
      removeBad();
      removeHook = project.server.addWebhook(goodHook());
    }
    // The next good push (or a refresh) brings prod up to date again.
    const head = await project.git('rev-parse', 'origin/main');
    await admin.getApp(PROD, 'normal');
    await admin.waitForApp(PROD, 'Synced+Healthy at main', SYNC_TIMEOUT_MS, (app) =>
      isSyncedAndHealthy(app, head) ? true : undefined,
    );
  });

  test('prune: a template removed from the chart deletes its object (the prod PodDisruptionBudget)', async () => {
    const pdb = '/apis/policy/v1/namespaces/default/poddisruptionbudgets/mlops-inference-service';
    assert.ok(await exists(pdb), 'prod has a PodDisruptionBudget before');
    const revision = await project.commit('main', 'chore: drop the PodDisruptionBudget', (dir) =>
      unlinkSync(join(dir, 'helm/templates/pdb.yaml')),
    );
    await admin.waitForApp(PROD, 'Synced+Healthy without the PDB', SYNC_TIMEOUT_MS, (app) =>
      isSyncedAndHealthy(app, revision) ? true : undefined,
    );
    await cp.api.waitFor('the PDB deleted', 30_000, async () => ((await exists(pdb)) ? undefined : true));
  });

  test('allowEmpty: false: a commit that renders nothing leaves dev running and the Application says why', async () => {
    const revision = await project.commit('develop', 'chore: an empty chart', (dir) => {
      for (const file of [
        'configmap',
        'deployment',
        'hpa',
        'ingress',
        'networkpolicy',
        'pdb',
        'prometheusrule',
        'service',
        'serviceaccount',
        'servicemonitor',
      ]) {
        unlinkSync(join(dir, `helm/templates/${file}.yaml`));
      }
    });
    const why = await admin.waitForApp(DEV, 'a condition about the empty render', SYNC_TIMEOUT_MS, (app) => {
      const text = JSON.stringify(app.status?.conditions ?? []);
      return app.status?.sync?.revision === revision && /wipe out all resources/i.test(text)
        ? text
        : undefined;
    });
    assert.match(why, /auto-sync will wipe out all resources/);
    const app = await admin.getApp(DEV);
    assert.equal(app.status?.sync?.status, 'OutOfSync');
    assert.equal((await deployment('mlops-dev')).status.readyReplicas, 3, 'dev still runs its 3 pods');
    const restored = await project.revert('develop', revision);
    await admin.waitForApp(DEV, 'Synced+Healthy after the revert', SYNC_TIMEOUT_MS, (a) =>
      isSyncedAndHealthy(a, restored) ? true : undefined,
    );
  });

  test('the AppProject refuses a kind it does not allow and another namespace; nothing of it is applied', async () => {
    const before = (await admin.getApp(DEV)).status?.sync?.revision;
    const revision = await project.commit('develop', 'feat: a Role, and a ConfigMap in prod', (dir) => {
      writeFileSync(
        join(dir, 'helm/templates/zz-role.yaml'),
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: sneaky\nrules: []\n',
      );
      // issue 13: a develop chart that names namespace default must not reach prod.
      writeFileSync(
        join(dir, 'helm/templates/zz-configmap-default.yaml'),
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sneaky\n  namespace: default\ndata: {}\n',
      );
    });
    const refused = await admin.waitForApp(DEV, 'a permission error', SYNC_TIMEOUT_MS, (app) => {
      const text = JSON.stringify([app.status?.conditions, app.status?.operationState]);
      return app.status?.sync?.revision === revision && /not permitted in project/.test(text)
        ? text
        : undefined;
    });
    assert.match(
      refused,
      /Role is not permitted in project mlops-dev|rbac\.authorization\.k8s\.io:Role is not permitted/,
    );
    assert.match(refused, /namespace default is not permitted in project '?mlops-dev'?/);
    assert.equal(await exists('/apis/rbac.authorization.k8s.io/v1/namespaces/mlops-dev/roles/sneaky'), false);
    assert.equal(await exists('/api/v1/namespaces/default/configmaps/sneaky'), false);
    assert.notEqual(before, revision);
    // deployctl wait with dev's pipeline token: Argo CD retries the refused sync
    // (phase Running between attempts, retry 5×, ~5 min), but no retry can pass
    // the AppProject, so wait fails at once (exit 5) with Argo CD's reason.
    const token = await pipelineToken('mlops-dev');
    const started = Date.now();
    await assert.rejects(
      wait({
        app: DEV,
        revision,
        server: argo.server,
        token,
        timeoutS: 120,
        intervalS: 1,
        cwd: project.clone,
      }),
      (error: DeployctlError) => {
        assert.equal(error.kind, 'unhealthy', error.message);
        assert.match(error.message, /AppProject does not permit/);
        assert.match(error.message, /not permitted in project/);
        return true;
      },
    );
    assert.ok(
      Date.now() - started < 60_000,
      `wait failed fast (${Date.now() - started} ms), not at its bound`,
    );
    console.log(`argocd: a refused sync as Argo CD shows it: ${describeApp(await admin.getApp(DEV))}`);
    // A failing automated sync retries the same revision; stop it so the revert syncs at once.
    const terminated = await admin.request('DELETE', `/api/v1/applications/${DEV}/operation`);
    assert.equal(terminated.status, 200, JSON.stringify(terminated.body));
    const restored = await project.revert('develop', revision);
    await admin.waitForApp(DEV, 'Synced+Healthy after the revert', SYNC_TIMEOUT_MS, (a) =>
      isSyncedAndHealthy(a, restored) ? true : undefined,
    );
  });

  test('retry: a sync that fails once succeeds on the retry', async () => {
    // A transient rejection of the controller's writes to dev's Deployment,
    // lifted once Argo CD has seen the sync fail: an API hiccup on demand.
    const policy = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'argocd-test-transient-failure' },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            { apiGroups: ['apps'], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['deployments'] },
          ],
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'mlops-dev' } },
        },
        matchConditions: [
          {
            // Real writes only: Argo CD's diff and its pre-sync check are
            // server-side dry runs, and failing those makes a ComparisonError
            // (no sync at all) instead of a failed sync.
            name: 'argocd-writes-only',
            expression:
              "!request.dryRun && request.userInfo.username == 'system:serviceaccount:argocd:argocd-application-controller'",
          },
        ],
        validations: [{ expression: 'false', message: 'argocd-test: a transient rejection' }],
      },
    };
    const binding = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: 'argocd-test-transient-failure' },
      spec: { policyName: 'argocd-test-transient-failure', validationActions: ['Deny'] },
    };
    await cp.api.apply(policy);
    await cp.api.apply(binding);
    await new Promise((r) => setTimeout(r, 3000)); // the API server loads new policies within ~1 s
    const bindingPath = await cp.api.pathFor(
      binding.apiVersion,
      binding.kind,
      undefined,
      binding.metadata.name,
    );
    try {
      const source = await codeChange('develop', 'a dev change');
      const { releaseCommit: revision } = await releaseCommit('dev', source);
      const failed = await admin.waitForApp(
        DEV,
        'a failed first attempt, retrying',
        SYNC_TIMEOUT_MS,
        (app) => {
          const op = app.status?.operationState;
          return op?.operation?.sync?.revision === revision && (op.retryCount ?? 0) >= 1 ? op : undefined;
        },
      );
      assert.equal(failed.phase, 'Running');
      assert.match(failed.message ?? '', /a transient rejection.*Retrying attempt #1/s);
      await cp.api.request('DELETE', bindingPath);
      const app = await admin.waitForApp(DEV, 'Synced+Healthy on a retry', 3 * 60_000, (a) =>
        isSyncedAndHealthy(a, revision) ? a : undefined,
      );
      // The same operation (started when the first attempt failed) succeeded: its deploy is in
      // the history with that start. A later selfHeal sync may already have replaced it as
      // operationState, so the history is the record to read.
      const deploy = app.status?.history?.find(
        (h) => h.revision === revision && h.deployStartedAt === failed.startedAt,
      );
      assert.ok(
        deploy,
        `no deploy of ${revision} started ${failed.startedAt}: ${JSON.stringify(app.status?.history)}`,
      );
      assert.match(
        (await deployment('mlops-dev')).spec.template.spec.containers[0]!.image,
        new RegExp(source),
      );
    } finally {
      if (await exists(bindingPath)) await cp.api.request('DELETE', bindingPath);
      await cp.api.request(
        'DELETE',
        await cp.api.pathFor(policy.apiVersion, policy.kind, undefined, policy.metadata.name),
      );
    }
  });

  test('deployctl wait: bounded, it says what it last saw', async () => {
    const dev = await project.git('rev-parse', 'origin/develop');
    await admin.waitForApp(DEV, 'Synced+Healthy at develop', SYNC_TIMEOUT_MS, (app) =>
      isSyncedAndHealthy(app, dev) ? true : undefined,
    );
    const notOnDevelop = await project.git('rev-parse', 'origin/main');
    const token = await pipelineToken('mlops-dev');
    await assert.rejects(
      wait({
        app: DEV,
        revision: notOnDevelop,
        server: argo.server,
        token,
        timeoutS: 3,
        intervalS: 1,
        cwd: project.clone,
      }),
      (error: DeployctlError) => error.kind === 'timeout' && error.message.includes(`sync Synced at ${dev}`),
    );
  });

  test('deployctl wait: a token Argo CD does not know is reported as such', async () => {
    await assert.rejects(
      wait({
        app: PROD,
        revision: '1'.repeat(40),
        server: argo.server,
        token: 'not-a-token',
        timeoutS: 5,
        cwd: project.clone,
      }),
      (error: DeployctlError) => error.kind === 'input' && /refused the token/.test(error.message),
    );
  });

  test("the pipeline role's token gets and syncs its own Application and nothing else", async () => {
    const token = new ArgoApi(argo.server, await pipelineToken('mlops-prod'));
    assert.equal((await token.request('GET', `/api/v1/applications/${PROD}`)).status, 200);
    const sync = await token.request('POST', `/api/v1/applications/${PROD}/sync`, { prune: false });
    assert.equal(sync.status, 200, JSON.stringify(sync.body));
    const list = await token.request<{ items?: { metadata: { name: string } }[] }>(
      'GET',
      '/api/v1/applications',
    );
    assert.deepEqual(
      list.body.items?.map((a) => a.metadata.name),
      [PROD],
      'lists only its own app',
    );
    for (const [method, path] of [
      ['GET', `/api/v1/applications/${DEV}`],
      ['GET', '/api/v1/applications/mlops-root'],
      ['POST', `/api/v1/applications/${DEV}/sync`],
      ['DELETE', `/api/v1/applications/${PROD}`],
      ['PUT', `/api/v1/applications/${PROD}`],
      ['GET', '/api/v1/projects/mlops-dev'],
      ['POST', '/api/v1/projects/mlops-prod/roles/pipeline/token'],
    ] as const) {
      const answer = await token.request(
        method,
        path,
        method === 'GET' || method === 'DELETE' ? undefined : {},
      );
      assert.ok(
        [403, 404].includes(answer.status),
        `${method} ${path}: HTTP ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`,
      );
    }
    // Argo CD lets a project token read its own project (server/rbacpolicy): the
    // spec and the token ids, never a token itself.
    const own = await token.request('GET', '/api/v1/projects/mlops-prod');
    assert.equal(own.status, 200);
    assert.doesNotMatch(JSON.stringify(own.body), /eyJ[\w-]+\.[\w-]+\./, 'no JWT in the project');
    // Secrets Argo CD holds: repository and cluster credentials are not listed to it.
    for (const path of ['/api/v1/repositories', '/api/v1/clusters', '/api/v1/repocreds']) {
      const answer = await token.request<{ items?: unknown[] | null }>('GET', path);
      assert.ok(
        answer.status !== 200 || (answer.body.items ?? []).length === 0,
        `${path}: ${JSON.stringify(answer.body)}`,
      );
    }
    assert.equal((await admin.getApp(PROD)).metadata?.name, PROD, 'the app is still there');
  });

  test('deployctl rollback is carried out by Argo CD: the previous SHA is live again', async () => {
    const current = (await deployment('default')).spec.template.spec.containers[0]!.image;
    const result = await rollback({
      env: 'prod',
      cwd: project.clone,
      pipeline: 'argocd-test',
      skipImageCheck: true,
    });
    assert.equal(result.status, 'released', JSON.stringify(result));
    assert.ok(result.releaseCommit);
    const token = await pipelineToken('mlops-prod');
    await wait({
      app: PROD,
      revision: result.releaseCommit,
      server: argo.server,
      token,
      timeoutS: SYNC_TIMEOUT_MS / 1000,
      intervalS: 1,
      cwd: project.clone,
    });
    const image = (await deployment('default')).spec.template.spec.containers[0]!.image;
    assert.notEqual(image, current);
    assert.match(
      image,
      new RegExp(`:${result.commit}(@|$)`),
      `prod runs the previous release ${result.commit}`,
    );
  });

  test('latency without the webhook: polling alone picks the release up', async () => {
    removeHook();
    try {
      const source = await codeChange('main', 'a change nobody announces');
      const pushedAt = Date.now();
      const { releaseCommit: revision } = await releaseCommit('prod', source);
      await admin.waitForApp(PROD, 'Synced+Healthy by polling', POLL_TIMEOUT_MS, (app) =>
        isSyncedAndHealthy(app, revision) ? true : undefined,
      );
      assert.equal(
        project.server.deliveries.find((d) => d.after === revision),
        undefined,
        'no webhook was sent',
      );
      latencies.polling = await measure(PROD, revision, pushedAt);
    } finally {
      removeHook = project.server.addWebhook(goodHook());
    }
  });
});
