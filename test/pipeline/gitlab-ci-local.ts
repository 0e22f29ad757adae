/**
 * Runs the real gitlab-ci-local (4.72.0, the root devDependency) on a copy of
 * .gitlab-ci.yml in a temporary git repository, and answers "which jobs would
 * GitLab create for this push?".
 *
 * gitlab-ci-local 4.72.0 evaluates `workflow:rules` only for their variables
 * and ignores their `when: never`, so it would list jobs for a pipeline GitLab
 * never creates. `getPipelineJobs` therefore asks first whether the workflow
 * rules create a pipeline at all, by running them, unchanged, as the rules of
 * a one-job probe pipeline through the same gitlab-ci-local rule engine.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { REPO_ROOT } from '../support/paths.js';

const GITLAB_CI_LOCAL = join(REPO_ROOT, 'node_modules', '.bin', 'gitlab-ci-local');

/** A push or merge request, as the CI variables GitLab would predefine for it. */
export interface Trigger {
  /** Variables to set (`--variable K=V`). */
  variables: Record<string, string>;
  /** Predefined variables GitLab would not set for this trigger (`--unset-variable`). */
  unset?: string[];
}

export interface ListedJob {
  name: string;
  stage: string;
  when: string;
  allow_failure: boolean;
  needs: Array<{ job: string; optional?: boolean }> | null;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A throwaway git repository holding a copy of a pipeline file. */
export class PipelineSandbox {
  readonly dir: string;

  constructor(ciFile = join(REPO_ROOT, '.gitlab-ci.yml')) {
    this.dir = mkdtempSync(join(tmpdir(), 'pipeline-jobs-'));
    copyFileSync(ciFile, join(this.dir, '.gitlab-ci.yml'));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: this.dir, stdio: 'pipe' });
    git('init', '--quiet', '--initial-branch=main');
    git('config', 'user.name', 'Test');
    git('config', 'user.email', 'test@example.com');
    git('add', '.gitlab-ci.yml');
    git('commit', '--quiet', '-m', 'feat: a commit');
    // gitlab-ci-local derives CI_PROJECT_PATH and friends from this remote.
    git('remote', 'add', 'origin', 'https://gitlab.example.com/group/mlops-inference-chain.git');
    // ...and evaluates `rules: changes` as `git diff origin/<default branch>`, failing
    // without that ref: the default branch as fetched, at this commit (nothing changed).
    git('update-ref', 'refs/remotes/origin/main', 'HEAD');
  }

  run(args: string[], cwd = this.dir): RunResult {
    const result = spawnSync(GITLAB_CI_LOCAL, [...args, '--no-color'], {
      cwd,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  /** `--list-json` of the jobs, with GitLab's schema validation off (tested once, separately). */
  listJobs(trigger: Trigger): ListedJob[] {
    const result = this.run(['--list-json', '--no-json-schema-validation', ...triggerArgs(trigger)]);
    if (result.status !== 0) {
      throw new Error(`gitlab-ci-local --list-json failed (${result.status}):\n${result.stderr}`);
    }
    return parseJobList(result.stdout).filter((job) => job.when !== 'never');
  }

  /** Whether the workflow rules create a pipeline for this trigger (see the file comment). */
  createsPipeline(trigger: Trigger): boolean {
    const ci = parse(readFileSync(join(this.dir, '.gitlab-ci.yml'), 'utf8')) as {
      workflow?: { rules?: Array<Record<string, unknown>> };
    };
    const rules = ci.workflow?.rules;
    if (!rules) return true;
    const probeDir = mkdtempSync(join(tmpdir(), 'pipeline-probe-'));
    try {
      execFileSync('git', ['init', '--quiet', '--initial-branch=main'], { cwd: probeDir });
      execFileSync(
        'git',
        ['-c', 'user.name=T', '-c', 'user.email=t@e', 'commit', '--quiet', '--allow-empty', '-m', 'probe'],
        { cwd: probeDir },
      );
      // Workflow rules may only say `always` or `never`; as job rules, `always` is `on_success`.
      const jobRules = rules.map((rule) => ({
        ...rule,
        when: rule.when === 'never' ? 'never' : 'on_success',
      }));
      writeFileSync(
        join(probeDir, '.gitlab-ci.yml'),
        stringify({ probe: { script: ['true'], rules: jobRules } }),
      );
      const result = this.run(
        ['--list-json', '--no-json-schema-validation', ...triggerArgs(trigger)],
        probeDir,
      );
      if (result.status !== 0) throw new Error(`probe failed (${result.status}):\n${result.stderr}`);
      const jobs = parseJobList(result.stdout);
      return jobs.some((job) => job.name === 'probe' && job.when !== 'never');
    } finally {
      rmSync(probeDir, { recursive: true, force: true });
    }
  }

  /** The job names GitLab would create, sorted; empty when no pipeline starts. */
  getPipelineJobs(trigger: Trigger): string[] {
    if (!this.createsPipeline(trigger)) return [];
    return this.listJobs(trigger)
      .map((job) => job.name)
      .sort();
  }

  /** The file with `extends`, `!reference` and defaults expanded (`--preview`). */
  preview(): Record<string, Record<string, unknown>> {
    const result = this.run(['--preview', '--no-json-schema-validation']);
    if (result.status !== 0) throw new Error(`gitlab-ci-local --preview failed:\n${result.stderr}`);
    const docs = parseAllDocuments(result.stdout).map((doc) => doc.toJS() as Record<string, unknown> | null);
    return Object.assign({}, ...docs.filter((doc) => doc !== null));
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function triggerArgs(trigger: Trigger): string[] {
  const names = [...Object.keys(trigger.variables), ...(trigger.unset ?? [])];
  // Overriding predefined variables is the point here; silence the warning about it.
  const args: string[] = names.length > 0 ? ['--ignore-predefined-vars', names.join(',')] : [];
  for (const [key, value] of Object.entries(trigger.variables)) args.push('--variable', `${key}=${value}`);
  for (const key of trigger.unset ?? []) args.push('--unset-variable', key);
  return args;
}

/** The JSON array of `--list-json`, past any warning lines before it. */
function parseJobList(stdout: string): ListedJob[] {
  const start = stdout.search(/^\[/m);
  if (start < 0) throw new Error(`no job list in gitlab-ci-local's output:\n${stdout}`);
  return JSON.parse(stdout.slice(start)) as ListedJob[];
}
