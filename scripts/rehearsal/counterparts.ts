/**
 * The local counterparts of GitLab, ECR, EKS and Argo CD, started for one
 * rehearsal and stopped with it (docs/pipeline.md, "Local rehearsal"):
 *   GitLab repository  the project on the smart-HTTP git server (test/support/git-http-server.ts),
 *                      which sends GitLab push webhooks to Argo CD
 *   ECR                Debian's docker-registry on 127.0.0.1 (test/support/registry.ts)
 *   EKS                the real control plane with KWOK nodes (test/k8s/control-plane.ts)
 *   Argo CD            the real v3.6.1 (test/argocd/argocd.ts), installed from the
 *                      project's argocd/root.yaml as infra installs it
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  ArgoApi,
  type ArgoCd,
  installRoot,
  isSyncedAndHealthy,
  startArgoCd,
} from '../../test/argocd/argocd.js';
import { createGitLabProject, type GitLabProject } from '../../test/argocd/gitlab-project.js';
import { type ControlPlane, startControlPlane } from '../../test/k8s/control-plane.js';
import { REPO_ROOT } from '../../test/support/paths.js';
import { type Registry, startRegistry } from '../../test/support/registry.js';
import { ok } from './report.js';

const run = promisify(execFile);
export const PROD_APP = 'mlops-inference-service';
/** The first install: root → projects → apps, rendered and rolled out. */
const INSTALL_TIMEOUT_MS = 5 * 60_000;

export interface Counterparts {
  registry: Registry;
  plane: ControlPlane;
  project: GitLabProject;
  argo: ArgoCd;
  admin: ArgoApi;
  /** A token of mlops-prod's `pipeline` role: the pipeline's ARGOCD_AUTH_TOKEN. */
  pipelineToken: string;
  stop(): Promise<void>;
}

/** The project's files for the first commit: committed HEAD, or the work tree (tracked and untracked, not ignored). */
async function populate(dir: string, source: 'head' | 'worktree'): Promise<void> {
  const script =
    source === 'worktree'
      ? `git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\\0' "$f"; done | rsync -a --from0 --files-from=- ./ "$1/"`
      : 'git archive HEAD | tar -x -C "$1"';
  await run('bash', ['-c', script, 'populate', dir], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
}

export async function startCounterparts(work: string, source: 'head' | 'worktree'): Promise<Counterparts> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch(() => undefined);
  };
  try {
    const registry = await startRegistry();
    stops.push(() => registry.stop());
    ok(`registry (ECR stand-in) on http://${registry.host}`);

    const project = await createGitLabProject(work, {
      populate: (dir) => populate(dir, source),
      message: 'feat: the inference service, chart and pipeline',
    });
    stops.push(() => project.close());
    ok(`GitLab project on ${project.repoUrl} (main and develop)`);

    const plane = await startControlPlane();
    stops.push(() => plane.stop());
    const secret = `webhook-${Math.random().toString(36).slice(2)}`;
    // 180 s: Argo CD's own polling interval, which infra keeps; the webhook is what makes it fast.
    const argo = await startArgoCd(plane, {
      ARGOCD_WEBHOOK_GITLAB_SECRET: secret,
      ARGOCD_RECONCILIATION: '180s',
    });
    const admin = await ArgoApi.login(argo.server, 'admin', argo.adminPassword);
    project.server.addWebhook({ url: `${argo.server}/api/webhook`, token: secret });
    await installRoot(plane, project);
    const main = await project.git('rev-parse', 'origin/main');
    await admin.waitForApp(PROD_APP, 'Synced+Healthy', INSTALL_TIMEOUT_MS, (app) =>
      isSyncedAndHealthy(app, main) ? true : undefined,
    );
    ok(`Argo CD ${argo.server} on the control plane: ${PROD_APP} Synced and Healthy at ${main.slice(0, 12)}`);
    // For the whole rehearsal: six measured pipelines with their checks outlast an hour,
    // and a token of Argo CD's default hour made the last verify fail with 401.
    const pipelineToken = await admin.createProjectToken('mlops-prod', 'pipeline', 30_000, 12 * 3600);
    return { registry, plane, project, argo, admin, pipelineToken, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
