/**
 * The GitLab REST API test double (test/support/gitlab-api-double.ts) refuses
 * what GitLab refuses, so setup's tests against it mean something: a request
 * without a token, for another project, with a field GitLab does not document
 * or without a required one, a duplicate, a masked multi-line value.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GitLabApiDouble } from './support/gitlab-api-double.js';

const PROJECT = 'my-group/mlops-inference-chain';
let gitlab: GitLabApiDouble;

before(async () => {
  gitlab = new GitLabApiDouble({ token: 't0ken', project: PROJECT });
  await gitlab.start();
});
after(() => gitlab.close());

async function call(method: string, path: string, body?: unknown, token = 't0ken') {
  const response = await fetch(`${gitlab.url}/api/v4/projects/${encodeURIComponent(PROJECT)}${path}`, {
    method,
    headers: { 'PRIVATE-TOKEN': token, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

test('401 without the token, 404 for another project', async () => {
  assert.deepEqual(await call('GET', '', undefined, 'wrong'), {
    status: 401,
    body: { message: '401 Unauthorized' },
  });
  const other = await fetch(`${gitlab.url}/api/v4/projects/${encodeURIComponent('a/b')}/variables`, {
    headers: { 'PRIVATE-TOKEN': 't0ken' },
  });
  assert.equal(other.status, 404);
  assert.deepEqual(await other.json(), { message: '404 Project Not Found' });
});

test('400 in Grape’s shape for a missing field, an unknown one, a value outside the documented set', async () => {
  assert.deepEqual(await call('POST', '/environments', { tier: 'production' }), {
    status: 400,
    body: { error: 'name is missing' },
  });
  assert.deepEqual(await call('POST', '/variables', { key: 'A_B', value: 'x', scope: 'prod' }), {
    status: 400,
    body: { error: 'scope is not a parameter of POST /projects/:id/variables' },
  });
  assert.deepEqual(await call('POST', '/variables', { key: 'A_B', value: 'x', variable_type: 'yaml' }), {
    status: 400,
    body: { error: 'variable_type is invalid' },
  });
  assert.equal((await call('PUT', '/resource_groups/prod', { process_mode: 'fastest' })).status, 400);
});

test('duplicates: "has already been taken" (400), an already protected branch (409)', async () => {
  assert.equal((await call('POST', '/environments', { name: 'prod', tier: 'production' })).status, 201);
  assert.deepEqual(await call('POST', '/environments', { name: 'prod' }), {
    status: 400,
    body: { message: { name: ['has already been taken'] } },
  });
  assert.equal(
    (await call('POST', '/variables', { key: 'K', value: 'v', environment_scope: 'prod' })).status,
    201,
  );
  assert.equal(
    (await call('POST', '/variables', { key: 'K', value: 'v', environment_scope: 'dev' })).status,
    201,
  );
  assert.deepEqual(await call('POST', '/variables', { key: 'K', value: 'w', environment_scope: 'prod' }), {
    status: 400,
    body: { message: { key: ['(K) has already been taken'] } },
  });
  // Two scopes of one key: GitLab wants the filter.
  assert.equal((await call('GET', '/variables/K')).status, 409);
  assert.equal(
    (await call('GET', '/variables/K?filter[environment_scope]=dev')).body.environment_scope,
    'dev',
  );
  assert.equal(
    (await call('POST', '/protected_branches', { name: 'main', push_access_level: 40 })).status,
    201,
  );
  assert.deepEqual(await call('POST', '/protected_branches', { name: 'main' }), {
    status: 409,
    body: { message: "Protected branch 'main' already exists" },
  });
});

test('a masked value must be one line; project access tokens need Premium; tokens are never listed', async () => {
  const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n';
  const masked = await call('POST', '/variables', { key: 'SSH', value: key, masked: true });
  assert.equal(masked.status, 400);
  assert.match(JSON.stringify(masked.body), /single line/);
  assert.equal(
    (await call('POST', '/variables', { key: 'SSH', value: key, variable_type: 'file' })).status,
    201,
  );
  const access = await call('POST', '/access_tokens', {
    name: 'x',
    scopes: ['write_repository'],
    expires_at: '2027-01-01',
  });
  assert.equal(access.status, 403);
  const created = await call('POST', '/deploy_tokens', { name: 'argocd', scopes: ['read_repository'] });
  assert.equal(created.status, 201);
  assert.match(created.body.token, /^gldt-/);
  assert.equal((await call('GET', '/deploy_tokens')).body[0].token, undefined);
  assert.equal(
    (await call('POST', '/hooks', { url: 'https://a.example.com/api/webhook', token: 's3cret' })).status,
    201,
  );
  assert.equal((await call('GET', '/hooks')).body[0].token, undefined);
});
