/**
 * `doctor`: checks for the whole chain, each a pass or a fail with its fix. A
 * check that cannot run (no Argo CD configured, no AWS CLI) fails and says what
 * to provide, so a green doctor means the chain was really checked.
 *
 * Where it runs decides what it can see (issue 17), so there are three scopes:
 * - `job` (default): inside a deployment job, which sees everything.
 * - `pipeline` (`--pipeline`): the pipeline's first job (`doctor` in
 *   .gitlab-ci.yml). It declares no environment, so GitLab hands it no
 *   environment-scoped secret: it checks the variables it can see, its OIDC
 *   token, the Application manifest in Git and the values file, and names the
 *   checks left to the deployment jobs.
 * - `local` (`--local`): a laptop during setup, before any pipeline: the tools
 *   the runbook uses, the manifests, the values file, and a dry-run push with
 *   the developer's own credentials. No CI variables.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import { type Application, getApplication, getPinnedImageKeys, verifyConnection } from '../argocd.js';
import { CI_JOBS, getAlternatives, getJobVariables, WRITE_BACK_CREDENTIAL } from '../ci-variables.js';
import { getMutabilityProblems, getRepositoryDescription } from '../ecr.js';
import { getBranchForEnv, getEnvironmentBranches, getValuesPath } from '../environments.js';
import { DeployctlError, EXIT_CODES } from '../exit-codes.js';
import { formatDoctor } from '../format.js';
import { fetchBranch, getRepoRoot, pushCommit } from '../git.js';
import { getPushPlan, preparePush } from '../push-credential.js';
import { verifyAppName, verifyEcrRepositoryName, verifyRemote } from '../validate.js';
import { getImageValues } from '../values-file.js';
import { collect, type Emit } from './output.js';

/** What scripts/ci/publish-image.sh pushes: the commit tag that releases deploy, and `latest` for humans. */
export const DEFAULT_PUSHED_TAGS = ['<commit-sha>', 'latest'];

export type DoctorScope = 'job' | 'pipeline' | 'local';

export interface DoctorOptions {
  /** Default in the pipeline scope: the env of $CI_COMMIT_BRANCH. */
  env?: string;
  scope?: DoctorScope;
  /** Tools the local scope looks for on PATH (default: LOCAL_TOOLS). */
  tools?: string[];
  cwd?: string;
  remote?: string;
  branch?: string;
  /** Replaces the variables declared for the env's deployment jobs (ci-variables.ts). */
  requiredVars?: string[];
  /** The job's `id_tokens:` variable. */
  oidcVar?: string;
  app?: string;
  server?: string;
  token?: string;
  /** An Application manifest to check instead of asking the Argo CD API. */
  appFile?: string;
  ecrRepository?: string;
  ecrJson?: string;
  region?: string;
  pushedTags?: string[];
  /** Where the variables come from (default: process.env). */
  vars?: NodeJS.ProcessEnv;
}

export interface Check {
  name: string;
  status: 'pass' | 'fail';
  detail: string;
  fix: string | undefined;
}

export interface DoctorResult {
  ok: boolean;
  scope: DoctorScope;
  env: string;
  checks: Check[];
  /** What this scope cannot see, and which job checks it instead. */
  notChecked: string[];
}

/** What the runbook (README, infra/README.md) runs on the operator's machine. */
export const LOCAL_TOOLS = ['git', 'node', 'aws', 'kubectl', 'argocd'];

const pass = (name: string, detail: string): Check => ({ name, status: 'pass', detail, fix: undefined });
const fail = (name: string, detail: string, fix: string): Check => ({ name, status: 'fail', detail, fix });

/** Runs one check; an error thrown inside becomes that check's failure, not the end of the report. */
async function runCheck(name: string, fix: string, check: () => Promise<Check>): Promise<Check> {
  try {
    return await check();
  } catch (error) {
    return fail(name, (error as Error).message, fix);
  }
}

/**
 * A CI variable's value, only if it is really set: `--require-var toString` or
 * `--oidc-var constructor` must not find Object.prototype's members.
 */
function getVariable(vars: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = Object.hasOwn(vars, name) ? vars[name] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function checkVariables(
  vars: NodeJS.ProcessEnv,
  env: string,
  override: string[] | undefined,
  oidcVar: string,
  visibleOnly = false,
): Check {
  const isSet = (name: string) => getVariable(vars, name) !== undefined;
  const fix =
    'define them under Settings → CI/CD → Variables (secrets masked + protected, scoped to the environment; see the header of .gitlab-ci.yml) and run doctor in a deployment job of the environment';
  if (override !== undefined) {
    const missing = override.filter((name) => !isSet(name));
    return missing.length === 0
      ? pass('ci-variables', `all ${override.length} set: ${override.join(', ')}`)
      : fail('ci-variables', `missing: ${missing.join(', ')}`, fix);
  }
  // The OIDC token has its own check.
  // The first job checks for every job of the pipeline, a deployment job for itself.
  const declared = visibleOnly ? getJobVariables(env, CI_JOBS) : getJobVariables(env);
  // The first job declares no environment: environment-scoped variables never reach it.
  const required = declared.required.filter(
    (variable) =>
      variable.name !== oidcVar &&
      !(
        visibleOnly &&
        (variable.environmentScoped || variable.setBy === 'earlier-job' || variable.setBy === 'rules')
      ),
  );
  const missing = [
    ...required.filter((variable) => !isSet(variable.name)),
    ...declared.optional.filter(
      (variable) =>
        variable.requiredWith &&
        isSet(variable.requiredWith) &&
        !isSet(variable.name) &&
        !(visibleOnly && variable.environmentScoped),
    ),
  ].map((variable) =>
    variable.requiredWith ? `${variable.name} (needed with ${variable.requiredWith})` : variable.name,
  );
  // A group of alternatives (the deploy key or the token) needs one of them set.
  const groups = new Set(
    declared.optional
      .filter((variable) => variable.anyOf && !(visibleOnly && variable.environmentScoped))
      .map((variable) => variable.anyOf as string),
  );
  for (const group of groups) {
    const names = getAlternatives(group);
    if (!names.some(isSet)) missing.push(`${names.join(' or ')} (${group})`);
  }
  if (missing.length > 0) return fail('ci-variables', `missing: ${missing.join(', ')}`, fix);
  const unset = declared.optional.filter(
    (variable) =>
      variable.setBy === 'settings' &&
      !isSet(variable.name) &&
      !(visibleOnly && variable.environmentScoped) &&
      // The unused alternative of a satisfied group (the token next to a deploy key) is no news.
      variable.anyOf === undefined,
  );
  const note =
    unset.length > 0
      ? `; optional, not set: ${unset.map((variable) => `${variable.name} (${variable.description})`).join('; ')}`
      : '';
  return pass('ci-variables', `all ${required.length} required for ${env}'s deployment jobs set${note}`);
}

function checkOidcToken(vars: NodeJS.ProcessEnv, name: string): Check {
  const fix = `add to the job: \`id_tokens: { ${name}: { aud: $CI_SERVER_URL } }\` (the audience the AWS role trusts)`;
  const token = getVariable(vars, name);
  if (!token) return fail('oidc-token', `${name} is not set`, fix);
  const [, payload] = token.split('.');
  try {
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as {
      exp?: number;
      aud?: string | string[];
      sub?: string;
    };
    if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) {
      return fail('oidc-token', `${name} expired at ${new Date(claims.exp * 1000).toISOString()}`, fix);
    }
    return pass('oidc-token', `${name} present (sub ${claims.sub ?? '?'}, aud ${String(claims.aud ?? '?')})`);
  } catch {
    return fail('oidc-token', `${name} is set but is not a JWT`, fix);
  }
}

async function readApplicationFile(file: string, app: string | undefined): Promise<Application> {
  const docs = parseAllDocuments(await readFile(file, 'utf8'));
  const apps = (Array.isArray(docs) ? docs : [])
    .map((doc) => doc.toJSON() as Application & { kind?: string })
    .filter((doc) => doc?.kind === 'Application' && (!app || doc.metadata?.name === app));
  if (apps[0] === undefined) {
    throw new DeployctlError('input', `no Argo CD Application${app ? ` named ${app}` : ''} in ${file}`);
  }
  return apps[0];
}

async function checkArgoParameters(options: DoctorOptions, vars: NodeJS.ProcessEnv): Promise<Check> {
  const name = 'argocd-no-image-pin';
  const server = options.server ?? vars.ARGOCD_SERVER;
  let application: Application;
  let source: string;
  if (options.appFile) {
    application = await readApplicationFile(options.appFile, options.app);
    source = options.appFile;
  } else if (server && options.app) {
    application = await getApplication(
      verifyConnection(server, options.token ?? vars.ARGOCD_AUTH_TOKEN),
      options.app,
    );
    source = `Argo CD app ${options.app}`;
  } else {
    return fail(
      name,
      'no Application to check',
      'pass --app <name> with ARGOCD_SERVER set, or --app-file <manifest>',
    );
  }
  const pinned = getPinnedImageKeys(application);
  return pinned.length === 0
    ? pass(name, `${source} sets no image.* parameter; the values file decides`)
    : fail(
        name,
        `${source} pins ${pinned.join(', ')}, which silently overrides helm/values-<env>.yaml`,
        `remove it: \`argocd app unset ${options.app ?? '<app>'} -p image.tag\` and from the manifest`,
      );
}

async function checkValuesFile(cwd: string, env: string): Promise<Check> {
  const path = getValuesPath(env);
  const root = await getRepoRoot(cwd);
  const text = await readFile(join(root, path), 'utf8').catch(() => undefined);
  if (text === undefined)
    return fail('values-file', `${path} does not exist`, `create ${path} with image.tag`);
  const values = getImageValues(text, path);
  return pass('values-file', `${path} has image.tag = \`${values.tag ?? ''}\``);
}

async function checkWriteBack(
  cwd: string,
  remote: string,
  branch: string,
  vars: NodeJS.ProcessEnv,
): Promise<Check> {
  // The credential and URL release would push with (a deploy key, a token, or your own).
  const plan = getPushPlan(remote, vars);
  const tip = await fetchBranch(cwd, remote, branch);
  const prepared = await preparePush(plan, vars);
  try {
    // Pushing the tip it already has is a no-op; --dry-run still authenticates for receive-pack.
    const outcome = await pushCommit(cwd, {
      remote,
      destination: prepared.destination,
      env: prepared.env,
      sha: tip,
      branch,
      dryRun: true,
    });
    return outcome.status === 'rejected'
      ? fail('write-back', `dry-run push was rejected: ${outcome.detail}`, 'check the write-back credential')
      : pass(
          'write-back',
          `dry-run push to ${branch} with ${plan.description} accepted (protected-branch rules apply only on a real push)`,
        );
  } finally {
    await prepared.cleanup();
  }
}

async function checkEcr(options: DoctorOptions, vars: NodeJS.ProcessEnv): Promise<Check> {
  const repository = getEcrRepository(options, vars);
  const repo = await getRepositoryDescription({
    repository,
    region: options.region ?? vars.AWS_REGION,
    jsonFile: options.ecrJson,
  });
  const pushedTags = options.pushedTags ?? DEFAULT_PUSHED_TAGS;
  const problems = getMutabilityProblems(repo, pushedTags);
  if (problems.length > 0) {
    return fail(
      'ecr-tag-mutability',
      `${repository} is ${repo.imageTagMutability} but the pipeline pushes moving tag(s) ${problems.join(', ')}`,
      'add an exclusion filter for the moving tag (IMMUTABLE_WITH_EXCLUSION, as infra/ does for latest), or stop pushing it',
    );
  }
  const note =
    repo.imageTagMutability === 'MUTABLE'
      ? '; consider IMMUTABLE so a commit tag can never be overwritten'
      : '';
  return pass(
    'ecr-tag-mutability',
    `${repository} is ${repo.imageTagMutability}, pushed tags ${pushedTags.join(', ')}${note}`,
  );
}

function getEcrRepository(options: DoctorOptions, vars: NodeJS.ProcessEnv): string {
  return verifyEcrRepositoryName(
    options.ecrRepository ?? getVariable(vars, 'ECR_REPOSITORY') ?? 'mlops-inference-service',
    options.ecrRepository ? '--ecr-repository' : 'ECR_REPOSITORY',
  );
}

/** The env whose branch this pipeline runs on, for the pipeline scope. */
export function getEnvForBranch(vars: NodeJS.ProcessEnv): string {
  const branch = vars.CI_COMMIT_BRANCH;
  for (const [env, envBranch] of getEnvironmentBranches(vars)) if (envBranch === branch) return env;
  throw new DeployctlError(
    'input',
    `branch \`${branch ?? '(none)'}\` deploys to no environment; pass --env, or run doctor only on the deploying branches`,
  );
}

/** The Argo CD Application manifest of an env in this checkout (argocd/). */
export function getApplicationFile(env: string): string {
  return env === 'prod' ? 'argocd/application.yaml' : `argocd/application-${env}.yaml`;
}

/** Each tool on PATH, or a failure naming the missing ones. */
async function checkTools(tools: string[], vars: NodeJS.ProcessEnv): Promise<Check> {
  const { access } = await import('node:fs/promises');
  const { constants } = await import('node:fs');
  const dirs = (vars.PATH ?? '').split(':').filter(Boolean);
  const missing: string[] = [];
  for (const tool of tools) {
    let found = false;
    for (const dir of dirs) {
      try {
        await access(join(dir, tool), constants.X_OK);
        found = true;
        break;
      } catch {
        // not in this directory
      }
    }
    if (!found) missing.push(tool);
  }
  return missing.length === 0
    ? pass('tools', `on PATH: ${tools.join(', ')}`)
    : fail(
        'tools',
        `not on PATH: ${missing.join(', ')}`,
        'install them as the runbook says (README.md "Running it for real"; the argocd CLI: infra/README.md step 5)',
      );
}

/** The Application in Git must point at this project, not the placeholder scripts/set-argocd-repo.sh replaces. */
async function checkRepoUrl(file: string): Promise<Check> {
  const application = await readApplicationFile(file, undefined);
  const url = (application.spec as { source?: { repoURL?: string } } | undefined)?.source?.repoURL ?? '';
  return /your-group/.test(url)
    ? fail(
        'argocd-repo-url',
        `${file} still names the placeholder ${url}`,
        'run scripts/set-argocd-repo.sh <your project URL>, commit, push',
      )
    : pass('argocd-repo-url', `${file} reads ${url}`);
}

export async function doctor(options: DoctorOptions): Promise<DoctorResult> {
  const vars = options.vars ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const scope = options.scope ?? 'job';
  const env = options.env ?? (scope === 'pipeline' ? getEnvForBranch(vars) : undefined);
  if (!env) throw new DeployctlError('input', 'pass --env <env> (prod or dev)');
  // An unknown env or a remote/branch/app git or a URL would misread is bad input for the whole run.
  const remote = verifyRemote(options.remote ?? 'origin');
  const branch = getBranchForEnv(env, getEnvironmentBranches(vars), options.branch);
  if (options.app) verifyAppName(options.app);
  getEcrRepository(options, vars);
  if (scope !== 'job') {
    // The manifest in this checkout, unless the caller named one or an Argo CD to ask.
    const appFile =
      options.appFile ?? (options.server ? undefined : join(await getRepoRoot(cwd), getApplicationFile(env)));
    return scopedDoctor({ ...options, env, appFile }, scope, { vars, cwd, remote, branch });
  }
  options = { ...options, env };
  const checks = [
    checkVariables(vars, env, options.requiredVars, options.oidcVar ?? 'GITLAB_OIDC_TOKEN'),
    checkOidcToken(vars, options.oidcVar ?? 'GITLAB_OIDC_TOKEN'),
    await runCheck('argocd-no-image-pin', 'check --app/--app-file and ARGOCD_SERVER', () =>
      checkArgoParameters(options, vars),
    ),
    await runCheck('values-file', `fix ${getValuesPath(env)} (docs/contracts.md)`, () =>
      checkValuesFile(cwd, env),
    ),
    await runCheck(
      'write-back',
      'give the write-back token write_repository and set it as the push URL',
      () => checkWriteBack(cwd, remote, branch, vars),
    ),
    await runCheck(
      'ecr-tag-mutability',
      'pass --ecr-json <describe-repositories output> or install the AWS CLI',
      () => checkEcr(options, vars),
    ),
  ];
  return { ok: checks.every((check) => check.status === 'pass'), scope, env, checks, notChecked: [] };
}

async function scopedDoctor(
  options: DoctorOptions & { env: string },
  scope: 'pipeline' | 'local',
  at: { vars: NodeJS.ProcessEnv; cwd: string; remote: string; branch: string },
): Promise<DoctorResult> {
  const { vars, cwd, remote, branch } = at;
  const { env } = options;
  const oidcVar = options.oidcVar ?? 'GITLAB_OIDC_TOKEN';
  const manifestChecks = async () => [
    await runCheck('argocd-no-image-pin', 'check --app/--app-file and ARGOCD_SERVER', () =>
      checkArgoParameters(options, vars),
    ),
    ...(options.appFile
      ? [await runCheck('argocd-repo-url', 'check --app-file', () => checkRepoUrl(options.appFile as string))]
      : []),
    await runCheck('values-file', `fix ${getValuesPath(env)} (docs/contracts.md)`, () =>
      checkValuesFile(cwd, env),
    ),
  ];
  if (scope === 'pipeline') {
    const scoped = getJobVariables(env)
      .required.concat(getJobVariables(env).optional)
      .filter((variable) => variable.environmentScoped)
      .map((variable) => variable.name);
    const checks = [
      checkVariables(vars, env, options.requiredVars, oidcVar, true),
      checkOidcToken(vars, oidcVar),
      ...(await manifestChecks()),
    ];
    return {
      ok: checks.every((check) => check.status === 'pass'),
      scope,
      env,
      checks,
      notChecked: [
        `${[...new Set(scoped)].join(', ')}: scoped to environment ${env}, so only its deployment jobs see them; release-${env} fails with the fix if one is missing`,
        `write-back: needs ${getAlternatives(WRITE_BACK_CREDENTIAL).join(' or ')}; checked by \`deployctl push-credential\` at the start of release-${env} and by its push`,
        `ecr-tag-mutability: needs AWS credentials and the AWS CLI; run \`deployctl doctor --local --env ${env}\` with your AWS profile`,
      ],
    };
  }
  const checks = [
    await checkTools(options.tools ?? LOCAL_TOOLS, vars),
    ...(await manifestChecks()),
    await runCheck('write-back', 'check that your git credentials may push to the branch', () =>
      checkWriteBack(cwd, remote, branch, vars),
    ),
    await runCheck(
      'ecr-tag-mutability',
      'pass --ecr-json <describe-repositories output> or install the AWS CLI and log in',
      () => checkEcr(options, vars),
    ),
  ];
  return {
    ok: checks.every((check) => check.status === 'pass'),
    scope,
    env,
    checks,
    notChecked: [
      'CI/CD variables and the OIDC token: only a pipeline has them; the `doctor` job checks them first in every pipeline of a deploying branch',
    ],
  };
}

export function doctorCommand(emit: Emit): Command {
  return new Command('doctor')
    .description('checks for the whole chain, each pass or fail with its fix')
    .option('--env <env>', 'environment to check (with --pipeline, default: the env of $CI_COMMIT_BRANCH)')
    .option('--pipeline', "the pipeline's first job: check what a job without an environment can see")
    .option(
      '--local',
      'setup, on your machine: tools, manifests, values file, dry-run push, ECR; no CI variables',
    )
    .option('--branch <branch>', "override the env's branch")
    .option('--remote <remote>', 'git remote the write-back pushes to', 'origin')
    .option(
      '--require-var <name>',
      "required CI variable (repeatable; replaces the env's deployment-job variables of ci-variables.ts)",
      collect,
    )
    .option('--oidc-var <name>', "the job's id_tokens variable", 'GITLAB_OIDC_TOKEN')
    .option('--app <name>', 'Argo CD Application to inspect through the API')
    .option('--server <url>', 'Argo CD server (default: $ARGOCD_SERVER)')
    .option('--app-file <path>', 'or: an Application manifest to inspect')
    .option('--ecr-repository <name>', 'ECR repository (default: $ECR_REPOSITORY or mlops-inference-service)')
    .option('--ecr-json <path>', '`aws ecr describe-repositories` output (default: run the AWS CLI)')
    .option(
      '--pushed-tag <tag>',
      'a tag the pipeline pushes (repeatable; default: <commit-sha> and latest)',
      collect,
    )
    .option('--cwd <dir>', 'the git checkout')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      if (opts.pipeline && opts.local)
        throw new DeployctlError('input', 'pass --pipeline or --local, not both');
      const scope: DoctorScope = opts.pipeline ? 'pipeline' : opts.local ? 'local' : 'job';
      const result = await doctor({
        ...opts,
        scope,
        requiredVars: opts.requireVar,
        pushedTags: opts.pushedTag,
      });
      emit({
        text: formatDoctor(result),
        data: result,
        exitCode: result.ok ? EXIT_CODES.ok : EXIT_CODES.checksFailed,
      });
    });
}
