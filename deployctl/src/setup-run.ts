/**
 * Runs the setup plan (setup-plan.ts) step by step, idempotently: each step
 * first looks at what GitLab, Argo CD or the checkout already has (GET before
 * POST), then creates what is missing, updates what differs and leaves the
 * rest alone, and says which per step. A rerun after a failure continues
 * where the last one stopped; a rerun after success changes nothing.
 *
 * Shell steps (the CDK CLI, aws, kubectl, git) go through an injectable
 * runner, so tests assert the exact commands without running them.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeployctlError } from './exit-codes.js';
import { type GitLabClient, GitLabError } from './gitlab-api.js';
import type { ArgoCdSetup } from './setup-argocd.js';
import { generateSshKeyPair, getKeyWithoutComment, getSshPublicKey } from './setup-keys.js';
import {
  ARGOCD_TOKEN_EXPIRES_IN_S,
  ciVariable,
  ENVIRONMENTS,
  getGitRepoUrl,
  getOutputsFileName,
  isRef,
  type Ref,
  SETUP_NAMES,
  type SetupInput,
  type SetupStep,
  type StackId,
  type TeardownStep,
  WRITE_BACK_SSH_KEY,
} from './setup-plan.js';

export interface ShellResult {
  stdout: string;
  stderr: string;
}

/** Runs one command (program first) in `cwd`; rejects with a DeployctlError when it exits non-zero. */
export type ShellRunner = (argv: string[], options: { cwd: string }) => Promise<ShellResult>;

export type StepStatus =
  | 'created'
  | 'already present'
  | 'updated'
  | 'ran'
  | 'skipped'
  | 'by hand'
  | 'deleted'
  | 'absent';

export interface StepResult {
  step: number;
  title: string;
  status: StepStatus;
  detail?: string;
}

export interface SetupRunOptions {
  input: SetupInput;
  /** The checkout (the repository root). */
  cwd: string;
  /** Where `cdk deploy --outputs-file` writes the stacks' outputs. */
  stateDir: string;
  gitlab: GitLabClient;
  argocd: ArgoCdSetup;
  runner: ShellRunner;
  /** Else read from the argocd-initial-admin-secret with kubectl. */
  argocdAdminPassword?: string | undefined;
  /** Progress, one line per step (the CLI writes it to stderr). */
  log?: (line: string) => void;
  now?: () => Date;
}

export interface SetupRunResult {
  results: StepResult[];
  /** What to run after setup: the checks, the first push. */
  next: { title: string; command: string }[];
}

interface Variable {
  key: string;
  value: string;
  variable_type: string;
  protected: boolean;
  masked: boolean;
  raw: boolean;
  environment_scope: string;
}

interface AccessLevel {
  id: number;
  access_level: number;
  deploy_key_id?: number | null;
  user_id?: number | null;
  group_id?: number | null;
}

/** The default runner: the real program, its output streamed to `log` as it comes (a cluster deploy takes half an hour). */
export function createShellRunner(log: (line: string) => void = () => {}): ShellRunner {
  return (argv, { cwd }) =>
    new Promise((resolve, reject) => {
      const [program = '', ...args] = argv;
      const child = spawn(program, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        for (const line of chunk.toString().split('\n')) if (line.trim()) log(`   ${line}`);
      });
      child.on('error', (cause) =>
        reject(
          new DeployctlError(
            'input',
            `cannot run \`${program}\` (${(cause as NodeJS.ErrnoException).code}); install it and put it on PATH`,
            {
              cause,
            },
          ),
        ),
      );
      child.on('close', (code) => {
        if (code === 0) resolve({ stdout, stderr });
        else
          reject(
            new DeployctlError(
              'network',
              `\`${argv.join(' ')}\` exited with ${code}: ${(stderr.trim().split('\n').slice(-3).join(' ') || stdout.trim().split('\n').at(-1)) ?? ''}; fix that and rerun (setup continues where it stopped)`,
            ),
          );
      });
    });
}

/** The project path GitLab takes: `group/project` or deeper, in GitLab's path characters. */
export function isProjectPath(value: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)+$/.test(value) && !value.includes('..');
}

class SetupRun {
  private readonly outputs: Partial<Record<StackId, Record<string, string>>> = {};
  private readonly sshPrivate: Record<string, string> = {};
  private readonly sshPublic: Record<string, string> = {};
  private readonly deployKeyIds: Record<string, number> = {};
  private readonly argocdTokens: Record<string, string> = {};
  private accessToken: string | undefined;
  private webhookSecret: string | undefined;
  private repoCredential: { username: string; password: string } | 'present' | undefined;
  private loggedIn = false;
  private readonly now: () => Date;

  constructor(private readonly options: SetupRunOptions) {
    this.now = options.now ?? (() => new Date());
  }

  private get gl() {
    return this.options.gitlab;
  }

  private get repoUrl() {
    return getGitRepoUrl(this.options.input);
  }

  /** Before anything changes: the GitLab token and project, and the AWS profile. */
  async preflight(): Promise<void> {
    const answer = await this.gl.request<{ permissions?: Record<string, { access_level?: number } | null> }>(
      'GET',
      this.gl.project(''),
    );
    // project_access or group_access (the higher counts); both null for an instance admin.
    const levels = Object.values(answer.body.permissions ?? {}).flatMap((p) =>
      typeof p?.access_level === 'number' ? [p.access_level] : [],
    );
    if (levels.length > 0 && Math.max(...levels) < 40) {
      throw new DeployctlError(
        'refused',
        `the GITLAB_TOKEN user is not a Maintainer of ${this.options.input.project} (access level ${Math.max(...levels)}); setup changes project settings, which needs Maintainer (40) or Owner`,
      );
    }
    await this.shell(
      ['aws', 'sts', 'get-caller-identity', '--profile', this.options.input.awsProfile],
      'repo',
    );
  }

  async shell(argv: string[], cwd: 'repo' | 'infra'): Promise<ShellResult> {
    return this.options.runner(argv, {
      cwd: cwd === 'infra' ? join(this.options.cwd, 'infra') : this.options.cwd,
    });
  }

  /**
   * A stack's outputs: from `cdk deploy --outputs-file` (this run's or an
   * earlier one's, in the state directory), else from CloudFormation itself
   * (`aws cloudformation describe-stacks`), e.g. for a teardown on another machine.
   */
  private async readOutputs(stack: StackId): Promise<Record<string, string>> {
    const cached = this.outputs[stack];
    if (cached) return cached;
    const file = join(this.options.stateDir, getOutputsFileName(stack));
    let outputs: Record<string, string>;
    if (existsSync(file)) {
      try {
        outputs =
          (JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>)[stack] ?? {};
      } catch (cause) {
        throw new DeployctlError(
          'input',
          `${file} is not the JSON \`cdk deploy --outputs-file\` writes; delete it and rerun`,
          {
            cause,
          },
        );
      }
    } else {
      const { stdout } = await this.shell(
        [
          'aws',
          'cloudformation',
          'describe-stacks',
          '--stack-name',
          stack,
          '--query',
          'Stacks[0].Outputs',
          '--output',
          'json',
          '--region',
          this.options.input.region,
          '--profile',
          this.options.input.awsProfile,
        ],
        'repo',
      );
      const list = (JSON.parse(stdout || '[]') ?? []) as { OutputKey: string; OutputValue: string }[];
      outputs = Object.fromEntries(list.map((entry) => [entry.OutputKey, entry.OutputValue]));
    }
    this.outputs[stack] = outputs;
    return outputs;
  }

  private async getOutput(stack: StackId, name: string): Promise<string> {
    const value = (await this.readOutputs(stack))[name];
    if (value === undefined || value === '') {
      throw new DeployctlError(
        'input',
        `stack ${stack} has no output ${name}; deploy it with this checkout's infra/ (rerun setup)`,
      );
    }
    return value;
  }

  private async resolveRef(ref: Ref): Promise<unknown> {
    switch (ref.from) {
      case 'output':
        return this.getOutput(ref.stack, ref.name);
      case 'account': {
        const arn = await this.getOutput('MlopsRegistry', 'ProdGitLabCiRoleArn');
        const account = /^arn:aws[\w-]*:iam::(\d{12}):/.exec(arn)?.[1];
        if (!account)
          throw new DeployctlError('input', `output ProdGitLabCiRoleArn \`${arn}\` is not an IAM role ARN`);
        return account;
      }
      case 'ssh-private-key':
        return this.need(this.sshPrivate[ref.env], `the ${ref.env} key pair`);
      case 'ssh-public-key':
        return this.need(this.sshPublic[ref.env], `the ${ref.env} key pair`);
      case 'deploy-key-id':
        return this.need(this.deployKeyIds[ref.env], `the ${ref.env} deploy key`);
      case 'webhook-secret':
        if (this.webhookSecret === undefined) {
          const { stdout } = await this.shell(
            [
              'aws',
              'secretsmanager',
              'get-secret-value',
              '--secret-id',
              await this.getOutput('MlopsCluster', 'ArgoCdWebhookSecretName'),
              '--query',
              'SecretString',
              '--output',
              'text',
              '--region',
              this.options.input.region,
              '--profile',
              this.options.input.awsProfile,
            ],
            'repo',
          );
          this.webhookSecret = stdout.trim();
        }
        return this.webhookSecret;
      case 'access-token':
        return this.need(this.accessToken, 'the project access token');
      case 'argocd-token':
        return this.need(this.argocdTokens[ref.env], `the Argo CD token of ${ref.env}`);
      case 'one-year-ahead':
        // GitLab refuses an access token that lives longer than 365 days; 364 stays inside it
        // whatever the time zones of this machine and GitLab.
        return new Date(this.now().getTime() + 364 * 24 * 3600_000).toISOString().slice(0, 10);
    }
  }

  private need<T>(value: T | undefined, what: string): T {
    if (value === undefined)
      throw new DeployctlError('internal', `setup plan: ${what} is used before the step that makes it`);
    return value;
  }

  async resolve(value: unknown): Promise<unknown> {
    if (isRef(value)) return this.resolveRef(value);
    if (Array.isArray(value)) return Promise.all(value.map((item) => this.resolve(item)));
    if (typeof value === 'object' && value !== null) {
      const entries = await Promise.all(
        Object.entries(value).map(async ([key, item]) => [key, await this.resolve(item)] as const),
      );
      return Object.fromEntries(entries);
    }
    return value;
  }

  async runStep(step: SetupStep): Promise<{ status: StepStatus; detail?: string }> {
    switch (step.kind) {
      case 'shell':
        return this.runShellStep(step);
      case 'gitlab':
        return this.runGitLabStep(step);
      case 'argocd':
        return step.action === 'repo-credential'
          ? this.storeRepoCredential()
          : this.ensureArgoCdToken(this.need(step.env, 'the token step’s env'));
      case 'manual':
        return { status: 'by hand', detail: step.detail };
      case 'next':
        return { status: 'skipped' };
    }
  }

  private async runShellStep(step: Extract<SetupStep, { kind: 'shell' }>) {
    const argv = (await this.resolve(step.argv)) as string[];
    const resolved = argv.map((word) => word.replace(/^<state>\//, `${this.options.stateDir}/`));
    if (step.outputs) mkdirSync(this.options.stateDir, { recursive: true });
    const result = await this.shell(resolved, step.cwd);
    if (step.outputs) {
      delete this.outputs[step.outputs];
      if (!existsSync(join(this.options.stateDir, getOutputsFileName(step.outputs)))) {
        throw new DeployctlError('internal', `\`cdk deploy\` wrote no ${getOutputsFileName(step.outputs)}`);
      }
      await this.readOutputs(step.outputs);
    }
    if (resolved[1] === 'scripts/set-argocd-repo.sh') return this.commitArgoCdManifests();
    if (resolved[0] === 'npx' && resolved[1] === 'cdk') {
      // cdk says "(no changes)" when the stack is as deployed.
      return {
        status: /no changes/i.test(`${result.stdout}\n${result.stderr}`) ? 'already present' : 'updated',
      } as const;
    }
    return { status: 'ran' } as const;
  }

  private async commitArgoCdManifests() {
    const { stdout } = await this.shell(['git', 'status', '--porcelain', '--', 'argocd'], 'repo');
    if (stdout.trim() === '') return { status: 'already present' } as const;
    await this.shell(
      ['git', 'commit', '--quiet', '-m', `argocd: read ${this.repoUrl}`, '--', 'argocd'],
      'repo',
    );
    await this.shell(['git', 'push', '--quiet'], 'repo');
    return { status: 'updated', detail: 'committed argocd/ and pushed' } as const;
  }

  private async getVariable(key: string, scope: string): Promise<Variable | undefined> {
    const answer = await this.gl.request<Variable>(
      'GET',
      this.gl.project(
        `/variables/${encodeURIComponent(key)}?filter[environment_scope]=${encodeURIComponent(scope)}`,
      ),
      undefined,
      [404],
    );
    return answer.status === 404 ? undefined : answer.body;
  }

  private async runGitLabStep(
    step: Extract<SetupStep, { kind: 'gitlab' }>,
  ): Promise<{ status: StepStatus; detail?: string }> {
    switch (step.resource) {
      case 'environment':
        return this.ensureEnvironment(step.body as { name: string; tier: string });
      case 'deploy-key':
        return this.ensureDeployKey(step.body as { title: string; key: Ref });
      case 'access-token':
        return this.ensureAccessToken(step.body);
      case 'protected-branch':
        return this.ensureProtectedBranch(
          (await this.resolve(step.body)) as Record<string, unknown> & { name: string },
        );
      case 'variable':
        return this.ensureVariable((await this.resolve(step.body)) as Variable);
      case 'hook':
        return this.ensureHook((await this.resolve(step.body)) as Record<string, unknown> & { url: string });
      case 'deploy-token':
        return this.ensureDeployToken(step.body);
      case 'resource-group':
        return this.ensureResourceGroup(step.path, step.body);
    }
  }

  private async ensureEnvironment(body: { name: string; tier: string }) {
    const environments = await this.gl.list<{ id: number; name: string; tier?: string }>(
      this.gl.project(`/environments?name=${encodeURIComponent(body.name)}`),
    );
    const found = environments.find((environment) => environment.name === body.name);
    if (!found) {
      await this.gl.request('POST', this.gl.project('/environments'), body);
      return { status: 'created' } as const;
    }
    if (found.tier !== body.tier) {
      await this.gl.request('PUT', this.gl.project(`/environments/${found.id}`), { tier: body.tier });
      return { status: 'updated', detail: `tier ${found.tier} → ${body.tier}` } as const;
    }
    return { status: 'already present' } as const;
  }

  /**
   * The pair is intact when GitLab has a pushing deploy key of this title whose
   * public key is the one of the private key in the env's variable. Anything
   * else (first run, a run that stopped between the key and the variable, a
   * key someone deleted) gets a new pair; stale keys of the title go.
   */
  private async ensureDeployKey(body: { title: string; key: Ref }) {
    const env = (body.key as Extract<Ref, { from: 'ssh-public-key' }>).env;
    const keys = await this.gl.list<{ id: number; title: string; key: string; can_push: boolean }>(
      this.gl.project('/deploy_keys'),
    );
    const ours = keys.filter((key) => key.title === body.title);
    const stored = await this.getVariable(WRITE_BACK_SSH_KEY, env);
    const storedPublic = stored ? getSshPublicKey(stored.value) : undefined;
    const intact = ours.find((key) => key.can_push && getKeyWithoutComment(key.key) === storedPublic);
    if (intact && stored) {
      this.sshPrivate[env] = stored.value;
      this.deployKeyIds[env] = intact.id;
      return { status: 'already present' } as const;
    }
    const pair = generateSshKeyPair(`${body.title}@${this.options.input.project}`);
    for (const key of ours) await this.gl.request('DELETE', this.gl.project(`/deploy_keys/${key.id}`));
    const created = await this.gl.request<{ id: number }>('POST', this.gl.project('/deploy_keys'), {
      title: body.title,
      key: pair.publicKey,
      can_push: true,
    });
    this.sshPrivate[env] = pair.privateKey;
    this.sshPublic[env] = pair.publicKey;
    this.deployKeyIds[env] = created.body.id;
    return ours.length > 0
      ? ({
          status: 'updated',
          detail: 'a new key pair replaced one whose private half was not stored',
        } as const)
      : ({ status: 'created' } as const);
  }

  private async ensureAccessToken(body: Record<string, unknown>) {
    const name = String(body.name);
    const tokens = await this.gl.list<{
      id: number;
      name: string;
      active: boolean;
      revoked: boolean;
      expires_at: string | null;
    }>(this.gl.project('/access_tokens'));
    const active = tokens.filter((token) => token.name === name && token.active && !token.revoked);
    const key = ciVariable('GITOPS_PUSH_TOKEN');
    const stored = await Promise.all(ENVIRONMENTS.map(({ env }) => this.getVariable(key, env)));
    const monthAhead = this.now().getTime() + 30 * 24 * 3600_000;
    const first = stored[0];
    if (
      active.length === 1 &&
      first &&
      stored.every((variable) => variable?.value === first.value) &&
      (active[0]?.expires_at === null || Date.parse(active[0]?.expires_at ?? '') > monthAhead)
    ) {
      this.accessToken = first.value;
      return { status: 'already present' } as const;
    }
    for (const token of active)
      await this.gl.request('DELETE', this.gl.project(`/access_tokens/${token.id}`));
    let created: { body: { token: string } };
    try {
      created = await this.gl.request<{ token: string }>(
        'POST',
        this.gl.project('/access_tokens'),
        (await this.resolve(body)) as Record<string, unknown>,
      );
    } catch (error) {
      if (error instanceof GitLabError && (error.status === 403 || error.status === 404)) {
        throw new DeployctlError(
          'refused',
          `GitLab refused to create a project access token (${error.status}): on GitLab.com they need GitLab.com Premium or Ultimate; on Free use --tier free (a deploy key, the default)`,
          { cause: error },
        );
      }
      throw error;
    }
    this.accessToken = created.body.token;
    return active.length > 0 ? ({ status: 'updated' } as const) : ({ status: 'created' } as const);
  }

  private async ensureProtectedBranch(body: Record<string, unknown> & { name: string }) {
    const path = this.gl.project(`/protected_branches/${encodeURIComponent(body.name)}`);
    const answer = await this.gl.request<{
      allow_force_push: boolean;
      push_access_levels: AccessLevel[];
      merge_access_levels: AccessLevel[];
    }>('GET', path, undefined, [404]);
    if (answer.status === 404) {
      await this.gl.request('POST', this.gl.project('/protected_branches'), body);
      return { status: 'created' } as const;
    }
    const current = answer.body;
    const wanted = (body.allowed_to_push as { deploy_key_id: number }[] | undefined) ?? [];
    const isRole = (level: AccessLevel) => !level.deploy_key_id && !level.user_id && !level.group_id;
    const fix = (levels: AccessLevel[], level: number) => [
      ...levels
        .filter((entry) => isRole(entry) && entry.access_level !== level)
        .map((entry) => ({ id: entry.id, _destroy: true })),
      ...(levels.some((entry) => isRole(entry) && entry.access_level === level)
        ? []
        : [{ access_level: level }]),
    ];
    const push = [
      ...fix(current.push_access_levels, Number(body.push_access_level)),
      ...wanted
        .filter(
          ({ deploy_key_id }) =>
            !current.push_access_levels.some((entry) => entry.deploy_key_id === deploy_key_id),
        )
        .map(({ deploy_key_id }) => ({ deploy_key_id })),
    ];
    const merge = fix(current.merge_access_levels, Number(body.merge_access_level));
    if (current.allow_force_push === false && push.length === 0 && merge.length === 0) {
      return { status: 'already present' } as const;
    }
    await this.gl.request('PATCH', path, {
      allow_force_push: false,
      ...(push.length > 0 ? { allowed_to_push: push } : {}),
      ...(merge.length > 0 ? { allowed_to_merge: merge } : {}),
    });
    return { status: 'updated' } as const;
  }

  private async ensureVariable(body: Variable) {
    const existing = await this.getVariable(body.key, body.environment_scope);
    if (!existing) {
      await this.gl.request('POST', this.gl.project('/variables'), { ...body });
      return { status: 'created' } as const;
    }
    const fields = ['value', 'variable_type', 'protected', 'masked', 'raw'] as const;
    const changed = fields.filter((field) => existing[field] !== body[field]);
    if (changed.length === 0) return { status: 'already present' } as const;
    const { key, environment_scope, ...update } = body;
    await this.gl.request(
      'PUT',
      this.gl.project(
        `/variables/${encodeURIComponent(key)}?filter[environment_scope]=${encodeURIComponent(environment_scope)}`,
      ),
      update,
    );
    return { status: 'updated', detail: `changed: ${changed.join(', ')}` } as const;
  }

  private async ensureHook(body: Record<string, unknown> & { url: string }) {
    const hooks = await this.gl.list<{
      id: number;
      url: string;
      push_events: boolean;
      enable_ssl_verification: boolean;
    }>(this.gl.project('/hooks'));
    const found = hooks.find((hook) => hook.url === body.url);
    if (!found) {
      await this.gl.request('POST', this.gl.project('/hooks'), body);
      return { status: 'created' } as const;
    }
    // GitLab never shows a hook's token, so an existing hook keeps its own; to
    // rotate the secret, delete the hook in GitLab and rerun setup.
    if (
      found.push_events === body.push_events &&
      found.enable_ssl_verification === body.enable_ssl_verification
    ) {
      return { status: 'already present' } as const;
    }
    await this.gl.request('PUT', this.gl.project(`/hooks/${found.id}`), body);
    return { status: 'updated' } as const;
  }

  private async loginToArgoCd() {
    if (this.loggedIn) return;
    let password = this.options.argocdAdminPassword;
    if (!password) {
      const { stdout } = await this.shell(
        [
          'kubectl',
          '-n',
          'argocd',
          'get',
          'secret',
          'argocd-initial-admin-secret',
          '-o',
          'jsonpath={.data.password}',
        ],
        'repo',
      );
      password = Buffer.from(stdout.trim(), 'base64').toString('utf8');
    }
    await this.options.argocd.login(password);
    this.loggedIn = true;
  }

  /**
   * Argo CD's read credential is a deploy token. Its value is shown once, at
   * creation, so "already present" means Argo CD reads the repository with the
   * one active token of that name; otherwise the old ones are revoked and a new
   * one goes to Argo CD (next step).
   */
  private async ensureDeployToken(body: Record<string, unknown>) {
    const name = String(body.name);
    const tokens = await this.gl.list<{
      id: number;
      name: string;
      username: string;
      revoked: boolean;
      expired: boolean;
    }>(this.gl.project('/deploy_tokens'));
    const active = tokens.filter((token) => token.name === name && !token.revoked && !token.expired);
    await this.loginToArgoCd();
    const only = active.length === 1 ? active[0] : undefined;
    if (only && (await this.options.argocd.hasWorkingRepository(this.repoUrl, only.username))) {
      this.repoCredential = 'present';
      return { status: 'already present' } as const;
    }
    for (const token of active)
      await this.gl.request('DELETE', this.gl.project(`/deploy_tokens/${token.id}`));
    const created = await this.gl.request<{ username: string; token: string }>(
      'POST',
      this.gl.project('/deploy_tokens'),
      body,
    );
    this.repoCredential = { username: created.body.username, password: created.body.token };
    return active.length > 0 ? ({ status: 'updated' } as const) : ({ status: 'created' } as const);
  }

  private async storeRepoCredential() {
    const credential = this.need(this.repoCredential, 'the deploy token');
    if (credential === 'present') return { status: 'already present' } as const;
    await this.loginToArgoCd();
    // Secrets Manager first: External Secrets keeps the cluster's copy in step with it, so a
    // later sync never puts an old token back. The value goes through a 0600 file, not argv.
    const dir = mkdtempSync(join(tmpdir(), 'deployctl-setup-'));
    try {
      const file = join(dir, 'repository.json');
      writeFileSync(file, JSON.stringify({ username: credential.username, password: credential.password }), {
        mode: 0o600,
      });
      await this.shell(
        [
          'aws',
          'secretsmanager',
          'put-secret-value',
          '--secret-id',
          await this.getOutput('MlopsCluster', 'ArgoCdRepoCredentialsSecretName'),
          '--secret-string',
          `file://${file}`,
          '--region',
          this.options.input.region,
          '--profile',
          this.options.input.awsProfile,
        ],
        'repo',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await this.options.argocd.upsertRepository({ url: this.repoUrl, ...credential });
    const repo = await this.options.argocd.getRepository(this.repoUrl);
    if (repo?.connectionState?.status !== 'Successful') {
      throw new DeployctlError(
        'refused',
        `Argo CD has the credential for ${this.repoUrl} but cannot read the repository (${repo?.connectionState?.status ?? 'no repository'}: ${repo?.connectionState?.message ?? ''}); check the deploy token in GitLab and rerun setup`,
      );
    }
    return { status: 'created' } as const;
  }

  private async ensureArgoCdToken(env: string) {
    const environment = ENVIRONMENTS.find((candidate) => candidate.env === env);
    const project = this.need(environment, `environment ${env}`).project;
    await this.loginToArgoCd();
    const stored = await this.getVariable(ciVariable('ARGOCD_AUTH_TOKEN'), env);
    if (stored && (await this.options.argocd.isProjectToken(stored.value, project))) {
      this.argocdTokens[env] = stored.value;
      return { status: 'already present' } as const;
    }
    const id = `gitlab-ci-${env}-${this.now().toISOString().replace(/[:.]/g, '-')}`;
    const token = await this.options.argocd.createProjectToken(
      project,
      SETUP_NAMES.argocdRole,
      ARGOCD_TOKEN_EXPIRES_IN_S,
      id,
    );
    await this.options.argocd.waitForToken(token, project);
    this.argocdTokens[env] = token;
    return stored
      ? ({ status: 'updated', detail: 'the stored token no longer worked' } as const)
      : ({ status: 'created' } as const);
  }

  private async ensureResourceGroup(path: string, body: Record<string, unknown>) {
    const answer = await this.gl.request<{ process_mode?: string }>('GET', path, undefined, [404]);
    if (answer.status === 404) {
      return {
        status: 'skipped',
        detail: 'GitLab creates the resource group with the first pipeline; rerun setup after it',
      } as const;
    }
    if (answer.body.process_mode === body.process_mode) return { status: 'already present' } as const;
    await this.gl.request('PUT', path, body);
    return { status: 'updated' } as const;
  }

  private readonly stacks = new Map<StackId, boolean>();

  /** Whether CloudFormation still has the stack: a rerun of teardown skips what is already gone. */
  private async hasStack(stack: StackId): Promise<boolean> {
    const known = this.stacks.get(stack);
    if (known !== undefined) return known;
    try {
      await this.shell(
        [
          'aws',
          'cloudformation',
          'describe-stacks',
          '--stack-name',
          stack,
          '--query',
          'Stacks[0].StackStatus',
          '--output',
          'text',
          '--region',
          this.options.input.region,
          '--profile',
          this.options.input.awsProfile,
        ],
        'repo',
      );
      this.stacks.set(stack, true);
      return true;
    } catch (error) {
      if (error instanceof DeployctlError && /does not exist/.test(error.message)) {
        this.stacks.set(stack, false);
        return false;
      }
      throw error;
    }
  }

  async runTeardownStep(step: TeardownStep): Promise<{ status: StepStatus; detail?: string }> {
    if (step.kind !== 'gitlab-delete' && step.stack && !(await this.hasStack(step.stack))) {
      return { status: 'absent', detail: `stack ${step.stack} is gone` };
    }
    switch (step.kind) {
      case 'shell':
        await this.shell((await this.resolve(step.argv)) as string[], step.cwd);
        return { status: 'ran' };
      case 'wait-load-balancers':
        return this.waitForLoadBalancers(step);
      case 'gitlab-delete':
        return this.deleteFromGitLab(step);
    }
  }

  private async waitForLoadBalancers(step: Extract<TeardownStep, { kind: 'wait-load-balancers' }>) {
    const deadline = Date.now() + step.timeoutS * 1000;
    const [ingresses = [], balancers = []] = step.argv;
    for (;;) {
      const left: string[] = [];
      const kube = JSON.parse((await this.shell(ingresses, 'repo')).stdout || '{}') as {
        items?: { metadata?: { namespace?: string; name?: string } }[];
      };
      left.push(
        ...(kube.items ?? []).map((item) => `ingress ${item.metadata?.namespace}/${item.metadata?.name}`),
      );
      const names = JSON.parse((await this.shell(balancers, 'repo')).stdout || '[]') as string[] | null;
      left.push(...(names ?? []).map((name) => `load balancer ${name}`));
      if (left.length === 0) return { status: 'ran' } as const;
      if (Date.now() > deadline) {
        throw new DeployctlError(
          'timeout',
          `after ${step.timeoutS}s these are still there: ${left.join(', ')}; delete them (kubectl delete ingress / aws elbv2 delete-load-balancer) and rerun teardown`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10_000));
    }
  }

  private async deleteFromGitLab(step: Extract<TeardownStep, { kind: 'gitlab-delete' }>) {
    let deleted = 0;
    const remove = async (path: string, items: { id: number }[]) => {
      for (const item of items) {
        await this.gl.request('DELETE', this.gl.project(`${path}/${item.id}`), undefined, [404]);
        deleted++;
      }
    };
    for (const match of step.match) {
      switch (step.resource) {
        case 'hook': {
          const hooks = await this.gl.list<{ id: number; url: string }>(this.gl.project('/hooks'));
          await remove(
            '/hooks',
            hooks.filter((hook) => hook.url.endsWith(match.url ?? '/api/webhook')),
          );
          break;
        }
        case 'deploy-key': {
          const keys = await this.gl.list<{ id: number; title: string }>(this.gl.project('/deploy_keys'));
          await remove(
            '/deploy_keys',
            keys.filter((key) => key.title === match.title),
          );
          break;
        }
        case 'deploy-token': {
          const tokens = await this.gl.list<{ id: number; name: string; revoked: boolean }>(
            this.gl.project('/deploy_tokens'),
          );
          await remove(
            '/deploy_tokens',
            tokens.filter((token) => token.name === match.name && !token.revoked),
          );
          break;
        }
        case 'access-token': {
          const tokens = await this.gl.list<{ id: number; name: string; active: boolean }>(
            this.gl.project('/access_tokens'),
          );
          await remove(
            '/access_tokens',
            tokens.filter((token) => token.name === match.name && token.active),
          );
          break;
        }
        case 'variable': {
          const answer = await this.gl.request(
            'DELETE',
            this.gl.project(
              `/variables/${encodeURIComponent(match.key ?? '')}?filter[environment_scope]=${encodeURIComponent(match.environment_scope ?? '*')}`,
            ),
            undefined,
            [404],
          );
          if (answer.status !== 404) deleted++;
          break;
        }
      }
    }
    return deleted > 0
      ? ({ status: 'deleted', detail: `${deleted}` } as const)
      : ({ status: 'absent' } as const);
  }
}

async function runSteps<T extends { title: string }>(
  options: SetupRunOptions,
  steps: T[],
  run: (step: T) => Promise<{ status: StepStatus; detail?: string }>,
): Promise<StepResult[]> {
  const log = options.log ?? (() => {});
  const results: StepResult[] = [];
  for (const [index, step] of steps.entries()) {
    log(`${index + 1}/${steps.length} ${step.title} ...`);
    try {
      const outcome = await run(step);
      results.push({ step: index + 1, title: step.title, ...outcome });
      log(`${index + 1}/${steps.length} ${outcome.status}${outcome.detail ? `: ${outcome.detail}` : ''}`);
    } catch (error) {
      if (error instanceof DeployctlError) {
        throw new DeployctlError(error.kind, `step ${index + 1} (${step.title}): ${error.message}`, {
          cause: error,
          evidence: { done: results, failedStep: index + 1 },
        });
      }
      throw error;
    }
  }
  return results;
}

/** Runs every step of `steps` (getSetupPlan's) in order; stops at the first failure, which says what to fix. */
export async function runSetup(options: SetupRunOptions, steps: SetupStep[]): Promise<SetupRunResult> {
  const run = new SetupRun(options);
  await run.preflight();
  const results = await runSteps(options, steps, (step) => run.runStep(step));
  const next = steps.flatMap((step) =>
    step.kind === 'next' ? [{ title: step.title, command: step.command }] : [],
  );
  return { results, next };
}

/** Runs every step of getTeardownPlan's in order. */
export async function runTeardown(options: SetupRunOptions, steps: TeardownStep[]): Promise<StepResult[]> {
  const run = new SetupRun(options);
  await run.preflight();
  return runSteps(options, steps, (step) => run.runTeardownStep(step));
}

export function formatStepResults(results: StepResult[]): string {
  return results
    .map(
      (result) =>
        `${result.step}. ${result.title}: ${result.status}${result.detail ? ` (${result.detail})` : ''}`,
    )
    .join('\n');
}

export function formatSetupRun(result: SetupRunResult): string {
  const changed = result.results.filter((r) => r.status === 'created' || r.status === 'updated').length;
  const byHand = result.results.filter((r) => r.status === 'by hand');
  return [
    formatStepResults(result.results),
    '',
    changed === 0
      ? 'Setup: nothing changed; everything was already present.'
      : `Setup: ${changed} steps changed something.`,
    ...(byHand.length > 0 ? [`By hand: ${byHand.map((r) => r.title).join('; ')}.`] : []),
    '',
    'Next:',
    ...result.next.map((step) => `  ${step.title}:\n  $ ${step.command}`),
    '',
  ].join('\n');
}
