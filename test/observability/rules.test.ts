// Every alert of the chart's PrometheusRule under `promtool test rules` (Debian's prometheus
// package): the rule file is what the real helm renders for a kube-prometheus-stack cluster, the
// cases are test/observability/rules/*.test.yaml, and each alert must have a case where it fires
// and one where it stays quiet.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { type AlertRule, alertsOf, ensurePrometheus, type RuleGroup, renderRuleGroups } from './tools.js';

const CASES_DIR = path.join(import.meta.dirname, 'rules');
/** The name every case file lists under `rule_files`. */
const RULE_FILE = 'prometheusrule.rules.yaml';

interface RuleTestFile {
  rule_files: string[];
  tests: {
    name?: string;
    alert_rule_test?: { eval_time: string; alertname: string; exp_alerts?: unknown[] }[];
  }[];
}

function run(command: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

describe("the chart's PrometheusRule under promtool", () => {
  let dir: string;
  let groups: RuleGroup[];
  let alerts: AlertRule[];
  const caseFiles = readdirSync(CASES_DIR)
    .filter((file) => file.endsWith('.test.yaml'))
    .sort();
  const cases = new Map(
    caseFiles.map((file) => [file, parse(readFileSync(path.join(CASES_DIR, file), 'utf8')) as RuleTestFile]),
  );
  const { promtool } = ensurePrometheus();

  before(async () => {
    groups = await renderRuleGroups();
    alerts = alertsOf(groups);
    dir = mkdtempSync(path.join(tmpdir(), 'promtool-'));
    // Prometheus' own rule-file format: the PrometheusRule's spec.groups under `groups`.
    writeFileSync(path.join(dir, RULE_FILE), stringify({ groups }));
    for (const file of caseFiles) copyFileSync(path.join(CASES_DIR, file), path.join(dir, file));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('promtool check rules accepts the rendered rule file', async () => {
    const { code, output } = await run(promtool, ['check', 'rules', RULE_FILE], dir);
    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`SUCCESS: ${alerts.length} rules found`));
  });

  test('every alert has a case where it fires and one where it stays quiet; no case names an unknown alert', () => {
    assert.ok(alerts.length >= 4, `only ${alerts.length} alerts rendered`);
    const firing = new Map<string, number>();
    const quiet = new Map<string, number>();
    for (const [file, content] of cases) {
      assert.deepEqual(content.rule_files, [RULE_FILE], `${file} must test ${RULE_FILE}`);
      for (const t of content.tests) {
        for (const check of t.alert_rule_test ?? []) {
          assert.ok(
            alerts.some((a) => a.alert === check.alertname),
            `${file} (${t.name}) tests ${check.alertname}, which the chart does not render`,
          );
          const counts = (check.exp_alerts ?? []).length > 0 ? firing : quiet;
          counts.set(check.alertname, (counts.get(check.alertname) ?? 0) + 1);
        }
      }
    }
    const untested = alerts.filter((a) => !firing.has(a.alert) || !quiet.has(a.alert)).map((a) => a.alert);
    assert.deepEqual(
      untested,
      [],
      `alerts without a firing and a quiet case in ${CASES_DIR}: ${untested.join(', ')}`,
    );
    for (const { alert } of alerts) {
      console.log(`${alert}: ${firing.get(alert)} firing, ${quiet.get(alert)} quiet evaluations`);
    }
  });

  test('promtool test rules passes every case file', async () => {
    const { code, output } = await run(promtool, ['test', 'rules', ...caseFiles], dir);
    assert.equal(code, 0, output);
    for (const file of caseFiles) {
      assert.match(output, new RegExp(`Unit Testing:\\s+${file.replace(/\./g, '\\.')}\\s+SUCCESS`), output);
    }
    const evaluations = [...cases.values()].flatMap((c) => c.tests.flatMap((t) => t.alert_rule_test ?? []));
    const scenarios = [...cases.values()].reduce((n, c) => n + c.tests.length, 0);
    console.log(
      `# promtool: ${alerts.length} alerts, ${scenarios} scenarios, ${evaluations.length} evaluations, all passed`,
    );
  });

  test('a wrong expectation makes promtool fail (the cases can catch a broken rule)', async () => {
    // The first firing check of the first file, expected quiet instead.
    const [file, content] = [...cases.entries()][0]!;
    const broken = structuredClone(content);
    const check = broken.tests
      .flatMap((t) => t.alert_rule_test ?? [])
      .find((c) => (c.exp_alerts ?? []).length > 0)!;
    check.exp_alerts = [];
    const brokenFile = `broken-${file}`;
    writeFileSync(path.join(dir, brokenFile), stringify(broken));
    const { code, output } = await run(promtool, ['test', 'rules', brokenFile], dir);
    assert.notEqual(code, 0, output);
    assert.match(output, new RegExp(check.alertname));
  });
});
