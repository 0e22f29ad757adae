/**
 * The local rehearsal (`npm run pipeline:local`): the real .gitlab-ci.yml, run
 * by gitlab-ci-local's shell executor, against local counterparts of GitLab,
 * ECR, EKS and Argo CD (counterparts.ts), for two pushes:
 *   1. the project → build → publish → release: the release commit reaches the
 *      git server, whose GitLab push webhook makes the real Argo CD refresh and
 *      sync it; the Deployment rolls on the KWOK nodes of the real
 *      kube-apiserver; verify runs `deployctl wait` on Argo CD's API with the
 *      `pipeline` role's token, then checks the service; timeline shows Argo
 *      CD's own refresh, sync and Healthy times;
 *   2. a code-only change (the original design's scenario 1, which never
 *      redeployed there): the environment moves to the new commit. `--change
 *      KIND`, repeatable, replaces it with that list of pushes, one pipeline
 *      each (code, lockfile, dockerfile: changes.ts), and the report gives the
 *      push-to-live p50 of each kind.
 * VERIFY RUNS AGAINST A STAND-IN POD: KWOK pods run no containers, so after
 * each sync the rehearsal runs the image that the synced Deployment names (read
 * from the Kubernetes API) with buildah, and verify checks that process
 * (pod.ts). The check jobs are left out (SKIP_CHECKS: `npm test` runs them)
 * unless `--with-checks` asks for the release gate (issue 11): then each
 * pipeline runs the jobs publish-image waits for, and the report adds the
 * critical path a GitLab with enough runners would see (the gate's jobs and
 * the build side by side, then publish → release → verify). `--cold` runs every
 * job as a fresh runner would (gitlab-ci-local's shell isolation, an empty
 * HOME, only GitLab's cache and artifacts carried over; gitlab-ci.ts `JobMode`).
 * Pipeline 1 is then the first pipeline of a project (it fills the caches; its
 * `tools` job, TOOLS_BUILD=true, builds the tools from source once), pipeline 2
 * the measured one: a code-only change, whose check jobs get the tools from
 * gitlab-ci-local's cache only. Without `--cold` the check jobs use this
 * machine's tools cache, as on a warm runner.
 *
 * Environment: PIPELINE_LOCAL_SOURCE=head (default: the committed HEAD) or
 * worktree; PIPELINE_LOCAL_KEEP=1 keeps the temp dir. Exit 0 only if every
 * check passed. Run it through scripts/with-image-store.sh (package.json does),
 * which holds the image store's lock and sets buildah's storage.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../test/support/paths.js';
import { CHANGES } from './changes.js';
import {
  checkNoPipelineForReleaseCommit,
  checkRegistry,
  checkReleaseCommit,
  checkServedVersion,
} from './checks.js';
import { type Counterparts, PROD_APP, startCounterparts } from './counterparts.js';
import { type Checkout, createCheckout, gateJobs, type JobMode, runJob } from './gitlab-ci.js';
import { parseRehearsalArgs, type RehearsalOptions } from './options.js';
import { type Pod, runPod, waitForDeployedImage } from './pod.js';
import {
  criticalPath,
  criticalPathSeconds,
  formatRuns,
  formatStages,
  type MeasuredRun,
  ok,
  RehearsalFailure,
  type StageTime,
  say,
} from './report.js';
import { formatTimeline, readTimeline } from './timeline.js';

const run = promisify(execFile);
/** Release commit → the Deployment names the new image: a webhook-driven sync takes seconds; 180 s polling is the fallback. */
const ROLLOUT_TIMEOUT_MS = 5 * 60_000;

async function prepare(): Promise<{ runtime: string; builder: string }> {
  for (const script of ['ensure-pipeline-tools.sh', 'ensure-image-tools.sh']) {
    await run('bash', [join(REPO_ROOT, 'scripts', script)], { maxBuffer: 16 * 1024 * 1024 });
  }
  const { stdout } = await run('bash', [join(REPO_ROOT, 'scripts', 'make-standin-base.sh')], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const value = (key: string) =>
    /^(\w+)=(.*)$/m.exec(stdout.split('\n').find((l) => l.startsWith(`${key}=`)) ?? '')?.[2];
  const runtime = value('RUNTIME');
  const builder = value('BUILDER');
  if (!runtime || !builder) throw new Error(`make-standin-base.sh printed no RUNTIME/BUILDER:\n${stdout}`);
  return { runtime, builder };
}

interface Rehearsal {
  chain: Counterparts;
  work: string;
  variables: Record<string, string>;
  stages: StageTime[];
  pod: Pod | undefined;
  withChecks: boolean;
  mode: JobMode;
}

/** One pipeline for `sha` on main: build → publish → release, the sync, verify and timeline. */
async function pipeline(r: Rehearsal, name: string, sha: string): Promise<Checkout> {
  const checkout = await createCheckout(r.work, name, r.chain.project.pushUrl, sha);
  // --cold: pipeline 1 is a project's first pipeline, which runs the `tools` job
  // (GitLab counts a new branch's first push as a change to what it builds;
  // here the Run pipeline form's TOOLS_BUILD says so) and fills the tools cache.
  const variables = r.mode.cold && name === '1' ? { ...r.variables, TOOLS_BUILD: 'true' } : r.variables;
  const gate = r.withChecks
    ? await gateJobs(checkout, variables)
    : { first: [], beforeBuild: [], afterBuild: [] };
  const jobs = [
    ...gate.first,
    ...gate.beforeBuild,
    'build-image',
    ...gate.afterBuild,
    'publish-image',
    'release-prod',
  ];
  for (const job of jobs) {
    r.stages.push(await runJob(checkout, job, variables, r.mode));
  }
  say(`checks after pipeline ${name}`);
  await checkRegistry(r.chain.registry.host, sha);
  const releaseCommit = await checkReleaseCommit(r.chain.project, sha);
  const delivery = r.chain.project.server.deliveries.find((d) => d.after === releaseCommit);
  if (delivery?.status === 200)
    ok(`the git server's GitLab webhook told Argo CD about ${releaseCommit.slice(0, 12)}`);
  // Argo CD rolls the Deployment; the stand-in kubelet runs what it now names.
  const image = await waitForDeployedImage(r.chain.plane.api, 'default', PROD_APP, sha, ROLLOUT_TIMEOUT_MS);
  ok(`Argo CD rolled Deployment default/${PROD_APP} to ${image}`);
  await r.pod?.stop();
  r.pod = await runPod(image, r.work, `rehearsal-${name}`);
  await checkServedVersion(r.pod.url, image, sha);
  const tail = { ...r.variables, SERVICE_URL_PROD: r.pod.url };
  for (const job of ['verify-prod', 'timeline']) r.stages.push(await runJob(checkout, job, tail, r.mode));
  const timeline = readTimeline(checkout, r.mode);
  process.stderr.write(`${formatTimeline(name, timeline)}\n`);
  return checkout;
}

async function rehearse(work: string, options: RehearsalOptions): Promise<void> {
  say('stand-ins: base images, registry, git server, control plane, Argo CD');
  const { runtime, builder } = await prepare();
  const source = process.env.PIPELINE_LOCAL_SOURCE === 'worktree' ? 'worktree' : 'head';
  const chain = await startCounterparts(work, source);
  const r: Rehearsal = {
    chain,
    work,
    stages: [],
    pod: undefined,
    withChecks: options.withChecks,
    mode: { cold: options.cold },
    variables: {
      LOCAL_REHEARSAL: 'true',
      ...(options.withChecks ? {} : { SKIP_CHECKS: 'true' }),
      ECR_REGISTRY: chain.registry.host,
      REGISTRY_TLS_VERIFY: 'false',
      BASE_IMAGE: runtime,
      BUILD_BASE_IMAGE: builder,
      VERIFY_REPLICAS: '1',
      VERIFY_TIMEOUT_SECONDS: '120',
      WAIT_TIMEOUT_SECONDS: '300',
      ARGOCD_SERVER: chain.argo.server,
      ARGOCD_AUTH_TOKEN: chain.pipelineToken,
      // Until a pod runs: nothing answers here, and only verify asks.
      SERVICE_URL_PROD: 'http://127.0.0.1:9',
    },
  };
  try {
    say('pipeline 1: the project on main');
    const sha1 = await chain.project.git('rev-parse', 'origin/main');
    await pipeline(r, '1', sha1);
    await checkNoPipelineForReleaseCommit(chain.project);

    // The measured pushes: a code-only change by default (scenario 1), or the --change list.
    const measured: MeasuredRun[] = [];
    let previous = sha1;
    for (const [index, change] of options.changes.entries()) {
      const name = String(index + 2);
      const spec = CHANGES[change];
      say(`pipeline ${name}: ${spec.message}`);
      const stamp = new Date().toISOString();
      const sha = await chain.project.commit('main', spec.message, (dir) => spec.apply(dir, stamp));
      await pipeline(r, name, sha);
      ok(`the environment moved from ${previous} to ${sha} on a ${change} change`);
      previous = sha;
      const times = r.stages.filter((t) => t.pipeline === name);
      measured.push({ pipeline: name, change, seconds: criticalPathSeconds(times) });
      if (r.withChecks) {
        say(`pipeline ${name} (${change} change): push-to-live critical path with the checks (seconds)`);
        process.stderr.write(`${criticalPath(times)}\n`);
      }
    }

    say('stage durations (seconds)');
    process.stderr.write(`${formatStages(r.stages)}\n`);
    if (r.withChecks) {
      say(`push to live per measured pipeline${r.mode.cold ? ' (cold: every job a fresh runner)' : ''}`);
      process.stderr.write(`${formatRuns(measured)}\n`);
    }
  } finally {
    await r.pod?.stop();
    await chain.stop();
  }
}

let options: ReturnType<typeof parseRehearsalArgs>;
try {
  options = parseRehearsalArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`pipeline-local: ${(error as Error).message}\n`);
  process.exit(2);
}
const work = mkdtempSync('/var/tmp/pipeline-local.');
try {
  await rehearse(work, options);
  process.stderr.write('pipeline-local: all checks passed\n');
} catch (error) {
  const message =
    error instanceof RehearsalFailure ? error.message : ((error as Error).stack ?? String(error));
  process.stderr.write(`pipeline-local: FAILED: ${message}\n`);
  process.exitCode = 1;
} finally {
  if (process.env.PIPELINE_LOCAL_KEEP === '1') process.stderr.write(`pipeline-local: kept ${work}\n`);
  else rmSync(work, { recursive: true, force: true });
}
