/**
 * Runs the suites of scripts/test/suites.ts: all of them (`npm test`), or the
 * ones named (`npm test -- chart k8s`; a CI check job runs one, or with
 * `--shard I/N` its share of a sharded suite's test files). Each suite's
 * output streams through; its pass/fail counts are read from node's test
 * runner summary (`ℹ pass N` / `ℹ fail N`). Ends with a summary table and the
 * line `N passed, N failed`; exits 1 when any suite failed, 2 on a bad name.
 *
 * On a fresh machine some suites first build their tools from source (helm,
 * the Kubernetes control plane: tens of minutes on 2 cores). Those builds are
 * started in the background as soon as the quiet suites (which measure time
 * and load) are done, so they overlap with the suites that need no tool; each
 * suite's own `ensure-*` call then finds the cache or waits on its lock.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../../test/support/paths.js';
import { getSuite, parseShard, type Shard, SUITES, type Suite } from './suites.js';

interface Outcome {
  name: string;
  passed: number;
  failed: number;
  ok: boolean;
  seconds: number;
}

/** node's test runner summary lines (spec and TAP reporters). */
const COUNT = /^(?:ℹ|#) (pass|fail) (\d+)\s*$/;

/** `npm test …` and `npm run test:…` run node tests; lint, types and the model gate do not. */
function runsTests(suite: Suite): boolean {
  const [, verb = '', script = ''] = suite.command;
  return verb === 'test' || script.startsWith('test:');
}

function runSuite(suite: Suite, shard?: Shard): Promise<Outcome> {
  const started = Date.now();
  console.log(`=== suite: ${suite.name}${shard ? ` (shard ${shard.index}/${shard.total})` : ''}`);
  return new Promise((done) => {
    const [command = '', ...args] = suite.command;
    // NODE_TEST_CONTEXT marks a process as a child of `node --test`: a suite
    // started from inside a test (a CI job that gitlab-ci-local runs for
    // test/pipeline) would then skip all its test files and exit 0.
    // TEST_SHARD reaches the suite's test script only from --shard, never from
    // the caller's environment: a stray one would silently skip test files.
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => key !== 'NODE_TEST_CONTEXT' && key !== 'TEST_SHARD'),
    );
    if (shard) env.TEST_SHARD = `${shard.index}/${shard.total}`;
    const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const counts = { pass: 0, fail: 0 };
    let partial = '';
    const scan = (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const match = COUNT.exec(line);
        if (match) counts[match[1] as 'pass' | 'fail'] += Number(match[2]);
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      scan(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      scan(chunk);
    });
    const finish = (ok: boolean) =>
      done({
        name: suite.name,
        passed: counts.pass,
        failed: counts.fail,
        ok,
        seconds: Math.round((Date.now() - started) / 1000),
      });
    child.on('error', (error) => {
      console.error(`suite ${suite.name}: cannot start ${suite.command.join(' ')}: ${error.message}`);
      finish(false);
    });
    child.on('close', (code) => {
      if (partial) scan(Buffer.from('\n'));
      // A test suite that ran no test proved nothing: that is a failure, never a pass.
      const empty = runsTests(suite) && counts.pass + counts.fail === 0;
      if (code === 0 && empty)
        console.error(`suite ${suite.name}: FAILED: it ran no tests (0 passed, 0 failed)`);
      finish(code === 0 && !empty);
    });
  });
}

/** Starts each tool build of `suites` once, niced, logging to a file; returns the children. */
function prefetchTools(suites: readonly Suite[]): ChildProcess[] {
  const scripts = [...new Set(suites.flatMap((s) => s.tools ?? []))];
  if (scripts.length === 0) return [];
  const logs = join(tmpdir(), `npm-test-tools-${process.pid}`);
  mkdirSync(logs, { recursive: true });
  console.log(`=== building the tools of the later suites in the background (logs: ${logs})`);
  return scripts.map((script) => {
    const log = openSync(join(logs, `${script.replaceAll('/', '_')}.log`), 'w');
    const child = spawn('nice', ['-n', '10', 'bash', script], {
      cwd: REPO_ROOT,
      stdio: ['ignore', log, log],
    });
    // A failed prefetch is not a failure here: the suite's own call retries and reports it.
    child.on('error', () => {});
    return child;
  });
}

function formatSummary(outcomes: Outcome[]): string {
  const rows = [['suite', 'passed', 'failed', 'status', 'seconds']];
  for (const o of outcomes) {
    rows.push([o.name, String(o.passed), String(o.failed), o.ok ? 'ok' : 'FAILED', String(o.seconds)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')).join('\n');
}

const USAGE = 'usage: npm test -- [SUITE ...] | npm test -- SUITE --shard I/N';

async function main(argv: string[]): Promise<number> {
  let selected: readonly Suite[];
  let shard: Shard | undefined;
  try {
    const { values, positionals: names } = parseArgs({
      args: argv,
      options: { shard: { type: 'string' } },
      allowPositionals: true,
    });
    selected = names.length === 0 ? SUITES : names.map(getSuite);
    if (values.shard !== undefined) {
      const [suite, ...more] = names.map(getSuite);
      if (!suite || more.length > 0) throw new Error(`--shard takes exactly one suite\n${USAGE}`);
      shard = parseShard(values.shard, suite);
    }
  } catch (error) {
    console.error(`npm test: ${(error as Error).message}`);
    return 2;
  }
  const outcomes: Outcome[] = [];
  const background: ChildProcess[] = [];
  let prefetched = false;
  for (const [index, suite] of selected.entries()) {
    if (!prefetched && !suite.quiet) {
      prefetched = true;
      background.push(...prefetchTools(selected.slice(index)));
    }
    outcomes.push(await runSuite(suite, shard));
  }
  // Every build a suite needed has finished (the suite waited on it); stop any other.
  for (const child of background) if (child.exitCode === null) child.kill();

  const passed = outcomes.reduce((sum, o) => sum + o.passed, 0);
  const failed = outcomes.reduce((sum, o) => sum + o.failed, 0);
  console.log(`\n=== summary\n${formatSummary(outcomes)}\n`);
  console.log(`${passed} passed, ${failed} failed`);
  const broken = outcomes.filter((o) => !o.ok).map((o) => o.name);
  if (broken.length > 0) {
    console.error(`failed suites: ${broken.join(' ')}`);
    return 1;
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
