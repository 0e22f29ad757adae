import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { getEcrRegistry } from '../src/ecr.js';
import type { DeployctlError } from '../src/exit-codes.js';
import { getImageLocation, getRegistryBaseUrl, verifyImageExists } from '../src/registry.js';

const TAG = 'a'.repeat(40);

/**
 * TEST DOUBLE of a registry with token auth (the distribution spec's flow, as
 * GitLab's registry and GHCR do it; docker-registry needs a separate token
 * server for that): `/v2/app/manifests/<TAG>` exists, every manifest request
 * without the right bearer token gets 401 and a challenge, and `/token` trades
 * basic credentials `ci:secret` for that token.
 */
describe('the OCI image check with registry credentials', () => {
  let server: Server;
  let host: string;
  const seen: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push(`${req.method} ${url.pathname} ${req.headers.authorization ?? '-'}`);
      if (url.pathname === '/token') {
        const ok = req.headers.authorization === `Basic ${Buffer.from('ci:secret').toString('base64')}`;
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(ok ? JSON.stringify({ token: `pull-${url.searchParams.get('scope')}` }) : '{}');
        return;
      }
      if (req.headers.authorization !== 'Bearer pull-repository:app:pull') {
        res.writeHead(401, {
          'www-authenticate': `Bearer realm="http://${host}/token",service="double",scope="repository:app:pull"`,
        });
        res.end();
        return;
      }
      res.writeHead(url.pathname === `/v2/app/manifests/${TAG}` ? 200 : 404);
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  test('trades DEPLOYCTL_REGISTRY_USERNAME/PASSWORD for a bearer token and finds the image', async () => {
    const vars = { DEPLOYCTL_REGISTRY_USERNAME: 'ci', DEPLOYCTL_REGISTRY_PASSWORD: 'secret' };
    await verifyImageExists({ repository: `${host}/app`, tag: TAG, digest: undefined }, vars);
    assert.match(seen.at(-1) ?? '', /^HEAD \/v2\/app\/manifests\/a{40} Bearer pull-repository:app:pull$/);
    await assert.rejects(
      verifyImageExists({ repository: `${host}/app`, tag: 'b'.repeat(40), digest: undefined }, vars),
      (error: DeployctlError) => error.kind === 'refused' && /is not in the OCI registry/.test(error.message),
    );
  });

  test('uses DEPLOYCTL_REGISTRY_TOKEN as the bearer token as it is', async () => {
    await verifyImageExists(
      { repository: `${host}/app`, tag: TAG, digest: undefined },
      { DEPLOYCTL_REGISTRY_TOKEN: 'pull-repository:app:pull' },
    );
  });

  test('wrong or missing credentials are bad input that names the variables, not "image missing"', async () => {
    for (const vars of [{}, { DEPLOYCTL_REGISTRY_USERNAME: 'ci', DEPLOYCTL_REGISTRY_PASSWORD: 'wrong' }]) {
      await assert.rejects(
        verifyImageExists({ repository: `${host}/app`, tag: TAG, digest: undefined }, vars),
        (error: DeployctlError) =>
          error.kind === 'input' &&
          /refused to show app:a{40} \(HTTP 401\); set DEPLOYCTL_REGISTRY_TOKEN/.test(error.message),
      );
    }
  });
});

test('which registry and how to reach it, from image.repository', () => {
  assert.deepEqual(getImageLocation('123456789012.dkr.ecr.eu-central-1.amazonaws.com/team/app'), {
    registry: '123456789012.dkr.ecr.eu-central-1.amazonaws.com',
    name: 'team/app',
  });
  assert.deepEqual(getEcrRegistry('123456789012.dkr.ecr.eu-central-1.amazonaws.com'), {
    accountId: '123456789012',
    region: 'eu-central-1',
  });
  assert.equal(getEcrRegistry('registry.gitlab.com'), undefined);
  assert.equal(getRegistryBaseUrl('127.0.0.1:5000'), 'http://127.0.0.1:5000');
  assert.equal(getRegistryBaseUrl('localhost:5000'), 'http://localhost:5000');
  assert.equal(getRegistryBaseUrl('registry.gitlab.com'), 'https://registry.gitlab.com');
  // No host: Docker Hub's implicit default is not guessed.
  assert.throws(() => getImageLocation('mlops-inference-service'), /names no registry host/);
});
