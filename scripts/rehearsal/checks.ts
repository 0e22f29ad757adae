/**
 * The rehearsal's checks of a released commit, each an `ok:` line or a
 * failure. They read what the pipeline produced with the project's own
 * parsers (deployctl's release message and values file), not with greps.
 */
import { join } from 'node:path';
import { parseReleaseMessage } from '../../deployctl/src/release-message.js';
import { getImageValues } from '../../deployctl/src/values-file.js';
import type { GitLabProject } from '../../test/argocd/gitlab-project.js';
import { PipelineSandbox } from '../../test/pipeline/gitlab-ci-local.js';
import { fail, ok } from './report.js';

const REPOSITORY = 'mlops-inference-service';
const VALUES = 'helm/values-prod.yaml';

/** The registry holds the image under the commit's tag and `latest`. */
export async function checkRegistry(host: string, sha: string): Promise<void> {
  const response = await fetch(`http://${host}/v2/${REPOSITORY}/tags/list`);
  const { tags = [] } = (await response.json()) as { tags?: string[] };
  if (!tags.includes(sha)) fail(`the registry has no tag ${sha} (${tags.join(', ')})`);
  if (!tags.includes('latest')) fail(`the registry has no tag latest (${tags.join(', ')})`);
  ok(`registry holds ${REPOSITORY}:${sha} (and :latest)`);
}

/** The remote's main ends in a release commit for `sha` whose values file names it; returns that commit. */
export async function checkReleaseCommit(project: GitLabProject, sha: string): Promise<string> {
  await project.git('fetch', '--quiet', 'origin');
  const message = await project.git('log', '-1', '--format=%B', 'origin/main');
  const subject = message.split('\n')[0] ?? '';
  const release = parseReleaseMessage(message);
  if (release?.env !== 'prod') fail(`the remote's main does not end in a release(prod) commit: ${subject}`);
  if (release.commit !== sha) fail(`the release commit names ${release.commit}, not ${sha}`);
  const values = getImageValues(await project.git('show', `origin/main:${VALUES}`), VALUES);
  if (values.tag !== sha) fail(`${VALUES} on main has image.tag ${values.tag}, not ${sha}`);
  ok(`remote main: \`${subject}\` sets image.tag to ${sha}`);
  return project.git('rev-parse', 'origin/main');
}

/**
 * .gitlab-ci.yml's workflow rules start no pipeline for the release commit
 * (gitlab-ci-local ignores their `when: never`; the sandbox runs them as a probe job's rules).
 */
export async function checkNoPipelineForReleaseCommit(project: GitLabProject): Promise<void> {
  const message = await project.git('log', '-1', '--format=%B', 'origin/main');
  const sandbox = new PipelineSandbox(join(project.clone, '.gitlab-ci.yml'));
  try {
    const starts = sandbox.createsPipeline({
      variables: { CI_COMMIT_BRANCH: 'main', CI_COMMIT_MESSAGE: message },
    });
    if (starts) fail('the workflow rules would start a pipeline for the release commit');
  } finally {
    sandbox.dispose();
  }
  ok(`no pipeline for the release commit (${message.split('\n')[0]})`);
}

/** The pod's /version names `sha`. */
export async function checkServedVersion(url: string, image: string, sha: string): Promise<void> {
  const version = (await (await fetch(`${url}/version`)).json()) as { commit?: string };
  if (version.commit !== sha) fail(`the image serves /version ${JSON.stringify(version)}, not commit ${sha}`);
  ok(
    `the image serves /version with commit ${sha} (${image}, as the Deployment names it): ${JSON.stringify(version)}`,
  );
}
