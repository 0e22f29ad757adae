/**
 * The GitLab project as Argo CD sees it: a bare repository served by the real
 * smart-HTTP git server (test/support/git-http-server.ts) with this checkout's
 * argocd/ and helm/ on `main` and `develop`, and the placeholder repository
 * URL replaced by the served one (what scripts/set-argocd-repo.sh does for a
 * real GitLab project; that script accepts only https URLs, and this server
 * speaks plain http on loopback). A working clone makes commits and pushes
 * them, as a developer or the pipeline's write-back would.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type GitHttpServer, startGitHttpServer } from '../support/git-http-server.js';
import { REPO_ROOT as repoRoot } from '../support/paths.js';

const run = promisify(execFile);
export const PROJECT = 'mlops-inference-chain';
const PLACEHOLDER = 'https://gitlab.com/your-group/mlops-inference-chain.git';

export interface GitLabProject {
  server: GitHttpServer;
  /** The URL Argo CD reads (no credentials in it). */
  repoUrl: string;
  /** A working clone whose `origin` carries the push token. */
  clone: string;
  /** The repository URL with the push token in it (what a pipeline's write-back pushes to). */
  pushUrl: string;
  readToken: string;
  git(...args: string[]): Promise<string>;
  /** Edits files in the clone via `edit`, commits on `branch` and pushes; returns the new commit. */
  commit(branch: string, message: string, edit: (dir: string) => void): Promise<string>;
  /** `git revert` of `sha` on `branch`, pushed; returns the new commit. */
  revert(branch: string, sha: string): Promise<string>;
  close(): Promise<void>;
}

export interface ProjectOptions {
  /**
   * Puts the first commit's files into the clone; default: this checkout's
   * argocd/ and helm/ (all Argo CD reads). The rehearsal passes the whole project.
   */
  populate?: (dir: string) => Promise<void> | void;
  /** The first commit's message. */
  message?: string;
}

export async function createGitLabProject(
  root: string,
  options: ProjectOptions = {},
): Promise<GitLabProject> {
  const readToken = `read-${Math.random().toString(36).slice(2)}`;
  const pushToken = `push-${Math.random().toString(36).slice(2)}`;
  const srv = join(root, 'srv');
  mkdirSync(srv, { recursive: true });
  await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', join(srv, `${PROJECT}.git`)]);
  const server = await startGitHttpServer({ root: srv, pushToken, readToken });
  const repoUrl = `${server.url}/${PROJECT}.git`;
  const clone = join(root, 'clone');
  mkdirSync(clone);
  const git = async (...args: string[]) => (await run('git', args, { cwd: clone })).stdout.trim();
  await git('init', '--quiet', '--initial-branch=main');
  await git('config', 'user.name', 'Dev Eloper');
  await git('config', 'user.email', 'dev@example.com');
  const pushUrl = repoUrl.replace('http://', `http://gitops:${pushToken}@`);
  await git('remote', 'add', 'origin', pushUrl);
  const populate =
    options.populate ??
    ((dir: string) => {
      for (const part of ['argocd', 'helm'])
        cpSync(join(repoRoot, part), join(dir, part), { recursive: true });
    });
  await populate(clone);
  for (const file of readdirSync(join(clone, 'argocd')).filter((f) => f.endsWith('.yaml'))) {
    const path = join(clone, 'argocd', file);
    writeFileSync(path, readFileSync(path, 'utf8').replaceAll(PLACEHOLDER, repoUrl));
  }
  await git('add', '-A');
  await git('commit', '--quiet', '-m', options.message ?? 'the chart and the Argo CD manifests');
  await git('push', '--quiet', 'origin', 'main', 'main:develop');

  const commit = async (branch: string, message: string, edit: (dir: string) => void) => {
    await git('fetch', '--quiet', 'origin');
    await git('checkout', '--quiet', '-B', branch, `origin/${branch}`);
    edit(clone);
    await git('add', '-A');
    await git('commit', '--quiet', '--allow-empty', '-m', message);
    await git('push', '--quiet', 'origin', branch);
    return git('rev-parse', 'HEAD');
  };
  const revert = async (branch: string, sha: string) => {
    await git('fetch', '--quiet', 'origin');
    await git('checkout', '--quiet', '-B', branch, `origin/${branch}`);
    await git('revert', '--no-edit', sha);
    await git('push', '--quiet', 'origin', branch);
    return git('rev-parse', 'HEAD');
  };
  return { server, repoUrl, clone, pushUrl, readToken, git, commit, revert, close: () => server.close() };
}
