/**
 * `deployctl setup` against the real Argo CD v3.6.1 (scripts/argocd-up.sh) on
 * the real control plane: its Argo CD part stores the repository credential
 * (`POST /api/v1/repositories?upsert=true`, over the placeholder Secret infra's
 * ExternalSecret makes before the deploy token is set) and mints the
 * pipelines' tokens (`POST /api/v1/projects/{project}/roles/pipeline/token`).
 * The GitLab side is deployctl's GitLab REST API test double (GitLab's own
 * server cannot run here) and the shell side (cdk, aws, kubectl) the recording
 * runner of deployctl's setup tests; Argo CD, the Kubernetes API and the git
 * server it reads are real. One Argo CD for this file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GitLabClient } from '../../deployctl/src/gitlab-api.js';
import { ArgoCdSetupClient } from '../../deployctl/src/setup-argocd.js';
import { getSetupPlan, type SetupInput } from '../../deployctl/src/setup-plan.js';
import { runSetup, type SetupRunOptions } from '../../deployctl/src/setup-run.js';
import { GitLabApiDouble } from '../../deployctl/test/support/gitlab-api-double.js';
import { createRecordingShell, type RecordingShell } from '../../deployctl/test/support/setup-shell.js';
import { type ControlPlane, startControlPlane } from '../k8s/control-plane.js';
import { parseManifests } from '../k8s/tools.js';
import { ArgoApi, type ArgoCd, startArgoCd } from './argocd.js';
import { createGitLabProject, type GitLabProject } from './gitlab-project.js';

const TOKEN = 'glpat-argocd-setup-test';
const GITLAB_PROJECT = 'my-group/mlops-inference-chain';
const PROD = 'mlops-inference-service';
const DEV = 'mlops-inference-service-dev';

let cp: ControlPlane;
let argo: ArgoCd;
let admin: ArgoApi;
let project: GitLabProject;
let gitlab: GitLabApiDouble;
let shell: RecordingShell;
let work: string;
let input: SetupInput;

function options(): SetupRunOptions {
  return {
    input,
    cwd: work,
    stateDir: join(work, 'state'),
    gitlab: new GitLabClient({ url: gitlab.url, token: TOKEN, project: GITLAB_PROJECT, retryBaseMs: 5 }),
    argocd: new ArgoCdSetupClient(argo.server),
    runner: shell.runner,
  };
}

const variable = (key: string, scope: string) =>
  gitlab.state.variables.find((v) => v.key === key && v.environment_scope === scope)?.value ?? '';

describe('deployctl setup: the Argo CD part, against the real Argo CD v3.6.1', {
  timeout: 60 * 60_000,
}, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'setup-argocd-'));
    cp = await startControlPlane();
    project = await createGitLabProject(work);
    argo = await startArgoCd(cp, {});
    admin = await ArgoApi.login(argo.server, 'admin', argo.adminPassword);
    // What the cluster stack leaves before setup: the repository Secret that infra's
    // ExternalSecret fills from Secrets Manager's placeholder (not a working credential) ...
    await cp.api.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'gitlab-repository',
        namespace: 'argocd',
        labels: { 'argocd.argoproj.io/secret-type': 'repository' },
      },
      stringData: {
        type: 'git',
        url: project.repoUrl,
        username: 'set-me-to-the-deploy-token-username',
        password: 'placeholder',
      },
    });
    // ... and the AppProjects and Applications the root Application syncs from Git.
    for (const file of ['project.yaml', 'application.yaml', 'application-dev.yaml']) {
      const text = readFileSync(join(project.clone, 'argocd', file), 'utf8');
      for (const object of parseManifests(text)) await cp.api.apply(object, { namespace: 'argocd' });
    }
    gitlab = new GitLabApiDouble({
      token: TOKEN,
      project: GITLAB_PROJECT,
      // The git server takes its read token from any user, as GitLab takes a deploy token.
      issueDeployToken: () => project.readToken,
    });
    await gitlab.start();
    shell = createRecordingShell({
      exposed: false,
      webhookSecret: 'unused',
      adminPassword: argo.adminPassword,
    });
    input = {
      project: GITLAB_PROJECT,
      gitlabUrl: 'https://gitlab.com',
      gitRepoUrl: project.repoUrl,
      awsProfile: 'mlops',
      region: 'eu-central-1',
      apiAllowedCidrs: '203.0.113.0/24',
      clusterAdminArn: 'arn:aws:iam::111122223333:role/Admin',
      tier: 'free',
      defaultBranch: 'main',
    };
  });

  after(async () => {
    await gitlab?.close();
    await project?.close();
    await cp?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('setup stores the repository credential over the placeholder and mints a working token per environment', async () => {
    const result = await runSetup(options(), getSetupPlan(input));
    const status = (title: RegExp) => result.results.find((r) => title.test(r.title))?.status;
    assert.equal(status(/^Argo CD's repository credential$/), 'created');
    assert.equal(status(/^Argo CD token for prod's pipeline/), 'created');
    assert.equal(status(/^Argo CD token for dev's pipeline/), 'created');
    // The admin password came from the initial admin secret, through kubectl.
    assert.ok(
      shell.calls.some((c) =>
        c.argv.join(' ').startsWith('kubectl -n argocd get secret argocd-initial-admin-secret'),
      ),
    );

    // The credential is visible through the API, with the deploy token's user, and works.
    const [deployToken] = gitlab.state.deployTokens;
    assert.ok(deployToken);
    const repo = await admin.request<{
      repo?: string;
      username?: string;
      password?: string;
      connectionState?: { status?: string };
    }>('GET', `/api/v1/repositories/${encodeURIComponent(project.repoUrl)}`);
    assert.equal(repo.status, 200, JSON.stringify(repo.body));
    assert.equal(repo.body.username, deployToken.username);
    assert.equal(repo.body.connectionState?.status, 'Successful');
    assert.ok(!repo.body.password, 'the API never shows the password');
    // The same credential went to Secrets Manager, which External Secrets keeps the cluster in step with.
    assert.deepEqual(JSON.parse(shell.secrets.get('mlops/argocd/gitlab-repository') ?? '{}'), {
      username: deployToken.username,
      password: project.readToken,
    });

    // Each token works, for its own project role only.
    const prod = new ArgoApi(argo.server, variable('ARGOCD_AUTH_TOKEN', 'prod'));
    const dev = new ArgoApi(argo.server, variable('ARGOCD_AUTH_TOKEN', 'dev'));
    assert.equal((await prod.request('GET', `/api/v1/applications/${PROD}`)).status, 200);
    assert.equal((await dev.request('GET', `/api/v1/applications/${DEV}`)).status, 200);
    // Denied is 403, or 404 where Argo CD does not tell whether the object exists.
    const denied = (status: number) => assert.ok([403, 404].includes(status), `HTTP ${status}`);
    denied((await prod.request('GET', `/api/v1/applications/${DEV}`)).status);
    denied((await dev.request('GET', `/api/v1/applications/${PROD}`)).status);
    const listed = await prod.request<{ items?: { metadata: { name: string } }[] }>(
      'GET',
      '/api/v1/applications',
    );
    assert.deepEqual(
      (listed.body.items ?? []).map((app) => app.metadata.name),
      [PROD],
    );
    // Not an admin: it may not change the project its role lives in.
    denied((await prod.request('DELETE', '/api/v1/projects/mlops-dev')).status);
    denied((await prod.request('GET', `/api/v1/repositories/${encodeURIComponent(project.repoUrl)}`)).status);
    assert.equal(
      (await new ArgoApi(argo.server, 'not-a-token').request('GET', `/api/v1/applications/${PROD}`)).status,
      401,
    );
  });

  test('a second run changes nothing in GitLab or Argo CD and says so', async () => {
    const writes = gitlab.writes().length;
    const tokens = [variable('ARGOCD_AUTH_TOKEN', 'prod'), variable('ARGOCD_AUTH_TOKEN', 'dev')];
    const result = await runSetup(options(), getSetupPlan(input));
    assert.deepEqual(
      result.results
        .filter((r) => /^(Argo CD|CI\/CD variable ARGOCD_AUTH_TOKEN)/.test(r.title))
        .map((r) => r.status),
      [
        'already present',
        'already present',
        'already present',
        'already present',
        'already present',
        'already present',
      ],
    );
    assert.equal(gitlab.writes().length, writes);
    assert.deepEqual([variable('ARGOCD_AUTH_TOKEN', 'prod'), variable('ARGOCD_AUTH_TOKEN', 'dev')], tokens);
  });

  test('a token revoked in Argo CD is replaced on the next run', async () => {
    const old = variable('ARGOCD_AUTH_TOKEN', 'prod');
    const claims = JSON.parse(Buffer.from(old.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      iat: number;
      jti: string;
    };
    const revoked = await admin.request(
      'DELETE',
      `/api/v1/projects/mlops-prod/roles/pipeline/token/${claims.iat}?id=${encodeURIComponent(claims.jti)}`,
    );
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    const deadline = Date.now() + 30_000;
    while (
      (await new ArgoApi(argo.server, old).request('GET', `/api/v1/applications/${PROD}`)).status === 200
    ) {
      assert.ok(Date.now() < deadline, 'Argo CD still accepts the revoked token');
      await new Promise((r) => setTimeout(r, 500));
    }
    const result = await runSetup(options(), getSetupPlan(input));
    assert.equal(result.results.find((r) => /^Argo CD token for prod's/.test(r.title))?.status, 'updated');
    assert.equal(
      result.results.find((r) => /^CI\/CD variable ARGOCD_AUTH_TOKEN for prod/.test(r.title))?.status,
      'updated',
    );
    const fresh = variable('ARGOCD_AUTH_TOKEN', 'prod');
    assert.notEqual(fresh, old);
    assert.equal(
      (await new ArgoApi(argo.server, fresh).request('GET', `/api/v1/applications/${PROD}`)).status,
      200,
    );
  });
});
