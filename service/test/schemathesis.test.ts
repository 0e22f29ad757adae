/**
 * schemathesis (PyPI, pinned in scripts/ensure-schemathesis.sh) against the real server's
 * /openapi.json, every check and every phase (security review, issue 13, point 8): the document
 * is the contract, so a schema-valid request must be accepted, an invalid one refused with a
 * 4xx, undeclared methods answered 405 with Allow, and nothing may answer 5xx.
 *
 * What it covers is what the document lists: the API routes. /docs (Swagger UI's HTML and
 * assets) and /openapi.json are hidden from the document because they are not API operations;
 * test/bad-input.test.ts covers their error answers. /metrics is on its own port.
 *
 * A missing schemathesis fails this test with the command to install it; it never skips.
 * SCHEMATHESIS_MAX_EXAMPLES (default 25) and SCHEMATHESIS_SEED (default 1) override.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ServiceProcess, startService, waitUntilReady } from '../../test/support/service-process.js';

const ENSURE = fileURLToPath(new URL('../../scripts/ensure-schemathesis.sh', import.meta.url));
const MAX_EXAMPLES = process.env.SCHEMATHESIS_MAX_EXAMPLES ?? '25';
const SEED = process.env.SCHEMATHESIS_SEED ?? '1';
// The whole run: ~1 min here; the bound only stops a hung run.
const TIMEOUT_MS = 360_000;

function schemathesisBinary(): string {
  try {
    return execFileSync('bash', [ENSURE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    throw new Error(
      `schemathesis is missing and could not be installed:\n${stderr}\n` +
        `Install it with: bash scripts/ensure-schemathesis.sh (needs python3 with venv and PyPI access)`,
      { cause: error },
    );
  }
}

function run(bin: string, args: string[]): Promise<{ code: number | null; output: string }> {
  // Its working directory gets a .schemathesis/ example database: keep it out of the repo.
  const cwd = mkdtempSync(join(tmpdir(), 'schemathesis-'));
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const proc = spawn(bin, args, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', COLUMNS: '120' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    proc.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`schemathesis did not finish within ${TIMEOUT_MS / 1000} s:\n${output.slice(-4000)}`));
    }, TIMEOUT_MS);
    proc.on('error', reject);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  }).finally(() => rmSync(cwd, { recursive: true, force: true }));
}

describe('schemathesis against /openapi.json (real server)', () => {
  let server: ServiceProcess;
  before(async () => {
    // info: every 4xx/5xx answer is logged with its status, so a 5xx cannot hide.
    server = await startService({ env: { LOG_LEVEL: 'info' } });
    await waitUntilReady(server.url);
  });
  after(() => server.stop());

  test('all checks, all phases: no failures, no 5xx', { timeout: TIMEOUT_MS + 60_000 }, async () => {
    const bin = schemathesisBinary();
    const args = [
      'run',
      `${server.url}/openapi.json`,
      '--checks',
      'all',
      '--phases',
      'examples,coverage,fuzzing,stateful',
      '--max-examples',
      MAX_EXAMPLES,
      '--seed',
      SEED,
      '--request-timeout',
      '10',
    ];
    const { code, output } = await run(bin, args);
    const tail = output.slice(-6000);
    const generated = /(\d+) generated, (.*)/.exec(output);
    console.log(`schemathesis ${args.join(' ')}\n  → exit ${code}; ${generated?.[0] ?? 'no summary'}`);
    assert.ok(generated, `no test-case summary in the output:\n${tail}`);
    assert.ok(Number(generated[1]) > 1000, `only ${generated[1]} test cases generated:\n${tail}`);
    assert.doesNotMatch(output, /ST\d{3} /, `schemathesis found failures:\n${tail}`);
    assert.equal(code, 0, `schemathesis exited ${code}:\n${tail}`);
    await new Promise((r) => setTimeout(r, 200)); // let the last log lines arrive over the pipe
    const serverErrors = server.logs.filter((l) => /"statusCode":5\d\d/.test(l));
    assert.deepEqual(serverErrors, [], 'no 5xx answers');
    assert.equal(server.proc.exitCode, null, 'the server is still up');
  });
});
