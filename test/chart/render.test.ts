// Every scenario lints strictly, renders, and validates against the API schemas;
// rendering is deterministic so Argo CD never sees a spurious diff.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { helm, parseManifests } from '../support/helm.js';
import { CHART_DIR, lint, only, RELEASE, render, scenarios, templateRaw } from './helm.js';
import { validateObject } from './schemas.js';

describe('every scenario (defaults, helm/ci/*-values.yaml, values-dev.yaml, values-prod.yaml)', () => {
  const all = scenarios();

  test('includes the scenarios the issue asks for', () => {
    const names = all.map((scenario) => scenario.name);
    for (const required of [
      'defaults',
      'ci/replicas-3-values.yaml',
      'ci/hpa-values.yaml',
      'ci/ingress-tls-values.yaml',
      'ci/digest-values.yaml',
      'ci/monitoring-values.yaml',
      'values-dev.yaml',
      'values-prod.yaml',
    ]) {
      assert.ok(names.includes(required), `missing scenario ${required}`);
    }
  });

  for (const scenario of all) {
    describe(scenario.name, () => {
      test('passes helm lint --strict', async () => {
        const result = await lint({ valuesFiles: scenario.valuesFiles });
        assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
        assert.match(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      });

      test('renders objects that validate against the Kubernetes API schemas', async () => {
        const objects = await render({ valuesFiles: scenario.valuesFiles });
        assert.ok(objects.length >= 4, 'at least Deployment, Service, ServiceAccount, ConfigMap');
        for (const object of objects) validateObject(object);
      });

      test('renders the same bytes twice', async () => {
        const [first, second] = await Promise.all([
          templateRaw({ valuesFiles: scenario.valuesFiles }),
          templateRaw({ valuesFiles: scenario.valuesFiles }),
        ]);
        assert.equal(first.code, 0, first.stderr);
        assert.equal(first.stdout, second.stdout);
      });

      test('puts every object in the release namespace with the standard labels', async () => {
        const objects = await render({ valuesFiles: scenario.valuesFiles, namespace: 'mlops-dev' });
        for (const object of objects) {
          const where = `${object.kind} ${object.metadata.name}`;
          assert.equal(object.metadata.namespace, 'mlops-dev', where);
          const labels = object.metadata.labels ?? {};
          assert.equal(labels['app.kubernetes.io/name'], 'mlops-inference-service', where);
          assert.equal(labels['app.kubernetes.io/instance'], RELEASE, where);
          assert.equal(labels['app.kubernetes.io/managed-by'], 'Helm', where);
          assert.match(labels['helm.sh/chart'] ?? '', /^mlops-inference-service-\d+\.\d+\.\d+/, where);
          assert.match(labels['app.kubernetes.io/version'] ?? '', /^\d+\.\d+\.\d+/, where);
        }
      });
    });
  }
});

describe('determinism', () => {
  test('no template calls a function whose output changes between renders (random, time, cluster lookups)', () => {
    const nondeterministic =
      /\b(lookup|now|date|dateInZone|unixEpoch|rand\w*|shuffle|uuidv4|genCA|genPrivateKey|genSelfSignedCert|genSignedCert|htpasswd|derivePassword|getHostByName)\b/;
    const templates = path.join(CHART_DIR, 'templates');
    for (const file of readdirSync(templates)) {
      const actions = readFileSync(path.join(templates, file), 'utf8').match(/\{\{.*?\}\}/gs) ?? [];
      const bad = actions.filter((action) => !action.startsWith('{{/*') && !action.startsWith('{{- /*'));
      assert.deepEqual(
        bad.filter((action) => nondeterministic.test(action)),
        [],
        `${file} must render the same bytes every time (Argo CD would show a diff on every refresh)`,
      );
    }
  });
});

describe('names', () => {
  test('release mlops-inference-service names every object exactly mlops-inference-service', async () => {
    const objects = await render();
    assert.deepEqual(
      [...new Set(objects.map((object) => object.metadata.name))],
      ['mlops-inference-service'],
    );
    assert.deepEqual(objects.map((object) => object.kind).sort(), [
      'ConfigMap',
      'Deployment',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);
  });

  test('another release name is prefixed, and fullnameOverride wins', async () => {
    const prefixed = await render({ release: 'canary' });
    assert.equal(only(prefixed, 'Deployment').metadata.name, 'canary-mlops-inference-service');
    const overridden = await render({ release: 'canary', set: ['fullnameOverride=inference'] });
    assert.equal(only(overridden, 'Service').metadata.name, 'inference');
  });

  test('Chart.yaml version and appVersion are semver', async () => {
    const result = await helm(['show', 'chart', 'helm']);
    assert.equal(result.code, 0, result.stderr);
    const [chart] = parseManifests(result.stdout) as unknown as { version: string; appVersion: string }[];
    const semver = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
    assert.match(chart!.version, semver);
    assert.match(chart!.appVersion, semver);
  });
});

describe('NOTES.txt', () => {
  test('says how to reach and check the service', async (t) => {
    // helm template skips NOTES.txt and `install --dry-run` wants a cluster, so a copy of
    // the chart gets one extra template that includes NOTES.txt as a string.
    const copy = mkdtempSync(path.join(tmpdir(), 'chart-notes-'));
    t.after(() => rmSync(copy, { recursive: true, force: true }));
    cpSync(CHART_DIR, copy, { recursive: true });
    writeFileSync(
      path.join(copy, 'templates', 'notes-under-test.yaml'),
      'notes: {{ include (print $.Template.BasePath "/NOTES.txt") . | toJson }}\n',
    );
    const result = await helm([
      'template',
      RELEASE,
      copy,
      '--namespace',
      'default',
      '--values',
      path.join(CHART_DIR, 'ci', 'ingress-tls-values.yaml'),
      '--show-only',
      'templates/notes-under-test.yaml',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const { notes } = parse(result.stdout) as { notes: string };
    assert.match(notes, /kubectl rollout status deployment\/mlops-inference-service -n default/);
    assert.match(notes, /kubectl port-forward svc\/mlops-inference-service 8000:8000 -n default/);
    assert.match(notes, /curl http:\/\/localhost:8000\/readyz/);
    assert.match(notes, /curl http:\/\/localhost:8000\/version/);
    assert.match(notes, /https:\/\/inference\.example\.com\/version/);
  });
});
