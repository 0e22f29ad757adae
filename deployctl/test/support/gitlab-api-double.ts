/**
 * TEST DOUBLE of GitLab's REST API: GitLab's own server cannot run here.
 *
 * A real HTTP server on 127.0.0.1 that answers the v4 endpoints `deployctl
 * setup`/`teardown` call, with the fields GitLab documents for them
 * (docs.gitlab.com/api/: projects, environments, project_level_variables,
 * protected_branches, project webhooks, deploy_keys, deploy_tokens,
 * project_access_tokens, resource_groups), and keeps state, so idempotency,
 * partial failures and reruns are testable. Like GitLab it answers
 * 401 without a valid PRIVATE-TOKEN, 404 `Project Not Found` for an unknown
 * project, 400 `{"error": "name is missing"}` (Grape's shape) for a missing
 * required field or a value outside the documented set, 400
 * `{"message": {"key": ["... has already been taken"]}}` for a duplicate
 * variable or environment and 409 for an already protected branch.
 *
 * Stricter than GitLab on purpose: GitLab ignores a parameter it does not
 * know, this double answers 400 `{"error": "<field> is not a parameter of
 * <endpoint>"}`, so a misspelt field fails a test instead of silently doing
 * nothing in production.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: Record<string, unknown> | undefined;
}

interface Environment {
  id: number;
  name: string;
  tier: string;
  external_url: string | null;
  state: string;
}
interface Variable {
  key: string;
  value: string;
  variable_type: string;
  protected: boolean;
  masked: boolean;
  hidden: boolean;
  raw: boolean;
  environment_scope: string;
  description: string | null;
}
interface AccessLevel {
  id: number;
  access_level: number;
  access_level_description: string;
  deploy_key_id: number | null;
  user_id: number | null;
  group_id: number | null;
}
interface ProtectedBranch {
  id: number;
  name: string;
  push_access_levels: AccessLevel[];
  merge_access_levels: AccessLevel[];
  unprotect_access_levels: AccessLevel[];
  allow_force_push: boolean;
  code_owner_approval_required: boolean;
}
interface Hook {
  id: number;
  url: string;
  token: string;
  push_events: boolean;
  enable_ssl_verification: boolean;
  push_events_branch_filter: string;
  created_at: string;
}
interface DeployKey {
  id: number;
  title: string;
  key: string;
  can_push: boolean;
  expires_at: string | null;
  created_at: string;
}
interface DeployToken {
  id: number;
  name: string;
  username: string;
  scopes: string[];
  expires_at: string | null;
  revoked: boolean;
  expired: boolean;
  token: string;
}
interface AccessToken {
  id: number;
  name: string;
  scopes: string[];
  access_level: number;
  expires_at: string;
  active: boolean;
  revoked: boolean;
  token: string;
}

export interface GitLabState {
  environments: Environment[];
  variables: Variable[];
  protectedBranches: ProtectedBranch[];
  hooks: Hook[];
  deployKeys: DeployKey[];
  deployTokens: DeployToken[];
  accessTokens: AccessToken[];
  resourceGroups: Map<string, { key: string; process_mode: string }>;
}

export interface GitLabDoubleOptions {
  /** The one token GitLab accepts (PRIVATE-TOKEN). */
  token: string;
  /** The one project: `group/project`. */
  project: string;
  projectId?: number;
  /** GitLab.com Free refuses project access tokens; Premium has them. */
  tier?: 'free' | 'premium';
  /** The access level of the token's user in the project (40: Maintainer). */
  accessLevel?: number;
  /** What a new deploy token's secret is (e.g. a git server's read token); random by default. */
  issueDeployToken?: () => string;
}

type Body = Record<string, unknown>;
type Handler = (match: RegExpExecArray, body: Body, query: Record<string, string>) => [number, unknown];

class BadRequest extends Error {
  constructor(
    readonly status: number,
    readonly answer: unknown,
  ) {
    super(JSON.stringify(answer));
  }
}

const ACCESS_DESCRIPTIONS: Record<number, string> = {
  0: 'No one',
  30: 'Developers + Maintainers',
  40: 'Maintainers',
  60: 'Admins',
};

/** Grape's checks: required fields, the documented ones only, and value sets. */
function check(
  body: Body,
  endpoint: string,
  fields: Record<string, 'string' | 'boolean' | 'integer' | 'array' | readonly string[]>,
  required: string[],
) {
  for (const name of required) {
    if (body[name] === undefined || body[name] === null || body[name] === '') {
      throw new BadRequest(400, { error: `${name} is missing` });
    }
  }
  for (const [name, value] of Object.entries(body)) {
    const type = fields[name];
    if (!type) throw new BadRequest(400, { error: `${name} is not a parameter of ${endpoint}` });
    const valid = Array.isArray(type)
      ? type.includes(value as string)
      : type === 'string'
        ? typeof value === 'string'
        : type === 'boolean'
          ? typeof value === 'boolean'
          : type === 'integer'
            ? Number.isInteger(value)
            : Array.isArray(value);
    if (!valid) throw new BadRequest(400, { error: `${name} is invalid` });
  }
}

const taken = (field: string, text = 'has already been taken') =>
  new BadRequest(400, { message: { [field]: [text] } });

export class GitLabApiDouble {
  readonly requests: RecordedRequest[] = [];
  readonly state: GitLabState = {
    environments: [],
    variables: [],
    protectedBranches: [],
    hooks: [],
    deployKeys: [],
    deployTokens: [],
    accessTokens: [],
    resourceGroups: new Map(),
  };
  url = '';
  private server: Server | undefined;
  private nextId = 1;
  private failures: { method: string; path: RegExp; status: number; times: number }[] = [];
  private readonly routes: [string, RegExp, Handler][];

  constructor(readonly options: GitLabDoubleOptions) {
    this.routes = this.buildRoutes();
  }

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error) => {
        response
          .writeHead(500, { 'content-type': 'application/json' })
          .end(JSON.stringify({ message: String(error) }));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next `times` calls of `method` to a path matching `path` answer `status` (a 5xx outage). */
  fail(method: string, path: RegExp, status: number, times = 1): void {
    this.failures.push({ method, path, status, times });
  }

  /** What the first pipeline does: GitLab creates a resource group when a job first uses it. */
  addResourceGroup(key: string): void {
    this.state.resourceGroups.set(key, { key, process_mode: 'unordered' });
  }

  /** The calls that changed something (not GETs). */
  writes(): RecordedRequest[] {
    return this.requests.filter((request) => request.method !== 'GET');
  }

  private id(): number {
    return this.nextId++;
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://double');
    let text = '';
    for await (const chunk of request) text += chunk;
    const body = text === '' ? undefined : (JSON.parse(text) as Body);
    const query = Object.fromEntries(url.searchParams);
    // GitLab routes on the decoded path of the project, so %2F in :id stays one segment.
    const path = url.pathname;
    this.requests.push({ method: request.method ?? 'GET', path, query, body });
    const send = (status: number, answer: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(answer === undefined ? '' : JSON.stringify(answer));
    };
    if (request.headers['private-token'] !== this.options.token)
      return send(401, { message: '401 Unauthorized' });
    const failure = this.failures.find(
      (f) => f.method === request.method && f.path.test(path) && f.times > 0,
    );
    if (failure) {
      failure.times--;
      return send(failure.status, { message: `${failure.status} Internal Server Error` });
    }
    const prefix = /^\/api\/v4\/projects\/([^/]+)(\/.*)?$/.exec(path);
    if (!prefix) return send(404, { error: '404 Not Found' });
    const id = decodeURIComponent(prefix[1] ?? '');
    if (id !== this.options.project && id !== String(this.options.projectId ?? 1)) {
      return send(404, { message: '404 Project Not Found' });
    }
    const rest = prefix[2] ?? '';
    for (const [method, pattern, handler] of this.routes) {
      const match = pattern.exec(rest);
      if (method !== request.method || !match) continue;
      try {
        const [status, answer] = handler(match, body ?? {}, query);
        return send(status, answer);
      } catch (error) {
        if (error instanceof BadRequest) return send(error.status, error.answer);
        throw error;
      }
    }
    return send(404, { error: '404 Not Found' });
  }

  private findVariable(key: string, query: Record<string, string>): Variable {
    const scope = query['filter[environment_scope]'];
    const found = this.state.variables.filter(
      (variable) => variable.key === key && (scope === undefined || variable.environment_scope === scope),
    );
    if (found.length > 1) {
      throw new BadRequest(409, {
        message:
          "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'",
      });
    }
    const [variable] = found;
    if (!variable) throw new BadRequest(404, { message: '404 Variable Not Found' });
    return variable;
  }

  private accessLevels(
    entries: unknown,
    defaultLevel: number | undefined,
    current: AccessLevel[] = [],
  ): AccessLevel[] {
    let levels = [...current];
    if (defaultLevel !== undefined && current.length === 0)
      levels.push(this.level({ access_level: defaultLevel }));
    for (const entry of (entries as Body[] | undefined) ?? []) {
      if (entry._destroy === true) {
        levels = levels.filter((level) => level.id !== entry.id);
        continue;
      }
      check(
        entry,
        'allowed_to_push',
        {
          access_level: 'integer',
          user_id: 'integer',
          group_id: 'integer',
          deploy_key_id: 'integer',
          id: 'integer',
          _destroy: 'boolean',
        },
        [],
      );
      if (entry.deploy_key_id !== undefined) {
        const key = this.state.deployKeys.find((candidate) => candidate.id === entry.deploy_key_id);
        if (!key?.can_push) {
          throw new BadRequest(422, {
            message: { deploy_key: ['is not enabled for this project or has no write access'] },
          });
        }
      }
      levels.push(this.level(entry));
    }
    return levels;
  }

  private level(entry: Body): AccessLevel {
    const deployKey = typeof entry.deploy_key_id === 'number' ? entry.deploy_key_id : null;
    const accessLevel = typeof entry.access_level === 'number' ? entry.access_level : 40;
    if (deployKey === null && ![0, 30, 40, 60].includes(accessLevel))
      throw new BadRequest(400, { error: 'access_level does not have a valid value' });
    return {
      id: this.id(),
      access_level: accessLevel,
      access_level_description: deployKey === null ? (ACCESS_DESCRIPTIONS[accessLevel] ?? '') : 'Deploy key',
      deploy_key_id: deployKey,
      user_id: typeof entry.user_id === 'number' ? entry.user_id : null,
      group_id: typeof entry.group_id === 'number' ? entry.group_id : null,
    };
  }

  private buildRoutes(): [string, RegExp, Handler][] {
    const s = this.state;
    const now = () => new Date().toISOString();
    const variableFields = {
      key: 'string',
      value: 'string',
      variable_type: ['env_var', 'file'],
      protected: 'boolean',
      masked: 'boolean',
      masked_and_hidden: 'boolean',
      raw: 'boolean',
      environment_scope: 'string',
      description: 'string',
    } as const;
    const checkMask = (value: string) => {
      // GitLab masks a value only if it is a single line of 8+ characters without spaces.
      if (value.length < 8 || /\s/.test(value))
        throw taken(
          'value',
          'is invalid: a masked value must be a single line of at least 8 characters without spaces',
        );
    };
    const show = (variable: Variable) => variable;
    const hook = ({ token: _token, ...rest }: Hook) => rest;
    const deployToken = ({ token: _token, ...rest }: DeployToken) => rest;
    const accessToken = ({ token: _token, ...rest }: AccessToken) => rest;
    const branchFields = {
      name: 'string',
      push_access_level: 'integer',
      merge_access_level: 'integer',
      unprotect_access_level: 'integer',
      allow_force_push: 'boolean',
      allowed_to_push: 'array',
      allowed_to_merge: 'array',
      allowed_to_unprotect: 'array',
      code_owner_approval_required: 'boolean',
    } as const;
    return [
      [
        'GET',
        /^$/,
        () => [
          200,
          {
            id: this.options.projectId ?? 1,
            path_with_namespace: this.options.project,
            default_branch: 'main',
            permissions: {
              project_access: { access_level: this.options.accessLevel ?? 40, notification_level: 3 },
              group_access: null,
            },
          },
        ],
      ],
      // Environments
      [
        'GET',
        /^\/environments$/,
        (_m, _b, q) => [200, s.environments.filter((e) => !q.name || e.name === q.name)],
      ],
      [
        'POST',
        /^\/environments$/,
        (_m, body) => {
          check(
            body,
            'POST /projects/:id/environments',
            {
              name: 'string',
              external_url: 'string',
              tier: ['production', 'staging', 'testing', 'development', 'other'],
            },
            ['name'],
          );
          if (s.environments.some((e) => e.name === body.name)) throw taken('name');
          const environment: Environment = {
            id: this.id(),
            name: String(body.name),
            tier: String(body.tier ?? 'other'),
            external_url: (body.external_url as string) ?? null,
            state: 'available',
          };
          s.environments.push(environment);
          return [201, environment];
        },
      ],
      [
        'PUT',
        /^\/environments\/(\d+)$/,
        (m, body) => {
          check(
            body,
            'PUT /projects/:id/environments/:environment_id',
            { external_url: 'string', tier: ['production', 'staging', 'testing', 'development', 'other'] },
            [],
          );
          const environment = s.environments.find((e) => e.id === Number(m[1]));
          if (!environment) throw new BadRequest(404, { message: '404 Not found' });
          Object.assign(environment, body);
          return [200, environment];
        },
      ],
      // Project-level CI/CD variables
      ['GET', /^\/variables$/, () => [200, s.variables.map(show)]],
      [
        'GET',
        /^\/variables\/([^/]+)$/,
        (m, _b, q) => [200, show(this.findVariable(decodeURIComponent(m[1] ?? ''), q))],
      ],
      [
        'POST',
        /^\/variables$/,
        (_m, body) => {
          check(body, 'POST /projects/:id/variables', variableFields, ['key', 'value']);
          if (!/^[A-Za-z0-9_]{1,255}$/.test(String(body.key)))
            throw taken('key', 'can contain only letters, digits and _.');
          const scope = String(body.environment_scope ?? '*');
          if (s.variables.some((v) => v.key === body.key && v.environment_scope === scope)) {
            throw taken('key', `(${body.key}) has already been taken`);
          }
          const masked = body.masked === true || body.masked_and_hidden === true;
          if (masked) checkMask(String(body.value));
          const variable: Variable = {
            key: String(body.key),
            value: String(body.value),
            variable_type: String(body.variable_type ?? 'env_var'),
            protected: body.protected === true,
            masked,
            hidden: body.masked_and_hidden === true,
            raw: body.raw === true,
            environment_scope: scope,
            description: (body.description as string) ?? null,
          };
          s.variables.push(variable);
          return [201, show(variable)];
        },
      ],
      [
        'PUT',
        /^\/variables\/([^/]+)$/,
        (m, body, q) => {
          const { key: _key, masked_and_hidden: _hidden, ...fields } = variableFields;
          check(body, 'PUT /projects/:id/variables/:key', fields, ['value']);
          const variable = this.findVariable(decodeURIComponent(m[1] ?? ''), q);
          if ((body.masked ?? variable.masked) === true) checkMask(String(body.value));
          Object.assign(variable, body);
          return [200, show(variable)];
        },
      ],
      [
        'DELETE',
        /^\/variables\/([^/]+)$/,
        (m, _b, q) => {
          const variable = this.findVariable(decodeURIComponent(m[1] ?? ''), q);
          s.variables.splice(s.variables.indexOf(variable), 1);
          return [204, undefined];
        },
      ],
      // Protected branches
      ['GET', /^\/protected_branches$/, () => [200, s.protectedBranches]],
      [
        'GET',
        /^\/protected_branches\/([^/]+)$/,
        (m) => {
          const branch = s.protectedBranches.find((b) => b.name === decodeURIComponent(m[1] ?? ''));
          if (!branch) throw new BadRequest(404, { message: '404 Not found' });
          return [200, branch];
        },
      ],
      [
        'POST',
        /^\/protected_branches$/,
        (_m, body) => {
          check(body, 'POST /projects/:id/protected_branches', branchFields, ['name']);
          if (s.protectedBranches.some((b) => b.name === body.name)) {
            throw new BadRequest(409, { message: `Protected branch '${body.name}' already exists` });
          }
          const branch: ProtectedBranch = {
            id: this.id(),
            name: String(body.name),
            push_access_levels: this.accessLevels(body.allowed_to_push, Number(body.push_access_level ?? 40)),
            merge_access_levels: this.accessLevels(
              body.allowed_to_merge,
              Number(body.merge_access_level ?? 40),
            ),
            unprotect_access_levels: this.accessLevels(
              body.allowed_to_unprotect,
              Number(body.unprotect_access_level ?? 40),
            ),
            allow_force_push: body.allow_force_push === true,
            code_owner_approval_required: body.code_owner_approval_required === true,
          };
          // With both a level and entries, GitLab keeps both.
          if (body.push_access_level !== undefined && body.allowed_to_push !== undefined) {
            branch.push_access_levels = [
              this.level({ access_level: body.push_access_level }),
              ...this.accessLevels(body.allowed_to_push, undefined),
            ];
          }
          s.protectedBranches.push(branch);
          return [201, branch];
        },
      ],
      [
        'PATCH',
        /^\/protected_branches\/([^/]+)$/,
        (m, body) => {
          const {
            name: _n,
            push_access_level: _p,
            merge_access_level: _me,
            unprotect_access_level: _u,
            ...fields
          } = branchFields;
          check(body, 'PATCH /projects/:id/protected_branches/:name', fields, []);
          const branch = s.protectedBranches.find((b) => b.name === decodeURIComponent(m[1] ?? ''));
          if (!branch) throw new BadRequest(404, { message: '404 Not found' });
          if (body.allow_force_push !== undefined) branch.allow_force_push = body.allow_force_push === true;
          if (body.allowed_to_push)
            branch.push_access_levels = this.accessLevels(
              body.allowed_to_push,
              undefined,
              branch.push_access_levels,
            );
          if (body.allowed_to_merge)
            branch.merge_access_levels = this.accessLevels(
              body.allowed_to_merge,
              undefined,
              branch.merge_access_levels,
            );
          return [200, branch];
        },
      ],
      // Webhooks (GitLab never shows a hook's token)
      ['GET', /^\/hooks$/, () => [200, s.hooks.map(hook)]],
      [
        'POST',
        /^\/hooks$/,
        (_m, body) => {
          check(
            body,
            'POST /projects/:id/hooks',
            {
              url: 'string',
              token: 'string',
              push_events: 'boolean',
              push_events_branch_filter: 'string',
              enable_ssl_verification: 'boolean',
              merge_requests_events: 'boolean',
              tag_push_events: 'boolean',
              name: 'string',
              description: 'string',
            },
            ['url'],
          );
          const created: Hook = {
            id: this.id(),
            url: String(body.url),
            token: String(body.token ?? ''),
            push_events: body.push_events !== false,
            enable_ssl_verification: body.enable_ssl_verification !== false,
            push_events_branch_filter: String(body.push_events_branch_filter ?? ''),
            created_at: now(),
          };
          s.hooks.push(created);
          return [201, hook(created)];
        },
      ],
      [
        'PUT',
        /^\/hooks\/(\d+)$/,
        (m, body) => {
          check(
            body,
            'PUT /projects/:id/hooks/:hook_id',
            {
              url: 'string',
              token: 'string',
              push_events: 'boolean',
              push_events_branch_filter: 'string',
              enable_ssl_verification: 'boolean',
            },
            ['url'],
          );
          const found = s.hooks.find((h) => h.id === Number(m[1]));
          if (!found) throw new BadRequest(404, { message: '404 Not found' });
          Object.assign(found, body);
          return [200, hook(found)];
        },
      ],
      [
        'DELETE',
        /^\/hooks\/(\d+)$/,
        (m) => {
          const index = s.hooks.findIndex((h) => h.id === Number(m[1]));
          if (index < 0) throw new BadRequest(404, { message: '404 Not found' });
          s.hooks.splice(index, 1);
          return [204, undefined];
        },
      ],
      // Deploy keys
      ['GET', /^\/deploy_keys$/, () => [200, s.deployKeys]],
      [
        'POST',
        /^\/deploy_keys$/,
        (_m, body) => {
          check(
            body,
            'POST /projects/:id/deploy_keys',
            { title: 'string', key: 'string', can_push: 'boolean', expires_at: 'string' },
            ['key', 'title'],
          );
          if (
            !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp\d+|sk-\S+) [A-Za-z0-9+/]+=*( .*)?$/.test(
              String(body.key),
            )
          ) {
            throw taken('key', 'type is forbidden. Must be RSA, ECDSA, ED25519, ECDSA_SK, or ED25519_SK');
          }
          const blob = String(body.key).split(' ').slice(0, 2).join(' ');
          if (s.deployKeys.some((k) => k.key.split(' ').slice(0, 2).join(' ') === blob)) {
            throw taken('fingerprint_sha256');
          }
          const key: DeployKey = {
            id: this.id(),
            title: String(body.title),
            key: String(body.key),
            can_push: body.can_push === true,
            expires_at: (body.expires_at as string) ?? null,
            created_at: now(),
          };
          s.deployKeys.push(key);
          return [201, key];
        },
      ],
      [
        'DELETE',
        /^\/deploy_keys\/(\d+)$/,
        (m) => {
          const index = s.deployKeys.findIndex((k) => k.id === Number(m[1]));
          if (index < 0) throw new BadRequest(404, { message: '404 Deploy key Not Found' });
          const [key] = s.deployKeys.splice(index, 1);
          // GitLab drops the protected-branch entries of a deleted key.
          for (const branch of s.protectedBranches) {
            branch.push_access_levels = branch.push_access_levels.filter(
              (level) => level.deploy_key_id !== key?.id,
            );
          }
          return [204, undefined];
        },
      ],
      // Deploy tokens (the token is shown only in the answer that creates it)
      ['GET', /^\/deploy_tokens$/, () => [200, s.deployTokens.map(deployToken)]],
      [
        'POST',
        /^\/deploy_tokens$/,
        (_m, body) => {
          check(
            body,
            'POST /projects/:id/deploy_tokens',
            { name: 'string', scopes: 'array', expires_at: 'string', username: 'string' },
            ['name', 'scopes'],
          );
          const scopes = body.scopes as string[];
          const known = [
            'read_repository',
            'read_registry',
            'write_registry',
            'read_package_registry',
            'write_package_registry',
            'read_virtual_registry',
            'write_virtual_registry',
          ];
          if (scopes.length === 0 || scopes.some((scope) => !known.includes(scope)))
            throw new BadRequest(400, { error: 'scopes does not have a valid value' });
          const id = this.id();
          const token: DeployToken = {
            id,
            name: String(body.name),
            username: String(body.username ?? `gitlab+deploy-token-${id}`),
            scopes,
            expires_at: (body.expires_at as string) ?? null,
            revoked: false,
            expired: false,
            token: this.options.issueDeployToken?.() ?? `gldt-${randomBytes(10).toString('hex')}`,
          };
          s.deployTokens.push(token);
          return [201, token];
        },
      ],
      [
        'DELETE',
        /^\/deploy_tokens\/(\d+)$/,
        (m) => {
          const token = s.deployTokens.find((t) => t.id === Number(m[1]));
          if (!token) throw new BadRequest(404, { message: '404 Not found' });
          s.deployTokens.splice(s.deployTokens.indexOf(token), 1);
          return [204, undefined];
        },
      ],
      // Project access tokens (GitLab.com: Premium and Ultimate)
      ['GET', /^\/access_tokens$/, () => [200, s.accessTokens.map(accessToken)]],
      [
        'POST',
        /^\/access_tokens$/,
        (_m, body) => {
          if ((this.options.tier ?? 'free') === 'free') {
            throw new BadRequest(403, {
              message: '403 Forbidden - User does not have permission to create project access token',
            });
          }
          check(
            body,
            'POST /projects/:id/access_tokens',
            {
              name: 'string',
              scopes: 'array',
              access_level: 'integer',
              expires_at: 'string',
              description: 'string',
            },
            ['name', 'scopes', 'expires_at'],
          );
          const token: AccessToken = {
            id: this.id(),
            name: String(body.name),
            scopes: body.scopes as string[],
            access_level: Number(body.access_level ?? 40),
            expires_at: String(body.expires_at),
            active: true,
            revoked: false,
            token: `glpat-${randomBytes(10).toString('hex')}`,
          };
          s.accessTokens.push(token);
          return [201, token];
        },
      ],
      [
        'DELETE',
        /^\/access_tokens\/(\d+)$/,
        (m) => {
          const token = s.accessTokens.find((t) => t.id === Number(m[1]));
          if (!token) throw new BadRequest(404, { message: '404 Not found' });
          token.active = false;
          token.revoked = true;
          return [204, undefined];
        },
      ],
      // Resource groups (created by the first pipeline that uses one)
      [
        'GET',
        /^\/resource_groups\/([^/]+)$/,
        (m) => {
          const group = s.resourceGroups.get(decodeURIComponent(m[1] ?? ''));
          if (!group) throw new BadRequest(404, { message: '404 Not found' });
          return [200, group];
        },
      ],
      [
        'PUT',
        /^\/resource_groups\/([^/]+)$/,
        (m, body) => {
          check(
            body,
            'PUT /projects/:id/resource_groups/:key',
            { process_mode: ['unordered', 'oldest_first', 'newest_first', 'newest_ready_first'] },
            [],
          );
          const group = s.resourceGroups.get(decodeURIComponent(m[1] ?? ''));
          if (!group) throw new BadRequest(404, { message: '404 Not found' });
          Object.assign(group, body);
          return [200, group];
        },
      ],
    ];
  }
}
