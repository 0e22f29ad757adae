/**
 * deployctl's side of verify through the Kubernetes API: TLS with the cluster's CA, the bearer
 * token on every call, the service proxy paths, and the API server's refusal. The API server
 * here is a **test double** (an HTTPS server answering on the proxy paths like a service
 * behind it would, two "pods" in turn), so this runs in the deployctl suite; the real
 * kube-apiserver, its RBAC and real service processes are in test/k8s/verify-in-cluster.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BUNDLED_MODEL_DIR, REPO_ROOT } from '../../test/support/paths.js';
import { verify } from '../src/commands/verify.js';
import { type DeployctlError, EXIT_CODES } from '../src/exit-codes.js';
import { runCli } from './helpers/git-fixture.js';

const COMMIT = 'd'.repeat(40);
const MODEL_CARD = join(BUNDLED_MODEL_DIR, 'model.json');
const PROXY = '/api/v1/namespaces/mlops-dev/services/mlops-inference-service:http/proxy';

describe('verify through a Kubernetes API server (test double of its service proxy)', () => {
  let dir: string;
  let server: Server;
  let url: string;
  const seen: { method: string; path: string; authorization: string | undefined }[] = [];
  const golden = new Map<string, string>(
    (JSON.parse(readFileSync(MODEL_CARD, 'utf8')).golden as { input: string; label: string }[]).map((g) => [
      g.input,
      g.label,
    ]),
  );
  const card = JSON.parse(readFileSync(MODEL_CARD, 'utf8')) as { name: string; version: string };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kube-api-double-'));
    execFileSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=kube-api-double',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'ca.crt'),
    ]);
    let next = 0;
    server = createServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'ca.crt')) },
      (req, res) => {
        const path = req.url ?? '';
        seen.push({ method: req.method ?? '', path, authorization: req.headers.authorization });
        let body = '';
        req.on('data', (chunk) => {
          body += chunk;
        });
        req.on('end', () => {
          const send = (status: number, value: unknown) => {
            res.writeHead(status, { 'content-type': 'application/json' });
            res.end(JSON.stringify(value));
          };
          if (req.headers.authorization !== 'Bearer good-token') {
            send(403, {
              kind: 'Status',
              apiVersion: 'v1',
              status: 'Failure',
              message: `services "mlops-inference-service:http" is forbidden: User "x" cannot get resource "services/proxy"`,
              reason: 'Forbidden',
              code: 403,
            });
            return;
          }
          const instanceId = `pod-${next++ % 2 === 0 ? 'a' : 'b'}`;
          if (req.method === 'GET' && path === `${PROXY}/version`) {
            send(200, { commit: COMMIT, instanceId, model: { name: card.name, version: card.version } });
          } else if (req.method === 'POST' && path === `${PROXY}/predict`) {
            const label = golden.get((JSON.parse(body) as { input: string }).input);
            send(200, { label, score: 0.9 });
          } else {
            send(404, {
              kind: 'Status',
              code: 404,
              message: 'the server could not find the requested resource',
            });
          }
        });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  test('GET /version and POST /predict go to the proxy paths over TLS with the CA, each with the token', async () => {
    seen.length = 0;
    const result = await verify({
      kubeApiServer: url,
      kubeCaFile: join(dir, 'ca.crt'),
      namespace: 'mlops-dev',
      vars: { KUBE_TOKEN: 'good-token' },
      commit: COMMIT,
      replicas: 2,
      timeoutS: 30,
      modelCard: MODEL_CARD,
    });
    assert.equal(result.url, `${url}${PROXY}`);
    assert.deepEqual(result.instances.map((i) => i.instanceId).sort(), ['pod-a', 'pod-b']);
    assert.ok(result.golden.every((g) => g.got === g.expected));
    assert.ok(seen.every((r) => r.authorization === 'Bearer good-token'));
    assert.deepEqual([...new Set(seen.map((r) => `${r.method} ${r.path}`))].sort(), [
      `GET ${PROXY}/version`,
      `POST ${PROXY}/predict`,
    ]);
  });

  test('without the cluster’s CA the API server is not trusted: every call fails, nothing is verified', async () => {
    await assert.rejects(
      verify({
        kubeApiServer: url,
        namespace: 'mlops-dev',
        vars: { KUBE_TOKEN: 'good-token' },
        commit: COMMIT,
        timeoutS: 1,
        intervalS: 0.5,
        modelCard: MODEL_CARD,
      }),
      (error: DeployctlError) => {
        assert.equal(error.kind, 'timeout');
        assert.match(error.message, /self-signed|SELF_SIGNED|unable to verify/i);
        return true;
      },
    );
  });

  test('the API server refuses the token: exit 2 at once with the RBAC it needs, not a wait until --timeout', async () => {
    const started = Date.now();
    const run = await runCli(
      [
        'verify',
        '--kube-api-server',
        url,
        '--kube-ca-file',
        join(dir, 'ca.crt'),
        '--namespace',
        'mlops-dev',
        '--commit',
        COMMIT,
        '--timeout',
        '300',
        '--model-card',
        MODEL_CARD,
      ],
      { cwd: REPO_ROOT, env: { KUBE_TOKEN: 'wrong-token' } },
    );
    assert.equal(run.code, EXIT_CODES.input, run.stderr);
    assert.match(run.stderr, /refused GET \/version through the service proxy \(HTTP 403: services/);
    assert.match(run.stderr, /`services\/proxy` named `mlops-inference-service:http` in namespace mlops-dev/);
    assert.ok(Date.now() - started < 120_000);
  });
});
