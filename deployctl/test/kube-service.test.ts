/**
 * verify's target through the Kubernetes API (kube-service.ts): the proxy URL, the checks
 * of every flag before anything runs, the API server's refusals, and `--eks-cluster` with a
 * stand-in `aws` on PATH (a test double of the AWS CLI, named as one: no AWS account here).
 * The real API server's proxy and RBAC are in test/k8s/verify-in-cluster.test.ts.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../test/support/paths.js';
import { getServiceEndpoint } from '../src/commands/verify.js';
import { getNamespaceForEnv } from '../src/environments.js';
import { type DeployctlError, EXIT_CODES } from '../src/exit-codes.js';
import { getKubeRefusal } from '../src/kube-service.js';
import { runCli } from './helpers/git-fixture.js';

const SERVER = 'https://api.example.test:6443';

describe('verify through the Kubernetes API: the target', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kube-service-'));
    writeFileSync(join(dir, 'token'), 'token-from-file\n');
    writeFileSync(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the Service proxy URL of the chart’s Service and http port, with the bearer token', async () => {
    const endpoint = await getServiceEndpoint({
      kubeApiServer: `${SERVER}/`,
      kubeCaFile: join(dir, 'ca.crt'),
      vars: { KUBE_TOKEN: 'secret-token' },
    });
    assert.equal(
      endpoint.url,
      `${SERVER}/api/v1/namespaces/default/services/mlops-inference-service:http/proxy`,
    );
    assert.deepEqual(await endpoint.getHeaders(), { authorization: 'Bearer secret-token' });
    assert.equal(endpoint.ca, '-----BEGIN CERTIFICATE-----\n');
    const dev = await getServiceEndpoint(
      { kubeApiServer: SERVER, kubeTokenFile: join(dir, 'token'), service: 'other', port: '8000', vars: {} },
      'mlops-dev',
    );
    assert.equal(dev.url, `${SERVER}/api/v1/namespaces/mlops-dev/services/other:8000/proxy`);
    // Read on every request, so a refreshed token file is picked up.
    writeFileSync(join(dir, 'token'), 'rotated\n');
    assert.deepEqual(await dev.getHeaders(), { authorization: 'Bearer rotated' });
  });

  test('each env’s namespace is where its Argo CD Application deploys (argocd/application*.yaml)', () => {
    for (const [file, env] of [
      ['application.yaml', 'prod'],
      ['application-dev.yaml', 'dev'],
    ] as const) {
      const app = parseAllDocuments(readFileSync(join(REPO_ROOT, 'argocd', file), 'utf8'))
        .map((doc) => doc.toJS())
        .find((m) => m?.kind === 'Application');
      assert.equal(getNamespaceForEnv(env), app.spec.destination.namespace, file);
    }
    assert.equal(getNamespaceForEnv('staging'), undefined);
  });

  test('bad input fails before any request (exit 2), each with what to do', async () => {
    const cases: [Parameters<typeof getServiceEndpoint>[0], RegExp][] = [
      [{ url: 'http://x', kubeApiServer: SERVER }, /name two targets/],
      [{ url: 'http://x', namespace: 'default' }, /--namespace need --kube-api-server/],
      [{}, /no target: pass --url/],
      [{ kubeApiServer: 'http://127.0.0.1:6443' }, /must be a plain https:\/\/ URL/],
      [{ kubeApiServer: SERVER, namespace: 'Prod' }, /not a Kubernetes namespace name/],
      [{ kubeApiServer: SERVER, service: '9svc' }, /not a Kubernetes Service name/],
      [{ kubeApiServer: SERVER, port: 'http/../x' }, /not a Service port name or number/],
      [{ kubeApiServer: SERVER }, /no Kubernetes API token: set KUBE_TOKEN/],
      [{ kubeApiServer: SERVER, kubeTokenFile: '/nonexistent/token' }, /cannot read --kube-token-file/],
    ];
    for (const [options, message] of cases) {
      await assert.rejects(getServiceEndpoint({ vars: {}, ...options }), (error: DeployctlError) => {
        assert.equal(error.kind, 'input', JSON.stringify(options));
        assert.match(error.message, message, JSON.stringify(options));
        return true;
      });
    }
    // Through the CLI: an env without a known namespace, refused before git or the network.
    const env = await runCli(
      ['verify', '--env', 'staging', '--commit', 'a'.repeat(40), '--kube-api-server', SERVER],
      { cwd: REPO_ROOT, env: { DEPLOYCTL_ENV_BRANCHES: 'staging=release', KUBE_TOKEN: 't' } },
    );
    assert.equal(env.code, EXIT_CODES.input, env.stderr);
    assert.match(env.stderr, /env `staging` has no known namespace; pass --namespace/);
  });

  test('only the API server’s own 401/403 (a v1 Status) is a refusal; the service’s answers are data', async () => {
    const endpoint = await getServiceEndpoint({ kubeApiServer: SERVER, vars: { KUBE_TOKEN: 't' } });
    const status = { kind: 'Status', code: 403, message: 'services "x" is forbidden' };
    assert.match(
      getKubeRefusal(endpoint, 'GET /version', 403, status)?.message ?? '',
      /HTTP 403: services "x"/,
    );
    assert.match(
      getKubeRefusal(endpoint, 'GET /version', 401, { ...status, code: 401 })?.message ?? '',
      /expired/,
    );
    assert.equal(getKubeRefusal(endpoint, 'GET /version', 403, { error: { code: 'X' } }), undefined);
    assert.equal(getKubeRefusal(endpoint, 'GET /version', 503, { ...status, code: 503 }), undefined);
    const plain = await getServiceEndpoint({ url: 'http://127.0.0.1:1' });
    assert.equal(getKubeRefusal(plain, 'GET /version', 403, status), undefined);
  });

  test('--eks-cluster: endpoint and CA from `aws eks describe-cluster`, a token from `aws eks get-token`, fetched again only near its expiry', async () => {
    const bin = join(dir, 'bin');
    const calls = join(dir, 'aws-calls');
    const expiry = new Date(Date.now() + 14 * 60_000).toISOString();
    const ca = Buffer.from('-----BEGIN CERTIFICATE-----\nEKS\n').toString('base64');
    writeFileSync(calls, '');
    // The AWS CLI's stand-in: prints what the real one prints for these two calls.
    const script = `#!/bin/sh
echo "$*" >> ${calls}
case "$2" in
  describe-cluster) echo '{"cluster":{"endpoint":"${SERVER}","certificateAuthority":{"data":"${ca}"}}}' ;;
  get-token) echo '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{},"status":{"expirationTimestamp":"${expiry}","token":"k8s-aws-v1.abc"}}' ;;
  *) exit 1 ;;
esac
`;
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'aws'), script);
    chmodSync(join(bin, 'aws'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const endpoint = await getServiceEndpoint(
        { eksCluster: 'mlops', region: 'eu-central-1', vars: {} },
        'mlops-dev',
      );
      assert.equal(
        endpoint.url,
        `${SERVER}/api/v1/namespaces/mlops-dev/services/mlops-inference-service:http/proxy`,
      );
      assert.equal(endpoint.ca, '-----BEGIN CERTIFICATE-----\nEKS\n');
      assert.deepEqual(await endpoint.getHeaders(), { authorization: 'Bearer k8s-aws-v1.abc' });
      await endpoint.getHeaders();
      assert.deepEqual(readFileSync(calls, 'utf8').trim().split('\n'), [
        'eks describe-cluster --name mlops --output json --region eu-central-1',
        'eks get-token --cluster-name mlops --output json --region eu-central-1',
      ]);
    } finally {
      process.env.PATH = path;
    }
  });
});
