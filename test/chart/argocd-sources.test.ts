// The chart renders exactly as each Argo CD Application in argocd/ asks for it
// (release name, namespace, values files), with the names docs/contracts.md fixes.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../support/paths.js';
import { CHART_DIR, only, render } from './helm.js';

interface ApplicationSource {
  path?: string;
  helm?: { releaseName?: string; valueFiles?: string[] };
}

interface Application {
  kind?: string;
  metadata?: { name?: string };
  spec?: { source?: ApplicationSource; destination?: { namespace?: string } };
}

const argocdDir = path.join(REPO_ROOT, 'argocd');
const applications: Application[] = readdirSync(argocdDir)
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) => parseAllDocuments(readFileSync(path.join(argocdDir, file), 'utf8')))
  .map((doc) => doc.toJS() as Application)
  .filter((app) => app?.kind === 'Application' && app.spec?.source?.path === 'helm');

describe('Argo CD Applications that deploy helm/', () => {
  test('exist (prod and dev)', () => {
    assert.ok(applications.length >= 2, `found ${applications.length}`);
  });

  for (const app of applications) {
    test(`${app.metadata?.name} renders with its release name, namespace and values files`, async () => {
      const helm = app.spec?.source?.helm ?? {};
      const namespace = app.spec?.destination?.namespace ?? 'default';
      const objects = await render({
        release: helm.releaseName ?? app.metadata?.name ?? '',
        namespace,
        valuesFiles: (helm.valueFiles ?? []).map((file) => path.join(CHART_DIR, file)),
      });
      for (const kind of ['Deployment', 'Service', 'ServiceAccount']) {
        const object = only(objects, kind);
        assert.equal(object.metadata.name, 'mlops-inference-service', kind);
        assert.equal(object.metadata.namespace, namespace, kind);
      }
    });
  }
});
